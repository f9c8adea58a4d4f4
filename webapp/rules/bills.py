"""Bills (billing codes): their states, the moves between them, and when a payment counts (pure).

A bill is `open` until it is `paid`, made `void` (its application was cancelled or expired: the
code is no longer payable) or put in `refund_review` (money arrived that cannot be applied).
Money arriving for a void bill puts it in refund review too.
"""

from datetime import datetime, timedelta

OPEN = "open"
PAID = "paid"
VOID = "void"
REFUND_REVIEW = "refund_review"

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({PAID, VOID, REFUND_REVIEW}),
    VOID: frozenset({REFUND_REVIEW}),
}
STATES = (OPEN, PAID, VOID, REFUND_REVIEW)

# What a bill is for: the fee of an appointment (with its hold), or a fine billed at the office
# after the examination report (no hold: paying it moves nothing but the bill).
FEE = "fee"
FINE = "fine"
PURPOSES = (FEE, FINE)

# How far a bank's signed paid-at time may run ahead of our clock before it is not believed.
PAID_AT_TOLERANCE = timedelta(minutes=5)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def paid_at_problem(paid_at: datetime, *, now: datetime) -> str | None:
    """Why a bank's paid-at time cannot be believed: "no_zone" or "future"; None when it can."""
    if paid_at.tzinfo is None or paid_at.utcoffset() is None:
        return "no_zone"
    if paid_at > now + PAID_AT_TOLERANCE:
        return "future"
    return None


def paid_in_time(paid_at: datetime, deadline: datetime) -> bool:
    """A payment counts by when the bank says it was made, not when its notice arrives."""
    return paid_at <= deadline
