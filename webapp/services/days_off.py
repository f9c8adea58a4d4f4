"""The days an office does not serve: national holidays and collective leave days (the holidays
package, plus the leave days administrators add), and the office's own closures."""

from datetime import date, timedelta

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Closure, LeaveDay, Office
from webapp.rules import working_days

# Long enough for any collection date (4 working days) across the longest run of holidays.
_COLLECTION_HORIZON = timedelta(days=31)


def national(start: date, end: date) -> set[date]:
    """Every office's days off in [start, end): holidays and leave days."""
    years = range(start.year, end.year + 1)
    added = db.session.scalars(
        select(LeaveDay.day).where(LeaveDay.day >= start, LeaveDay.day < end)
    )
    return {d for d in working_days.national_holidays(years) if start <= d < end} | set(added)


def of_office(office_id: int, start: date, end: date) -> set[date]:
    """The office's days off in [start, end): national ones and its own whole-day closures (a
    closure of some hours leaves the day a working day)."""
    closed = db.session.scalars(
        select(Closure.day).where(
            Closure.office_id == office_id,
            Closure.day >= start,
            Closure.day < end,
            Closure.from_hour.is_(None),
        )
    )
    return national(start, end) | set(closed)


def collection_date(application: Application, office: Office) -> date:
    """When the passport of an application approved now may be collected, in office time."""
    today = clock.today(office.timezone)
    closed = of_office(office.id, today, today + _COLLECTION_HORIZON)
    return working_days.collection_date(today, application.service, closed)
