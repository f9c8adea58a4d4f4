"""An administrator at a desktop (1280x800) in a real browser adds a leave day the official
calendar does not know, sees it among the days off, is refused a date already off, and removes
the added day."""

from sqlalchemy import select

from tests.factories import PASSWORD
from tests.integration.test_leave_days import a_working_day
from tests.staff import fresh_code, make_administrator
from webapp.extensions import db
from webapp.models import LeaveDay

ADMIN = "admin@contoh.id"


def sign_in_as_administrator(page, app) -> None:
    page.goto("/login")
    page.fill("#email", ADMIN)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/staff/sign-in/code")
    page.fill("#code", fresh_code(app, ADMIN))
    page.press("#code", "Enter")
    page.wait_for_load_state()


def fill_day(page, day, name: str) -> None:
    page.fill("#day-day", str(day.day))
    page.fill("#day-month", str(day.month))
    page.fill("#day-year", str(day.year))
    page.fill("#name", name)
    page.get_by_role("button", name="Tambahkan hari libur ini").click()
    page.wait_for_load_state()


def test_an_administrator_adds_and_removes_a_leave_day(live_server, desktop):
    app = live_server.app
    with app.app_context():
        make_administrator(email=ADMIN)
    page = desktop()
    sign_in_as_administrator(page, app)
    page.goto("/admin/leave-days")
    assert page.locator("h1").inner_text() == "Hari libur"

    day = a_working_day()
    fill_day(page, day, "Cuti Bersama Hari Guru")
    row = page.locator("tr.day-added")
    assert "Cuti Bersama Hari Guru" in row.inner_text()
    assert "Ditambahkan oleh administrator" in row.inner_text()
    assert "ditambahkan sebagai hari libur" in page.locator(".notice-success").inner_text()

    fill_day(page, day, "Lagi")
    assert "sudah ditambahkan sebagai hari libur" in page.locator(".error-summary").inner_text()
    assert page.locator("tr.day-added").count() == 1

    row.get_by_role("button", name="Hapus").click()
    page.wait_for_load_state()
    assert page.locator("tr.day-added").count() == 0
    assert "tidak lagi menjadi hari libur" in page.locator(".notice-success").inner_text()
    with app.app_context():
        assert db.session.scalars(select(LeaveDay)).all() == []
