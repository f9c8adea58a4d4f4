"""The days off an administrator sees and extends (GET /admin/leave-days): the official
calendar's national days of this year and the next, and the leave days added for days it does
not know yet; an added one closes every office from then on, and each change is audited."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import make_office, make_user
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from tests.staff import make_administrator, make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import AccountEvent, LeaveDay, Slot
from webapp.rules.working_days import national_holidays
from webapp.services import leave_days, offices

PAGE = "/admin/leave-days"
ADMIN = "admin@contoh.id"


def a_working_day(after_days: int = 20):
    """A weekday at least after_days ahead that no calendar makes a day off."""
    day = clock.today("Asia/Jakarta") + timedelta(days=after_days)
    while day.weekday() > 4 or day in national_holidays([day.year]):
        day += timedelta(days=1)
    return day


def day_fields(day) -> dict:
    return {"day-day": str(day.day), "day-month": str(day.month), "day-year": str(day.year)}


@pytest.fixture
def admin(app):
    with app.app_context():
        make_administrator(email=ADMIN, locale="en")
    return sign_in_staff(app, ADMIN)


def post(client, data: dict, path: str = PAGE):
    return client.post(path, data={"csrf_token": csrf_token(client.get(PAGE)), **data})


def events(event: str) -> list[str]:
    return db.session.scalars(
        select(AccountEvent.detail).filter_by(event=event).order_by(AccountEvent.id)
    ).all()


def test_the_page_lists_this_and_next_years_official_days_off(app, admin):
    page = admin.get(PAGE)
    assert page.status_code == 200
    year = clock.today("Asia/Jakarta").year
    for each in (year, year + 1):
        assert f"17 August {each}" in page.text
    assert "Independence Day" in page.text and "Official calendar" in page.text
    assert f"{year + 2}-08-17" not in page.text
    assert "supervisors of each office handle bookings on that day" in page.text


def test_an_added_leave_day_is_listed_audited_and_can_be_removed(app, admin):
    day = a_working_day()
    added = post(admin, {**day_fields(day), "name": "Cuti Bersama Hari Guru"})
    assert added.status_code == 302
    page = admin.get(PAGE).text
    assert "Cuti Bersama Hari Guru" in page and "Added by an administrator" in page
    assert f"{day.day} {day:%B} {day.year} is added as a day off." in page
    with app.app_context():
        [row] = db.session.scalars(select(LeaveDay)).all()
        assert (row.day, row.name) == (day, "Cuti Bersama Hari Guru")
        assert events(leave_days.ADDED) == [f"{day.isoformat()} Cuti Bersama Hari Guru"]
        leave_day_id = row.id
    removed = post(admin, {}, f"/admin/leave-days/{leave_day_id}/delete")
    assert removed.status_code == 302
    page = admin.get(PAGE).text
    assert "Cuti Bersama Hari Guru" not in page
    assert "is no longer a day off." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(LeaveDay.id))) == 0
        assert events(leave_days.REMOVED) == [f"{day.isoformat()} Cuti Bersama Hari Guru"]
    again = post(admin, {}, f"/admin/leave-days/{leave_day_id}/delete")  # a second click
    assert again.status_code == 302
    assert "it was already removed" in admin.get(PAGE).text
    with app.app_context():
        assert len(events(leave_days.REMOVED)) == 1


@pytest.mark.parametrize(
    ("what", "said"),
    [
        ("official", "That date is already a day off in the official calendar."),
        ("past", "That date has passed. Choose today or a later date."),
        ("twice", "That date is already added as a leave day."),
        ("impossible", "Enter a real date as day, month and year"),
        ("no_name", "This field is required."),
        ("too_far", "Leave days are added for this year and next year only."),
        ("no_date", "This field is required."),
        ("garbage_date", "Enter a real date as day, month and year"),
        ("long_name", "Use at most 120 characters."),
    ],
)
def test_a_day_that_cannot_be_added_is_refused_plainly(app, admin, what, said):
    year = clock.today("Asia/Jakarta").year
    data = {**day_fields(a_working_day()), "name": "Cuti Bersama"}
    if what == "official":
        data.update(day_fields(datetime(year + 1, 8, 17).date()))
    elif what == "past":
        data.update(day_fields(a_working_day(-40)))
    elif what == "twice":
        assert post(admin, data).status_code == 302
    elif what == "impossible":
        data.update({"day-day": "31", "day-month": "2"})
    elif what == "too_far":
        data.update(day_fields(datetime(year + 2, 1, 4).date()))
    elif what == "no_date":
        data.update({"day-day": "", "day-month": "", "day-year": ""})
    elif what == "garbage_date":
        data.update({"day-day": "1\x00", "day-month": "'; --", "day-year": "99999"})
    elif what == "long_name":
        data["name"] = "Cuti " * 30
    else:
        data["name"] = "  \x00 "
    with app.app_context():
        before = db.session.scalar(select(func.count(LeaveDay.id)))
    refused = post(admin, data)
    assert refused.status_code == 422
    assert said in refused.text
    assert "There is a problem" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(LeaveDay.id))) == before


def test_applicants_and_office_staff_may_not_see_or_change_the_days_off(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
        make_staff(make_office(), email="petugas@contoh.id")
        make_staff(make_office(), email="kepala@contoh.id", role="supervisor")
    for client in (
        signed_in(app, "siti@contoh.id"),
        sign_in_staff(app, "petugas@contoh.id"),
        sign_in_staff(app, "kepala@contoh.id"),
    ):
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, data={"name": "x"}).status_code in (400, 403)
        assert client.post(f"{PAGE}/1/delete").status_code in (400, 403)
    assert app.test_client().get(PAGE).status_code == 302  # to the sign-in


def test_an_added_day_gets_no_new_slots_and_keeps_the_ones_made(app):
    with app.app_context():
        day = a_working_day(5)
        settings = {"opening_days": "0123456", "regular_per_hour": 1, "slot_window_days": 30}
        made_before = make_office(timezone="Asia/Jakarta", **settings)
        offices.extend_slots()
        leave_days.add(make_administrator(), day, "Cuti Bersama")
        made_after = make_office(timezone="Asia/Jakarta", **settings)
        offices.extend_slots()

        def slots_on(office, on):
            start = datetime.combine(on, time(), tzinfo=ZoneInfo("Asia/Jakarta")).astimezone(UTC)
            return db.session.scalar(
                select(func.count(Slot.id)).where(
                    Slot.office_id == office.id,
                    Slot.starts_at >= start,
                    Slot.starts_at < start + timedelta(days=1),
                )
            )

        assert slots_on(made_before, day) > 0  # kept: supervisors handle its bookings
        assert slots_on(made_after, day) == 0
        assert slots_on(made_after, day + timedelta(days=1)) > 0
