"""Holds on a slot: their states and the moves allowed between them (pure).

A hold is `held` while its bill may be paid, then `paid` (the appointment), or it ends:
`expired` (unpaid in time), `cancelled` (by the applicant or a closed account) or `moved` (a
reschedule ended it and gave the application a new paid hold on the other slot).

A closure's special reschedule (services/closures.py) holds a place for a booking the closure
took: an `offered` hold, which counts against its slot's quota until it expires (48 hours,
however late the release job runs). Accepted, it becomes the application's hold (`paid`, or
`held` while an unpaid booking's bill may still be paid) and the closed hold ends as `moved`;
the applicant choosing another slot instead cancels it; unanswered, it `expired`.
"""

from datetime import timedelta

HELD = "held"
PAID = "paid"
EXPIRED = "expired"
CANCELLED = "cancelled"
MOVED = "moved"
OFFERED = "offered"

TRANSITIONS: dict[str, frozenset[str]] = {
    HELD: frozenset({PAID, EXPIRED, CANCELLED, MOVED}),
    PAID: frozenset({CANCELLED, MOVED}),
    OFFERED: frozenset({PAID, HELD, EXPIRED, CANCELLED}),
}
STATES = (HELD, PAID, EXPIRED, CANCELLED, MOVED, OFFERED)
# A live hold takes a place: a paid one always, a held one until its place is released.
LIVE = (HELD, PAID)

# A held place is kept this long after the bill's deadline, so that the notice of a payment
# made in time, which a bank may retry for a while, still finds it.
SETTLEMENT_GRACE = timedelta(minutes=15)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


# A closure's offer (models.ClosureOffer): open while the applicant may accept its place or
# choose another; accepted once the appointment moved; released when its 48 hours passed
# unanswered (the application keeps its paid appointment at the closed time, and may still
# choose another day of the next two weeks); ended when the application ended meanwhile.
OFFER_OPEN = "open"
OFFER_ACCEPTED = "accepted"
OFFER_RELEASED = "released"
OFFER_ENDED = "ended"
OFFER_STATES = (OFFER_OPEN, OFFER_ACCEPTED, OFFER_RELEASED, OFFER_ENDED)
OFFER_LIFETIME = timedelta(hours=48)
# The special reschedule goes to any day of the next two weeks with free quota.
OFFER_WINDOW = timedelta(days=14)
