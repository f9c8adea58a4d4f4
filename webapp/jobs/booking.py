"""Booking jobs: an unpaid hold expires at its deadline. Safe to run twice or late."""

from webapp.services import booking


def expire_hold(hold_id: int) -> None:
    booking.expire(hold_id)


def sweep_holds() -> None:
    booking.sweep_expired()
