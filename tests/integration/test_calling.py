"""Counters and calling: opening a counter, "Call next" by the office's ratio between lanes and in
line order, recall, not present, start service, and what the applicant's history says of it."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import make_office
from tests.html import csrf_token
from tests.staff import make_staff, sign_in_staff
from tests.visits import checked_in
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, AuditEntry, CounterSession, User, Visit
from webapp.rules import visits
from webapp.services import audit, calling


def officer(office, counter: int = 3, lanes=visits.LANES, **fields) -> User:
    """A member of staff of the office with the counter open for the lanes."""
    staff = make_staff(office, **fields)
    calling.open_counter(staff, counter, list(lanes))
    return staff


def serve_next(staff: User) -> Visit:
    """Call the next number and start its service, as a counter does with each applicant."""
    visit = calling.call_next(staff)
    calling.start_service(staff, visit.id)
    return visit


def post(client, path: str, data: dict | None = None):
    token = csrf_token(client.get("/counter/desk"))
    return client.post(path, data={"csrf_token": token, **(data or {})}, follow_redirects=True)


def test_call_next_follows_the_offices_ratio_between_lanes(app):
    with app.app_context():
        office = make_office()  # priority : express : regular = 1 : 1 : 2 by default
        staff = officer(office)
        for lane in visits.LANES:
            for _ in range(4):
                checked_in(office, lane, by=staff)
        called = [serve_next(staff).lane for _ in range(8)]
    p, b, a = visits.PRIORITY, visits.EXPRESS, visits.REGULAR
    assert called == [p, b, a, a, p, b, a, a]


def test_the_ratio_counts_every_counters_calls_and_skips_a_lane_with_nobody(app):
    with app.app_context():
        office = make_office(call_weight_priority=2, call_weight_express=0, call_weight_regular=1)
        regular_only = officer(office, counter=1, lanes=[visits.REGULAR])
        every_lane = officer(office, counter=2)
        for lane in (visits.PRIORITY, visits.REGULAR, visits.REGULAR, visits.REGULAR):
            checked_in(office, lane, by=every_lane)
        assert calling.call_next(regular_only).lane == visits.REGULAR
        # One regular call so far: priority (0 of weight 2) is furthest behind.
        assert serve_next(every_lane).lane == visits.PRIORITY
        # Priority is empty now; express has weight 0 and nobody either.
        assert serve_next(every_lane).lane == visits.REGULAR


def test_booked_arrivals_come_before_late_ones_and_those_sent_back_last(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        early = clock.now() - timedelta(hours=1)
        sent_back = checked_in(office, rank=visits.SENT_BACK, queued_at=early, by=staff)
        late = checked_in(office, rank=visits.LATE, queued_at=early, by=staff)
        ten = checked_in(office, queued_at=early + timedelta(minutes=30), by=staff)
        nine = checked_in(office, queued_at=early + timedelta(minutes=20), by=staff)
        expected = [nine.id, ten.id, late.id, sent_back.id]
        assert [serve_next(staff).id for _ in range(4)] == expected


def test_a_call_records_the_counter_the_officer_and_the_time(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, counter=5)
        waiting = checked_in(office, by=staff)
        visit = calling.call_next(staff)
        assert visit.id == waiting.id
        db.session.expire_all()
        visit = db.session.get(Visit, waiting.id)
        assert (visit.status, visit.counter_number, visit.called_by, visit.calls) == (
            visits.CALLED,
            5,
            staff.id,
            1,
        )
        entry = db.session.scalars(select(AuditEntry).filter_by(entity="visit")).all()[-1]
        assert (entry.from_status, entry.to_status, entry.counter_number, entry.actor_id) == (
            visits.WAITING,
            visits.CALLED,
            5,
            staff.id,
        )


def test_recall_calls_the_same_number_again_to_the_same_counter(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = checked_in(office, by=staff).id
        calling.call_next(staff)
        calling.recall(staff, visit_id)
        visit = db.session.get(Visit, visit_id)
        assert (visit.status, visit.calls, visit.counter_number) == (visits.CALLED, 2, 3)


def test_not_present_sends_the_number_to_the_back_once_then_marks_it_absent(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        first = checked_in(office, by=staff).id
        second = checked_in(office, by=staff).id
        assert calling.call_next(staff).id == first
        calling.not_present(staff, first)
        visit = db.session.get(Visit, first)
        assert (visit.status, visit.rank, visit.sent_back) == (
            visits.WAITING,
            visits.SENT_BACK,
            True,
        )
        assert calling.call_next(staff).id == second  # the one sent back waits behind
        calling.start_service(staff, second)
        assert calling.call_next(staff).id == first
        calling.not_present(staff, first)
        assert db.session.get(Visit, first).status == visits.ABSENT
        with pytest.raises(calling.NothingToCall):
            calling.call_next(staff)


def test_start_service_moves_the_application_into_review(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit = checked_in(office, by=staff)
        visit_id, application_id = visit.id, visit.application_id
        calling.call_next(staff)
        calling.start_service(staff, visit_id)
        db.session.expire_all()
        assert db.session.get(Visit, visit_id).status == visits.SERVING
        assert db.session.get(Application, application_id).status == "in_review"
        moved = db.session.scalars(
            select(AuditEntry).filter_by(entity="application", to_status="in_review")
        ).one()
        assert (moved.actor_id, moved.counter_number) == (staff.id, 3)
        with pytest.raises(calling.CallingRefused) as refused:
            calling.start_service(staff, visit_id)
        assert refused.value.code == "already_serving"


def test_only_the_counter_that_called_a_number_acts_on_it(app):
    with app.app_context():
        office = make_office()
        caller = officer(office, counter=1)
        other = officer(office, counter=2)
        visit_id = checked_in(office, by=caller).id
        calling.call_next(caller)
        for act in (calling.recall, calling.not_present, calling.start_service):
            with pytest.raises(calling.CallingRefused) as refused:
                act(other, visit_id)
            assert refused.value.code == "other_counter"
        visit = db.session.get(Visit, visit_id)
        assert (visit.status, visit.calls, visit.counter_number) == (visits.CALLED, 1, 1)


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("id", "Tidak ada yang menunggu di jalur yang dilayani loket ini."),
        ("en", "Nobody is waiting in the lanes this counter serves."),
    ],
)
def test_call_next_on_an_empty_queue_says_so_in_the_officers_language(app, locale, message):
    with app.app_context():
        office = make_office()
        email = officer(office, locale=locale).email
    client = sign_in_staff(app, email)
    page = post(client, "/counter/call-next")
    assert page.status_code == 200
    assert message in page.text


def test_the_desk_calls_and_starts_the_service_with_plain_posts(app):
    with app.app_context():
        office = make_office()
        staff = make_staff(office, locale="en")
        visit = checked_in(office, visits.EXPRESS, by=staff)
        email, visit_id, ticket = staff.email, visit.id, visit.ticket
    client = sign_in_staff(app, email)
    page = post(client, "/counter/open", {"counter_number": "4", "lanes": ["express"]})
    assert "Counter 4" in page.text
    page = post(client, "/counter/call-next")
    assert f"Number {ticket} is called." in page.text
    assert 'data-key="s"' in page.text and f'value="{visit_id}"' in page.text
    page = post(client, "/counter/start-service", {"visit_id": str(visit_id)})
    assert f"Service started for number {ticket}." in page.text
    with app.app_context():
        assert db.session.get(Visit, visit_id).status == visits.SERVING


def test_another_offices_visit_is_not_found_and_stays_as_it_was(app):
    with app.app_context():
        here, there = make_office(), make_office()
        theirs = officer(there, counter=3)
        visit_id = checked_in(there, by=theirs).id
        calling.call_next(theirs)
        email = officer(here, counter=3).email
    client = sign_in_staff(app, email)
    for path in ("/counter/recall", "/counter/not-present", "/counter/start-service"):
        token = csrf_token(client.get("/counter/desk"))
        response = client.post(path, data={"csrf_token": token, "visit_id": str(visit_id)})
        assert response.status_code == 404, path
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert (visit.status, visit.calls) == (visits.CALLED, 1)
        assert db.session.get(Application, visit.application_id).status == "checked_in"


@pytest.mark.parametrize("visit_id", ["", "abc", "-1", "0", "99999999999", "1 2"])
def test_a_malformed_visit_id_is_refused_without_an_error(app, visit_id):
    with app.app_context():
        email = officer(make_office()).email
    client = sign_in_staff(app, email)
    token = csrf_token(client.get("/counter/desk"))
    response = client.post("/counter/recall", data={"csrf_token": token, "visit_id": visit_id})
    assert response.status_code == 400


def test_a_second_counter_session_is_refused_with_the_reason(app):
    with app.app_context():
        office = make_office()
        officer(office, counter=3)
        newcomer = make_staff(office, locale="en")
        email, newcomer_id = newcomer.email, newcomer.id
    client = sign_in_staff(app, email)
    page = post(client, "/counter/open", {"counter_number": "3", "lanes": ["regular"]})
    assert "Counter 3 is already open for another officer." in page.text
    page = post(client, "/counter/open", {"counter_number": "4", "lanes": ["regular"]})
    assert "Counter 4" in page.text
    page = post(client, "/counter/open", {"counter_number": "5", "lanes": ["regular"]})
    assert "You already have a counter open." in page.text
    with app.app_context():
        mine = db.session.scalars(select(CounterSession).filter_by(staff_id=newcomer_id)).all()
        assert [session.counter_number for session in mine] == [4]


def test_opening_a_counter_needs_a_number_and_a_lane(app):
    with app.app_context():
        email = make_staff(make_office(), locale="en").email
    client = sign_in_staff(app, email)
    token = csrf_token(client.get("/counter/desk"))
    response = client.post("/counter/open", data={"csrf_token": token, "counter_number": "0"})
    assert response.status_code == 422
    assert "Enter a counter number from 1 to 99." in response.text
    assert "Choose at least one lane for this counter." in response.text


def test_a_closed_counter_can_be_opened_again_by_someone_else(app):
    with app.app_context():
        office = make_office()
        first = officer(office, counter=2)
        calling.close_counter(first)
        assert calling.current_session(first) is None
        second = officer(office, counter=2)
        assert calling.current_session(second).counter_number == 2


def test_the_history_tells_the_visit_in_the_applicants_language_and_office_time(app, mailbox):
    with app.app_context():
        office = make_office()  # Makassar: WITA
        staff = officer(office, counter=3)
        name = staff.full_name
        visit = checked_in(office, by=staff)
        ticket, visit_id, application_id = visit.ticket, visit.id, visit.application_id
        account_id = db.session.get(Application, application_id).account_id
        calling.call_next(staff)
        calling.recall(staff, visit_id)
        calling.start_service(staff, visit_id)
        mailbox.run_jobs()  # the travel-ban check's job, when it was queued
        with app.test_request_context():
            with force_locale("id"):
                said = [entry.what for entry in audit.for_owner(account_id, application_id)]
            with force_locale("en"):
                history = audit.for_owner(account_id, application_id)
                number = db.session.get(Application, application_id).number
                trail = [entry.what for entry in audit.for_number(number).entries]
    # The travel-ban check that starts with the service is staff's: not in the applicant's history.
    assert said[-5:] == [
        f"Check-in, nomor antrean {ticket}",
        "Dipanggil ke loket 3",
        "Dipanggil lagi ke loket 3",
        "Dalam pemeriksaan",
        "Pelayanan dimulai di loket 3",
    ]
    assert [entry.what for entry in history][-5:] == [
        f"Checked in, number {ticket}",
        "Called to counter 3",
        "Called again to counter 3",
        "In review",
        "Service started at counter 3",
    ]
    assert trail[-2:] == ["Travel-ban check started", "Travel-ban check: clear"]  # for staff
    started = history[-1]
    assert "WITA" in started.when
    assert started.actor == f"Officer ({name})"


def test_the_history_tells_not_present_both_times(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, counter=7)
        visit = checked_in(office, by=staff)
        visit_id, application_id = visit.id, visit.application_id
        account_id = db.session.get(Application, application_id).account_id
        for _ in range(2):
            calling.call_next(staff)
            calling.not_present(staff, visit_id)
        with app.test_request_context(), force_locale("en"):
            said = [entry.what for entry in audit.for_owner(account_id, application_id)]
    assert said[-3:] == [
        "Not present at counter 7",
        "Called to counter 7",
        "Not present again at counter 7: the number has lapsed",
    ]


def test_a_number_still_called_is_dealt_with_before_the_next_one(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        first = checked_in(office, by=staff)
        waiting = checked_in(office, by=staff).id
        calling.call_next(staff)
        with pytest.raises(calling.CallingRefused) as refused:
            calling.call_next(staff)
        assert refused.value.code == "still_called"
        assert refused.value.values == {"ticket": first.ticket}
        assert db.session.get(Visit, waiting).status == visits.WAITING


def test_calling_the_next_number_finishes_the_service_at_the_counter(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, counter=3)
        checked_in(office, by=staff)
        checked_in(office, by=staff)
        served = serve_next(staff)
        calling.call_next(staff)
        visit = db.session.get(Visit, served.id)
        assert visit.status == visits.DONE
        account_id = db.session.get(Application, visit.application_id).account_id
        with app.test_request_context(), force_locale("en"):
            said = [entry.what for entry in audit.for_owner(account_id, visit.application_id)]
    assert said[-1] == "Service finished at counter 3"
