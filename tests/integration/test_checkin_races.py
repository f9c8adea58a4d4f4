"""Check-in races, on an SQLite file of its own and on the run's PostgreSQL (as test_races.py):
many check-ins at once get consecutive distinct numbers, one application checked in by two
members of staff at once gets one visit, and a walk-in's payment against its expiry ends one
way with its visit."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.checkins import hour_start, open_all_day, paid, slot_at, submitted
from tests.integration import test_races as races
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Bill, Hold, User, Visit
from webapp.services import booking, checkin

RACERS = 16
# The races' fixtures: this module's database, SQLite then PostgreSQL, and its app.
database_url = races.database_url
race_app = races.race_app
assert_trail_is_true = races.assert_trail_is_true


def checking_in(staff_id: int, scanned: str):
    def call():
        try:
            return checkin.check_in(db.session.get(User, staff_id), scanned).id
        except checkin.CheckInRefused as refused:
            return refused.code

    return call


def test_simultaneous_check_ins_in_one_lane_get_numbers_one_to_n(race_app):
    with race_app.app_context():
        office = open_all_day()
        staff_ids = [make_staff(office).id for _ in range(4)]
        numbers = [paid(office).number for _ in range(RACERS)]
    calls = [checking_in(staff_ids[i % 4], number) for i, number in enumerate(numbers)]
    visit_ids = races.together(race_app, calls)
    assert all(isinstance(visit_id, int) for visit_id in visit_ids), visit_ids
    with race_app.app_context():
        visits = db.session.scalars(select(Visit)).all()
        assert sorted(v.number for v in visits) == list(range(1, RACERS + 1))
        assert {v.lane for v in visits} == {"regular"}
        checked_in = db.session.scalars(select(Application.status)).all()
        assert set(checked_in) == {"checked_in"}


@pytest.mark.parametrize("round_", range(3))
def test_one_application_checked_in_by_two_staff_at_once_gets_one_visit(race_app, round_):
    with race_app.app_context():
        office = open_all_day()
        emails = [make_staff(office).email for _ in range(2)]
        application = paid(office)
        application_id, number = application.id, application.number
    desks = [sign_in_staff(race_app, email) for email in emails]
    answers = races.together(
        race_app,
        [races.posting(desk, "/counter/check-in", {"scanned": number}) for desk in desks],
    )
    assert sorted(answer.status_code for answer in answers) == [302, 422]
    refused = next(answer for answer in answers if answer.status_code == 422)
    assert "A001" in refused.get_data(as_text=True)
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        assert [v.number for v in db.session.scalars(select(Visit))] == [1]
    assert trail.count(("application", "scheduled", "checked_in")) == 1


@pytest.mark.parametrize("round_", range(4))
def test_a_walk_in_payment_against_its_expiry_ends_one_way(race_app, round_):
    with race_app.app_context():
        office = open_all_day()
        slot_at(office, hour_start(office.timezone), "priority", capacity=5)
        staff = make_staff(office)
        application = submitted(office)
        application_id = application.id
        checkin.walk_in(staff, application.number, "elderly")
        held = db.session.scalar(select(Hold).where(Hold.application_id == application_id))
        hold_id, code, amount = held.id, held.bill.code, held.bill.amount
        deadline = clock.now() + timedelta(milliseconds=300)
        db.session.execute(update(Hold).where(Hold.id == hold_id).values(expires_at=deadline))
        db.session.execute(update(Bill).where(Bill.hold_id == hold_id).values(expires_at=deadline))
        db.session.commit()
    bank = race_app.test_client()

    def at_the_deadline(call):
        def timed():
            time.sleep(max(0.0, (deadline - clock.now()).total_seconds()))
            return call()

        return timed

    notice = races.notice_body(code, amount, paid_at=deadline)
    calls = [at_the_deadline(lambda: races.deliver(bank, notice).json["outcome"])]
    calls += [at_the_deadline(lambda: booking.expire(hold_id)) for _ in range(5)]
    outcome, *expiries = races.together(race_app, calls)
    assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        status = db.session.get(Application, application_id).status
        visit = db.session.scalar(select(Visit).where(Visit.application_id == application_id))
    if outcome == "applied":
        assert not any(expiries)
        assert (status, visit.status) == ("checked_in", "waiting")
    else:
        assert outcome in ("void", "refund_review") and expiries.count(True) <= 1
        assert (status, visit.status) == ("expired", "void")
