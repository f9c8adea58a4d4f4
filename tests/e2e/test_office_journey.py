"""The office's front of house in a real browser at the counter desktop (1280x800): a member of
staff signs in with a TOTP code, checks an applicant in by scanning their QR code, and calls the
number to a counter while the waiting-room screen, in a second browser, shows it."""

import pytest

from tests.checkins import open_all_day, paid
from tests.e2e.desk import sign_in_at_the_desk
from tests.journeys import sign_in
from tests.staff import make_staff
from webapp.extensions import db
from webapp.models import User
from webapp.services import proof

# A keyboard-wedge scanner types each character within a few milliseconds, then Enter.
SCANNER_DELAY_MS = 3


@pytest.fixture
def office_day(live_server):
    """An office open at this hour, a paid booking for this hour there, and its staff member."""
    app = live_server.app
    with app.app_context():
        office = open_all_day()
        application = paid(office)
        staff = make_staff(office, full_name="Andi Pratama")
        return {
            "office_code": office.code,
            "token": proof.proof_for(application).token,
            "public_id": application.public_id,
            "applicant_email": db.session.get(User, application.account_id).email,
            "staff_email": staff.email,
        }


def test_a_scanned_qr_gets_a_number_that_the_screen_shows_when_called(
    live_server, desktop, office_day, tmp_path
):
    app = live_server.app
    counter = desktop()
    sign_in_at_the_desk(counter, app, office_day["staff_email"])

    # The scan field has the focus on load: the scanner types into it and presses Enter.
    assert counter.evaluate("document.activeElement.id") == "scanned"
    counter.keyboard.type(office_day["token"], delay=SCANNER_DELAY_MS)
    counter.keyboard.press("Enter")
    answer = counter.locator("#scan-answer")
    answer.get_by_text("A001").wait_for()
    assert "Nomor antrean" in answer.inner_text()
    assert counter.evaluate("document.activeElement.id") == "scanned"  # ready for the next
    assert counter.input_value("#scanned") == ""
    counter.screenshot(path=str(tmp_path / "check-in.png"))

    screen = desktop()
    screen.goto(f"/display/{office_day['office_code']}")
    assert "A001" not in screen.locator("#board").inner_text()  # checked in, not called yet

    counter.goto("/counter/desk")
    counter.fill("#counter_number", "3")
    counter.get_by_role("button", name="Buka loket ini").click()
    counter.locator("#desk-panel").wait_for()
    counter.keyboard.press("n")  # Call next, from the keyboard
    counter.locator(".desk-ticket").get_by_text("A001").wait_for()
    counter.screenshot(path=str(tmp_path / "desk.png"))

    # The screen polls: within two seconds it shows the number and its counter.
    serving = screen.locator(".serving")
    serving.get_by_text("A001").wait_for(timeout=2_000)
    assert serving.locator("li").first.inner_text().split() == ["A001", "Loket", "3"]
    screen.screenshot(path=str(tmp_path / "screen.png"))

    # The applicant's history tells both, in the office's time (WITA).
    applicant = sign_in(app, office_day["applicant_email"])
    history = applicant.get(f"/applications/{office_day['public_id']}").text
    assert "Check-in, nomor antrean A001" in history
    assert "Dipanggil ke loket 3" in history
    assert "WITA" in history
