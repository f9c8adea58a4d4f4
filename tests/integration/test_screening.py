"""The travel-ban list at the counter: the client over real HTTP against the stand-in, the check
started with the service and its outcomes (clear, hit, not checked after an outage, asked again),
approval blocked until clear, and the supervisor's confirmation of a hit, refused to a plain
officer and to another office."""

import socket
import time

import pytest
from flask import current_app
from rq import SimpleWorker
from sqlalchemy import select

from tests import services
from tests.factories import make_office
from tests.html import csrf_token
from tests.integration.test_calling import officer, serve_next
from tests.staff import make_staff, sign_in_staff
from tests.visits import checked_in
from webapp.extensions import db
from webapp.integrations.registry_standin import DEMO_RESIDENTS, FAILING_NIK, SLOW_NIK
from webapp.integrations.travel_ban import (
    CLEAR,
    HIT,
    HttpTravelBanClient,
    InProcessTravelBanClient,
    TravelBanUnavailable,
    client_from_config,
    parse_answer,
)
from webapp.integrations.travel_ban_standin import DEMO_LISTED, STANDIN_API_KEY, create_standin
from webapp.jobs import QUEUES, redis_connection
from webapp.jobs.screening import check_travel_ban
from webapp.models import Application, AuditEntry, ScreeningCheck, Visit
from webapp.rules import screening as results
from webapp.services import screening

LISTED = DEMO_LISTED[0]
NOT_LISTED = "5104075111970004"  # Siti Rahayu


@pytest.fixture(scope="module")
def travel_ban_url():
    with services.serving(create_standin()) as url:
        yield url


@pytest.fixture
def travel_ban(travel_ban_url):
    return HttpTravelBanClient(travel_ban_url, STANDIN_API_KEY, timeout=5.0)


# The client ------------------------------------------------------------------------------------


def test_a_listed_person_is_a_hit_and_anyone_else_is_clear(travel_ban):
    assert travel_ban.check(LISTED) == HIT
    assert travel_ban.check(NOT_LISTED) == CLEAR


def test_the_demo_person_on_the_list_is_a_demo_resident_of_the_registry():
    assert LISTED in {resident.nik for resident in DEMO_RESIDENTS}


def test_the_answer_is_only_hit_or_clear_whatever_else_the_list_sends():
    body = b'{"listed": true, "reason": "court order 12/2026", "until": "2027-01-01"}'
    assert parse_answer(200, body) == HIT


@pytest.mark.parametrize("api_key", ["not-the-key", ""])
def test_a_refused_key_is_unavailable(travel_ban_url, api_key):
    client = HttpTravelBanClient(travel_ban_url, api_key, timeout=5.0)
    with pytest.raises(TravelBanUnavailable, match="401"):
        client.check(LISTED)


def test_a_malformed_request_is_unavailable(travel_ban):
    with pytest.raises(TravelBanUnavailable, match="400"):
        travel_ban.check("31750203")


def test_a_slow_list_times_out(travel_ban_url):
    client = HttpTravelBanClient(travel_ban_url, STANDIN_API_KEY, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TravelBanUnavailable, match="TimeoutError"):
        client.check(SLOW_NIK)
    assert time.monotonic() - started < 5  # a sanity bound, not a timing test


def test_a_failing_list_is_unavailable(travel_ban):
    with pytest.raises(TravelBanUnavailable, match="500"):
        travel_ban.check(FAILING_NIK)


def _replying(status: str, body: bytes, content_type: str = "application/json"):
    def app(environ, start_response):
        start_response(status, [("Content-Type", content_type)])
        return [body]

    return app


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        pytest.param("200 OK", b"<html>Sedang pemeliharaan</html>", "text/html", id="html"),
        pytest.param("200 OK", b"\xff\xfe not utf-8", "application/json", id="not-utf8"),
        pytest.param("200 OK", b"[true]", "application/json", id="not-an-object"),
        pytest.param("200 OK", b'{"hit": true}', "application/json", id="no-key"),
        pytest.param("200 OK", b'{"listed": "yes"}', "application/json", id="not-a-bool"),
        pytest.param("200 OK", b'{"listed": 1}', "application/json", id="a-number"),
        pytest.param("502 Bad Gateway", b"", "text/plain", id="502"),
        pytest.param("503 Service Unavailable", b"", "text/plain", id="503"),
        pytest.param("404 Not Found", b"{}", "application/json", id="404"),
    ],
)
def test_an_answer_we_cannot_use_is_unavailable(status, body, content_type):
    with services.serving(_replying(status, body, content_type)) as url:
        client = HttpTravelBanClient(url, STANDIN_API_KEY, timeout=5.0)
        with pytest.raises(TravelBanUnavailable):
            client.check(LISTED)


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpTravelBanClient(f"http://127.0.0.1:{port}", STANDIN_API_KEY, timeout=5.0)
    with pytest.raises(TravelBanUnavailable, match="ConnectionRefusedError"):
        client.check(LISTED)


def test_in_process_client_answers_like_the_http_client(travel_ban):
    in_process = InProcessTravelBanClient()
    for nik in (LISTED, NOT_LISTED, *(resident.nik for resident in DEMO_RESIDENTS)):
        assert in_process.check(nik) == travel_ban.check(nik)
    with pytest.raises(TravelBanUnavailable, match="500"):
        in_process.check(FAILING_NIK)


def test_client_from_config():
    in_demo = {"TRAVEL_BAN_URL": None, "DEMO_MODE": True}
    assert isinstance(client_from_config(in_demo), InProcessTravelBanClient)
    with pytest.raises(ValueError, match="TRAVEL_BAN_URL is required outside demo mode"):
        client_from_config({"TRAVEL_BAN_URL": None, "DEMO_MODE": False})
    with pytest.raises(ValueError, match="TRAVEL_BAN_API_KEY is required"):
        client_from_config({"TRAVEL_BAN_URL": "https://pencegahan.example"})
    client = client_from_config(
        {"TRAVEL_BAN_URL": "https://pencegahan.example", "TRAVEL_BAN_API_KEY": "k"}
    )
    assert isinstance(client, HttpTravelBanClient)


# The check at the counter ----------------------------------------------------------------------


def waiting(office, staff, nik: str | None = None) -> Visit:
    """A checked-in applicant, with this NIK when given (the listed one, say)."""
    visit = checked_in(office, by=staff)
    if nik:
        db.session.get(Application, visit.application_id).nik = nik
        db.session.commit()
    return visit


def answered(staff) -> Visit:
    """Serve the next number and let the check's job run: in-process it already ran, on Redis a
    worker runs it now."""
    visit = serve_next(staff)
    run_jobs()
    return visit


def run_jobs() -> None:
    if current_app.config["REDIS_URL"]:
        SimpleWorker(list(QUEUES), connection=redis_connection()).work(burst=True)


def check_of(application_id: int) -> ScreeningCheck | None:
    db.session.expire_all()
    return db.session.scalar(select(ScreeningCheck).filter_by(application_id=application_id))


def screening_trail(application_id: int) -> list[tuple[str | None, str, int | None]]:
    rows = db.session.scalars(
        select(AuditEntry)
        .filter_by(application_id=application_id, entity="screening")
        .order_by(AuditEntry.id)
    )
    return [(row.from_status, row.to_status, row.actor_id) for row in rows]


def application_of(visit_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, db.session.get(Visit, visit_id).application_id)


def test_the_service_starting_asks_the_list_and_a_clear_answer_lets_approval_go_on(app):
    with app.test_request_context():
        office = make_office()
        staff = officer(office)
        visit = waiting(office, staff, NOT_LISTED)
        application = application_of(answered(staff).id)
        assert check_of(application.id).status == results.CLEAR
        assert screening.approval_blocker(application) is None
        assert screening_trail(application.id) == [
            (None, results.PENDING, staff.id),
            (results.PENDING, results.CLEAR, None),
        ]
        assert visit.id == screening.panel(application).visit_id


def test_a_hit_blocks_approval_and_awaits_the_supervisor(app):
    with app.test_request_context():
        office = make_office()
        staff = officer(office)
        supervisor = make_staff(office, role="supervisor")
        visit = waiting(office, staff, LISTED)
        answered(staff)
        application = application_of(visit.id)
        assert check_of(application.id).status == results.HIT
        assert screening.approval_blocker(application) == "travel_ban_hit"
        hits = screening.hits_awaiting(supervisor)
        assert [(hit.visit_id, hit.number) for hit in hits] == [(visit.id, application.number)]
        # Another office's supervisor has no such hit.
        elsewhere = make_staff(make_office(), role="supervisor")
        assert screening.hits_awaiting(elsewhere) == []
        with pytest.raises(screening.ScreeningNotFound):
            screening.hit_awaiting(elsewhere, visit.id)


def failing_then_answering():
    """A list that is down (503) until `state["up"]` is set, then answers as the stand-in."""
    state = {"up": False}
    standin = create_standin()

    def app(environ, start_response):
        if state["up"]:
            return standin(environ, start_response)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b""]

    return app, state


def test_an_outage_shows_not_checked_and_checking_again_answers(make_app):
    down, state = failing_then_answering()
    with services.serving(down) as url:
        app = make_app(TRAVEL_BAN_URL=url, TRAVEL_BAN_API_KEY=STANDIN_API_KEY, REDIS_URL=None)
        with app.test_request_context():
            office = make_office()
            staff = officer(office)
            visit = waiting(office, staff, LISTED)
            answered(staff)
            application = application_of(visit.id)
            assert check_of(application.id).status == results.NOT_CHECKED
            assert screening.approval_blocker(application) == "travel_ban_not_checked"
            shown = screening.panel(application)
            assert (shown.result, shown.can_check_again) == (results.NOT_CHECKED, True)
            state["up"] = True
            screening.check_again(staff, visit.id)
            assert check_of(application.id).status == results.HIT
            with pytest.raises(screening.ScreeningRefused, match="not_needed"):
                screening.check_again(staff, visit.id)
            assert [move[:2] for move in screening_trail(application.id)] == [
                (None, results.PENDING),
                (results.PENDING, results.NOT_CHECKED),
                (results.NOT_CHECKED, results.PENDING),
                (results.PENDING, results.HIT),
            ]


def test_the_job_retries_an_outage_and_asks_only_a_pending_check(make_app, redis):
    down, state = failing_then_answering()
    with services.serving(down) as url:
        app = make_app(TRAVEL_BAN_URL=url, TRAVEL_BAN_API_KEY=STANDIN_API_KEY, REDIS_URL=redis)
        with app.test_request_context():
            office = make_office()
            staff = officer(office)
            visit = waiting(office, staff, NOT_LISTED)
            serve_next(staff)
            application = application_of(visit.id)
            # Queued, not answered: the decision waits.
            assert check_of(application.id).status == results.PENDING
            assert screening.approval_blocker(application) == "travel_ban_pending"
            assert screening.panel(application).result == results.PENDING
            run_jobs()
            # The attempt failed and RQ holds it for a later retry: still pending, not lost.
            assert check_of(application.id).status == results.PENDING
            state["up"] = True
            check_travel_ban(application.id)  # the retry, run here
            assert check_of(application.id).status == results.CLEAR
            check_travel_ban(application.id)  # run twice: nothing more is stored
            assert len(screening_trail(application.id)) == 2


def test_the_last_failed_attempt_records_not_checked(make_app):
    with services.serving(_replying("200 OK", b"garbage")) as url:
        app = make_app(TRAVEL_BAN_URL=url, TRAVEL_BAN_API_KEY=STANDIN_API_KEY, REDIS_URL=None)
        with app.app_context():
            office = make_office()
            staff = officer(office)
            visit = waiting(office, staff)
            answered(staff)
            application_id = application_of(visit.id).id
            assert check_of(application_id).status == results.NOT_CHECKED


def test_no_check_before_the_service_starts_and_none_asked_again_for_it(app):
    with app.test_request_context():
        office = make_office()
        staff = officer(office)
        visit = waiting(office, staff)
        application = application_of(visit.id)
        assert check_of(application.id) is None
        assert screening.approval_blocker(application) == "travel_ban_not_checked"
        assert screening.panel(application).can_check_again is False
        with pytest.raises(screening.ScreeningRefused, match="not_needed"):
            screening.check_again(staff, visit.id)
        assert check_of(application.id) is None


# What people see -------------------------------------------------------------------------------


def test_the_officer_sees_hit_and_nothing_about_why(app):
    with app.app_context():
        office = make_office()
        staff = officer(office, locale="en")
        visit_id = waiting(office, staff, LISTED).id
        answered(staff)
        email = staff.email
    client = sign_in_staff(app, email)
    page = client.get(f"/counter/screening/{visit_id}")
    assert page.status_code == 200
    assert "Hit: on the travel-ban list" in page.text
    assert "The supervisor of the office confirms the rejection." in page.text
    fragment = client.get(
        f"/counter/screening/{visit_id}",
        headers={"HX-Request": "true", "HX-Target": "screening-panel"},
    )
    assert "<html" not in fragment.text and 'id="screening-panel"' in fragment.text


def test_the_panel_is_in_indonesian_by_default(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, NOT_LISTED).id
        answered(staff)
        email = staff.email
    page = sign_in_staff(app, email).get(f"/counter/screening/{visit_id}")
    assert "Bersih: tidak tercantum dalam daftar pencegahan" in page.text


def test_another_offices_visit_is_not_found(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, LISTED).id
        answered(staff)
        elsewhere = make_staff(make_office(), role="supervisor").email
    client = sign_in_staff(app, elsewhere)
    assert client.get(f"/counter/screening/{visit_id}").status_code == 404
    assert client.get(f"/counter/screening/hits/{visit_id}").status_code == 404
    token = csrf_token(client.get("/counter/screening/hits"))
    confirm = client.post(
        f"/counter/screening/hits/{visit_id}/confirm", data={"csrf_token": token, "note": "x"}
    )
    assert confirm.status_code == 404
    with app.app_context():
        assert check_of(application_of(visit_id).id).status == results.HIT


def test_a_plain_officer_is_refused_the_confirmation(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, LISTED).id
        answered(staff)
        email = staff.email
    client = sign_in_staff(app, email)
    token = csrf_token(client.get("/counter/desk"))
    assert client.get("/counter/screening/hits").status_code == 403
    assert client.get(f"/counter/screening/hits/{visit_id}").status_code == 403
    confirm = client.post(
        f"/counter/screening/hits/{visit_id}/confirm",
        data={"csrf_token": token, "note": "Tercantum dalam daftar pencegahan."},
    )
    assert confirm.status_code == 403
    with app.app_context():
        assert check_of(application_of(visit_id).id).status == results.HIT
        assert [move[1] for move in screening_trail(application_of(visit_id).id)] == [
            results.PENDING,
            results.HIT,
        ]


def test_the_supervisor_sees_the_hit_and_a_confirmation_needs_a_note(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, LISTED).id
        answered(staff)
        number = application_of(visit_id).number
        email = make_staff(office, role="supervisor", locale="en").email
    client = sign_in_staff(app, email)
    hits = client.get("/counter/screening/hits")
    assert number in hits.text
    page = client.get(f"/counter/screening/hits/{visit_id}")
    refused = client.post(
        f"/counter/screening/hits/{visit_id}/confirm",
        data={"csrf_token": csrf_token(page), "note": "   "},
    )
    assert refused.status_code == 422
    assert "This field is required." in refused.text
    with app.app_context():
        assert check_of(application_of(visit_id).id).status == results.HIT


def test_a_stale_confirmation_link_says_there_is_no_hit(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, NOT_LISTED).id
        answered(staff)
        email = make_staff(office, role="supervisor", locale="en").email
    page = sign_in_staff(app, email).get(f"/counter/screening/hits/{visit_id}")
    assert page.status_code == 200
    assert "no travel-ban hit awaiting confirmation" in page.text


def test_the_supervisors_confirmation_rejects_the_application(app):
    with app.app_context():
        office = make_office()
        staff = officer(office)
        visit_id = waiting(office, staff, LISTED).id
        answered(staff)
        supervisor = make_staff(office, role="supervisor", locale="en")
        supervisor_id, email = supervisor.id, supervisor.email
    client = sign_in_staff(app, email)
    page = client.get(f"/counter/screening/hits/{visit_id}")
    confirmed = client.post(
        f"/counter/screening/hits/{visit_id}/confirm",
        data={"csrf_token": csrf_token(page), "note": "Checked against the list."},
        follow_redirects=True,
    )
    assert "The rejection is confirmed." in confirmed.text
    with app.app_context():
        application = application_of(visit_id)
        assert application.status == "rejected"
        check = check_of(application.id)
        assert (check.status, check.confirmed_by) == (results.CONFIRMED, supervisor_id)
        assert screening_trail(application.id)[-1] == (
            results.HIT,
            results.CONFIRMED,
            supervisor_id,
        )


def test_the_officer_checks_again_from_the_panel(make_app):
    down, state = failing_then_answering()
    with services.serving(down) as url:
        app = make_app(TRAVEL_BAN_URL=url, TRAVEL_BAN_API_KEY=STANDIN_API_KEY, REDIS_URL=None)
        with app.app_context():
            office = make_office()
            staff = officer(office, locale="en")
            visit_id = waiting(office, staff, NOT_LISTED).id
            serve_next(staff)
            email = staff.email
        client = sign_in_staff(app, email)
        page = client.get(f"/counter/screening/{visit_id}")
        assert "Not checked: the travel-ban list did not answer" in page.text
        state["up"] = True
        asked = client.post(
            f"/counter/screening/{visit_id}/check-again",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "Clear: not on the travel-ban list" in asked.text
        again = client.post(
            f"/counter/screening/{visit_id}/check-again",
            data={"csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "is not to be checked again now" in again.text
