"""Payment notices: signed, parsed strictly, judged by the bank's paid-at time, applied once,
never reviving an expired slot or paying a void bill; and the stand-in channel's page end to
end. The races are in test_races."""

import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import journeys
from tests.conftest import Mailbox
from tests.factories import make_application, make_user
from tests.html import csrf_token
from webapp.clock import now
from webapp.extensions import db
from webapp.integrations.payment_gateway import (
    MalformedNotice,
    Notice,
    encode_notice,
    parse_notice,
    sign,
    signature_valid,
)
from webapp.models import Application, AuditEntry, Bill, Hold, Office, PaymentNotice, Slot

SECRET = "test-webhook-secret"
NOTIFY = "/payments/notify"
AMOUNT = 650_000
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Booking:
    application_id: int
    email: str
    code: str
    number: str
    hold_id: int
    bill_id: int
    slot_id: int


def book(
    app,
    *,
    expires_in: timedelta = timedelta(hours=2),
    kept_for: timedelta = timedelta(0),
    amount: int = AMOUNT,
) -> Booking:
    """An application awaiting payment, with its office, slot, hold and bill, as booking makes.

    The bill is payable for `expires_in`; the hold keeps its place `kept_for` longer."""
    n = next(_numbers)
    with app.app_context():
        user = make_user(email=f"pemohon{n}@contoh.id")
        office = Office(
            code=f"kanim-uji-{n}",
            kind="kanim",
            name="Kantor Imigrasi Kelas I Uji",
            address="Jl. Uji 1",
            city="Denpasar",
            province="Bali",
            latitude=-8.65,
            longitude=115.22,
            timezone="Asia/Makassar",
        )
        db.session.add(office)
        db.session.flush()
        slot = Slot(
            office_id=office.id,
            starts_at=now().replace(microsecond=0) + timedelta(days=3),
            lane="regular",
            capacity=1,
        )
        db.session.add(slot)
        application = make_application(
            user, nik=f"5104075111970{n:03d}", number=f"2026{n:012d}", office_id=office.id
        )
        application.status = "awaiting_payment"
        application.submitted_at = now()
        moment = now()
        held = Hold(
            slot_id=slot.id,
            application_id=application.id,
            account_id=user.id,
            status="held",
            created_at=moment,
            expires_at=moment + expires_in + kept_for,
        )
        db.session.add(held)
        db.session.flush()
        bill = Bill(
            hold_id=held.id,
            application_id=application.id,
            code=f"8{n:014d}",
            amount=amount,
            created_at=moment,
            expires_at=moment + expires_in,
        )
        db.session.add(bill)
        db.session.commit()
        return Booking(
            application.id, user.email, bill.code, application.number, held.id, bill.id, slot.id
        )


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_for(code: str, amount: int = AMOUNT, transaction_id: str = "BNI-0001", **extra) -> bytes:
    """A notice paid now, by default."""
    data = {
        "transaction_id": transaction_id,
        "billing_code": code,
        "amount": amount,
        "paid_at": stamp(now()),
        **extra,
    }
    return json.dumps(data).encode()


def deliver(client, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["X-Signature"] = sign(body, SECRET)
    elif signature is not None:
        headers["X-Signature"] = signature
    return client.post(NOTIFY, data=body, headers=headers, content_type="application/json")


@dataclass
class State:
    status: str
    refund_review: bool
    bill_status: str
    paid_at: datetime | None
    hold_status: str
    audit: list[tuple[str | None, str, str | None, int | None]]  # the application's moves
    trail: list[tuple[str, str | None, str]]  # every move: (entity, from, to)
    notices: list[tuple[str, str]]


def state(app, booking: Booking) -> State:
    with app.app_context():
        application = db.session.get(Application, booking.application_id)
        bill = db.session.get(Bill, booking.bill_id)
        held = db.session.get(Hold, booking.hold_id)
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.application_id == booking.application_id)
            .order_by(AuditEntry.id)
        ).all()
        notices = db.session.execute(
            select(PaymentNotice.transaction_id, PaymentNotice.outcome).order_by(PaymentNotice.id)
        ).all()
        return State(
            application.status,
            application.refund_review,
            bill.status,
            bill.paid_at,
            held.status,
            [
                (e.from_status, e.to_status, e.reason, e.actor_id)
                for e in entries
                if e.entity == "application"
            ],
            [(e.entity, e.from_status, e.to_status) for e in entries],
            [tuple(row) for row in notices],
        )


def live_holds_on(app, slot_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(Hold.id)).where(
                Hold.slot_id == slot_id, Hold.status.in_(("held", "paid"))
            )
        )


@pytest.fixture
def pay_app(make_app):
    return make_app(PAYMENT_WEBHOOK_SECRET=SECRET)


@pytest.fixture
def client(pay_app):
    return pay_app.test_client()


# The protocol ----------------------------------------------------------------------------------


def test_signature_covers_the_exact_body_with_the_secret():
    body = body_for("812345678901234")
    header = sign(body, SECRET)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signature_valid(body, header, SECRET)
    assert signature_valid(body, header.upper().replace("SHA256=", "sha256="), SECRET)
    assert not signature_valid(body + b" ", header, SECRET)
    assert not signature_valid(body, sign(body, "another-secret"), SECRET)
    assert not signature_valid(body, header.removeprefix("sha256="), SECRET)
    assert not signature_valid(body, "sha1=" + header.removeprefix("sha256="), SECRET)
    assert not signature_valid(body, None, SECRET)
    assert not signature_valid(body, "", SECRET)
    assert not signature_valid(body, "sha256=é", SECRET)
    assert not signature_valid(body, sign(body, ""), "")  # no secret set accepts nothing


def test_a_well_formed_notice_is_read():
    notice = parse_notice(
        body_for("812345678901234", channel="BNI", paid_at="2026-11-24T02:15:00Z")
    )
    assert notice == Notice(
        "BNI-0001", "812345678901234", AMOUNT, datetime(2026, 11, 24, 2, 15, tzinfo=UTC)
    )
    assert parse_notice(encode_notice(notice)) == notice
    offset = parse_notice(body_for("812345678901234", paid_at="2026-11-24T09:15:00+07:00"))
    assert offset.paid_at == notice.paid_at


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b"null",
        json.dumps(
            {"billing_code": "812345678901234", "amount": 1, "paid_at": "2026-11-24T02:15:00Z"}
        ).encode(),
        body_for("81234567890123"),  # 14 digits
        body_for("8123456789012345"),  # 16 digits
        body_for("81234567890123a"),
        body_for("８１２３４５６７８９０１２３４"),  # full-width digits
        body_for("812345678901234\n"),
        body_for(812345678901234),
        body_for("812345678901234", amount=0),
        body_for("812345678901234", amount=-650_000),
        body_for("812345678901234", amount=650_000.0),
        body_for("812345678901234", amount="650000"),
        body_for("812345678901234", amount=True),
        body_for("812345678901234", amount=2**31),
        body_for("812345678901234", amount=None),
        body_for("812345678901234", transaction_id=""),
        body_for("812345678901234", transaction_id="x" * 65),
        body_for("812345678901234", transaction_id="BNI 0001"),
        body_for("812345678901234", transaction_id="BNI\x000001"),
        body_for("812345678901234", transaction_id=12345),
        body_for("812345678901234", paid_at="2026-11-24"),
        body_for("812345678901234", paid_at="24/11/2026 02:15"),
        body_for("812345678901234", paid_at=1795918500),
        body_for("812345678901234", paid_at="2026-13-24T02:15:00Z"),
    ],
)
def test_anything_off_is_a_malformed_notice(body):
    with pytest.raises(MalformedNotice):
        parse_notice(body)


# The webhook -----------------------------------------------------------------------------------


def test_a_valid_payment_schedules_the_application_once_and_tells_the_applicant(pay_app, client):
    booking = book(pay_app)
    response = deliver(client, body_for(booking.code))
    assert response.status_code == 200 and response.json == {"outcome": "applied"}
    after = state(pay_app, booking)
    assert after.status == "scheduled" and not after.refund_review
    assert after.bill_status == "paid" and after.hold_status == "paid"
    assert timedelta(0) <= now() - after.paid_at < timedelta(minutes=1)
    assert after.audit == [("awaiting_payment", "scheduled", "paid BNI-0001", None)]
    assert after.trail == [
        ("bill", "open", "paid"),
        ("hold", "held", "paid"),
        ("application", "awaiting_payment", "scheduled"),
    ]
    assert after.notices == [("BNI-0001", "applied")]
    mail = Mailbox(pay_app).messages(booking.email)
    assert len(mail) == 1
    text = Mailbox.text(mail[0])
    assert journeys.as_read(booking.code) in text and "Rp650.000" in text


def test_a_replay_changes_nothing_and_sends_no_second_mail(pay_app, client):
    booking = book(pay_app)
    body = body_for(booking.code)
    assert deliver(client, body).json == {"outcome": "applied"}
    before = state(pay_app, booking)
    response = deliver(client, body)
    assert response.status_code == 200 and response.json == {"outcome": "duplicate"}
    assert state(pay_app, booking) == before
    assert len(Mailbox(pay_app).messages(booking.email)) == 1


@pytest.mark.parametrize(
    "signature",
    [
        sign(b"another body", SECRET),
        "sha256=" + "0" * 64,
        "sha256=",
        "garbage",
    ],
)
def test_a_bad_signature_is_401_and_nothing_is_recorded(pay_app, client, signature):
    booking = book(pay_app)
    before = state(pay_app, booking)
    response = deliver(client, body_for(booking.code), signature=signature)
    assert response.status_code == 401 and response.json == {"outcome": "bad_signature"}
    assert state(pay_app, booking) == before
    assert before.notices == []


def test_a_body_changed_after_signing_is_401(pay_app, client):
    booking = book(pay_app)
    signed = sign(body_for(booking.code, amount=1), SECRET)
    response = deliver(client, body_for(booking.code), signature=signed)
    assert response.status_code == 401
    assert state(pay_app, booking).status == "awaiting_payment"


def test_a_signature_with_another_secret_is_401(make_app):
    app = make_app(PAYMENT_WEBHOOK_SECRET="the-real-secret")
    booking = book(app)
    response = deliver(app.test_client(), body_for(booking.code))  # signed with SECRET
    assert response.status_code == 401
    assert state(app, booking).status == "awaiting_payment"


def test_no_signature_is_401(pay_app, client):
    booking = book(pay_app)
    response = deliver(client, body_for(booking.code), signature=None)
    assert response.status_code == 401
    assert state(pay_app, booking).notices == []


def test_a_malformed_signed_body_is_400(pay_app, client):
    booking = book(pay_app)
    for body in (b"{not json", body_for(booking.code, amount="650000"), body_for("123")):
        response = deliver(client, body)
        assert response.status_code == 400 and response.json == {"outcome": "malformed"}
    assert state(pay_app, booking).notices == []


def test_an_unknown_code_is_404_and_the_notice_kept_as_rejected(pay_app, client):
    booking = book(pay_app)
    response = deliver(client, body_for("999999999999999"))
    assert response.status_code == 404 and response.json == {"outcome": "unknown_code"}
    after = state(pay_app, booking)
    assert after.notices == [("BNI-0001", "rejected")]
    assert after.status == "awaiting_payment" and after.bill_status == "open"


def test_a_wrong_amount_is_422_and_the_bill_stays_unpaid(pay_app, client):
    booking = book(pay_app)
    for n, amount in enumerate((AMOUNT - 1, AMOUNT + 1, 350_000)):
        response = deliver(client, body_for(booking.code, amount, transaction_id=f"BNI-{n}"))
        assert response.status_code == 422 and response.json == {"outcome": "wrong_amount"}
    after = state(pay_app, booking)
    assert after.bill_status == "open" and after.paid_at is None
    assert after.status == "awaiting_payment" and after.hold_status == "held"
    assert after.audit == [] and not after.refund_review
    assert [outcome for _, outcome in after.notices] == ["rejected"] * 3
    assert Mailbox(pay_app).messages(booking.email) == []


def test_a_payment_one_second_after_expiry_is_held_for_refund_and_revives_nothing(pay_app, client):
    # The deadline passed a second ago and no expiry job has run: the hold still says "held".
    booking = book(pay_app, expires_in=timedelta(seconds=-1))
    response = deliver(client, body_for(booking.code))
    assert response.status_code == 200 and response.json == {"outcome": "refund_review"}
    after = state(pay_app, booking)
    assert after.status == "expired" and after.refund_review
    assert after.bill_status == "refund_review" and after.paid_at is None
    assert after.hold_status == "expired"
    assert after.audit == [
        ("awaiting_payment", "expired", "paid after the two-hour deadline", None)
    ]
    assert after.trail == [
        ("bill", "open", "refund_review"),
        ("hold", "held", "expired"),
        ("application", "awaiting_payment", "expired"),
    ]
    assert after.notices == [("BNI-0001", "refund_review")]
    assert live_holds_on(pay_app, booking.slot_id) == 0
    mail = Mailbox(pay_app).messages(booking.email)
    assert len(mail) == 1
    assert journeys.as_read(booking.code) in Mailbox.text(mail[0])
    # A second late payment is refunded too, and told only once.
    response = deliver(client, body_for(booking.code, transaction_id="BNI-0002"))
    assert response.json == {"outcome": "refund_review"}
    assert state(pay_app, booking).audit == after.audit
    assert len(Mailbox(pay_app).messages(booking.email)) == 1


def test_a_payment_after_the_expiry_job_ran_is_held_for_refund(pay_app, client):
    booking = book(pay_app, expires_in=timedelta(minutes=-5))
    with pay_app.app_context():  # what the expiry job leaves behind
        db.session.get(Hold, booking.hold_id).status = "expired"
        db.session.get(Application, booking.application_id).status = "expired"
        db.session.commit()
    response = deliver(client, body_for(booking.code))
    assert response.status_code == 200 and response.json == {"outcome": "refund_review"}
    after = state(pay_app, booking)
    assert after.status == "expired" and after.refund_review
    assert after.bill_status == "refund_review" and after.audit == []
    assert after.trail == [("bill", "open", "refund_review")]
    assert live_holds_on(pay_app, booking.slot_id) == 0


def test_a_second_payment_of_a_paid_bill_is_flagged_for_refund(pay_app, client):
    booking = book(pay_app)
    deliver(client, body_for(booking.code, transaction_id="BNI-0001"))
    response = deliver(client, body_for(booking.code, transaction_id="MANDIRI-77"))
    assert response.status_code == 200 and response.json == {"outcome": "already_paid"}
    after = state(pay_app, booking)
    assert after.status == "scheduled" and after.refund_review and after.bill_status == "paid"
    assert after.notices == [("BNI-0001", "applied"), ("MANDIRI-77", "refund_review")]
    assert [to for _, to, _, _ in after.audit] == ["scheduled"]
    assert len(Mailbox(pay_app).messages(booking.email)) == 1


# The bank's paid-at time -------------------------------------------------------------------------


def test_a_retry_arriving_late_for_a_payment_made_in_time_is_applied(pay_app, client):
    # Paid at 1 h 59 min; the bank's retry arrives 3 minutes after the deadline, while the place
    # is still kept for notices in flight.
    booking = book(pay_app, expires_in=timedelta(minutes=-3), kept_for=timedelta(minutes=15))
    paid_at = now() - timedelta(minutes=4)
    response = deliver(client, body_for(booking.code, paid_at=stamp(paid_at)))
    assert response.status_code == 200 and response.json == {"outcome": "applied"}
    after = state(pay_app, booking)
    assert after.status == "scheduled" and not after.refund_review
    assert after.bill_status == "paid" and after.hold_status == "paid"
    assert after.paid_at == paid_at.replace(microsecond=after.paid_at.microsecond)


def test_a_payment_made_after_the_deadline_goes_to_refund_review(pay_app, client):
    # The place is still kept for notices in flight, but this payment was made a minute late.
    booking = book(pay_app, expires_in=timedelta(minutes=-3), kept_for=timedelta(minutes=15))
    late = stamp(now() - timedelta(minutes=2))
    response = deliver(client, body_for(booking.code, paid_at=late))
    assert response.status_code == 200 and response.json == {"outcome": "refund_review"}
    after = state(pay_app, booking)
    assert after.status == "expired" and after.refund_review
    assert after.bill_status == "refund_review" and after.hold_status == "expired"
    assert live_holds_on(pay_app, booking.slot_id) == 0


@pytest.mark.parametrize(
    ("paid_at", "accepted"),
    [
        (lambda: stamp(now() + timedelta(minutes=10)), False),  # in the future, beyond tolerance
        (lambda: (now() + timedelta(minutes=1)).replace(tzinfo=None).isoformat(), False),  # no zone
        (lambda: stamp(now() + timedelta(minutes=2)), True),  # a bank clock slightly ahead
    ],
)
def test_a_paid_at_time_that_cannot_be_believed_is_recorded_and_pays_nothing(
    pay_app, client, caplog, paid_at, accepted
):
    booking = book(pay_app)
    response = deliver(client, body_for(booking.code, paid_at=paid_at()))
    after = state(pay_app, booking)
    if accepted:
        assert response.json == {"outcome": "applied"} and after.status == "scheduled"
        return
    assert response.status_code == 422 and response.json == {"outcome": "bad_paid_at"}
    assert after.notices == [("BNI-0001", "rejected")]
    assert after.status == "awaiting_payment" and after.bill_status == "open"
    assert after.hold_status == "held" and after.trail == [] and not after.refund_review
    assert "bad_paid_at" in caplog.text
    assert Mailbox(pay_app).messages(booking.email) == []


def test_a_notice_without_a_zone_is_read_as_it_was_sent():
    notice = parse_notice(body_for("812345678901234", paid_at="2026-11-24T02:15:00"))
    assert notice.paid_at == datetime(2026, 11, 24, 2, 15) and notice.paid_at.tzinfo is None


# Void bills ------------------------------------------------------------------------------------


def cancel_booking(app, booking: Booking) -> None:
    from webapp.services import booking as bookings

    with app.app_context():
        application = db.session.get(Application, booking.application_id)
        assert bookings.cancel(application, "awaiting_payment")


def test_cancelling_voids_the_bill_and_a_payment_for_it_goes_to_refund_review(pay_app, client):
    booking = book(pay_app)
    cancel_booking(pay_app, booking)
    after = state(pay_app, booking)
    assert after.status == "cancelled" and after.bill_status == "void"
    assert after.hold_status == "cancelled"
    response = deliver(client, body_for(booking.code))
    assert response.status_code == 200 and response.json == {"outcome": "void"}
    after = state(pay_app, booking)
    assert after.status == "cancelled" and after.refund_review
    assert after.bill_status == "refund_review" and after.paid_at is None
    assert after.trail[-1] == ("bill", "void", "refund_review")
    assert after.notices == [("BNI-0001", "refund_review")]
    assert live_holds_on(pay_app, booking.slot_id) == 0


def test_an_expired_bill_is_void(pay_app):
    from webapp.services import booking as bookings

    booking = book(pay_app, expires_in=timedelta(seconds=-1))
    with pay_app.app_context():
        assert bookings.expire(booking.hold_id)
    after = state(pay_app, booking)
    assert after.status == "expired" and after.bill_status == "void"
    assert after.hold_status == "expired"
    assert after.trail == [
        ("hold", "held", "expired"),
        ("bill", "open", "void"),
        ("application", "awaiting_payment", "expired"),
    ]


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "This billing code is void: its application was cancelled or has expired."),
        ("id", "Kode billing ini tidak berlaku lagi: permohonannya dibatalkan atau kedaluwarsa."),
    ],
)
def test_the_standin_page_refuses_a_void_bill(pay_app, client, lang, message):
    booking = book(pay_app)
    cancel_booking(pay_app, booking)
    client.set_cookie("lang", lang)
    token = csrf_token(client.get("/pay"))
    shown = client.post("/pay", data={"csrf_token": token, "billing_code": booking.code})
    assert shown.status_code == 422 and message in shown.text
    assert "Rp650" not in shown.text
    paying = client.post(
        "/pay",
        data={"csrf_token": token, "billing_code": booking.code, "pay": "1"},
        follow_redirects=True,
    )
    assert message in paying.text
    after = state(pay_app, booking)
    assert after.bill_status == "void" and after.notices == [] and not after.refund_review


def test_the_webhook_needs_no_csrf_token_but_other_posts_still_do(pay_app, client):
    booking = book(pay_app)
    assert deliver(client, body_for(booking.code)).status_code == 200
    assert client.post("/pay", data={"billing_code": booking.code}).status_code == 400


# The stand-in channel --------------------------------------------------------------------------


def test_the_standin_page_pays_a_code_end_to_end(pay_app, client):
    booking = book(pay_app)
    client.set_cookie("lang", "en")
    page = client.get("/pay")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in page.text
    token = csrf_token(page)
    shown = client.post("/pay", data={"csrf_token": token, "billing_code": booking.code})
    assert shown.status_code == 200
    assert "Rp650,000" in shown.text and booking.number in shown.text
    assert "Siti Rahayu" not in shown.text  # the applicant's name stays private
    paid = client.post(
        "/pay",
        data={"csrf_token": csrf_token(shown), "billing_code": booking.code, "pay": "1"},
        follow_redirects=True,
    )
    assert "Payment received" in paid.text
    after = state(pay_app, booking)
    assert after.status == "scheduled" and after.bill_status == "paid"
    [(transaction_id, outcome)] = after.notices
    assert transaction_id.startswith("STANDIN-") and outcome == "applied"
    assert len(Mailbox(pay_app).messages(booking.email)) == 1
    # The code is paid now: the page no longer shows it as due.
    again = client.post("/pay", data={"csrf_token": token, "billing_code": booking.code})
    assert again.status_code == 422 and "Rp650,000" not in again.text


def grouped(code: str, separator: str) -> str:
    """The code as read aloud or copied from the mail: 3 digits, then groups of 4."""
    return separator.join([code[:3], code[3:7], code[7:11], code[11:]])


@pytest.mark.parametrize("separator", [" ", "-", ".", " - "])
def test_a_billing_code_typed_in_groups_is_found_and_never_cut(pay_app, client, separator):
    booking = book(pay_app)
    client.set_cookie("lang", "en")
    page = client.get("/pay")
    typed = grouped(booking.code, separator)
    box = re.search(r'<input[^>]*name="billing_code"[^>]*>', page.text)[0]
    maxlength = int(re.search(r'maxlength="(\d+)"', box)[1])
    assert maxlength >= len(typed)
    shown = client.post("/pay", data={"csrf_token": csrf_token(page), "billing_code": typed})
    assert shown.status_code == 200 and "Rp650,000" in shown.text


def test_the_standin_page_shows_an_expired_code_held_for_refund(pay_app, client):
    booking = book(pay_app, expires_in=timedelta(seconds=-1))
    client.set_cookie("lang", "en")
    token = csrf_token(client.get("/pay"))
    response = client.post(
        "/pay",
        data={"csrf_token": token, "billing_code": booking.code, "pay": "1"},
        follow_redirects=True,
    )
    assert "This code has expired: the payment is held for refund" in response.text
    after = state(pay_app, booking)
    assert after.status == "expired" and after.refund_review


def test_the_standin_page_refuses_unknown_and_malformed_codes(pay_app, client):
    client.set_cookie("lang", "en")
    token = csrf_token(client.get("/pay"))
    unknown = client.post("/pay", data={"csrf_token": token, "billing_code": "999999999999999"})
    assert unknown.status_code == 422 and "No unpaid bill has this code" in unknown.text
    short = client.post("/pay", data={"csrf_token": token, "billing_code": "12345"})
    assert short.status_code == 422 and "The billing code is 15 digits" in short.text
    paying = client.post(
        "/pay",
        data={"csrf_token": token, "billing_code": "999999999999999", "pay": "1"},
        follow_redirects=True,
    )
    assert "No unpaid bill has this code. Nothing was paid." in paying.text
    with pay_app.app_context():
        assert db.session.scalar(select(func.count(PaymentNotice.id))) == 0


def test_signed_notices_are_never_throttled_and_refused_ones_are(pay_app, client):
    """A quota opening's payments arrive from a channel's few addresses by the thousand."""
    signed = [deliver(client, body_for(f"9{n:014d}", transaction_id=f"T{n}")) for n in range(650)]
    assert {response.status_code for response in signed} == {404}  # answered, none throttled
    forged = [deliver(client, body_for("999999999999999"), "forged") for _ in range(601)]
    assert {r.status_code for r in forged[:600]} == {401} and forged[600].status_code == 429


def test_the_standin_page_is_rate_limited_per_address(make_app):
    app = make_app(PAYMENT_WEBHOOK_SECRET=SECRET, ADDRESS_RATE_LIMIT="20 per hour")
    client = app.test_client()
    token = csrf_token(client.get("/pay"))
    statuses = [
        client.post("/pay", data={"csrf_token": token, "billing_code": f"{n:015d}"}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429
