"""A visit: one application's check-in at its office, its queue number, and its calls to a counter.

Lanes and their queue-number prefixes, the priority groups staff mark at check-in, and the
transitions a visit may make (each one a compare-and-set through services.lifecycle).
"""

from fractions import Fraction

REGULAR, EXPRESS, PRIORITY = "regular", "express", "priority"
LANES = (PRIORITY, EXPRESS, REGULAR)  # the order the office's screen and forms list them
PREFIX = {REGULAR: "A", EXPRESS: "B", PRIORITY: "P"}

# Who may use the priority lane (DOMAIN.md, "Office flow"); staff mark it at check-in.
PRIORITY_GROUPS = ("elderly", "young_child", "pregnant", "disability")

UNPAID = "unpaid"  # a priority walk-in whose bill is not paid yet: not called
WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
ABSENT = "absent"  # not present after a recall and a second turn at the back
DONE = "done"  # the service at the counter ended
VOID = "void"  # an unpaid walk-in whose bill expired

TRANSITIONS: dict[str, frozenset[str]] = {
    UNPAID: frozenset({WAITING, VOID}),
    WAITING: frozenset({CALLED}),
    # CALLED -> CALLED is a recall; back to WAITING is "not present" the first time.
    CALLED: frozenset({CALLED, WAITING, ABSENT, SERVING}),
    SERVING: frozenset({DONE}),
}
IN_QUEUE = frozenset({UNPAID, WAITING, CALLED, SERVING})

# The order of the waiting line within a lane: booked arrivals on time in slot order, then late
# arrivals and walk-ins as they came, then those sent to the back after not answering a call.
ON_TIME, LATE, SENT_BACK = 0, 1, 2


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def ticket(lane: str, number: int) -> str:
    """What the ticket and the screen show: the lane's letter and three digits, e.g. A007."""
    return f"{PREFIX[lane]}{number:03d}"


def calling_order(weights: dict[str, int], calls: dict[str, int], lanes) -> list[str]:
    """The lanes in the order "Call next" tries them: first the lane whose share of the day's
    calls is furthest below its weight (the fewest calls per unit of weight), ties in LANES
    order. A lane of weight 0 comes last: it is called only when no other has anyone waiting.
    """

    def behind(lane: str) -> tuple:
        weight = weights.get(lane, 0)
        if weight <= 0:
            return (1, Fraction(0), LANES.index(lane))
        return (0, Fraction(calls.get(lane, 0), weight), LANES.index(lane))

    return sorted(lanes, key=behind)
