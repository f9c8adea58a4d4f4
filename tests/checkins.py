"""Offices open at every hour and paid bookings for today, for the check-in tests at any hour.

A booking for a slot that already started cannot be made online (booking.hold refuses slots
that start within two hours), so these take the place through booking's shared machinery
(reserve, confirm) without the online check, and pay it through the payment service.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.booked import pay
from tests.factories import make_office, make_user, submitted_application, unique_nik
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Office, Slot
from webapp.services import booking

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT: 1 hour apart


def local_hour(zone: str) -> int:
    return clock.now().astimezone(ZoneInfo(zone)).hour


def zone_where(hour_is, also: tuple[str, ...] = ()) -> str:
    """An Indonesian zone whose current local hour passes the test: with three zones an hour
    apart, "not the last hour of the day" or "not the first" always holds in one of them; a
    stricter test may name zones to try after them."""
    return next(zone for zone in ZONES + also if hour_is(local_hour(zone)))


def hour_start(zone: str, hours: int = 0) -> datetime:
    """The start of the current local hour in `zone`, moved by `hours`, as aware UTC."""
    local = clock.now().astimezone(ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0)
    return (local + timedelta(hours=hours)).astimezone(UTC)


def open_all_day(zone: str = "Asia/Makassar", **fields) -> Office:
    """An office open every day from 00.00 to 24.00 local time, with a priority quota."""
    values = {
        "timezone": zone,
        "opening_days": "0123456",
        "first_slot_hour": 0,
        "last_slot_hour": 23,
        "regular_per_hour": 10,
        "express_per_hour": 5,
        "priority_per_hour": 2,
        "release_weekday": 0,
        "release_hour": 0,
        **fields,
    }
    return make_office(**values)


def slot_at(office: Office, starts_at: datetime, lane: str = "regular", capacity: int = 50):
    found = db.session.scalar(
        select(Slot).filter_by(office_id=office.id, starts_at=starts_at, lane=lane)
    )
    if found is None:
        found = Slot(office_id=office.id, starts_at=starts_at, lane=lane, capacity=capacity)
        db.session.add(found)
        db.session.commit()
    return found


def submitted(office: Office, **answers) -> Application:
    """A submitted application with a verified NIK at the office, of a new account."""
    return submitted_application(make_user(), office, nik=unique_nik(), **answers)


def booked(office: Office, starts_at: datetime | None = None, **answers) -> Application:
    """A submitted application holding a place at `starts_at` (this hour by default), unpaid."""
    application = submitted(office, **answers)
    lane = booking.lane_for(application)
    slot = slot_at(office, starts_at or hour_start(office.timezone), lane)
    held = booking.reserve(
        application, slot.id, actor_id=application.account_id, check=lambda *unchecked: None
    )
    booking.confirm(application, held)
    return db.session.get(Application, application.id)


def paid(office: Office, starts_at: datetime | None = None, **answers) -> Application:
    """A paid, scheduled booking at `starts_at` (this hour by default)."""
    application = booked(office, starts_at, **answers)
    assert pay(application.id) == "applied"
    return db.session.get(Application, application.id)
