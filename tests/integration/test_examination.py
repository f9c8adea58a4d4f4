"""The examination report (BAP) at the counter, its fine billed and paid through the signed
webhook, the suspension for negligence, and what the decision waits for. The race of two fine
payments at once is in test_examination_races."""

import itertools
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import journeys
from tests.conftest import Mailbox
from tests.factories import make_office
from tests.html import csrf_token
from tests.integration.test_calling import officer, serve_next
from tests.staff import sign_in_staff
from tests.visits import checked_in
from webapp import clock
from webapp.extensions import db
from webapp.integrations.payment_gateway import sign
from webapp.models import Application, AuditEntry, Bill, Examination, PaymentNotice, User
from webapp.rules import examinations
from webapp.services import examination

SECRET = "fine-webhook-secret"
_transactions = itertools.count(1)


@pytest.fixture
def fine_app(make_app):
    return make_app(PAYMENT_WEBHOOK_SECRET=SECRET)


def at_counter(
    app, reason: str | None = "lost", officer_locale: str = "id", **answers
) -> tuple[int, str, str]:
    """A replacement of a passport lost (or `reason`) in service at a counter: the application's
    id, the officer's email and the applicant's."""
    if reason is not None:
        answers = {"application_type": "replacement", "replacement_reason": reason, **answers}
    with app.app_context():
        office = make_office()
        staff = officer(office, locale=officer_locale)
        checked_in(office, by=staff, **answers)
        application = db.session.get(Application, serve_next(staff).application_id)
        return application.id, staff.email, db.session.get(User, application.account_id).email


def a_report(**fields) -> examination.Report:
    values = {
        "account": "Tas berisi paspor tertinggal di angkot.",
        "happened_on": clock.today("Asia/Makassar") - timedelta(days=3),
        "happened_where": "Jl. Urip Sumoharjo, Makassar",
        "police_report_number": "LP/B/123/XI/2026",
    }
    return examination.Report(**{**values, **fields})


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def the_report(application_id: int) -> Examination | None:
    return db.session.scalar(
        select(Examination).where(Examination.application_id == application_id)
    )


def blocker(application_id: int) -> str | None:
    return examination.approval_blocker(db.session.get(Application, application_id))


def report_form(**fields) -> dict:
    happened = clock.today("Asia/Makassar") - timedelta(days=3)
    values = {
        "bap-account": "Paspor hilang di pasar.",
        "bap-happened_on-day": str(happened.day),
        "bap-happened_on-month": str(happened.month),
        "bap-happened_on-year": str(happened.year),
        "bap-happened_where": "Pasar Terong, Makassar",
        "bap-police_report_number": "LP/B/77/XII/2026",
    }
    return {**values, **fields}


def post(client, path: str, data: dict, page: str):
    token = csrf_token(client.get(page))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)


def notice(code: str, amount: int, transaction_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "transaction_id": transaction_id or f"BRI-{next(_transactions)}",
            "billing_code": code,
            "amount": amount,
            "paid_at": clock.now().isoformat().replace("+00:00", "Z"),
        }
    ).encode()


def deliver(client, body: bytes):
    return client.post(
        "/payments/notify",
        data=body,
        headers={"X-Signature": sign(body, SECRET)},
        content_type="application/json",
    )


# The report and its fine ------------------------------------------------------------------------


def test_a_lost_passport_is_fined_and_the_fine_paid_through_the_signed_webhook(fine_app):
    application_id, staff_email, owner_email = at_counter(fine_app)
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    shown = post(counter, f"{page}/report", report_form(), page)
    assert shown.status_code == 200
    assert "Berita acara pemeriksaan dicatat." in shown.text
    assert "Rp1.000.000" in shown.text
    with fine_app.app_context():
        recorded = the_report(application_id)
        bill = db.session.get(Bill, recorded.bill_id)
        assert (recorded.incident, recorded.fine) == ("lost", 1_000_000)
        assert (bill.purpose, bill.amount, bill.status, bill.hold_id) == (
            "fine",
            1_000_000,
            "open",
            None,
        )
        assert blocker(application_id) == examinations.FINE_UNPAID
        code = bill.code
    billed = Mailbox(fine_app).last(owner_email)
    assert journeys.as_read(code) in Mailbox.text(billed)
    assert "Rp1.000.000" in Mailbox.text(billed)

    body = notice(code, 1_000_000)
    webhook = fine_app.test_client()
    assert deliver(webhook, body).json == {"outcome": "applied"}
    assert deliver(webhook, body).json == {"outcome": "duplicate"}  # a replay: applied once
    with fine_app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == "in_review" and not application.refund_review
        assert db.session.get(Bill, the_report(application_id).bill_id).status == "paid"
        assert blocker(application_id) is None
        moves = db.session.execute(
            select(AuditEntry.entity, AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.application_id == application_id)
            .where(AuditEntry.entity.in_(("bill", "examination")))
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(m) for m in moves] == [
            ("bill", None, "open"),
            ("examination", None, "recorded"),
            ("bill", "open", "paid"),
        ]
        assert db.session.scalar(select(func.count(PaymentNotice.id))) == 1
    paid_mail = [
        m
        for m in Mailbox(fine_app).messages(owner_email)
        if journeys.as_read(code) in Mailbox.text(m)
    ]
    assert len(paid_mail) == 2  # the billing code, then the receipt once


def test_a_fines_code_that_ran_out_is_reissued_and_the_new_one_pays_it(fine_app):
    application_id, staff_email, owner_email = at_counter(fine_app)
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    post(counter, f"{page}/report", report_form(), page)
    reissue = f"{page}/fine/reissue"
    early = post(counter, reissue, {}, page)
    assert "Kode billing denda masih dapat dibayar: tidak perlu kode baru." in early.text
    with fine_app.app_context():
        first = db.session.get(Bill, the_report(application_id).bill_id)
        first.expires_at = clock.now() - timedelta(minutes=1)  # its week is over
        db.session.commit()
        first_id, first_code = first.id, first.code
    assert "Buat kode billing baru" in counter.get(page).text
    shown = post(counter, reissue, {}, page)
    assert "Kode billing baru untuk denda telah dibuat" in shown.text
    with fine_app.app_context():
        second = db.session.get(Bill, the_report(application_id).bill_id)
        assert second.id != first_id and second.code != first_code
        assert (second.status, second.amount, second.purpose) == ("open", 1_000_000, "fine")
        assert second.expires_at > clock.now() + timedelta(days=6)
        assert db.session.get(Bill, first_id).status == "void"
        new_code = second.code
    assert journeys.as_read(new_code) in Mailbox.text(Mailbox(fine_app).last(owner_email))
    webhook = fine_app.test_client()
    assert deliver(webhook, notice(first_code, 1_000_000)).json["outcome"] != "applied"
    assert deliver(webhook, notice(new_code, 1_000_000)).json == {"outcome": "applied"}
    with fine_app.app_context():
        assert blocker(application_id) is None
    paid = post(counter, reissue, {}, page)
    assert "Denda sudah dibayar." in paid.text


def test_the_applicant_sees_the_fine_and_its_billing_code(fine_app):
    application_id, staff_email, owner_email = at_counter(fine_app, "damaged")
    with fine_app.app_context():
        staff = user(staff_email)
        examination.record_report(staff, application_id, a_report(police_report_number=""))
        code = db.session.get(Bill, the_report(application_id).bill_id).code
        public_id = db.session.get(Application, application_id).public_id
    applicant = journeys.sign_in(fine_app, owner_email)
    page = applicant.get(f"/applications/{public_id}").text
    assert "Rp500.000" in page and code[:4] in page and code[-3:] in page
    assert "Berita acara pemeriksaan (BAP) dicatat" in page  # in the history


def test_force_majeure_is_not_fined_and_needs_the_kelurahan_letter(fine_app):
    application_id, staff_email, _ = at_counter(fine_app, "force_majeure")
    with fine_app.app_context():
        staff = user(staff_email)
        with pytest.raises(examination.ExaminationRefused) as refused:
            examination.record_report(staff, application_id, a_report())
        assert refused.value.code == "kelurahan_letter_number"
        assert the_report(application_id) is None
        examination.record_report(
            staff, application_id, a_report(kelurahan_letter_number="470/12/KEL-BTG/2026")
        )
        recorded = the_report(application_id)
        assert (recorded.fine, recorded.bill_id) == (0, None)
        assert db.session.scalar(select(func.count(Bill.id)).where(Bill.purpose == "fine")) == 0
        assert blocker(application_id) is None  # Rp0 needs no bill


def test_a_loss_needs_the_police_report_number_and_nothing_is_half_written(fine_app):
    application_id, staff_email, _ = at_counter(fine_app)
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    refused = post(counter, f"{page}/report", report_form(**{"bap-police_report_number": ""}), page)
    assert "Paspor hilang memerlukan nomor surat keterangan hilang dari kepolisian." in refused.text
    future = clock.today("Asia/Makassar") + timedelta(days=2)
    too_soon = post(
        counter,
        f"{page}/report",
        report_form(
            **{
                "bap-happened_on-day": str(future.day),
                "bap-happened_on-month": str(future.month),
                "bap-happened_on-year": str(future.year),
            }
        ),
        page,
    )
    assert "Tanggal kejadian tidak boleh di masa depan." in too_soon.text
    empty = counter.post(f"{page}/report", data={"csrf_token": csrf_token(counter.get(page))})
    assert empty.status_code == 422 and "Kejadian: Kolom ini wajib diisi." in empty.text
    with fine_app.app_context():
        assert the_report(application_id) is None
        assert db.session.scalar(select(func.count(Bill.id)).where(Bill.purpose == "fine")) == 0


def test_an_officer_reading_english_is_told_in_english(fine_app):
    application_id, staff_email, _ = at_counter(fine_app, "force_majeure", officer_locale="en")
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    refused = post(counter, f"{page}/report", report_form(), page)
    assert "Force majeure needs the kelurahan letter number." in refused.text
    assert "Lost or damaged by force majeure" in refused.text


def test_a_second_report_is_refused(fine_app):
    application_id, staff_email, _ = at_counter(fine_app)
    with fine_app.app_context():
        staff = user(staff_email)
        examination.record_report(staff, application_id, a_report())
        with pytest.raises(examination.ExaminationRefused) as refused:
            examination.record_report(staff, application_id, a_report())
        assert refused.value.code == "already_recorded"
        assert db.session.scalar(select(func.count(Bill.id)).where(Bill.purpose == "fine")) == 1


# What approval waits for -----------------------------------------------------------------------


def test_the_blocker_waits_for_a_missing_report_and_ignores_other_applications(fine_app):
    lost_id, staff_email, _ = at_counter(fine_app)
    new_id, _, _ = at_counter(fine_app, reason=None)
    expired_id, _, _ = at_counter(fine_app, "expired")
    with fine_app.app_context():
        assert blocker(lost_id) == examinations.REPORT_MISSING
        assert blocker(new_id) is None
        assert blocker(expired_id) is None
        examination.record_report(user(staff_email), lost_id, a_report())
        assert blocker(lost_id) == examinations.FINE_UNPAID


@pytest.mark.parametrize("reason", [None, "expired", "pages_full", "data_changed"])
def test_no_report_for_an_application_that_is_not_lost_or_damaged(fine_app, reason):
    application_id, staff_email, _ = at_counter(fine_app, reason)
    with fine_app.app_context():
        with pytest.raises(examination.ExaminationRefused) as refused:
            examination.record_report(user(staff_email), application_id, a_report())
        assert refused.value.code == "not_needed"
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    said = "Permohonan ini tidak memerlukan berita acara pemeriksaan"
    assert said in counter.get(page).text
    assert said in post(counter, f"{page}/report", report_form(), page).text
    with fine_app.app_context():
        assert the_report(application_id) is None


def test_another_offices_application_is_not_found(fine_app):
    application_id, _, _ = at_counter(fine_app)
    with fine_app.app_context():
        stranger = officer(make_office(), counter=1)
        with pytest.raises(examination.ApplicationNotFound):
            examination.record_report(stranger, application_id, a_report())
        with pytest.raises(examination.ApplicationNotFound):
            examination.record_suspension(stranger, application_id, 6, "Lalai.")
        email = stranger.email
    elsewhere = sign_in_staff(fine_app, email)
    page = f"/counter/examination/{application_id}"
    assert elsewhere.get(page).status_code == 404
    missing = elsewhere.get("/counter/examination/999999")
    assert missing.status_code == 404
    token = csrf_token(elsewhere.get("/counter/desk"))
    for path, form in (
        (f"{page}/report", report_form()),
        (f"{page}/suspension", {"sp-months": "6", "sp-reason": "x"}),
    ):
        assert elsewhere.post(path, data={"csrf_token": token, **form}).status_code == 404
    with fine_app.app_context():
        assert the_report(application_id) is None


# The suspension for negligence -----------------------------------------------------------------


def test_a_suspension_has_its_end_date_and_the_applicant_sees_its_reason(fine_app):
    application_id, staff_email, owner_email = at_counter(fine_app)
    counter = sign_in_staff(fine_app, staff_email)
    page = f"/counter/examination/{application_id}"
    early = post(counter, f"{page}/suspension", {"sp-months": "12", "sp-reason": "Lalai."}, page)
    assert "Catat berita acara pemeriksaan terlebih dahulu." in early.text
    post(counter, f"{page}/report", report_form(), page)
    too_long = counter.post(
        f"{page}/suspension",
        data={"csrf_token": csrf_token(counter.get(page)), "sp-months": "25", "sp-reason": "x"},
    )
    assert too_long.status_code == 422
    done = post(
        counter,
        f"{page}/suspension",
        {"sp-months": "12", "sp-reason": "Paspor hilang untuk kedua kalinya karena lalai."},
        page,
    )
    assert "Penangguhan dicatat." in done.text
    today = clock.today("Asia/Makassar")
    with fine_app.app_context():
        suspension = examination.panel(db.session.get(Application, application_id)).suspension
        assert (suspension.months, suspension.starts_on) == (12, today)
        assert suspension.ends_on == today.replace(year=today.year + 1)
        public_id = db.session.get(Application, application_id).public_id
        bill = db.session.get(Bill, the_report(application_id).bill_id)
        code, amount = bill.code, bill.amount
    deliver(fine_app.test_client(), notice(code, amount))
    with fine_app.app_context():
        assert blocker(application_id) == examinations.SUSPENDED
    applicant = journeys.sign_in(fine_app, owner_email).get(f"/applications/{public_id}").text
    assert "Paspor hilang untuk kedua kalinya karena lalai." in applicant
    assert "ditangguhkan" in applicant


def test_force_majeure_is_never_suspended(fine_app):
    application_id, staff_email, _ = at_counter(fine_app, "force_majeure")
    with fine_app.app_context():
        staff = user(staff_email)
        examination.record_report(
            staff, application_id, a_report(kelurahan_letter_number="470/12/KEL/2026")
        )
        with pytest.raises(examination.ExaminationRefused) as refused:
            examination.record_suspension(staff, application_id, 6, "Lalai.")
        assert refused.value.code == "force_majeure"


# The stand-in payment page ---------------------------------------------------------------------


def test_the_standin_page_pays_the_fines_billing_code(fine_app):
    application_id, staff_email, _ = at_counter(fine_app, "damaged")
    with fine_app.app_context():
        examination.record_report(user(staff_email), application_id, a_report())
        code = db.session.get(Bill, the_report(application_id).bill_id).code
    client = fine_app.test_client()
    token = csrf_token(client.get("/pay"))
    shown = client.post("/pay", data={"csrf_token": token, "billing_code": code})
    assert shown.status_code == 200 and "Rp500.000" in shown.text
    paid = client.post(
        "/pay", data={"csrf_token": token, "billing_code": code, "pay": "1"}, follow_redirects=True
    )
    assert paid.status_code == 200
    assert "Pembayaran diterima. Denda sudah dibayar." in paid.text  # no appointment to confirm
    with fine_app.app_context():
        assert db.session.get(Bill, the_report(application_id).bill_id).status == "paid"
        assert blocker(application_id) is None
