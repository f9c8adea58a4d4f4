"""Races: many requests released at the same instant, and the database keeps its promises.

Every test here runs twice: on an SQLite file of its own (the embedded default, migrated with the
project's migrations) and on the run's PostgreSQL (DATABASE_URL; CI always has it, so both run
in every CI run). Each race ends in exactly one outcome, with an audit trail that tells it truly:
for the application, every hold and every bill, each move starts where the previous one ended
and the last one ends where the row is now.
"""

import itertools
import json
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from tests import journeys, services
from tests.booked import hold, local, pay
from tests.conftest import Mailbox
from tests.factories import (
    PASSWORD,
    make_application,
    make_office,
    make_slot,
    make_user,
    submitted_application,
)
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from webapp import clock, create_app, labels
from webapp.extensions import db
from webapp.integrations.payment_gateway import sign
from webapp.jobs.verification import verify_nik
from webapp.models import (
    Application,
    AuditEntry,
    Bill,
    Document,
    Hold,
    PaymentNotice,
    ScreeningCheck,
    User,
    Visit,
)
from webapp.rules import journey
from webapp.services import booking

RACERS = 16
SECRET = "race-webhook-secret"
_numbers = itertools.count(1)


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request, database_url, tmp_path_factory):
    """This module's database: its own SQLite file, then the run's PostgreSQL."""
    if request.param == "postgresql":
        services.require(
            database_url.startswith("postgresql"),
            "the PostgreSQL races run when DATABASE_URL names PostgreSQL",
        )
        return database_url
    url = "sqlite:///" + str(tmp_path_factory.mktemp("races") / "races.sqlite")
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("races-instance")),
            "DEMO_MODE": True,
            "SECRET_KEY": "race-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def race_app(make_app):
    return make_app(RATELIMIT_ENABLED=False, PAYMENT_WEBHOOK_SECRET=SECRET)


def race(app, path: str, forms: list[dict]) -> list[int]:
    """POST each form from its own client, all released at once; return the status codes."""
    clients = [app.test_client() for _ in forms]
    tokens = [csrf_token(client.get(path)) for client in clients]
    start = threading.Barrier(len(forms))

    def post(i: int) -> int:
        start.wait()
        return clients[i].post(path, data={"csrf_token": tokens[i], **forms[i]}).status_code

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, range(len(forms))))


def together(app, calls: list) -> list:
    """Run each call in its own thread and application context, all released at once."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        with app.app_context():
            try:
                return call()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def posting(client, path: str, data: dict):
    """A POST prepared now (the session's CSRF token fetched from the account's home page), to be
    sent when called."""
    token = csrf_token(client.get("/", follow_redirects=True))
    return lambda: client.post(path, data={"csrf_token": token, **data})


def notice_body(code: str, amount: int, transaction_id: str = "BNI-0001", paid_at=None) -> bytes:
    moment = (paid_at or clock.now()).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "transaction_id": transaction_id,
            "billing_code": code,
            "amount": amount,
            "paid_at": moment,
        }
    ).encode()


def deliver(client, body: bytes):
    return client.post(
        "/payments/notify",
        data=body,
        headers={"X-Signature": sign(body, SECRET)},
        content_type="application/json",
    )


def assert_trail_is_true(app, application_id: int) -> list[tuple[str, str | None, str]]:
    """Each subject's moves chain up and end in its current state; returns (entity, from, to)."""
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.application_id == application_id)
            .order_by(AuditEntry.id)
        ).all()
        by_subject = defaultdict(list)
        for entry in entries:
            by_subject[entry.entity, entry.entity_id].append(entry)
        models = {
            "application": Application,
            "hold": Hold,
            "bill": Bill,
            "visit": Visit,
            "screening": ScreeningCheck,
        }
        for (entity, entity_id), moves in by_subject.items():
            if entity not in models:  # records without a status (lifecycle.recorded)
                assert {move.to_status for move in moves} == {"recorded"}, (entity, entity_id)
                continue
            for before, after in itertools.pairwise(moves):
                assert after.from_status == before.to_status, (entity, entity_id)
            row = db.session.get(models[entity], entity_id or application_id)
            assert moves[-1].to_status == row.status, (entity, entity_id)
        return [(e.entity, e.from_status, e.to_status) for e in entries]


def application_moves(trail) -> list[tuple[str | None, str]]:
    return [(source, target) for entity, source, target in trail if entity == "application"]


def the_office():
    """An office whose next week is always open for booking (released on Mondays at 00.00)."""
    return make_office(release_weekday=0, release_hour=0)


def live_holds_on(slot_id: int) -> int:
    return db.session.scalar(
        select(func.count(Hold.id)).where(
            Hold.slot_id == slot_id, Hold.status.in_(("held", "paid"))
        )
    )


def status_of(application_id: int) -> str:
    return db.session.get(Application, application_id).status


# Accounts and applications -------------------------------------------------------------------


def test_one_account_per_email_under_simultaneous_registrations(race_app):
    form = {
        "full_name": "Siti Aminah",
        "email": "siti@contoh.id",
        "phone": "081234567890",
        "password": "kopi-tubruk-pagi",
        "accept_terms": "y",
    }
    statuses = race(race_app, "/register", [form] * RACERS)
    assert set(statuses) == {302}
    with race_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_a_reset_link_is_used_once_under_simultaneous_use(race_app):
    with race_app.app_context():
        make_user(email="siti@contoh.id")
    client = race_app.test_client()
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client.get("/password/forgot")), "email": "siti@contoh.id"},
    )
    text = Mailbox.text(Mailbox(race_app).last("siti@contoh.id"))
    path = "/password/reset/" + text.split("/password/reset/")[1].split()[0]
    forms = [{"password": f"sandi-baru-ke-{n}", "confirm": f"sandi-baru-ke-{n}"} for n in range(8)]
    statuses = race(race_app, path, forms)
    assert statuses.count(302) == 1
    assert set(statuses) <= {302, 410}


def test_never_more_than_five_active_applications_per_account(race_app):
    with race_app.app_context():
        make_user(email="siti@contoh.id")
    clients = [signed_in(race_app) for _ in range(RACERS)]
    starts = [posting(client, "/applications", {}) for client in clients]
    statuses = [response.status_code for response in together(race_app, starts)]
    assert set(statuses) == {302}
    with race_app.app_context():
        places = db.session.scalars(select(Application.place)).all()
        assert sorted(places) == [1, 2, 3, 4, 5]


def test_one_nik_typed_in_many_accounts_saves_everywhere_and_verifies_once(race_app):
    """Typing a NIK never tells whether it is in use; the database lets one application verify."""
    nik = "5104075111970004"
    saves = []
    with race_app.app_context():
        for n in range(8):
            user = make_user(email=f"pemohon{n}@contoh.id")
            application = make_application(user, nik=f"510407511197{n + 10:04d}")
            saves.append((user.email, f"/applications/{application.public_id}/personal"))
    form = {
        "nik": nik,
        "full_name": "Siti Rahayu",
        "birth_place": "Denpasar",
        "sex": "F",
        "address": "Jl. Raya 1",
        "occupation": "Guru",
        "phone": "081234567890",
        "mother_name": "Ni Made Sari",
        "father_name": "I Wayan Budi",
    }
    calls = [posting(signed_in(race_app, email), path, form) for email, path in saves]
    statuses = [response.status_code for response in together(race_app, calls)]
    assert statuses == [302] * len(saves)
    with race_app.app_context():
        pending = db.session.execute(
            select(Application.id, Application.nik_check_version).where(Application.nik == nik)
        ).all()
        for application_id, _ in pending:  # the checks ran in-process; ask again, all at once
            db.session.get(Application, application_id).nik_status = "pending"
        db.session.commit()
    start = threading.Barrier(len(pending))

    def verify(application_id: int, version: int) -> None:
        with race_app.app_context():
            start.wait()
            verify_nik(application_id, version)

    with ThreadPoolExecutor(len(pending)) as pool:
        list(pool.map(lambda row: verify(*row), pending))
    with race_app.app_context():
        outcomes = db.session.scalars(
            select(Application.nik_status).where(Application.nik == nik)
        ).all()
    assert sorted(outcomes) == ["unavailable"] * (len(saves) - 1) + ["verified"]


def complete_draft(user) -> Application:
    """A draft with every step answered, its NIK verified and its documents uploaded."""
    application = make_application(user, nik_status="verified")
    for code in journey.required_documents(application, clock.today()):
        db.session.add(
            Document(
                application_id=application.id,
                code=code,
                storage_key=f"test/{application.id}/{code}",
                media_type="image/jpeg",
                size_bytes=1000,
                check_status="ok",
            )
        )
    db.session.commit()
    return application


def test_two_tabs_submitting_submit_once(race_app):
    with race_app.app_context():
        application = complete_draft(make_user(email="siti@contoh.id", locale="en"))
        application_id, path = application.id, f"/applications/{application.public_id}/review"
    declarations = {"declare_true": "y", "accept_forfeit": "y"}
    clients = [signed_in(race_app) for _ in range(8)]
    responses = together(race_app, [posting(client, path, declarations) for client in clients])
    assert {response.status_code for response in responses} == {302}
    told = [
        client.get(response.location).text
        for client, response in zip(clients, responses, strict=True)
    ]
    assert sum("Your application is submitted" in page for page in told) == 1
    losers = [page for page in told if "Your application is submitted" not in page]
    assert all("already submitted" in page or "changed meanwhile" in page for page in losers)
    trail = assert_trail_is_true(race_app, application_id)
    assert application_moves(trail) == [("draft", "submitted")]
    with race_app.app_context():
        assert status_of(application_id) == "submitted"
        assert db.session.get(Application, application_id).number


# Booking ---------------------------------------------------------------------------------------


def booking_tabs(app, email: str, count: int = 2):
    """Two tabs of one applicant, each signed in."""
    return [signed_in(app, email) for _ in range(count)]


def submitted_with_slot(app, capacity: int = 1):
    n = next(_numbers)
    with app.app_context():
        user = make_user(email=f"siti{n}@contoh.id", locale="en")
        office = the_office()
        application = submitted_application(user, office, nik=f"5104075111970{n % 1000:03d}")
        slot = make_slot(office, local(1), capacity=capacity)
        return user.email, application.id, application.public_id, slot.id


@pytest.mark.parametrize("round_", range(4))
def test_cancel_against_hold_ends_one_way(race_app, round_):
    email, application_id, public_id, slot_id = submitted_with_slot(race_app)
    booking_tab, cancel_tab = booking_tabs(race_app, email)
    calls = [
        posting(
            booking_tab, f"/applications/{public_id}/hold", {"slot": slot_id, "seen": "submitted"}
        ),
        posting(cancel_tab, f"/applications/{public_id}/cancel", {"seen": "submitted"}),
    ]
    assert {response.status_code for response in together(race_app, calls)} == {302}
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        status, live = status_of(application_id), live_holds_on(slot_id)
    if status == "cancelled":
        assert application_moves(trail) == [("submitted", "cancelled")] and live == 0
    else:
        assert application_moves(trail) == [("submitted", "awaiting_payment")] and live == 1


def test_a_hold_posted_for_a_cancelled_application_is_refused(race_app):
    email, application_id, public_id, slot_id = submitted_with_slot(race_app)
    booking_tab, cancel_tab = booking_tabs(race_app, email)
    hold_now = posting(
        booking_tab, f"/applications/{public_id}/hold", {"slot": slot_id, "seen": "submitted"}
    )
    posting(cancel_tab, f"/applications/{public_id}/cancel", {"seen": "submitted"})()
    refused = hold_now()
    page = booking_tab.get(refused.location, follow_redirects=True).text
    assert str(labels.STATUS_CHANGED) in page  # confirmed for a status it no longer has
    trail = assert_trail_is_true(race_app, application_id)
    assert application_moves(trail) == [("submitted", "cancelled")]
    with race_app.app_context():
        assert live_holds_on(slot_id) == 0


@pytest.mark.parametrize("round_", range(3))
def test_a_stale_step_form_against_a_hold_ends_one_way(race_app, round_):
    email, application_id, public_id, slot_id = submitted_with_slot(race_app)
    booking_tab, stale_tab = booking_tabs(race_app, email)
    travel = {
        "travel_purpose": "tourism",
        "destination_country": "Korea Selatan",
        "stay_length": "under_1_month",
        "emergency_name": "Kadek Putra",
        "emergency_phone": "0812 9876 5432",
    }
    calls = [
        posting(
            booking_tab, f"/applications/{public_id}/hold", {"slot": slot_id, "seen": "submitted"}
        ),
        posting(stale_tab, f"/applications/{public_id}/travel", travel),
    ]
    together(race_app, calls)
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        application = db.session.get(Application, application_id)
        live = live_holds_on(slot_id)
    if application.status == "awaiting_payment":  # the hold came first; the save changed nothing
        assert application_moves(trail) == [("submitted", "awaiting_payment")] and live == 1
        assert application.destination_country == "Jepang"
    else:  # the save came first and reopened the draft; the hold was refused
        assert application_moves(trail) == [("submitted", "draft")] and live == 0
        assert application.destination_country == "Korea Selatan"


def test_no_oversold_place_among_hundreds_of_simultaneous_attempts(make_app):
    # Fifty connections: many transactions truly at once, within PostgreSQL's default hundred.
    app = make_app(
        RATELIMIT_ENABLED=False,
        REDIS_URL=None,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 50, "max_overflow": 0, "pool_timeout": 60},
    )
    attempts, capacity = 200, 10
    with app.app_context():
        office = the_office()
        slot_id = make_slot(office, local(1), capacity=capacity).id
        ids = []
        for n in range(attempts):
            user = make_user(email=f"antre{n}@contoh.id")
            ids.append(submitted_application(user, office, nik=f"510407511197{n + 1:04d}").id)
    outcomes = together(app, [lambda i=i: attempt_hold(i, slot_id) for i in ids])
    assert outcomes.count("held") == capacity
    assert set(outcomes) == {"held", "full"}
    with app.app_context():
        assert db.session.scalar(select(func.count(Hold.id))) == capacity
        assert db.session.scalar(select(func.count(Bill.id))) == capacity


def attempt_hold(application_id: int, slot_id: int) -> str:
    try:
        hold(application_id, slot_id)
        return "held"
    except booking.BookingRefused as refused:
        return refused.code


def scheduled_applications(app, count: int, target_capacity: int):
    """`count` paid appointments on one slot, and a later slot with target_capacity places."""
    with app.app_context():
        office = the_office()
        origin = make_slot(office, local(2), capacity=count).id
        target = make_slot(office, local(3), capacity=target_capacity).id
        ids = []
        for _ in range(count):
            n = next(_numbers)
            user = make_user(email=f"jadwal{n}@contoh.id")
            application = submitted_application(user, office, nik=f"5104075111971{n % 1000:03d}")
            hold(application.id, origin)
            assert pay(application.id) == "applied"
            ids.append(application.id)
        return ids, origin, target


def attempt_reschedule(application_id: int, slot_id: int) -> str:
    try:
        booking.reschedule(db.session.get(Application, application_id), slot_id)
        return "moved"
    except booking.BookingRefused as refused:
        return refused.code


@pytest.mark.parametrize("movers", [2, 20])
def test_reschedules_to_the_last_place_move_one(race_app, movers):
    ids, origin, target = scheduled_applications(race_app, movers, target_capacity=1)
    outcomes = together(race_app, [lambda i=i: attempt_reschedule(i, target) for i in ids])
    assert sorted(outcomes) == ["full"] * (movers - 1) + ["moved"]
    with race_app.app_context():
        assert live_holds_on(target) == 1
        assert live_holds_on(origin) == movers - 1  # the others keep their appointment
        assert db.session.scalar(select(func.count(Hold.id)).where(Hold.status == "moved")) == 1
        assert {status_of(i) for i in ids} == {"scheduled"}
    for application_id in ids:
        assert assert_trail_is_true(race_app, application_id)


# Payments --------------------------------------------------------------------------------------


def awaiting_payment(app):
    """An application holding a place, its bill open: (email, application id, public id,
    bill code, amount, slot id, hold id)."""
    email, application_id, public_id, slot_id = submitted_with_slot(app)
    with app.app_context():
        held = hold(application_id, slot_id)
        return email, application_id, public_id, held.bill.code, held.bill.amount, slot_id, held.id


@pytest.mark.parametrize("round_", range(4))
def test_cancel_against_payment_ends_one_way(race_app, round_):
    email, application_id, public_id, code, amount, slot_id, _ = awaiting_payment(race_app)
    cancel_tab = signed_in(race_app, email)
    bank = race_app.test_client()
    cancel = posting(
        cancel_tab, f"/applications/{public_id}/cancel-booking", {"seen": "awaiting_payment"}
    )
    cancelled, paid = together(race_app, [cancel, lambda: deliver(bank, notice_body(code, amount))])
    assert cancelled.status_code == 302 and paid.status_code == 200
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        application = db.session.get(Application, application_id)
        bill = db.session.scalar(select(Bill).where(Bill.application_id == application_id))
        live = live_holds_on(slot_id)
    if application.status == "cancelled":  # the cancel came first: the money goes back
        assert paid.json == {"outcome": "void"}
        assert bill.status == "refund_review" and application.refund_review and live == 0
        assert application_moves(trail) == [
            ("submitted", "awaiting_payment"),
            ("awaiting_payment", "cancelled"),
        ]
    else:  # the payment came first: the cancel, meant for an unpaid booking, forfeits nothing
        assert paid.json == {"outcome": "applied"}
        assert application.status == "scheduled" and bill.status == "paid" and live == 1
        assert not application.refund_review
        assert application_moves(trail) == [
            ("submitted", "awaiting_payment"),
            ("awaiting_payment", "scheduled"),
        ]


@pytest.mark.parametrize("round_", range(4))
def test_payment_against_expiry_at_the_deadline_ends_one_way(race_app, round_):
    _, application_id, _, code, amount, slot_id, hold_id = awaiting_payment(race_app)
    deadline = clock.now() + timedelta(milliseconds=300)
    with race_app.app_context():  # the place is released at the very deadline of the bill
        db.session.execute(update(Hold).where(Hold.id == hold_id).values(expires_at=deadline))
        db.session.execute(update(Bill).where(Bill.hold_id == hold_id).values(expires_at=deadline))
        db.session.commit()
    bank = race_app.test_client()

    def at_the_deadline(call):
        def timed():
            time.sleep(max(0.0, (deadline - clock.now()).total_seconds()))
            return call()

        return timed

    notice = notice_body(code, amount, paid_at=deadline)
    calls = [at_the_deadline(lambda: deliver(bank, notice).json["outcome"])]
    calls += [at_the_deadline(lambda: booking.expire(hold_id)) for _ in range(5)]
    outcome, *expiries = together(race_app, calls)
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        application = db.session.get(Application, application_id)
        bill = db.session.scalar(select(Bill).where(Bill.hold_id == hold_id))
        live = live_holds_on(slot_id)
    if outcome == "applied":
        assert not any(expiries) and application.status == "scheduled" and live == 1
        assert bill.status == "paid" and not application.refund_review
    else:  # expired first, or the notice found the place released: the money goes back
        assert outcome in ("void", "refund_review") and expiries.count(True) <= 1
        assert application.status == "expired" and live == 0
        assert bill.status == "refund_review" and application.refund_review
    assert len(application_moves(trail)) == 2


def test_twenty_different_payments_of_one_bill_apply_once(race_app):
    _, application_id, _, code, amount, _, _ = awaiting_payment(race_app)
    bodies = [notice_body(code, amount, transaction_id=f"BANK-{n}") for n in range(20)]
    clients = [race_app.test_client() for _ in bodies]
    answers = together(
        race_app, [lambda c=c, b=b: deliver(c, b) for c, b in zip(clients, bodies, strict=True)]
    )
    assert {answer.status_code for answer in answers} == {200}
    outcomes = sorted(answer.json["outcome"] for answer in answers)
    assert outcomes == ["already_paid"] * 19 + ["applied"]
    trail = assert_trail_is_true(race_app, application_id)
    assert application_moves(trail)[-1] == ("awaiting_payment", "scheduled")
    with race_app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == "scheduled" and application.refund_review
        refunds = select(func.count(PaymentNotice.id)).where(
            PaymentNotice.outcome == "refund_review"
        )
        assert db.session.scalar(refunds) == 19


def test_twenty_replays_of_one_notice_apply_once(race_app):
    email, application_id, _, code, amount, _, _ = awaiting_payment(race_app)
    body = notice_body(code, amount)
    clients = [race_app.test_client() for _ in range(20)]
    answers = together(race_app, [lambda c=c: deliver(c, body) for c in clients])
    assert {answer.status_code for answer in answers} == {200}
    outcomes = sorted(answer.json["outcome"] for answer in answers)
    assert outcomes == ["applied"] + ["duplicate"] * 19
    trail = assert_trail_is_true(race_app, application_id)
    assert application_moves(trail) == [
        ("submitted", "awaiting_payment"),
        ("awaiting_payment", "scheduled"),
    ]
    with race_app.app_context():
        assert db.session.scalar(select(func.count(PaymentNotice.id))) == 1
    paid_mail = [
        m for m in Mailbox(race_app).messages(email) if journeys.as_read(code) in Mailbox.text(m)
    ]
    assert len(paid_mail) == 2  # the billing code when held, the receipt once


# Closing an account ----------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(4))
def test_account_closure_against_a_hold_ends_one_way(race_app, round_):
    email, application_id, public_id, slot_id = submitted_with_slot(race_app)
    booking_tab, closing_tab = booking_tabs(race_app, email)
    close = posting(
        closing_tab,
        "/account/close",
        {"reason": "privacy", "password": PASSWORD, "forfeit_shown": "0"},
    )
    calls = [
        posting(
            booking_tab, f"/applications/{public_id}/hold", {"slot": slot_id, "seen": "submitted"}
        ),
        close,
    ]
    together(race_app, calls)
    trail = assert_trail_is_true(race_app, application_id)
    with race_app.app_context():
        assert db.session.scalar(select(User.closed_at).where(User.email == email)) is not None
        assert status_of(application_id) == "cancelled" and live_holds_on(slot_id) == 0
        bills = db.session.scalars(
            select(Bill.status).where(Bill.application_id == application_id)
        ).all()
    if bills:  # the hold came first; closing cancelled it and voided its bill
        assert bills == ["void"]
        assert application_moves(trail) == [
            ("submitted", "awaiting_payment"),
            ("awaiting_payment", "cancelled"),
        ]
    else:
        assert application_moves(trail) == [("submitted", "cancelled")]
