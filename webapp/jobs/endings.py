"""Sweep jobs of the applications that end by the clock: no-shows, and passports not collected
in 30 days (with the reminder on day 23). Safe to run twice, late or concurrently: each
application is decided under its lock, once, and mailed once."""

from webapp.services import endings


def sweep_no_shows() -> None:
    endings.sweep_no_shows()


def sweep_uncollected() -> None:
    endings.sweep_uncollected()
