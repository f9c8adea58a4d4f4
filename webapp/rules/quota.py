"""When a slot can be booked, paid and moved: release schedules, holds and the day-before rule.

Times are aware datetimes; "local" means the office's own zone, where every rule is reckoned.
"""

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOLD_LIFETIME = timedelta(hours=2)  # a billing code must be paid within two hours
MAX_LIVE_HOLDS_PER_ACCOUNT = 5
BILLING_CODE_DIGITS = 15
LANE_OF_SERVICE = {"regular": "regular", "express": "express"}


def release_moment(slot_day: date, release_weekday: int, release_hour: int, zone: str) -> datetime:
    """When the week holding slot_day opens: its release weekday, before that week, local time.

    For example with Friday 09.00, slots of the week of Monday 7 December open on Friday
    4 December at 09.00 in the office's zone.
    """
    monday = slot_day - timedelta(days=slot_day.weekday())
    days_back = (0 - release_weekday) % 7 or 7
    opening_day = monday - timedelta(days=days_back)
    return datetime.combine(opening_day, time(release_hour), tzinfo=ZoneInfo(zone))


def next_release(now: datetime, release_weekday: int, release_hour: int, zone: str) -> datetime:
    """The first release after `now`, in the office's zone: its next release weekday at the
    release hour (a week on when that moment is now or has passed today). It opens the slots
    of the week that follows it, Monday to Sunday."""
    local_now = now.astimezone(ZoneInfo(zone))
    days_ahead = (release_weekday - local_now.weekday()) % 7
    moment = datetime.combine(
        local_now.date() + timedelta(days=days_ahead), time(release_hour), tzinfo=ZoneInfo(zone)
    )
    return moment if moment > now else moment + timedelta(days=7)


def booking_problem(
    starts_at: datetime,
    *,
    now: datetime,
    zone: str,
    release_weekday: int,
    release_hour: int,
    closed_days: frozenset[date] = frozenset(),
) -> str | None:
    """Why a slot cannot be booked now: "past", "too_soon", "closed" or "not_released"; None
    when it can. A slot must start after the two hours its bill may stay unpaid."""
    local_start = starts_at.astimezone(ZoneInfo(zone))
    if starts_at <= now:
        return "past"
    if starts_at <= now + HOLD_LIFETIME:
        return "too_soon"
    if local_start.date() in closed_days:
        return "closed"
    if now < release_moment(local_start.date(), release_weekday, release_hour, zone):
        return "not_released"
    return None


def can_reschedule(appointment: datetime, *, now: datetime, zone: str) -> bool:
    """Only up to the day before the appointment (H-1), by the office's calendar."""
    local_zone = ZoneInfo(zone)
    return now.astimezone(local_zone).date() < appointment.astimezone(local_zone).date()


def new_billing_code() -> str:
    """Fifteen digits, the first never zero, so that it survives being read as a number."""
    first = secrets.randbelow(9) + 1
    return (
        f"{first}{secrets.randbelow(10 ** (BILLING_CODE_DIGITS - 1)):0{BILLING_CODE_DIGITS - 1}d}"
    )
