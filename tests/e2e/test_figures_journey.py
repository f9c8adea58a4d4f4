"""A supervisor at a desktop (1280x800) in a real browser reads the office's figures of the day as
tables and charts, chooses the month, and downloads the CSV; an administrator reads every office
and drills down to one."""

import csv
import io
import os

from tests.checkins import open_all_day, paid, slot_at, zone_where
from tests.e2e.desk import sign_in_with_code
from tests.integration.test_reports import FAR_FROM_MIDNIGHT, _served
from tests.reviews import ready_to_approve
from tests.staff import make_administrator, make_staff
from tests.visits import checked_in
from webapp import clock
from webapp.extensions import db
from webapp.models import Application
from webapp.rules import decisions, visits
from webapp.services import calling, review

SUPERVISOR = "kepala@contoh.id"
ADMIN = "admin@contoh.id"
SHOTS = os.environ.get("FIGURES_SCREENSHOTS")  # a folder to keep the pages' screenshots in


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def a_day_at_the_office(app, monkeypatch) -> None:
    zone = zone_where(lambda hour: 2 <= hour <= 21, also=FAR_FROM_MIDNIGHT)
    with app.app_context():
        office = open_all_day(zone, name="Kantor Imigrasi Kelas I Makassar", code="kanim-mks")
        open_all_day("Asia/Jayapura", name="Kantor Imigrasi Kelas I Jayapura", code="kanim-jpr")
        hour = clock.now().replace(minute=0, second=0, microsecond=0)
        slot_at(office, hour, capacity=12)
        for _ in range(3):
            paid(office, hour)
        officer = make_staff(office, full_name="Budi Santoso")
        calling.open_counter(officer, 3, list(visits.LANES))
        first = _served(office, officer, monkeypatch, waited=12, serving=18)
        ready_to_approve(officer, first.application_id)
        review.approve(officer, first.application_id)
        second = _served(office, officer, monkeypatch, waited=25, serving=9)
        review.reject(officer, second.application_id, decisions.NOT_ORIGINAL, "")
        checked_in(office, by=officer, queued_at=clock.now())
        calling.call_next(officer)
        assert db.session.get(Application, first.application_id).status == "approved"
        make_staff(office, role="supervisor", email=SUPERVISOR)
        make_administrator(email=ADMIN)


def test_a_supervisor_reads_the_days_figures_and_downloads_them(live_server, desktop, monkeypatch):
    app = live_server.app
    a_day_at_the_office(app, monkeypatch)
    page = desktop()
    sign_in_with_code(page, app, SUPERVISOR)
    page.goto("/supervisor/figures")
    assert page.locator("h1").inner_text() == "Angka Kantor Imigrasi Kelas I Makassar"
    summary = page.locator("table.figures-table").first.inner_text()
    assert "Sudah dibayar\t3" in summary and "Disetujui\t1" in summary
    assert page.locator("svg.chart").count() == 4
    assert page.locator("svg.chart title").first.text_content() == "Angka periode ini"
    assert "Budi Santoso" in page.locator("#figures-officers ~ div").inner_text()
    shot(page, "supervisor-day")

    page.select_option("#figures-period", "month")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_load_state()
    assert "period=month" in page.url
    assert page.locator(".figures-period strong").inner_text().startswith("Bulan ")

    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh sebagai CSV").click()
    with open(download.value.path(), encoding="utf-8") as saved:
        rows = list(csv.reader(io.StringIO(saved.read())))
    assert rows[1][0] == "kanim-mks" and rows[1][3] == "month"
    assert rows[1][rows[0].index("paid")] == "3"


def test_an_administrator_reads_every_office_and_one(live_server, desktop, monkeypatch):
    app = live_server.app
    a_day_at_the_office(app, monkeypatch)
    page = desktop()
    sign_in_with_code(page, app, ADMIN)
    page.goto("/admin/figures")
    assert page.locator("h1").inner_text() == "Angka semua kantor"
    offices = page.locator("table.figures-offices tbody tr")
    assert offices.count() == 2
    shot(page, "admin-national")
    page.get_by_role("link", name="Kantor Imigrasi Kelas I Makassar").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Angka Kantor Imigrasi Kelas I Makassar"
    assert "office=kanim-mks" in page.url
    shot(page, "admin-office")
    page.get_by_role("link", name="Semua kantor").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Angka semua kantor"
