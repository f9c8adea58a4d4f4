"""The collection desk: a receipt's QR code (or the number typed) finds a passport ready for
pickup at this office; the handover records who collected it (the applicant with an ID shown, a
family member on the same KK, an attorney), moves the application to collected, is audited and
mailed. Everything else is refused plainly, and nothing is half-written."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import Mailbox
from tests.factories import make_office
from tests.html import csrf_token
from tests.issuances import approved, ready
from tests.reviews import counter_officer
from tests.staff import make_staff, sign_in_staff
from webapp import clock, signing
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Handover, Issuance, Office, User
from webapp.rules import statuses
from webapp.services import issuance, lifecycle

FAMILY_NIK = "5104070507800002"  # a man born 5 July 1980 in district 51.04.07
ATTORNEY_NIK = "7371124203850001"  # a woman born 2 March 1985 in Makassar


def _status(application_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Application, application_id).status


def _receipt(application: Application, office_code: str) -> str:
    return signing.issue_token(application.number, office_code, clock.now(), kind=signing.RECEIPT)


@pytest.fixture
def desk(app):
    """A passport ready for pickup at an office, and a signed-in officer of its collection desk."""
    with app.app_context():
        office = make_office(code="kanim-denpasar", name="Kantor Imigrasi Denpasar")
        officer = counter_officer(office)
        application = ready(office, officer, full_name="Ni Luh Putu Ayu")
        desk_officer = make_staff(office, full_name="Wayan Petugas")
        values = (application.id, application.number, _receipt(application, office.code))
        email = desk_officer.email
    return sign_in_staff(app, email), *values


def _scan(client, scanned: str, **headers):
    token = csrf_token(client.get("/counter/collection"))
    return client.post(
        "/counter/collection", data={"csrf_token": token, "scanned": scanned}, headers=headers
    )


def _hand_over(client, application_id: int, **fields):
    page = client.get(f"/counter/collection/{application_id}")
    data = {"csrf_token": csrf_token(page), **fields}
    return client.post(f"/counter/collection/{application_id}", data=data)


COLLECTORS = {
    "applicant": ({"collector": "applicant", "identity_document": "KTP 5104075111970004"}, None),
    "family": (
        {
            "collector": "family",
            "full_name": "I Made Suarta",
            "nik": "5104 0705 0780 0002",
            "relationship": "spouse",
            "identity_document": "KTP 5104070507800002",
        },
        ("I Made Suarta", FAMILY_NIK, "spouse", None),
    ),
    "attorney": (
        {
            "collector": "attorney",
            "full_name": "Andi Rahmawati",
            "nik": ATTORNEY_NIK,
            "identity_document": "KTP 7371124203850001",
            "letter_note": "Surat kuasa 28 November 2026, bermeterai, ditandatangani pemohon",
        },
        ("Andi Rahmawati", ATTORNEY_NIK, None, "Surat kuasa 28 November 2026"),
    ),
}


@pytest.mark.parametrize("kind", list(COLLECTORS))
def test_each_collector_is_recorded_audited_and_mailed(app, desk, kind):
    client, application_id, number, _token = desk
    found = _scan(client, number)
    assert found.status_code == 302
    assert found.location == f"/counter/collection/{application_id}"
    page = client.get(found.location)
    assert "Ni Luh Putu Ayu" in page.text and "Serahkan paspor" in page.text
    fields, expected = COLLECTORS[kind]
    done = _hand_over(client, application_id, **fields)
    assert done.status_code == 302 and done.location == "/counter/collection"
    assert "sudah diserahkan kepada" in client.get(done.location).text
    with app.app_context():
        assert _status(application_id) == statuses.COLLECTED
        handover = db.session.get(Handover, application_id)
        assert handover.collector == kind
        assert handover.identity_document == fields["identity_document"]
        officer = db.session.get(User, handover.handed_by)
        assert officer.full_name == "Wayan Petugas"
        if expected is None:
            assert handover.collector_name == "Ni Luh Putu Ayu"  # the applicant's own
            assert handover.collector_nik is None
        else:
            name, nik, relationship, letter = expected
            assert (handover.collector_name, handover.collector_nik) == (name, nik)
            assert handover.relationship == relationship
            assert (handover.letter_note or "").startswith(letter or "")
        move = db.session.scalars(
            select(AuditEntry).filter_by(
                application_id=application_id, to_status=statuses.COLLECTED
            )
        ).one()
        assert move.from_status == statuses.READY_FOR_PICKUP
        assert move.actor_id == officer.id
        assert move.reason.startswith("collected by") and handover.collector_name in move.reason
        assert FAMILY_NIK not in move.reason and ATTORNEY_NIK not in move.reason
        account_email = db.session.get(
            User, db.session.get(Application, application_id).account_id
        ).email
    message = Mailbox(app).last(account_email)
    assert message["Subject"] == "Paspor Anda sudah diambil"
    assert handover.collector_name in Mailbox.text(message)


def test_the_receipt_s_qr_code_finds_the_passport(desk):
    client, application_id, _number, token = desk
    found = _scan(client, token)
    assert found.location == f"/counter/collection/{application_id}"


def test_htmx_is_sent_to_the_handover_page_and_given_a_refusal_in_place(desk):
    client, application_id, number, _token = desk
    headers = {"HX-Request": "true", "HX-Target": "scan-answer"}
    found = _scan(client, number, **headers)
    assert found.headers["HX-Redirect"] == f"/counter/collection/{application_id}"
    refused = _scan(client, "1234", **headers)
    assert refused.status_code == 422
    assert refused.text.strip().startswith('<div id="scan-answer"')
    assert "Nomor permohonan terdiri dari 16 angka." in refused.text


def test_a_receipt_of_another_office_is_refused_with_that_office(app, desk):
    client, *_ = desk
    with app.app_context():
        other = make_office(code="kanim-makassar", name="Kantor Imigrasi Makassar")
        elsewhere = ready(other, counter_officer(other))
        token = _receipt(elsewhere, other.code)
        number = elsewhere.number
    refused = _scan(client, token)
    assert refused.status_code == 422
    assert "Tanda terima ini milik kantor lain (Kantor Imigrasi Makassar)" in refused.text
    # The number typed answers as for one that does not exist.
    assert "Tidak ada permohonan di kantor ini" in _scan(client, number).text


def test_a_proof_of_application_or_a_forged_code_is_not_a_receipt(app, desk):
    client, _id, number, token = desk
    with app.app_context():
        proof = signing.issue_token(number, "kanim-denpasar", clock.now())
    assert "bukan dari tanda terima" in _scan(client, proof).text
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert "bukan tanda terima M-Paspor yang sah" in _scan(client, forged).text


def test_a_collection_before_ready_is_refused_with_the_status(app, desk):
    client, *_ = desk
    with app.app_context():
        desk_officer = db.session.scalar(select(User).filter_by(full_name="Wayan Petugas"))
        office = db.session.get(Office, desk_officer.office_id)
        early = approved(office, counter_officer(office, counter=3))
        early_id, early_number = early.id, early.number
    refused = _scan(client, early_number)
    assert refused.status_code == 422
    assert "Paspor belum siap diambil" in refused.text and "Disetujui" in refused.text
    answer = _hand_over(
        client, early_id, collector="applicant", identity_document="KTP 5104075111970004"
    )
    assert answer.location == f"/counter/collection/{early_id}"
    shown = client.get(answer.location).text
    assert "Paspor belum siap diambil" in shown and "Serahkan paspor</button>" not in shown
    with app.app_context():
        assert _status(early_id) == statuses.APPROVED
        assert db.session.get(Handover, early_id) is None


def test_a_second_collection_is_refused_saying_when_and_by_whom(app, desk):
    client, application_id, number, _token = desk
    fields = COLLECTORS["family"][0]
    _hand_over(client, application_id, **fields)
    again = _scan(client, number)
    assert again.status_code == 422
    assert "Paspor ini sudah diambil." in again.text
    assert "oleh I Made Suarta" in again.text
    page = client.get(f"/counter/collection/{application_id}")
    assert "Serahkan paspor</button>" not in page.text and "Wayan Petugas" in page.text
    with app.app_context():
        desk_officer = db.session.scalar(select(User).filter_by(full_name="Wayan Petugas"))
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.collect(
                desk_officer, application_id, "applicant", None, None, None, "KTP", None
            )
        assert refused.value.code == "already_collected"
        assert len(db.session.scalars(select(Handover)).all()) == 1


def test_the_database_keeps_one_handover_per_application(app, desk):
    _client, application_id, *_ = desk
    with app.app_context():
        desk_officer = db.session.scalar(select(User).filter_by(full_name="Wayan Petugas"))
        for name in ("Pertama", "Kedua"):
            db.session.add(
                Handover(
                    application_id=application_id,
                    collector="applicant",
                    collector_name=name,
                    identity_document="KTP",
                    handed_by=desk_officer.id,
                )
            )
            if name == "Pertama":
                db.session.commit()
        with pytest.raises(Exception, match="(?i)unique|duplicate|identity"):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("51040705078000", "NIK terdiri dari 16 angka."),
        ("9904070507800002", "Dua angka pertama bukan kode provinsi di Indonesia."),
        ("5104073207800002", "Angka ke-7 sampai ke-12 bukan tanggal lahir yang benar."),
    ],
)
def test_a_family_collector_with_a_malformed_nik_is_told_in_indonesian(app, desk, nik, message):
    client, application_id, *_ = desk
    fields = {**COLLECTORS["family"][0], "nik": nik}
    answer = _hand_over(client, application_id, **fields)
    assert answer.status_code == 422
    assert message in answer.text
    with app.app_context():
        assert _status(application_id) == statuses.READY_FOR_PICKUP
        assert db.session.get(Handover, application_id) is None


def test_what_each_collector_needs_is_asked_for(app, desk):
    client, application_id, *_ = desk
    family = _hand_over(client, application_id, collector="family")
    assert family.status_code == 422
    text = family.text
    assert "Nama lengkap pengambil" in text and "Pilih hubungan anggota keluarga" in text
    attorney = _hand_over(
        client, application_id, collector="attorney", full_name="Andi", nik=ATTORNEY_NIK
    )
    assert "Catat surat kuasanya." in attorney.text
    with app.app_context():
        assert _status(application_id) == statuses.READY_FOR_PICKUP


def test_the_service_refuses_what_the_form_would_have_refused(app, desk):
    _client, application_id, *_ = desk
    with app.app_context():
        officer = db.session.scalar(select(User).filter_by(full_name="Wayan Petugas"))
        cases = {
            "unknown_collector": ("courier", "Budi", None, None, "KTP", None),
            "identity_missing": ("applicant", None, None, None, " ", None),
            "bad_nik": ("family", "Budi", "1234", "spouse", "KTP", None),
            "relationship_missing": ("family", "Budi", FAMILY_NIK, "neighbour", "KTP", None),
            "letter_missing": ("attorney", "Budi", FAMILY_NIK, None, "KTP", ""),
        }
        for code, arguments in cases.items():
            with pytest.raises(issuance.IssuanceRefused) as refused:
                issuance.collect(officer, application_id, *arguments)
            assert refused.value.code == code
        assert _status(application_id) == statuses.READY_FOR_PICKUP


def test_an_uncollected_passport_is_refused(app, desk):
    client, application_id, number, _token = desk
    with app.app_context():
        application = db.session.get(Application, application_id)
        lifecycle.transition(application, statuses.UNCOLLECTED, actor_id=None)
        db.session.commit()
    refused = _scan(client, number)
    assert "tidak diambil dalam 30 hari dan dibatalkan" in refused.text


def test_a_passport_past_its_30_days_is_refused_before_the_sweep_has_run(app, desk):
    client, application_id, number, _token = desk
    with app.app_context():
        issuance_row = db.session.get(Issuance, application_id)
        issuance_row.ready_since = clock.now() - timedelta(days=30, minutes=1)
        db.session.commit()
        office_id = db.session.get(Application, application_id).office_id
        officer = make_staff(db.session.get(Office, office_id))
        with pytest.raises(issuance.IssuanceRefused) as refused:
            issuance.collect(officer, application_id, "applicant", None, None, None, "KTP", None)
        assert refused.value.code == "uncollected"
    assert "tidak diambil dalam 30 hari dan dibatalkan" in _scan(client, number).text
    with app.app_context():
        assert _status(application_id) == statuses.READY_FOR_PICKUP  # the sweep ends it


def test_another_offices_staff_find_nothing(app, desk):
    _client, application_id, number, _token = desk
    with app.app_context():
        stranger = make_staff(make_office())
        email = stranger.email
    client = sign_in_staff(app, email)
    assert client.get(f"/counter/collection/{application_id}").status_code == 404
    token = csrf_token(client.get("/counter/collection"))
    posted = client.post(
        f"/counter/collection/{application_id}",
        data={"csrf_token": token, "collector": "applicant", "identity_document": "KTP"},
    )
    assert posted.status_code == 404
    assert "Tidak ada permohonan di kantor ini" in _scan(client, number).text
    with app.app_context():
        assert _status(application_id) == statuses.READY_FOR_PICKUP


def test_a_forged_choice_is_answered_in_indonesian(app, desk):
    client, application_id, *_ = desk
    answer = _hand_over(
        client, application_id, collector="courier", identity_document="KTP", relationship="x"
    )
    assert answer.status_code == 422
    assert "Pilih siapa yang mengambil paspor." in answer.text
    assert "Pilih hubungan anggota keluarga dengan pemohon." in answer.text
    assert "Not a valid choice" not in answer.text
