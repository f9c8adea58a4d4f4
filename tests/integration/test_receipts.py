"""The receipt (tanda terima) after approval: its text and signed QR code on A4 and on the 80 mm
roll (read at a thermal printer's 203 dpi), the roll's page fitted to its content, the day's list
at the counter, and the applicant's own download."""

import subprocess

from PIL import Image
from pypdf import PdfReader

from tests import journeys
from tests.factories import make_office
from tests.html import csrf_token
from tests.pdfs import qr_codes_on_page
from tests.receipts import approved
from tests.reviews import counter_officer
from tests.staff import make_staff, sign_in_staff
from webapp import signing
from webapp.extensions import db
from webapp.models import Issuance, Office, User
from webapp.services import receipts

THERMAL_DPI = 203  # 8 dots a millimetre: 576 dots across the 72 mm a roll printer prints
MM_PER_INCH = 25.4


def _approved(app, locale: str = "id", **answers) -> dict:
    """An application approved now by an officer of a new office; its ids and people."""
    with app.app_context():
        office = make_office()
        staff = counter_officer(office)
        application = approved(office, staff, full_name="Siti Rahayu", **answers)
        owner = db.session.get(User, application.account_id)
        owner.locale = locale
        db.session.commit()
        return {
            "id": application.id,
            "public_id": application.public_id,
            "number": application.number,
            "office": office.id,
            "office_code": office.code,
            "staff": staff.email,
            "owner": owner.email,
            "collect_from": db.session.get(Issuance, application.id).collect_from,
        }


def _text(document: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(document)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _page_mm(document: bytes, tmp_path) -> tuple[float, float]:
    path = tmp_path / "size.pdf"
    path.write_bytes(document)
    box = PdfReader(path).pages[0].mediabox
    return float(box.width) * MM_PER_INCH / 72, float(box.height) * MM_PER_INCH / 72


def _ink_rows_mm(document: bytes, tmp_path) -> tuple[float, float, float]:
    """The page rasterised at 203 dpi: where ink begins and ends from the top, and the height."""
    (tmp_path / "ink.pdf").write_bytes(document)
    subprocess.run(
        ["pdftoppm", "-r", str(THERMAL_DPI), "-gray", "-singlefile", "ink.pdf", "ink"],
        cwd=tmp_path,
        check=True,
    )
    with Image.open(tmp_path / "ink.pgm") as image:
        width, height = image.size
        pixels = image.load()
        inked = [y for y in range(height) if any(pixels[x, y] < 128 for x in range(0, width, 2))]
    dots = MM_PER_INCH / THERMAL_DPI
    return inked[0] * dots, (inked[-1] + 1) * dots, height * dots


def _payload(app, token: str) -> dict:
    with app.app_context():
        return signing.verify_token(token, signing.public_key_jwk())


def _render(app, ids: dict, paper: str, locale: str | None = None) -> bytes:
    with app.test_request_context():
        application = receipts.of_office(ids["office"], ids["id"])
        return receipts.receipt_pdf(application, paper, locale)


def test_the_a4_receipt_names_the_collection_and_carries_a_signed_receipt_qr(app, tmp_path):
    ids = _approved(app)
    document = _render(app, ids, "a4")
    assert document.startswith(b"%PDF-") and len(document) < 60 * 1024
    width, height = _page_mm(document, tmp_path)
    assert (round(width), round(height)) == (210, 297)
    text = _text(document, tmp_path)
    with app.test_request_context():
        collect_day = ids["collect_from"]
        months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
        months += ["September", "Oktober", "November", "Desember"]
        long_day = f"{collect_day.day} {months[collect_day.month - 1]} {collect_day.year}"
    for expected in (
        "Tanda terima",
        "SITI RAHAYU",
        ids["number"],
        "Paspor elektronik",
        "10 tahun",
        long_day,
        "08.00–15.00 WITA",
        "Kantor Imigrasi Kelas I Khusus TPI Makassar",
        "Jl. Perintis Kemerdekaan Km. 13",
        "Kartu Keluarga",
        "surat kuasa",
        "30 hari",
    ):
        assert expected in text, expected
    codes = qr_codes_on_page(document, tmp_path)
    assert len(codes) == 1
    payload = _payload(app, codes[0].text)
    assert (payload["n"], payload["o"], payload["k"]) == (
        ids["number"],
        ids["office_code"],
        signing.RECEIPT,
    )


def test_the_roll_receipt_is_80_mm_wide_as_tall_as_its_content_and_read_at_203_dpi(app, tmp_path):
    ids = _approved(app)
    document = _render(app, ids, "roll")
    assert len(document) < 60 * 1024
    width, height = _page_mm(document, tmp_path)
    assert abs(width - 80) < 0.3
    top, bottom, raster_height = _ink_rows_mm(document, tmp_path)
    assert abs(raster_height - height) < 0.5
    # The white border is 4 mm on top and 3 mm below: no blank paper fed after the last line.
    assert 3 < top < 6 and 2 < raster_height - bottom < 5
    assert 120 < height < 400
    codes = qr_codes_on_page(document, tmp_path, dpi=THERMAL_DPI)
    assert len(codes) == 1 and _payload(app, codes[0].text)["k"] == signing.RECEIPT
    text = _text(document, tmp_path)
    assert "SITI RAHAYU" in text and ids["number"] in text and "30 hari" in text


def test_the_receipt_speaks_the_applicants_language_whoever_prints_it(app, tmp_path):
    ids = _approved(app, locale="en")
    text = _text(_render(app, ids, "roll"), tmp_path)
    assert "Receipt" in text and "Collect it within 30 days" in text
    assert "08:00–15:00 WITA" in text
    assert "Tanda terima" not in text
    staff = sign_in_staff(app, ids["staff"])  # an officer reading Indonesian
    printed = staff.get(f"/counter/receipts/{ids['id']}.pdf?paper=a4")
    assert "Collect it within 30 days" in _text(printed.data, tmp_path)


def test_the_day_lists_todays_approvals_with_both_papers_and_prints_one(app, tmp_path):
    ids = _approved(app)
    staff = sign_in_staff(app, ids["staff"])
    page = staff.get("/counter/receipts")
    assert page.status_code == 200
    assert ids["number"] in page.text and "SITI RAHAYU" in page.text
    for paper in ("a4", "roll"):
        link = f"/counter/receipts/{ids['id']}.pdf?paper={paper}"
        assert link in page.text.replace("&amp;", "&")
        response = staff.get(link)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert ids["number"] in _text(response.data, tmp_path)
    odd = staff.get(f"/counter/receipts/{ids['id']}.pdf?paper=a3", follow_redirects=True)
    assert "A4 atau gulungan 80 mm" in odd.text


def test_another_offices_staff_find_neither_the_receipt_nor_the_row(app):
    ids = _approved(app)
    with app.app_context():
        stranger = make_staff(make_office()).email
    other = sign_in_staff(app, stranger)
    assert other.get(f"/counter/receipts/{ids['id']}.pdf?paper=a4").status_code == 404
    assert other.get(f"/counter/receipts/{ids['id'] + 10_000}.pdf").status_code == 404
    assert other.get(f"/counter/receipts/{2**40}.pdf").status_code == 404
    assert ids["number"] not in other.get("/counter/receipts").text


def test_an_application_not_approved_has_no_receipt_said_plainly(app):
    ids = _approved(app)
    with app.app_context():
        office = db.session.get(Office, ids["office"])
        staff = counter_officer(office, counter=3)
        from tests.reviews import in_service

        waiting = in_service(office, staff).application_id
        email = staff.email
    client = sign_in_staff(app, email)
    response = client.get(f"/counter/receipts/{waiting}.pdf?paper=a4", follow_redirects=True)
    assert response.status_code == 200
    assert "belum disetujui" in response.text or "tidak disetujui" in response.text
    page = client.get("/counter/receipts").text
    assert f"/counter/receipts/{waiting}.pdf" not in page


def test_the_applicant_downloads_their_own_receipt_and_nobody_elses(app, tmp_path):
    ids = _approved(app)
    owner = journeys.sign_in(app, ids["owner"])
    overview = owner.get(f"/applications/{ids['public_id']}").text
    assert f"/applications/{ids['public_id']}/receipt.pdf" in overview
    assert "Unduh tanda terima" in overview and "08.00–15.00 WITA" in overview
    downloaded = owner.get(f"/applications/{ids['public_id']}/receipt.pdf")
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
    assert _page_mm(downloaded.data, tmp_path) == _page_mm(_render(app, ids, "a4"), tmp_path)
    assert ids["number"] in _text(downloaded.data, tmp_path)
    others = _approved(app)
    stranger = journeys.sign_in(app, others["owner"])
    assert stranger.get(f"/applications/{ids['public_id']}/receipt.pdf").status_code == 404


def test_an_applicant_not_yet_approved_is_told_the_receipt_comes_later(app):
    owner = journeys.bookable(app, journeys.open_office(app)).hold().pay()
    response = owner.client.get(
        f"/applications/{owner.public_id}/receipt.pdf", follow_redirects=True
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Unduh tanda terima" not in owner.client.get(f"/applications/{owner.public_id}").text
    token = csrf_token(owner.client.get(f"/applications/{owner.public_id}"))
    assert token  # the overview still renders a whole page with its forms
