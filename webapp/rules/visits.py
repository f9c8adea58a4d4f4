"""A visit: one application's check-in at its office, its queue number, and its calls to a counter.

Lanes and their queue-number prefixes, the priority groups staff mark at check-in, and the
transitions a visit may make (each one a compare-and-set through services.lifecycle).
"""

from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

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


SLOT_LENGTH = timedelta(hours=1)


def lane_of(service_lane: str, priority_group: str | None) -> str:
    """An applicant marked in a priority group waits in the priority lane, whatever the service."""
    return PRIORITY if priority_group else service_lane


def place_in_line(slot_start: datetime | None, arrived_at: datetime) -> tuple[int, datetime]:
    """(rank, queued_at) of an arrival: booked and in before its slot's hour ends, it is on time
    and waits in slot order; later, or a walk-in without a slot, it waits in order of arrival."""
    if slot_start is not None and arrived_at < slot_start + SLOT_LENGTH:
        return ON_TIME, slot_start
    return LATE, arrived_at


def closing_time(day: date, closes_at_hour: int, zone: str) -> datetime:
    """When the office closes on `day`, as an aware moment (closes_at_hour may be 24)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)) + timedelta(hours=closes_at_hour)


def checkin_problem(
    slot_start: datetime, *, now: datetime, zone: str, opens_minutes: int, closes_at_hour: int
) -> str | None:
    """Why an appointment cannot check in now: "another_day", "too_early" (the window opens
    opens_minutes before the slot) or "closed" (the office has closed today); None when it can."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if slot_start.astimezone(ZoneInfo(zone)).date() != today:
        return "another_day"
    if now < slot_start - timedelta(minutes=opens_minutes):
        return "too_early"
    if now >= closing_time(today, closes_at_hour, zone):
        return "closed"
    return None
