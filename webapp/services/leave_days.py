"""The national days off an administrator sees and extends: the official calendar (the holidays
package, working_days.national_holidays) for this year and the next, and the leave days added
for days it does not know yet (models.LeaveDay).

An added leave day closes every office from then on: slots are no longer made on it
(offices.extend_slots) and no collection date falls on it (days_off). Slots already made on it
stay, with their bookings: supervisors handle those. Each addition and removal is recorded in
the administrator's own append-only trail (account_events), with the day and its name.
"""

from dataclasses import dataclass
from datetime import date

import holidays
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import LeaveDay, User
from webapp.rules import working_days
from webapp.services import staff_auth

# What account_events records of them (beside services/staff_auth.py EVENTS).
ADDED = "leave_day_added"
REMOVED = "leave_day_removed"
# Administrators are national: "today" is WIB's, the zone where the decrees are published.
ZONE = "Asia/Jakarta"
OFFICIAL = "official"
ADDED_HERE = "added"


class LeaveDayRefused(Exception):
    """Why a leave day was not added or removed; code is a key of labels.LEAVE_DAY_PROBLEMS."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str
    source: str  # OFFICIAL (the holidays package) or ADDED_HERE (a LeaveDay)
    leave_day_id: int | None  # for removing an added one


def calendar(locale: str) -> list[DayOff]:
    """This year's and next year's days off, national and added, in date order; names of the
    official calendar in the reader's language where the package has it."""
    this_year = clock.today(ZONE).year
    years = (this_year, this_year + 1)
    official = working_days.national_holidays(years)
    names = holidays.Indonesia(
        years=years,
        categories=(holidays.PUBLIC, holidays.GOVERNMENT),
        language="id" if locale == "id" else "en_US",
    )
    days = [DayOff(day, names.get(day, ""), OFFICIAL, None) for day in official]
    added = db.session.scalars(
        select(LeaveDay).where(
            LeaveDay.day >= date(this_year, 1, 1), LeaveDay.day <= date(this_year + 1, 12, 31)
        )
    )
    days += [DayOff(row.day, row.name, ADDED_HERE, row.id) for row in added]
    return sorted(days, key=lambda off: (off.day, off.source))


def add(administrator: User, day: date, name: str) -> LeaveDay:
    """Add a leave day of this year or the next: not in the past, not already a day off of the
    calendar or added."""
    today = clock.today(ZONE)
    if day < today:
        raise LeaveDayRefused("past")
    if day.year > today.year + 1:  # decrees name the coming year's days at most
        raise LeaveDayRefused("too_far")
    if day in working_days.national_holidays([day.year]):
        raise LeaveDayRefused("already_official")
    if db.session.scalar(select(LeaveDay.id).where(LeaveDay.day == day)) is not None:
        raise LeaveDayRefused("already_added")
    leave_day = LeaveDay(day=day, name=name, added_by=administrator.id, added_at=clock.now())
    db.session.add(leave_day)
    try:
        db.session.flush()
    except IntegrityError:  # the same day added meanwhile, from another tab
        db.session.rollback()
        raise LeaveDayRefused("already_added") from None
    staff_auth.record(administrator.id, ADDED, detail=f"{day.isoformat()} {name}")
    db.session.commit()
    return leave_day


def remove(administrator: User, leave_day_id: int) -> LeaveDay:
    """Remove an added leave day (the official calendar's days cannot be); the trail keeps it."""
    leave_day = db.session.get(LeaveDay, leave_day_id)
    if leave_day is None:
        raise LookupError(leave_day_id)
    if leave_day.day < clock.today(ZONE):
        raise LeaveDayRefused("past")
    detail = f"{leave_day.day.isoformat()} {leave_day.name}"
    db.session.delete(leave_day)
    staff_auth.record(administrator.id, REMOVED, detail=detail)
    db.session.commit()
    return leave_day
