"""The counter's service in a real browser at the counter desktop (1280x800): the officer calls a
checked-in applicant, serves them on the service page (each upload beside its original, photo
and fingerprints, the interview, the travel-ban list) and approves; the applicant's history then
says so."""

import pytest
from playwright.sync_api import expect

from tests.checkins import open_all_day, paid
from tests.e2e.desk import sign_in_at_the_desk
from tests.factories import jpeg_bytes
from tests.journeys import sign_in
from tests.staff import make_staff
from webapp.extensions import db
from webapp.models import Application, User
from webapp.services import checkin, documents, proof

NOTE = "Tujuan <b>x</b> untuk umrah"


@pytest.fixture
def waiting_applicant(live_server):
    """An applicant with a paid booking for this hour, every required document uploaded, checked
    in by their QR code; and the officer who checked them in, with no counter open yet."""
    with live_server.app.app_context():
        office = open_all_day()
        staff = make_staff(office, full_name="Andi Pratama")
        application = paid(office)
        checkin.check_in(staff, proof.proof_for(application).token)
        application = db.session.get(Application, application.id)
        required = documents.required_items(application)
        for code, _document in required:
            documents.upload(application, code, jpeg_bytes())
        return {
            "public_id": application.public_id,
            "applicant_email": db.session.get(User, application.account_id).email,
            "staff_email": staff.email,
            "documents": len(required),
        }


def test_an_officer_calls_serves_and_approves_at_the_counter(
    live_server, desktop, waiting_applicant, tmp_path
):
    app = live_server.app
    counter = desktop()
    sign_in_at_the_desk(counter, app, waiting_applicant["staff_email"])

    counter.goto("/counter/desk")
    counter.fill("#counter_number", "2")
    counter.get_by_role("button", name="Buka loket ini").click()
    counter.locator("#desk-panel").wait_for()
    counter.keyboard.press("n")  # Call next
    counter.locator(".desk-ticket").get_by_text("A001").wait_for()
    counter.keyboard.press("s")  # Start service
    counter.get_by_text("sedang dilayani").wait_for()
    counter.get_by_role("link", name="Buka halaman layanan").click()
    counter.wait_for_url("**/counter/service/*")
    assert "Rp" in counter.locator(".summary dd").nth(2).inner_text()  # the fee paid

    # Each upload is shown full size inside the page, not offered as a download.
    images = counter.locator("img.review-image")
    assert images.count() == waiting_applicant["documents"]
    for index in range(images.count()):
        image = images.nth(index)
        counter.wait_for_function(
            "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
        )
        assert image.evaluate("image => image.naturalWidth") == 1600  # the upload, not a thumbnail
    counter.screenshot(path=str(tmp_path / "service.png"))

    # An upload opens at its own size over the page, and closes back to where it was.
    counter.locator(".review-zoom").first.click()
    full = counter.locator(".review-full:target img")
    expect(full).to_be_visible()
    counter.screenshot(path=str(tmp_path / "full-size.png"))
    counter.locator(".review-full:target").get_by_role("link", name="Tutup").click()
    expect(full).to_have_count(0)

    judged = counter.locator(".review-verdict > p", has_text="Sesuai dengan asli")
    for index in range(waiting_applicant["documents"]):
        section = counter.locator(".review-document").nth(index)
        section.get_by_label("Sesuai dengan asli").check()
        section.get_by_role("button", name="Catat").click()
        expect(judged).to_have_count(index + 1)  # the page came back with this judgement
    counter.get_by_text("Hasil perbandingan dicatat.").wait_for()

    counter.get_by_label("Foto: referensi").fill("CAP-01/0042")
    counter.get_by_label("Sidik jari: referensi").fill("CAP-01/0043")
    counter.get_by_role("button", name="Catat pengambilan").click()
    counter.get_by_text("Foto dan sidik jari dicatat.").wait_for()
    assert "foto CAP-01/0042, sidik jari CAP-01/0043" in counter.inner_text("main")

    counter.get_by_label("Catatan wawancara (hanya petugas)").fill(NOTE)
    counter.get_by_role("button", name="Simpan catatan").click()
    counter.get_by_text("Catatan wawancara disimpan.").wait_for()
    # Saved notes come back in the box, so that saving again keeps them.
    expect(counter.get_by_label("Catatan wawancara (hanya petugas)")).to_have_value(NOTE)

    # The check queued at the start of the service has run in-process: the list answers clear.
    panel = counter.locator("#screening-panel")
    panel.get_by_text("Bersih: tidak tercantum dalam daftar pencegahan").wait_for()
    counter.screenshot(path=str(tmp_path / "ready.png"), full_page=True)

    counter.get_by_role("button", name="Setujui", exact=True).click()
    counter.get_by_text("Permohonan disetujui.").wait_for()
    assert counter.locator(".summary dd").first.inner_text() == "Disetujui"
    notes = counter.locator("p.notes")
    assert notes.inner_text() == NOTE  # the markup is shown as text, never rendered
    assert notes.locator("b").count() == 0
    counter.screenshot(path=str(tmp_path / "approved.png"), full_page=True)

    applicant = sign_in(app, waiting_applicant["applicant_email"])
    page = applicant.get(f"/applications/{waiting_applicant['public_id']}").text
    history = page.split('<ol class="history">')[1].split("</ol>")[0]
    latest = history.split("<li>")[-1].split("</li>")[0]
    assert ": Disetujui: paspor dapat diambil mulai " in latest  # with its collection date
    assert "WITA" in latest
    assert "umrah" not in page  # the interview notes stay with the staff
