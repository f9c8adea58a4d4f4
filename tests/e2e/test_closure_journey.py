"""A supervisor at a desktop (1280x800) in a real browser closes a booked day of the office; the
applicant whose appointment it took, on a phone (360x740), sees the offer on the application
page and accepts the place held for them; the supervisor's page then counts one moved.

Set CLOSURE_SHOTS to a directory to keep a screenshot of each page."""

import os
from urllib.parse import urlsplit

from sqlalchemy import select

from tests.checkins import open_all_day, paid
from tests.factories import PASSWORD
from tests.integration.test_closure_rebooking import ZONE, at, local_day
from tests.staff import fresh_code, make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, User
from webapp.models.offices import ClosureOffer
from webapp.services import booking, offices

SUPERVISOR = "kepala@contoh.id"
SHOTS = os.environ.get("CLOSURE_SHOTS")


def shot(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name}: {width}px wide"
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}-screen.png"))


def test_a_supervisor_closes_a_booked_day_and_the_applicant_accepts(live_server, desktop, page):
    app = live_server.app
    day = local_day(3)
    with app.app_context():
        office = open_all_day(ZONE, regular_per_hour=3, express_per_hour=0)
        offices.ensure_slots(office, clock.today(ZONE), 21)
        db.session.commit()
        application = paid(office, at(day, 10))
        email = db.session.get(User, application.account_id).email
        public_id, application_id = application.public_id, application.id
        make_staff(office, role="supervisor", email=SUPERVISOR)

    chief = desktop()
    chief.goto("/login")
    chief.fill("#email", SUPERVISOR)
    chief.fill("#password", PASSWORD)
    chief.press("#password", "Enter")
    chief.wait_for_url("**/staff/sign-in/code")
    chief.fill("#code", fresh_code(app, SUPERVISOR))
    chief.press("#code", "Enter")
    chief.wait_for_load_state()
    chief.goto("/supervisor/closures")
    assert chief.locator("h1").inner_text() == "Penutupan"
    chief.fill("#day-day", str(day.day))
    chief.fill("#day-month", str(day.month))
    chief.fill("#day-year", str(day.year))
    chief.fill("#reason", "Banjir")
    chief.get_by_role("button", name="Tutup kantor").click()
    chief.wait_for_load_state()
    assert "Kantor ditutup pada" in chief.locator(".notice-success").inner_text()
    row = chief.locator("table.closures tbody tr").first
    assert "Banjir" in row.inner_text() and "Sepanjang hari" in row.inner_text()
    assert [cell.inner_text() for cell in row.locator("td.number").all()] == ["1", "0", "1"]
    shot(chief, "supervisor-closed")

    page.goto("/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path in ("/", "/verify"))
    page.goto(f"/applications/{public_id}")
    offer = page.locator("#closure-offer")
    assert "Kantor tutup pada jadwal kedatangan Anda" in offer.inner_text()
    assert "Tempat ditahan untuk Anda pada" in offer.inner_text()
    shot(page, "applicant-offer")
    page.get_by_role("link", name="Pilih hari lain").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Pilih hari lain"
    assert page.locator("section.closure-day").count() >= 1
    shot(page, "applicant-choose")
    page.goto(f"/applications/{public_id}")
    page.get_by_role("button", name="Terima jadwal kedatangan ini").click()
    page.wait_for_load_state()
    assert page.locator("#closure-offer").count() == 0
    shot(page, "applicant-moved")
    with app.app_context():
        moved = db.session.get(Application, application_id)
        offer_row = db.session.scalar(select(ClosureOffer))
        assert booking.live_hold(moved).id == offer_row.offered_hold_id
        assert moved.rescheduled_at is None

    chief.reload()
    row = chief.locator("table.closures tbody tr").first
    assert [cell.inner_text() for cell in row.locator("td.number").all()] == ["1", "1", "0"]
