"""Counters pressing at the same instant: every number goes to one counter, once, and a service
starts once. Each test runs on an SQLite file of its own and on the run's PostgreSQL, as the
races of tests/integration/test_races.py do."""

import pytest
from sqlalchemy import func, select

from tests.factories import make_office
from tests.integration.test_races import database_url, together  # noqa: F401 (the fixture)
from tests.staff import make_staff
from tests.visits import checked_in
from webapp.extensions import db
from webapp.models import Application, AuditEntry, User, Visit
from webapp.rules import visits
from webapp.services import calling

COUNTERS = 8


@pytest.fixture
def office_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def counters(office, how_many: int = COUNTERS) -> list[int]:
    """Staff of the office, each at a counter of their own serving every lane; their ids."""
    ids = []
    for number in range(1, how_many + 1):
        staff = make_staff(office)
        calling.open_counter(staff, number, list(visits.LANES))
        ids.append(staff.id)
    return ids


def pressing(staff_id: int, act, *args):
    """What a counter's button does, as its own request would: the staff member loaded afresh."""

    def press():
        try:
            return act(db.session.get(User, staff_id), *args).id
        except calling.CallingRefused as refused:
            return refused.code

    return press


def test_eight_counters_calling_at_once_get_eight_different_numbers(office_app):
    with office_app.app_context():
        office = make_office()
        staff_ids = counters(office)
        for lane in visits.LANES:
            for _ in range(4):
                checked_in(office, lane)
    called = together(office_app, [pressing(i, calling.call_next) for i in staff_ids])
    assert len(set(called)) == COUNTERS and all(isinstance(v, int) for v in called)
    with office_app.app_context():
        rows = db.session.scalars(select(Visit).where(Visit.id.in_(called))).all()
        assert {(v.status, v.calls) for v in rows} == {(visits.CALLED, 1)}
        assert sorted(v.counter_number for v in rows) == list(range(1, COUNTERS + 1))
        calls = db.session.scalar(
            select(func.count(AuditEntry.id)).filter_by(
                entity="visit", from_status=visits.WAITING, to_status=visits.CALLED
            )
        )
        assert calls == COUNTERS


def test_more_counters_than_people_waiting_leaves_the_rest_told_nobody_waits(office_app):
    with office_app.app_context():
        office = make_office()
        staff_ids = counters(office)
        waiting = [checked_in(office).id for _ in range(3)]
    called = together(office_app, [pressing(i, calling.call_next) for i in staff_ids])
    assert sorted(v for v in called if isinstance(v, int)) == sorted(waiting)
    assert called.count("nobody_waiting") == COUNTERS - 3


def test_two_presses_of_start_service_start_it_once(office_app):
    with office_app.app_context():
        office = make_office()
        [staff_id] = counters(office, 1)
        visit = checked_in(office)
        visit_id, application_id = visit.id, visit.application_id
        calling.call_next(db.session.get(User, staff_id))
    presses = [pressing(staff_id, calling.start_service, visit_id) for _ in range(2)]
    outcomes = together(office_app, presses)
    assert sorted(outcomes, key=str) == sorted([visit_id, "already_serving"], key=str)
    with office_app.app_context():
        assert db.session.get(Visit, visit_id).status == visits.SERVING
        assert db.session.get(Application, application_id).status == "in_review"
        moves = db.session.scalars(
            select(AuditEntry.to_status).where(
                AuditEntry.application_id == application_id,
                AuditEntry.to_status.in_(("in_review", visits.SERVING)),
            )
        ).all()
        assert sorted(moves) == ["in_review", "serving"]


def test_a_double_press_of_call_next_calls_one_number(office_app):
    with office_app.app_context():
        office = make_office()
        [staff_id] = counters(office, 1)
        for _ in range(3):
            checked_in(office)
    outcomes = together(office_app, [pressing(staff_id, calling.call_next) for _ in range(2)])
    assert sorted(map(type, outcomes), key=str) == [int, str]
    assert "still_called" in outcomes
    with office_app.app_context():
        called = db.session.scalars(select(Visit).filter_by(status=visits.CALLED)).all()
        assert [visit.id for visit in called] == [v for v in outcomes if isinstance(v, int)]
