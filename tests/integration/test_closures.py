"""The supervisor's closures (GET/POST /supervisor/closures): a day or some hours of the own
office closed, overlapping and past ones refused, the closed slots no longer bookable nor made,
each closure recorded with who and what."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.checkins import open_all_day, submitted
from tests.html import csrf_token
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Change, Closure, Office, Slot
from webapp.services import booking, offices

PAGE = "/supervisor/closures"
ZONE = "Asia/Makassar"
SUPERVISOR = "kepala@contoh.id"


def local_day(days: int):
    return clock.today(ZONE) + timedelta(days=days)


def at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(ZONE)).astimezone(UTC)


def fields(day, reason: str = "Gangguan sistem", start: str = "", end: str = "") -> dict:
    return {
        "day-day": str(day.day),
        "day-month": str(day.month),
        "day-year": str(day.year),
        "from_hour": start,
        "to_hour": end,
        "reason": reason,
    }


@pytest.fixture
def office(app):
    with app.app_context():
        made = open_all_day(ZONE)
        offices.ensure_slots(made, clock.today(ZONE), 10)
        db.session.commit()
        make_staff(made, role="supervisor", email=SUPERVISOR, locale="en")
        return made.id


@pytest.fixture
def chief(app, office):
    return sign_in_staff(app, SUPERVISOR)


def post(client, data: dict):
    return client.post(PAGE, data={"csrf_token": csrf_token(client.get(PAGE)), **data})


def test_a_part_day_closure_is_listed_and_recorded_with_who(app, office, chief):
    day = local_day(3)
    response = post(chief, fields(day, "Banjir", "10", "13"))
    assert response.status_code == 302
    page = chief.get(PAGE).text
    assert "Banjir" in page and "10.00-13.00" in page
    with app.app_context():
        [closure] = db.session.scalars(select(Closure)).all()
        assert (closure.day, closure.from_hour, closure.to_hour) == (day, 10, 13)
        [change] = db.session.scalars(select(Change).filter_by(entity="closure")).all()
        assert change.office_id == office and change.action == "created"
        assert change.after["reason"] == "Banjir" and change.after["from_hour"] == 10
        assert change.actor_id == closure.created_by is not None


def test_an_overlapping_closure_is_refused_naming_the_other(app, office, chief):
    day = local_day(3)
    assert post(chief, fields(day, "Banjir", "10", "13")).status_code == 302
    for start, end in (("12", "15"), ("", ""), ("9", "11")):
        refused = post(chief, fields(day, "Listrik padam", start, end))
        assert refused.status_code == 422
        assert "overlaps another closure" in refused.text
        assert "10.00-13.00 (Banjir)" in refused.text
    # Touching hours do not overlap.
    assert post(chief, fields(day, "Listrik padam", "13", "15")).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Closure.id))) == 2


def test_a_past_time_and_bad_hours_are_refused(app, office, chief):
    refused = post(chief, fields(local_day(-1)))
    assert refused.status_code == 422 and "That time has passed" in refused.text
    hour = clock.now().astimezone(ZoneInfo(ZONE)).hour
    if hour > 0:  # an hour of today that has begun already
        earlier = post(chief, fields(local_day(0), "Gangguan", str(hour - 1), str(hour + 1)))
        assert earlier.status_code == 422 and "That time has passed" in earlier.text
    backwards = post(chief, fields(local_day(2), "Gangguan", "12", "10"))
    assert backwards.status_code == 422 and "must end after it starts" in backwards.text
    half = post(chief, fields(local_day(2), "Gangguan", "12", ""))
    assert half.status_code == 422 and "Choose both hours" in half.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Closure.id))) == 0


def test_slots_inside_the_closure_are_not_bookable_and_those_outside_are(app, office, chief):
    day = local_day(3)
    assert post(chief, fields(day, "Banjir", "10", "12")).status_code == 302
    with app.app_context():
        made = db.session.get(Office, office)
        views = {
            view.slot.starts_at: view.problem
            for view in booking.slots_between(made, "regular", at(day, 9), at(day, 13))
        }
        assert views[at(day, 10)] == views[at(day, 11)] == "closed"
        assert views[at(day, 9)] is None and views[at(day, 12)] is None
        closed = db.session.scalar(select(Slot).filter_by(starts_at=at(day, 11), lane="regular"))
        application = submitted(made)
        with pytest.raises(booking.BookingRefused) as refused:
            booking.hold(application, closed.id)
        assert refused.value.code == "closed"
        open_slot = db.session.scalar(select(Slot).filter_by(starts_at=at(day, 12), lane="regular"))
        assert booking.hold(application, open_slot.id).status == "held"


def test_the_calendar_shows_a_closed_whole_day(app, office, chief):
    day = local_day(4)
    assert post(chief, fields(day, "Gangguan sistem")).status_code == 302
    with app.app_context():
        made = db.session.get(Office, office)
        month = booking.month_of(made, "regular", day.year, day.month)
        assert {view.problem for view in month[day]} == {"closed"}


def test_no_slots_are_made_in_the_closed_hours(app, office, chief):
    day = local_day(12)  # beyond the slots made so far
    assert post(chief, fields(day, "Renovasi", "8", "10")).status_code == 302
    assert post(chief, fields(local_day(13), "Renovasi")).status_code == 302
    with app.app_context():
        made = db.session.get(Office, office)
        offices.ensure_slots(made, local_day(12), 2)
        db.session.commit()
        hours = set(
            db.session.scalars(
                select(Slot.starts_at).where(
                    Slot.office_id == office,
                    Slot.starts_at >= at(day, 0),
                    Slot.starts_at < at(local_day(14), 0),
                )
            )
        )
        assert at(day, 8) not in hours and at(day, 9) not in hours
        assert at(day, 7) in hours and at(day, 10) in hours
        assert not any(at(local_day(13), 0) <= moment for moment in hours)


def test_another_offices_supervisor_sees_none_of_its_closures(app, office, chief):
    assert post(chief, fields(local_day(3), "Banjir besar")).status_code == 302
    with app.app_context():
        make_staff(open_all_day(ZONE), role="supervisor", email="lain@contoh.id", locale="en")
    other = sign_in_staff(app, "lain@contoh.id")
    page = other.get(PAGE)
    assert page.status_code == 200 and "Banjir besar" not in page.text
    assert "No coming closures." in page.text
