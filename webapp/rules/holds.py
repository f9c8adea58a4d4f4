"""Holds on a slot: their states and the moves allowed between them (pure).

A hold is `held` while its bill may be paid, then `paid` (the appointment), or it ends:
`expired` (unpaid in time), `cancelled` (by the applicant or a closed account) or `moved` (a
reschedule ended it and gave the application a new paid hold on the other slot).
"""

from datetime import timedelta

HELD = "held"
PAID = "paid"
EXPIRED = "expired"
CANCELLED = "cancelled"
MOVED = "moved"

TRANSITIONS: dict[str, frozenset[str]] = {
    HELD: frozenset({PAID, EXPIRED, CANCELLED}),
    PAID: frozenset({CANCELLED, MOVED}),
}
STATES = (HELD, PAID, EXPIRED, CANCELLED, MOVED)
# A live hold takes a place: a paid one always, a held one until its place is released.
LIVE = (HELD, PAID)

# A held place is kept this long after the bill's deadline, so that the notice of a payment
# made in time, which a bank may retry for a while, still finds it.
SETTLEMENT_GRACE = timedelta(minutes=15)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
