"""The supervisor's office settings (/supervisor/office): days, hours, places per lane, the quota
release, the call ratio and the e-passport stock, applied to the slots nobody was promised, and
refused with the figures when they cannot apply."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.checkins import booked
from tests.factories import make_office, make_user, submitted_application, unique_nik
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Change, LeaveDay, Office, Slot, User
from webapp.rules import quota
from webapp.services import booking, office_settings, offices

PAGE = "/supervisor/office"
WITA = ZoneInfo("Asia/Makassar")
# Wednesday 2 December 2026, 10.00 WITA: this week's slots were released on Friday 27 November;
# those of the week of Monday 7 December open on Friday 4 December at 09.00.
NOW = datetime(2026, 12, 2, 10, tzinfo=WITA).astimezone(UTC)
OFFICE = {
    "opening_days": "01234",
    "first_slot_hour": 8,
    "last_slot_hour": 14,
    "regular_per_hour": 10,
    "express_per_hour": 2,
    "priority_per_hour": 5,
    "slot_window_days": 21,
    "release_weekday": 4,
    "release_hour": 9,
    "epassport_stock": 3,
}


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=WITA).astimezone(UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


@pytest.fixture
def office(app, frozen):
    with app.app_context():
        made = make_office(**OFFICE)
        offices.ensure_slots(made, clock.today(made.timezone), made.slot_window_days)
        db.session.commit()
        return made.id


@pytest.fixture
def chief(app, office):
    with app.app_context():
        place = db.session.get(Office, office)
        return make_staff(place, role="supervisor", email="kasi@contoh.id", locale="en").id


def settings(office_id: int, **changed) -> office_settings.Settings:
    current = office_settings.current(db.session.get(Office, office_id))
    return office_settings.Settings(**{**current.__dict__, **changed})


def capacity(office_id: int, starts_at: datetime, lane: str = "regular") -> int | None:
    return db.session.scalar(
        select(Slot.capacity).filter_by(office_id=office_id, starts_at=starts_at, lane=lane)
    )


def test_new_places_apply_to_unreleased_and_unbooked_slots_only(app, office, chief):
    with app.app_context():
        place = db.session.get(Office, office)
        booked(place, at(date(2026, 12, 3), 9))  # released this week, now held
        user = db.session.get(User, chief)
        outcome = office_settings.change(user, settings(office, regular_per_hour=12))
        assert outcome.changed == {"regular_per_hour": (10, 12)}
        assert capacity(office, at(date(2026, 12, 3), 9)) == 10  # promised: kept
        assert capacity(office, at(date(2026, 12, 3), 10)) == 12  # released, nobody holds it
        assert capacity(office, at(date(2026, 12, 8), 9)) == 12  # not released yet
        assert capacity(office, at(date(2026, 12, 8), 9), "express") == 2
        assert outcome.slots_kept == 1


def test_a_quota_below_the_bookings_is_refused_with_the_figures(app, office, chief):
    supervisor = sign_in_staff(app, "kasi@contoh.id")
    monday = at(date(2026, 12, 7), 9)  # not released yet, but three places are held there
    with app.app_context():
        place = db.session.get(Office, office)
        for _ in range(3):
            booked(place, monday)
        changes_before = db.session.scalar(select(func.count(Change.id)))
    page = supervisor.get(PAGE)
    form = form_of(page, regular_per_hour="2")
    refused = supervisor.post(PAGE, data=form)
    assert refused.status_code == 422
    assert "Monday 7 December 2026 09:00 WITA, Regular: 3 booked, new quota 2" in refused.text
    with app.app_context():
        assert db.session.get(Office, office).regular_per_hour == 10
        assert capacity(office, monday) == 10
        assert capacity(office, at(date(2026, 12, 8), 9)) == 10  # nothing half-applied
        assert db.session.scalar(select(func.count(Change.id))) == changes_before
    form["regular_per_hour"] = "3"  # enough for the three held places
    assert supervisor.post(PAGE, data=form).status_code == 302
    with app.app_context():
        assert capacity(office, monday) == 3
        assert capacity(office, at(date(2026, 12, 8), 9)) == 3


def test_a_release_in_the_past_for_the_coming_week_is_refused(app, office, chief):
    with app.app_context():
        user = db.session.get(User, chief)
        # Tuesday 09.00: the week of 7 December would have opened yesterday.
        with pytest.raises(office_settings.SettingsRefused) as refused:
            office_settings.change(user, settings(office, release_weekday=1))
        assert refused.value.code == "release_past"
        assert refused.value.release_at == datetime(2026, 12, 1, 9, tzinfo=WITA)
        # Monthly: the rest of December would have opened on 30 November.
        with pytest.raises(office_settings.SettingsRefused):
            office_settings.change(user, settings(office, release_kind=quota.MONTHLY))
        assert db.session.get(Office, office).release_weekday == 4
        # Later today is fine: the week of 7 December opens at 11.30.
        office_settings.change(
            user, settings(office, release_weekday=2, release_hour=11, release_minute=30)
        )
        place = db.session.get(Office, office)
        assert booking.next_release(place) == datetime(2026, 12, 2, 11, 30, tzinfo=WITA)


def test_a_day_or_hours_no_longer_open_lose_their_free_slots(app, office, chief):
    with app.app_context():
        place = db.session.get(Office, office)
        booked(place, at(date(2026, 12, 3), 13))  # released and held: promised
        user = db.session.get(User, chief)
        office_settings.change(user, settings(office, opening_days="0124", last_slot_hour=12))
        regular = select(Slot).filter_by(office_id=office, lane="regular")
        starts = {slot.starts_at: slot.capacity for slot in db.session.scalars(regular)}
        assert at(date(2026, 12, 10), 9) not in starts  # Thursday: closed from now on
        assert at(date(2026, 12, 8), 13) not in starts  # 13.00: after the last slot
        assert starts[at(date(2026, 12, 8), 12)] == 10
        assert starts[at(date(2026, 12, 3), 13)] == 10  # kept for its booking


def test_closing_an_hour_that_has_bookings_is_refused(app, office, chief):
    wednesday = at(date(2026, 12, 9), 13)  # not released yet, one place held
    with app.app_context():
        booked(db.session.get(Office, office), wednesday)
        user = db.session.get(User, chief)
        with pytest.raises(office_settings.SettingsRefused) as refused:
            office_settings.change(user, settings(office, last_slot_hour=12))
        assert refused.value.overbooked == (office_settings.Overbooked(wednesday, "regular", 1, 0),)
        assert capacity(office, at(date(2026, 12, 8), 13)) == 10


def test_every_change_is_recorded_and_shown(app, office, chief):
    supervisor = sign_in_staff(app, "kasi@contoh.id")
    form = form_of(supervisor.get(PAGE), express_per_hour="4", call_weight_regular="3")
    assert supervisor.post(PAGE, data=form).status_code == 302
    with app.app_context():
        change = db.session.scalar(select(Change).filter_by(office_id=office, entity="office"))
        assert change.actor_id == chief
        assert change.before == {"call_weight_regular": 2, "express_per_hour": 2}
        assert change.after == {"call_weight_regular": 3, "express_per_hour": 4}
        assert db.session.get(Office, office).call_weights["regular"] == 3
    page = supervisor.get(PAGE)
    assert "Express places per hour: 2" in page.text and "Express places per hour: 4" in page.text


def test_deliveries_add_to_the_stock_which_never_goes_below_zero(app, office, chief):
    supervisor = sign_in_staff(app, "kasi@contoh.id")
    token = csrf_token(supervisor.get(PAGE))
    added = supervisor.post(
        PAGE + "/stock", data={"csrf_token": token, "movement": "delivered", "count": "50"}
    )
    assert added.status_code == 302
    too_many = supervisor.post(
        PAGE + "/stock", data={"csrf_token": token, "movement": "written_off", "count": "60"}
    )
    assert too_many.status_code == 422
    assert "The stock has 53 blanks: taking off 60 would leave fewer than none." in too_many.text
    bad = supervisor.post(
        PAGE + "/stock", data={"csrf_token": token, "movement": "delivered", "count": "5x"}
    )
    assert bad.status_code == 422 and "Enter a whole number" in bad.text
    with app.app_context():
        assert db.session.get(Office, office).epassport_stock == 53
        moves = db.session.scalars(select(Change).filter_by(entity="epassport_stock")).all()
        assert [(m.before, m.after) for m in moves] == [
            ({"epassport_stock": 3}, {"epassport_stock": 53})
        ]


def test_bad_input_is_answered_in_the_form(app, office, chief):
    supervisor = sign_in_staff(app, "kasi@contoh.id")
    form = form_of(supervisor.get(PAGE), first_slot_hour="15", release_time="25.00")
    form.pop("opening_days")
    answer = supervisor.post(PAGE, data=form)
    assert answer.status_code == 422
    for message in (
        "Choose at least one opening day.",
        "The last slot cannot start before the first.",
        "Enter a time such as 09.00.",
    ):
        assert message in answer.text
    with app.app_context():
        assert db.session.get(Office, office).first_slot_hour == 8


def test_a_supervisor_changes_only_their_own_office(app, office, chief):
    with app.app_context():
        other = make_office(**OFFICE, name="Kantor Imigrasi Kelas I TPI Denpasar")
        offices.ensure_slots(other, clock.today(other.timezone), other.slot_window_days)
        db.session.commit()
        other_id = other.id
        make_staff(other, role="supervisor", email="kasi.denpasar@contoh.id", locale="en")
        make_staff(db.session.get(Office, office), email="petugas@contoh.id")
    theirs = sign_in_staff(app, "kasi.denpasar@contoh.id")
    page = theirs.get(PAGE)
    assert "Denpasar" in page.text and "Makassar" not in page.text
    assert theirs.post(PAGE, data=form_of(page, regular_per_hour="1")).status_code == 302
    with app.app_context():
        assert db.session.get(Office, office).regular_per_hour == 10
        assert db.session.get(Office, other_id).regular_per_hour == 1
        assert capacity(office, at(date(2026, 12, 8), 9)) == 10
    officer = sign_in_staff(app, "petugas@contoh.id")
    assert officer.get(PAGE).status_code == 403


def form_of(page, **changed) -> dict:
    """The page's settings form as it stands, with some fields changed."""
    import html5lib

    ns = "{http://www.w3.org/1999/xhtml}"
    tree = html5lib.parse(page.get_data(as_text=True))
    form = next(f for f in tree.iter(f"{ns}form") if f.get("action") == PAGE)
    data: dict = {}
    for field in form.iter(f"{ns}input"):
        kind, name = field.get("type"), field.get("name")
        if kind in ("checkbox", "radio") and field.get("checked") is None:
            continue
        if kind == "checkbox":
            data.setdefault(name, []).append(field.get("value"))
        else:
            data[name] = field.get("value")
    for select_field in form.iter(f"{ns}select"):
        chosen = [o for o in select_field.iter(f"{ns}option") if o.get("selected") is not None]
        data[select_field.get("name")] = chosen[0].get("value")
    return {**data, **changed}


@pytest.mark.parametrize(
    ("now", "leave_day", "january", "february"),
    [
        (datetime(2026, 12, 31, 8, 59, tzinfo=WITA), None, "not_released", "not_released"),
        (datetime(2026, 12, 31, 9, tzinfo=WITA), None, None, "not_released"),
        # A collective leave day added on the 31st: the month opens on the 30th.
        (datetime(2026, 12, 30, 9, tzinfo=WITA), date(2026, 12, 31), None, "not_released"),
        (datetime(2026, 12, 30, 9, tzinfo=WITA), None, "not_released", "not_released"),
    ],
)
def test_a_monthly_office_opens_the_next_month_on_its_last_working_day(
    app, monkeypatch, now, leave_day, january, february
):
    monkeypatch.setattr(clock, "now", lambda: now.astimezone(UTC))
    with app.app_context():
        place = make_office(**{**OFFICE, "release_kind": quota.MONTHLY, "slot_window_days": 45})
        if leave_day:
            db.session.add(LeaveDay(day=leave_day, name="Cuti Bersama"))
        offices.ensure_slots(place, date(2027, 1, 4), 35)
        db.session.commit()
        for day, problem in ((date(2027, 1, 4), january), (date(2027, 2, 1), february)):
            views = booking.slots_between(place, "regular", at(day, 10), at(day, 11))
            assert [view.problem for view in views] == [problem]
        assert booking.next_release(place) > now


def test_the_calendar_tells_applicants_of_a_monthly_release(app):
    with app.app_context():
        place = make_office(**{**OFFICE, "release_kind": quota.MONTHLY})
        user = make_user(email="siti@contoh.id", locale="en")
        public_id = submitted_application(user, place, nik=unique_nik()).public_id
    page = signed_in(app).get(f"/applications/{public_id}/slots")
    assert "On the last working day of every month at 09:00 WITA" in page.text


GARBAGE = ("", "-1", "1e3", "99999999999999999999", "<b>9</b>", "\x00", "９", "2.5", "x" * 300)
FIELDS = (
    "first_slot_hour",
    "last_slot_hour",
    "regular_per_hour",
    "express_per_hour",
    "priority_per_hour",
    "release_kind",
    "release_weekday",
    "release_time",
    "call_weight_priority",
    "opening_days",
)


@pytest.mark.parametrize("name", FIELDS)
def test_garbage_in_any_field_is_refused_in_the_form_never_a_500(app, office, chief, name):
    supervisor = sign_in_staff(app, "kasi@contoh.id")
    form = form_of(supervisor.get(PAGE))
    for value in GARBAGE:
        answer = supervisor.post(PAGE, data={**form, name: value})
        assert answer.status_code in (302, 422), (name, value)
        if answer.status_code == 422:
            assert "error-summary" in answer.text, (name, value)
    with app.app_context():
        # Unchanged, or a full-width ９ read as the digit it is.
        assert db.session.get(Office, office).regular_per_hour in (10, 9)
