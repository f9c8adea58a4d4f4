"""Review jobs: incomplete applications whose owed documents did not come by the deadline are
rejected. Safe to run twice or late: each is decided under its lock, once."""

from webapp.services import review


def sweep_owed() -> None:
    review.sweep_owed()
