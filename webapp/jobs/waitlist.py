"""Waitlist jobs: an offered place lapses at its deadline and passes on. Safe to run twice."""

from webapp.services import waitlist


def lapse_offer(entry_id: int) -> None:
    waitlist.lapse_offer(entry_id)


def sweep_offers() -> None:
    waitlist.sweep_lapsed()
