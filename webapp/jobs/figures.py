"""Figures jobs: keep the figures of the days that can change no more. Safe to run twice or late:
each run keeps the last week of such days again, which fills any a missed run left."""

from datetime import timedelta

from webapp.services import reports

DAYS_AGAIN = 7


def roll_up_figures() -> None:
    last = reports.last_day_to_keep()
    for back in range(DAYS_AGAIN):
        reports.roll_up(last - timedelta(days=back))
