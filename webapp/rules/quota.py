"""When a slot can be booked, paid and moved: release schedules, holds and the day-before rule.

Times are aware datetimes; "local" means the office's own zone, where every rule is reckoned.
"""

import secrets
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOLD_LIFETIME = timedelta(hours=2)  # a billing code must be paid within two hours
MAX_LIVE_HOLDS_PER_ACCOUNT = 5
BILLING_CODE_DIGITS = 15
LANE_OF_SERVICE = {"regular": "regular", "express": "express"}


WEEKLY = "weekly"
MONTHLY = "monthly"
RELEASE_KINDS = (WEEKLY, MONTHLY)


def release_moment(
    slot_day: date,
    release_weekday: int,
    release_hour: int,
    zone: str,
    *,
    kind: str = WEEKLY,
    minute: int = 0,
    days_off: Collection[date] = frozenset(),
) -> datetime:
    """When the slots of slot_day open, in the office's zone.

    Weekly: the week holding slot_day opens on its release weekday before that week; with
    Friday 09.00, slots of the week of Monday 7 December open on Friday 4 December at 09.00.
    Monthly: the month holding slot_day opens on the last working day of the month before
    (Monday to Friday, not in `days_off`: the national days off, whose dates must cover that
    month) at the release time; slots of January 2027 open on Thursday 31 December 2026.
    """
    if kind == MONTHLY:
        opening_day = last_working_day(slot_day.replace(day=1) - timedelta(days=1), days_off)
    else:
        monday = slot_day - timedelta(days=slot_day.weekday())
        days_back = (0 - release_weekday) % 7 or 7
        opening_day = monday - timedelta(days=days_back)
    return datetime.combine(opening_day, time(release_hour, minute), tzinfo=ZoneInfo(zone))


def last_working_day(day_in_month: date, days_off: Collection[date]) -> date:
    """The month's last day that is a weekday and not a day off."""
    following = (day_in_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    day = following - timedelta(days=1)
    while day.weekday() >= 5 or day in days_off:
        day -= timedelta(days=1)
    return day


def next_release(
    now: datetime,
    release_weekday: int,
    release_hour: int,
    zone: str,
    *,
    kind: str = WEEKLY,
    minute: int = 0,
    days_off: Collection[date] = frozenset(),
) -> datetime:
    """The first release after `now`, in the office's zone.

    Weekly: the next release weekday at the release time (a week on when that moment is now or
    has passed today); it opens the slots of the week that follows it, Monday to Sunday.
    Monthly: this month's last working day at the release time, or next month's when that has
    passed; it opens the month that follows it. `days_off` must cover both months.
    """
    local_zone = ZoneInfo(zone)
    local_now = now.astimezone(local_zone)
    if kind == MONTHLY:
        this_month = local_now.date().replace(day=1)
        for month_start in (this_month, (this_month + timedelta(days=32)).replace(day=1)):
            opening = last_working_day(month_start, days_off)
            moment = datetime.combine(opening, time(release_hour, minute), tzinfo=local_zone)
            if moment > now:
                return moment
        raise AssertionError("a month always has a working day")  # pragma: no cover
    days_ahead = (release_weekday - local_now.weekday()) % 7
    moment = datetime.combine(
        local_now.date() + timedelta(days=days_ahead),
        time(release_hour, minute),
        tzinfo=local_zone,
    )
    return moment if moment > now else moment + timedelta(days=7)


def first_unreleased_day(
    now: datetime,
    release_weekday: int,
    release_hour: int,
    zone: str,
    *,
    kind: str = WEEKLY,
    minute: int = 0,
    days_off: Collection[date] = frozenset(),
) -> date:
    """The first local day whose slots the next release opens: the Monday after a weekly
    release, the first of the month after a monthly one."""
    moment = next_release(
        now, release_weekday, release_hour, zone, kind=kind, minute=minute, days_off=days_off
    )
    opening_day = moment.astimezone(ZoneInfo(zone)).date()
    if kind == MONTHLY:
        return (opening_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return opening_day + timedelta(days=7 - opening_day.weekday())


def booking_problem(
    starts_at: datetime,
    *,
    now: datetime,
    zone: str,
    release_weekday: int,
    release_hour: int,
    closed_days: frozenset[date] = frozenset(),
    release_kind: str = WEEKLY,
    release_minute: int = 0,
    days_off: Collection[date] = frozenset(),
) -> str | None:
    """Why a slot cannot be booked now: "past", "too_soon", "closed" or "not_released"; None
    when it can. A slot must start after the two hours its bill may stay unpaid. `days_off`
    (national) decide a monthly release's last working day."""
    local_start = starts_at.astimezone(ZoneInfo(zone))
    if starts_at <= now:
        return "past"
    if starts_at <= now + HOLD_LIFETIME:
        return "too_soon"
    if local_start.date() in closed_days:
        return "closed"
    opens = release_moment(
        local_start.date(),
        release_weekday,
        release_hour,
        zone,
        kind=release_kind,
        minute=release_minute,
        days_off=days_off,
    )
    if now < opens:
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
