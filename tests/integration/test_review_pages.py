"""The counter's service page and the applicant's side of the decision, through the web: the
uploads shown inside the page, the decisions posted as forms, the owed documents uploaded by the
applicant, the proof of rejection printed and downloaded, the mails."""

import io
import subprocess

from sqlalchemy import select, update

from tests import journeys
from tests.factories import jpeg_bytes, make_office
from tests.html import csrf_token
from tests.reviews import counter_officer, in_service
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Review, User
from webapp.rules import statuses
from webapp.services import documents


def _serving(app):
    """An officer's client with an applicant in service at their counter; ids and emails."""
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        visit = in_service(office, staff)
        application = db.session.get(Application, visit.application_id)
        codes = [code for code, _d in documents.required_items(application)]
        ids = {
            "visit": visit.id,
            "application": application.id,
            "public_id": application.public_id,
            "applicant": db.session.get(User, application.account_id).email,
            "office": office.id,
            "codes": codes,
        }
        email = staff.email
    return sign_in_staff(app, email), ids


def _post(client, path: str, data: dict | None = None, **kwargs):
    token = csrf_token(client.get("/counter/desk"))
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def _status(app, application_id: int) -> str:
    with app.app_context():
        return db.session.get(Application, application_id).status


def test_the_desk_links_the_page_which_shows_each_upload_inline(app):
    client, ids = _serving(app)
    page_path = f"/counter/service/{ids['visit']}"
    assert page_path in client.get("/counter/desk").text
    page = client.get(page_path)
    assert page.status_code == 200
    with app.app_context():
        document_id = (
            db.session.scalars(select(Application).filter_by(id=ids["application"]))
            .one()
            .documents[0]
            .id
        )
    assert f"/counter/documents/{document_id}" in page.text
    shown = client.get(f"/counter/documents/{document_id}")
    assert shown.status_code == 200
    assert shown.headers["Content-Disposition"] == "inline"
    assert shown.mimetype == "image/jpeg"


def test_another_offices_staff_find_neither_the_page_nor_its_uploads(app):
    _client, ids = _serving(app)
    with app.app_context():
        stranger = make_staff(make_office()).email
        document_id = db.session.get(Application, ids["application"]).documents[0].id
    other = sign_in_staff(app, stranger)
    assert other.get(f"/counter/service/{ids['visit']}").status_code == 404
    assert other.get(f"/counter/documents/{document_id}").status_code == 404
    approve = _post(other, f"/counter/service/{ids['visit']}/approve")
    assert approve.status_code == 404
    assert _status(app, ids["application"]) == statuses.IN_REVIEW


def test_interview_notes_full_of_html_are_shown_as_text(app):
    client, ids = _serving(app)
    notes = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _post(client, f"/counter/service/{ids['visit']}/interview", {"notes": notes})
    _post(client, f"/counter/service/{ids['visit']}/reject", {"reason": "false_data"})
    page = client.get(f"/counter/service/{ids['visit']}").text
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    applicant = journeys.sign_in(app, ids["applicant"])
    assert "alert(" not in applicant.get(f"/applications/{ids['public_id']}").text


def test_judged_captured_and_approved_through_the_page_and_mailed(app, mailbox):
    client, ids = _serving(app)
    base = f"/counter/service/{ids['visit']}"
    refused = _post(client, f"{base}/approve", follow_redirects=True)
    assert "Bandingkan setiap dokumen" in refused.text or "Compare every" in refused.text
    for code in ids["codes"]:
        _post(client, f"{base}/judge", {"code": code, "verdict": "matches"})
    _post(client, f"{base}/capture", {"photo_ref": "CAP-01", "fingerprints_ref": "CAP-01"})
    _post(client, f"{base}/approve")
    assert _status(app, ids["application"]) == statuses.APPROVED
    again = _post(client, f"{base}/approve", follow_redirects=True)
    assert again.status_code == 200 and _status(app, ids["application"]) == statuses.APPROVED
    assert mailbox.last(ids["applicant"])["Subject"] == "Permohonan paspor Anda disetujui"
    receipt = f"/counter/receipts/{ids['application']}.pdf?paper=roll"
    assert receipt in again.text  # the receipt is printed from the decision
    assert client.get(receipt).headers["Content-Type"] == "application/pdf"


def test_a_rejection_without_a_reason_is_refused_beside_the_form(app):
    client, ids = _serving(app)
    response = _post(client, f"/counter/service/{ids['visit']}/reject", {"note": "x"})
    assert response.status_code == 422
    assert _status(app, ids["application"]) == statuses.IN_REVIEW


def test_too_long_interview_notes_are_refused_in_indonesian_and_kept_in_the_field(app):
    client, ids = _serving(app)
    notes = "Pemohon menjawab dengan jelas. " * 200
    response = _post(client, f"/counter/service/{ids['visit']}/interview", {"notes": notes})
    assert response.status_code == 422
    assert "Gunakan paling banyak" in response.text
    assert "Field cannot be longer" not in response.text
    assert notes.strip() in response.text


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "rejection.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_the_proof_of_rejection_is_printed_at_the_counter_and_downloaded(app, mailbox, tmp_path):
    client, ids = _serving(app)
    base = f"/counter/service/{ids['visit']}"
    notes = "catatan rahasia petugas"
    _post(client, f"{base}/interview", {"notes": notes})
    _post(client, f"{base}/reject", {"reason": "not_original", "note": "KTP fotokopi"})
    assert _status(app, ids["application"]) == statuses.REJECTED
    printed = client.get(f"{base}/rejection.pdf")
    assert printed.mimetype == "application/pdf"
    text = _pdf_text(printed.data, tmp_path)
    assert "Surat penolakan" in text or "SURAT PENOLAKAN" in text.upper()
    assert "Dokumen tidak asli" in text and "KTP fotokopi" in text and notes not in text
    applicant = journeys.sign_in(app, ids["applicant"])
    overview = applicant.get(f"/applications/{ids['public_id']}").text
    assert f"/applications/{ids['public_id']}/rejection.pdf" in overview
    downloaded = applicant.get(f"/applications/{ids['public_id']}/rejection.pdf")
    assert downloaded.mimetype == "application/pdf"
    mail = mailbox.text(mailbox.last(ids["applicant"]))
    assert "Dokumen tidak asli" in mail


def test_owed_documents_are_uploaded_by_the_applicant_until_the_deadline(app, mailbox):
    client, ids = _serving(app)
    owed = ids["codes"][0]
    _post(client, f"/counter/service/{ids['visit']}/incomplete", {"owed": [owed]})
    assert _status(app, ids["application"]) == statuses.INCOMPLETE
    mail = mailbox.last(ids["applicant"])
    assert mail["Subject"] == "Dokumen diperlukan untuk permohonan paspor Anda"
    assert "Unggah di halaman permohonan sebelum" in mailbox.text(mail)
    applicant = journeys.sign_in(app, ids["applicant"])
    overview_path = f"/applications/{ids['public_id']}"
    overview = applicant.get(overview_path)
    upload_path = f"{overview_path}/documents/{owed}"
    assert upload_path in overview.text
    token = csrf_token(overview)
    file = {"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()), "ktp.jpg")}
    assert applicant.post(upload_path, data=file).status_code == 302
    assert client.get("/counter/returned").status_code == 200
    with app.app_context():
        db.session.execute(update(Review).values(owed_until=clock.now()))
        db.session.commit()
        uploaded_at = db.session.get(Application, ids["application"]).documents[0].uploaded_at
    late = {"csrf_token": token, "file": (io.BytesIO(jpeg_bytes()), "ktp.jpg")}
    refused = applicant.post(upload_path, data=late, follow_redirects=True)
    assert "tenggat" in refused.text.lower() or "deadline" in refused.text.lower()
    with app.app_context():
        document = db.session.get(Application, ids["application"]).documents[0]
        assert document.uploaded_at == uploaded_at
    resumed = _post(client, f"/counter/returned/{ids['application']}/resume")
    assert resumed.status_code == 302
    assert _status(app, ids["application"]) == statuses.IN_REVIEW
