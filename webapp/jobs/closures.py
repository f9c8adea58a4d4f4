"""Closure jobs: the offers of a special reschedule and their release. Safe to run twice."""

from webapp.services import closures


def make_offers(closure_id: int) -> None:
    closures.make_offers(closure_id)


def release_offer(offer_id: int) -> None:
    closures.release(offer_id)


def sweep_offers() -> None:
    closures.sweep_released()
