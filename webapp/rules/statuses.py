"""Application statuses and the transitions allowed between them (DOMAIN.md)."""

DRAFT = "draft"
SUBMITTED = "submitted"
AWAITING_PAYMENT = "awaiting_payment"
SCHEDULED = "scheduled"
CHECKED_IN = "checked_in"
IN_REVIEW = "in_review"
APPROVED = "approved"
PRINTED = "printed"
READY_FOR_PICKUP = "ready_for_pickup"
COLLECTED = "collected"
EXPIRED = "expired"
CANCELLED = "cancelled"
NO_SHOW = "no_show"
INCOMPLETE = "incomplete"
REJECTED = "rejected"
UNCOLLECTED = "uncollected"

TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, CANCELLED}),
    SUBMITTED: frozenset({AWAITING_PAYMENT, DRAFT, CANCELLED}),
    AWAITING_PAYMENT: frozenset({SCHEDULED, EXPIRED, CANCELLED}),
    SCHEDULED: frozenset({CHECKED_IN, NO_SHOW, CANCELLED}),
    CHECKED_IN: frozenset({IN_REVIEW}),
    IN_REVIEW: frozenset({APPROVED, REJECTED, INCOMPLETE}),
    INCOMPLETE: frozenset({IN_REVIEW, REJECTED}),
    APPROVED: frozenset({PRINTED}),
    PRINTED: frozenset({READY_FOR_PICKUP}),
    READY_FOR_PICKUP: frozenset({COLLECTED, UNCOLLECTED}),
}

# Statuses that end an application: it no longer holds its NIK or a place in the account's five.
FINAL = frozenset({COLLECTED, EXPIRED, CANCELLED, NO_SHOW, REJECTED, UNCOLLECTED})
ACTIVE = frozenset(TRANSITIONS) - FINAL
STATUSES = tuple(TRANSITIONS) + tuple(sorted(FINAL - set(TRANSITIONS)))


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
