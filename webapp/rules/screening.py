"""The travel-ban check of an application (daftar pencegahan): its results and their moves.

A check starts pending when the service starts, and ends clear or hit; an outage leaves it
not checked until the counter asks again. A hit stays until the office's supervisor confirms the
rejection it means. Each move is a compare-and-set through services.lifecycle.
"""

PENDING = "pending"
CLEAR = "clear"
HIT = "hit"
NOT_CHECKED = "not_checked"  # the list could not be asked: the decision waits
CONFIRMED = "confirmed"  # a hit whose rejection the supervisor confirmed

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({CLEAR, HIT, NOT_CHECKED}),
    NOT_CHECKED: frozenset({PENDING}),
    HIT: frozenset({CONFIRMED}),
}

# What the officer is shown: only whether the person is on the list, never why.
SHOWN = {PENDING: PENDING, CLEAR: CLEAR, HIT: HIT, CONFIRMED: HIT, NOT_CHECKED: NOT_CHECKED}


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def approval_blocker(status: str | None) -> str | None:
    """Why an application cannot be approved yet: None only once the list answered clear."""
    if status == CLEAR:
        return None
    if status in (HIT, CONFIRMED):
        return "travel_ban_hit"
    if status == PENDING:
        return "travel_ban_pending"
    return "travel_ban_not_checked"  # not asked, or the list did not answer
