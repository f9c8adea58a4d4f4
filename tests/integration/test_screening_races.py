"""The travel-ban check raced: answers to one check arriving at once, "check again" pressed at
several counters at once, two supervisors confirming one hit. Each test runs on an SQLite file of
its own and on the run's PostgreSQL, as the races of tests/integration/test_races.py do."""

import pytest
from sqlalchemy import select

from tests import services
from tests.factories import make_office
from tests.integration.test_calling import officer, serve_next
from tests.integration.test_races import (  # noqa: F401 (the fixture)
    assert_trail_is_true,
    database_url,
    together,
)
from tests.integration.test_screening import LISTED, failing_then_answering
from tests.staff import make_staff
from tests.visits import checked_in
from webapp.extensions import db
from webapp.integrations.travel_ban_standin import STANDIN_API_KEY
from webapp.jobs.screening import check_travel_ban
from webapp.models import Application, AuditEntry, ScreeningCheck, User
from webapp.rules import screening as results
from webapp.services import lifecycle, screening

RACERS = 8


@pytest.fixture
def down_then_up():
    """A travel-ban list that is down until state["up"] is set; the app asking it in-process."""
    down, state = failing_then_answering()
    with services.serving(down) as url:
        yield url, state


@pytest.fixture
def race_app(make_app, down_then_up):
    url, _state = down_then_up
    return make_app(
        RATELIMIT_ENABLED=False,
        REDIS_URL=None,
        TRAVEL_BAN_URL=url,
        TRAVEL_BAN_API_KEY=STANDIN_API_KEY,
    )


def screening_moves(application_id: int) -> list[tuple[str | None, str]]:
    rows = db.session.scalars(
        select(AuditEntry)
        .filter_by(application_id=application_id, entity="screening")
        .order_by(AuditEntry.id)
    )
    return [(row.from_status, row.to_status) for row in rows]


def status_of_check(application_id: int) -> str:
    return db.session.scalar(select(ScreeningCheck.status).filter_by(application_id=application_id))


def pending_check(office, nik: str) -> int:
    """An application checked in with this NIK whose check is pending, its job not yet run; its
    id. Made as start_check makes it, without the job."""
    visit = checked_in(office)
    application = db.session.get(Application, visit.application_id)
    application.nik = nik
    check = ScreeningCheck(
        application_id=application.id, office_id=office.id, status=results.PENDING
    )
    db.session.add(check)
    db.session.flush()
    lifecycle.created(check, actor_id=None)
    db.session.commit()
    return application.id


def test_answers_arriving_at_once_store_one_result(race_app, down_then_up):
    _url, state = down_then_up
    state["up"] = True
    with race_app.app_context():
        application_id = pending_check(make_office(), LISTED)
    # Half the runs are jobs getting the answer, half are last attempts recording an outage.
    calls = [lambda: check_travel_ban(application_id)] * (RACERS // 2)
    calls += [lambda: screening.record_outage(application_id)] * (RACERS // 2)
    together(race_app, calls)
    with race_app.app_context():
        moves = screening_moves(application_id)
        assert moves[0] == (None, results.PENDING)
        assert len(moves) == 2 and moves[1][0] == results.PENDING
        assert moves[1][1] in (results.HIT, results.NOT_CHECKED)
        assert status_of_check(application_id) == moves[1][1]
    assert_trail_is_true(race_app, application_id)


def test_check_again_pressed_at_once_asks_once(race_app, down_then_up):
    _url, state = down_then_up
    with race_app.app_context():
        office = make_office()
        staff = officer(office)
        visit = checked_in(office, by=staff)
        visit_id, application_id = visit.id, visit.application_id
        serve_next(staff)  # the list is down: not checked
        assert status_of_check(application_id) == results.NOT_CHECKED
        colleagues = [staff.id] + [make_staff(office).id for _ in range(RACERS - 1)]
    state["up"] = True

    def press(staff_id: int):
        def pressed():
            try:
                screening.check_again(db.session.get(User, staff_id), visit_id)
            except screening.ScreeningRefused as refused:
                return refused.code
            return "asked"

        return pressed

    said = together(race_app, [press(staff_id) for staff_id in colleagues])
    assert said.count("asked") == 1
    assert said.count("not_needed") == RACERS - 1
    with race_app.app_context():
        assert screening_moves(application_id) == [
            (None, results.PENDING),
            (results.PENDING, results.NOT_CHECKED),
            (results.NOT_CHECKED, results.PENDING),
            (results.PENDING, results.CLEAR),
        ]
    assert_trail_is_true(race_app, application_id)


def test_two_supervisors_confirming_one_hit_reject_once(race_app, down_then_up):
    _url, state = down_then_up
    state["up"] = True
    with race_app.app_context():
        office = make_office()
        staff = officer(office)
        visit = checked_in(office, by=staff)
        db.session.get(Application, visit.application_id).nik = LISTED
        db.session.commit()
        visit_id, application_id = visit.id, visit.application_id
        serve_next(staff)
        assert status_of_check(application_id) == results.HIT
        supervisors = [make_staff(office, role="supervisor").id for _ in range(2)]

    def confirm(supervisor_id: int):
        def confirming():
            try:
                screening.confirm_hit(db.session.get(User, supervisor_id), visit_id, "Tercantum.")
            except screening.ScreeningRefused as refused:
                return refused.code
            return "confirmed"

        return confirming

    said = together(race_app, [confirm(supervisor_id) for supervisor_id in supervisors])
    assert sorted(said) == ["confirmed", "no_hit"]
    with race_app.app_context():
        assert status_of_check(application_id) == results.CONFIRMED
        assert db.session.get(Application, application_id).status == "rejected"
        assert screening_moves(application_id)[-1] == (results.HIT, results.CONFIRMED)
        assert [m for m in screening_moves(application_id) if m[1] == results.CONFIRMED] == [
            (results.HIT, results.CONFIRMED)
        ]
    assert_trail_is_true(race_app, application_id)
