"""The proof of application: the cover letter PDF, its signed QR code, and who may get it."""

import base64
import io
import json
import logging
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader

from tests import services
from tests.factories import PASSWORD, make_application, make_user
from tests.html import submit
from tests.pdfs import qr_codes_on_page
from webapp import labels, pdf, signing
from webapp.extensions import db
from webapp.models import Application, Bill, Hold, Office, Slot
from webapp.services import proof as proofs

NUMBER = "2611240123456789"
SLOT_START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 1 December 2026, 09.00 WITA
MAX_PDF_BYTES = 100 * 1024


def _office() -> Office:
    office = Office(
        code="kanim-denpasar",
        kind="kanim",
        name="Kantor Imigrasi Kelas I TPI Denpasar",
        address="Jl. D.I. Panjaitan No. 3, Renon",
        city="Denpasar",
        province="Bali",
        latitude=-8.6725,
        longitude=115.2330,
        timezone="Asia/Makassar",
        issues_epassport=True,
        epassport_stock=100,
    )
    db.session.add(office)
    db.session.flush()
    return office


def book(user, *, paid: bool = True, number: str = NUMBER, **answers):
    """An application booked into a 09.00 WITA slot: paid and scheduled, or awaiting payment."""
    application = make_application(user, passport_kind="electronic", validity_years=5, **answers)
    application.number = number
    application.status = "scheduled" if paid else "awaiting_payment"
    office = db.session.query(Office).filter_by(code="kanim-denpasar").one_or_none() or _office()
    slot = Slot(office_id=office.id, starts_at=SLOT_START, lane="regular", capacity=20)
    db.session.add(slot)
    db.session.flush()
    created = datetime.now(UTC) - timedelta(minutes=30)
    hold = Hold(
        slot_id=slot.id,
        application_id=application.id,
        account_id=user.id,
        status="paid" if paid else "held",
        created_at=created,
        expires_at=created + timedelta(hours=2),
    )
    db.session.add(hold)
    db.session.flush()
    bill = Bill(
        hold_id=hold.id,
        application_id=application.id,
        code="812345678901234" if paid else "812345678901235",
        amount=650_000,
        status="paid" if paid else "unpaid",
        created_at=created,
        expires_at=created + timedelta(hours=2),
        paid_at=created + timedelta(minutes=10) if paid else None,
    )
    db.session.add(bill)
    db.session.commit()
    return application


@pytest.fixture
def booked(app):
    """A paid, scheduled application of an Indonesian-speaking account: (email, public_id)."""
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="id")
        return user.email, book(user).public_id


def signed_in(app, email: str):
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def text_of(document: bytes) -> str:
    """The PDF's text with runs of whitespace (line breaks included) as single spaces."""
    reader = PdfReader(io.BytesIO(document))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def document_labels(codes, locale: str) -> list[str]:
    with force_locale(locale):
        return [" ".join(str(labels.DOCUMENTS[code]).split()) for code in codes]


def test_cover_letter_in_indonesian(app, booked):
    email, public_id = booked
    response = signed_in(app, email).get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="bukti-pengajuan-{NUMBER}.pdf"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    document = response.data
    assert document.startswith(b"%PDF-")
    assert len(document) <= MAX_PDF_BYTES
    text = text_of(document)
    for expected in (
        "SITI RAHAYU",  # in capitals, as on the KTP, whatever case was typed
        NUMBER,
        "Jenis paspor Paspor elektronik (e-paspor)",
        "Masa berlaku 5 tahun",
        "Layanan Reguler",
        "Kantor Imigrasi Kelas I TPI Denpasar",
        "Jl. D.I. Panjaitan No. 3, Renon, Denpasar, Bali",
        "Selasa, 1 Desember 2026",
        "09.00 WITA",
        "Rp650.000",
        "30 November 2026",  # the last day to reschedule (H-1)
        "Nomor permohonan",
    ):
        assert expected in text
    with app.app_context():
        codes = ("ktp", "kk", "civil_record")  # an adult's new passport, for tourism
        for label in document_labels(codes, "id"):
            assert label in text
    assert "Kartu Keluarga (family card)" not in text  # the English label


def test_cover_letter_in_english_for_an_english_account(app):
    with app.app_context():
        user = make_user(email="wayan@contoh.id", locale="en")
        public_id = book(user, travel_purpose="umrah").public_id
    response = signed_in(app, "wayan@contoh.id").get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 200
    text = text_of(response.data)
    for expected in (
        "Proof of application",
        "Passport type Electronic (e-paspor)",
        "Validity 5 years",
        "Service Regular",
        "Tuesday, 1 December 2026",
        "09:00 WITA",
        "Rp650,000",
        "KTP (or letter of moving abroad)",
        "Kartu Keluarga (family card)",
        "Birth certificate, marriage book, school diploma or baptism letter",
        "Recommendation letter from the Ministry of Religious Affairs",
        "no later than the day before the appointment: 30 November 2026",
        "the fee is forfeited",
    ):
        assert expected in text
    assert "Desember" not in text


def test_the_qr_code_on_the_page_carries_a_signed_token(app, booked, tmp_path):
    services.require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) missing")

    email, public_id = booked
    client = signed_in(app, email)
    document = client.get(f"/applications/{public_id}/proof.pdf").data
    found = qr_codes_on_page(document, tmp_path)
    assert len(found) == 1, found
    token = found[0].text

    jwk = client.get("/.well-known/mpaspor-proof-keys.json").get_json()["keys"][0]
    payload = signing.verify_token(token, signing.key_from_jwk(jwk))
    assert payload["n"] == NUMBER
    assert payload["o"] == "kanim-denpasar"
    assert payload["t"] == "2026-12-01T01:00:00Z"

    encoded, signature = token.split(".")
    altered = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    altered["t"] = "2026-12-02T01:00:00Z"
    forged = base64.urlsafe_b64encode(json.dumps(altered).encode()).rstrip(b"=").decode()
    with pytest.raises(signing.InvalidToken):
        signing.verify_token(f"{forged}.{signature}", jwk)


def test_the_letter_is_typeset_in_the_embedded_fonts_only(app, booked):
    email, public_id = booked
    document = signed_in(app, email).get(f"/applications/{public_id}/proof.pdf").data
    fonts = set()
    for page in PdfReader(io.BytesIO(document)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object()  # embedded
            fonts.add(str(font["/BaseFont"]).split("+", 1)[1])  # subset prefix, then name
    assert fonts == {"Letter-Sans", "Letter-Sans-Bold"}


def test_pdf_requests_are_limited_per_account(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        public_id = book(user, paid=False).public_id  # a cheap 404: the limit counts it too
    client = signed_in(app, "siti@contoh.id")
    statuses = [client.get(f"/applications/{public_id}/proof.pdf").status_code for _ in range(31)]
    assert statuses == [404] * 30 + [429]


def test_another_account_gets_404(app, booked):
    _, public_id = booked
    with app.app_context():
        make_user(email="made@contoh.id")
    response = signed_in(app, "made@contoh.id").get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(app, booked):
    _, public_id = booked
    response = app.test_client().get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 302
    assert "/login" in response.location


def test_no_proof_before_payment(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id")
        application = book(user, paid=False)
        public_id = application.public_id
        assert proofs.proof_for(application) is None
    response = signed_in(app, "siti@contoh.id").get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 404


def test_no_proof_once_the_application_has_ended(app, booked):
    email, public_id = booked
    with app.app_context():
        application = db.session.query(Application).filter_by(public_id=public_id).one()
        application.status = "no_show"
        db.session.commit()
    response = signed_in(app, email).get(f"/applications/{public_id}/proof.pdf")
    assert response.status_code == 404


def test_published_key_verifies_tokens(app):
    response = app.test_client().get("/.well-known/mpaspor-proof-keys.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=86400" in cache
    keys = response.get_json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519" and keys[0]["kid"]
    assert "d" not in keys[0]  # never the private part
    with app.app_context():
        token = signing.issue_token(NUMBER, "kanim-denpasar", SLOT_START)
    assert signing.verify_token(token, keys[0])["n"] == NUMBER


def test_proof_fragment_shows_the_qr_without_inline_style(app, booked):
    _, public_id = booked
    with app.test_request_context(), force_locale("id"):
        application = db.session.query(Application).filter_by(public_id=public_id).one()
        proof = proofs.proof_for(application)
        html = render_template("apply/_proof.html", application=application, proof=proof)
    assert "<svg" in html and 'class="qr-code"' in html
    assert "style=" not in html and "<style" not in html and "<script" not in html
    assert NUMBER in html
    assert f"/applications/{public_id}/proof.pdf" in html


def test_rendering_logs_no_warnings(app, booked, caplog):
    _, public_id = booked
    with caplog.at_level(logging.WARNING), app.test_request_context():
        application = db.session.query(Application).filter_by(public_id=public_id).one()
        proofs.cover_letter_pdf(application, "id")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


BROKEN = {
    "pdf/missing_font.html": (
        "<style>@font-face { font-family: X; src: url('static/fonts/Missing.ttf'); }"
        "body { font-family: X; }</style><p>Hello</p>"
    ),
    "pdf/outside_static.html": "<img src='webapp/config.py' alt=''>",
    "pdf/climbing_out.html": "<img src='static/../webapp/config.py' alt=''>",
    "pdf/system_file.html": "<img src='file:///etc/hostname' alt=''>",
    "pdf/network.html": "<img src='http://127.0.0.1:9/logo.png' alt=''>",
}


@pytest.mark.parametrize("template", [name.removeprefix("pdf/") for name in BROKEN])
def test_a_missing_or_foreign_asset_is_an_error(app, template):
    app.jinja_env.loader = ChoiceLoader([DictLoader(BROKEN), app.jinja_env.loader])
    with app.test_request_context(), pytest.raises(pdf.PdfAssetError):
        pdf.render_pdf(template)
