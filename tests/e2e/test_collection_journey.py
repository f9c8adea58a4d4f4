"""Printing and the collection desk in a real browser at the office's desktop (1280x800): an
officer marks an approved e-passport printed (the office's blank stock goes down by one) and
ready, then at the collection desk types the application number as a scanner would and hands
the passport over to a family member on the same Kartu Keluarga."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.desk import sign_in_at_the_desk
from tests.factories import make_office
from tests.issuances import approved
from tests.reviews import counter_officer
from tests.staff import make_staff
from webapp.extensions import db
from webapp.models import Application, Handover, User
from webapp.rules import statuses
from webapp.services import issuance

DESKTOP = {"width": 1280, "height": 800}  # the counter's PC, as the `desktop` fixture opens it


@pytest.fixture
def approved_passport(live_server):
    with live_server.app.app_context():
        office = make_office(epassport_stock=12)
        officer = counter_officer(office)
        application = approved(
            office, officer, passport_kind="electronic", full_name="Ni Luh Putu Ayu"
        )
        desk_officer = make_staff(office, full_name="Wayan Petugas")
        return {
            "id": application.id,
            "number": application.number,
            "staff_email": desk_officer.email,
        }


def test_an_officer_prints_marks_ready_and_hands_over_to_a_family_member(
    live_server, desktop, approved_passport, tmp_path
):
    app = live_server.app
    number = approved_passport["number"]
    page = desktop()
    sign_in_at_the_desk(page, app, approved_passport["staff_email"])

    page.goto("/counter/passports")
    expect(page.locator(".stock-count")).to_have_text("12")
    row = page.locator("#print-list tr", has_text=number)
    expect(row).to_contain_text("Ni Luh Putu Ayu")
    page.screenshot(path=str(tmp_path / "passports-to-print.png"), full_page=True)
    row.get_by_role("button", name="Tandai sudah dicetak").click()
    expect(page.locator(".notice-success")).to_contain_text(f"Paspor permohonan {number}")
    expect(page.locator(".stock-count")).to_have_text("11")
    page.locator("#ready-list tr", has_text=number).get_by_role(
        "button", name="Tandai siap diambil"
    ).click()
    expect(page.locator(".notice-success")).to_contain_text("siap diambil")
    page.screenshot(path=str(tmp_path / "passports-ready.png"), full_page=True)

    # The collection desk: the field has the focus, a scanner types and presses Enter.
    page.goto("/counter/collection")
    expect(page.locator("#scanned")).to_be_focused()
    page.keyboard.type(f"{number[:4]}-{number[4:8]} {number[8:]}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/counter/collection/{approved_passport['id']}")
    expect(page.locator(".handover-name")).to_have_text("Ni Luh Putu Ayu")
    page.screenshot(path=str(tmp_path / "handover.png"), full_page=True)

    page.get_by_label("Anggota keluarga dalam Kartu Keluarga yang sama").check()
    page.get_by_label("Kartu identitas yang ditunjukkan pengambil").fill("KTP 5104070507800002")
    page.get_by_label("Nama lengkap pengambil").fill("I Made Suarta")
    page.get_by_label("NIK pengambil").fill("5104 0705 0780 000")  # one digit short
    page.get_by_label("Hubungan dengan pemohon").select_option("spouse")
    page.get_by_role("button", name="Serahkan paspor").click()
    expect(page.locator(".error-summary")).to_contain_text("NIK terdiri dari 16 angka.")
    page.screenshot(path=str(tmp_path / "handover-bad-nik.png"), full_page=True)
    page.get_by_label("NIK pengambil").fill("5104 0705 0780 0002")
    page.get_by_role("button", name="Serahkan paspor").click()
    page.wait_for_url("**/counter/collection")
    expect(page.locator(".notice-success")).to_contain_text("I Made Suarta")

    # The same passport scanned again is refused beside the field, saying by whom.
    page.locator("#scanned").fill(number)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-answer")).to_contain_text("Paspor ini sudah diambil.")
    expect(page.locator("#scan-answer")).to_contain_text("I Made Suarta")
    expect(page.locator("#scanned")).to_be_focused()
    page.screenshot(path=str(tmp_path / "collection-refused.png"), full_page=True)

    with app.app_context():
        application = db.session.get(Application, approved_passport["id"])
        assert application.status == statuses.COLLECTED
        handover = db.session.get(Handover, application.id)
        assert (handover.collector, handover.relationship) == ("family", "spouse")


def test_without_javascript_the_desk_still_finds_and_hands_over(
    browser, live_server, approved_passport, tmp_path
):
    app = live_server.app
    with app.app_context():
        officer = db.session.scalar(select(User).filter_by(email=approved_passport["staff_email"]))
        issuance.mark_printed(officer, approved_passport["id"])
        issuance.mark_ready(officer, approved_passport["id"])
    context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, locale="id-ID", java_script_enabled=False
    )
    try:
        page = context.new_page()
        sign_in_at_the_desk(page, app, approved_passport["staff_email"])
        page.goto("/counter/collection")
        page.fill("#scanned", approved_passport["number"])
        page.press("#scanned", "Enter")
        page.wait_for_url(f"**/counter/collection/{approved_passport['id']}")
        page.get_by_label("Kartu identitas yang ditunjukkan pengambil").fill("KTP 5104075111970004")
        page.get_by_role("button", name="Serahkan paspor").click()
        page.wait_for_url("**/counter/collection")
        expect(page.locator(".notice-success")).to_contain_text("Ni Luh Putu Ayu")
        page.screenshot(path=str(tmp_path / "no-js-handed-over.png"), full_page=True)
    finally:
        context.close()
    with app.app_context():
        assert db.session.get(Handover, approved_passport["id"]).collector == "applicant"
