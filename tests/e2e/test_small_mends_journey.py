"""Small mends on a small Android phone: "Use my location" only where it works, the language
switch that keeps a half-typed step, and step changes and Back without a console error or a
Content-Security-Policy violation.

CSP violations are caught as the page itself sees them (a `securitypolicyviolation` listener
installed before any script runs) and also from Chromium's console, with every uncaught error.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.test_wizard_journey import (
    ADULT,
    SERVICE,
    Phone,
    answer,
    choose,
    log_in,
    new_account,
    reach_personal_step,
    save_and_continue,
    start_application,
)
from tests.factories import make_office, make_user, submitted_application
from webapp.extensions import db
from webapp.models import Application

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " " + event.sourceFile + ":"
    + event.lineNumber + " " + event.sample);
});
"""


def collect_errors(page) -> list[str]:
    errors = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: errors.append(f"script: {error}"))
    return errors


@pytest.mark.parametrize("javascript", [True, False])
def test_use_my_location_is_offered_only_with_javascript(live_server, page, javascript):
    with live_server.app.app_context():
        user = make_user(locale="id")
        application = submitted_application(user, make_office())
        application.office_id = None
        db.session.commit()
        email, public_id = user.email, application.public_id
    phone = Phone(page, "id", javascript=javascript, name="location")
    log_in(phone, email)
    page.goto(f"/applications/{public_id}/office")
    button = page.locator("#use-location")
    expect(button).to_be_attached()
    if javascript:
        expect(button).to_be_visible()
    else:
        expect(button).to_be_hidden()  # without a script it would do nothing


@pytest.mark.parametrize("javascript", [True, False])
def test_switching_language_mid_step_keeps_what_was_typed(live_server, page, javascript):
    phone = Phone(page, "id", javascript=javascript, name="switch")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    answer(page, SERVICE)
    save_and_continue(phone, base, "service", "passport")
    # Typed and chosen, not saved: the year is unfinished, the form never submitted.
    for part, typed in zip(("day", "month", "year"), ("11", "11", "19"), strict=True):
        page.locator(f'#wizard input[name="birth_date-{part}"]').fill(typed)
    choose(page, "marital_status", ADULT["marital_status"])
    page.locator("header #language-switch button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert phone.path() == f"{base}/passport"  # the step shown, not the one first loaded
    expect(page.locator('#wizard input[name="birth_date-year"]')).to_have_value("19")
    expect(page.locator('#wizard input[name="marital_status"][value="single"]')).to_be_checked()
    with live_server.app.app_context():
        assert db.session.scalar(select(Application.marital_status)) is None  # kept, not saved


def test_step_changes_and_back_raise_no_error(live_server, page):
    errors = collect_errors(page)
    phone = Phone(page, "id", javascript=True, name="console")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    reach_personal_step(phone, base)
    page.locator("#progress summary").click()  # the folded step list
    page.locator(f'#progress a[href="{base}/passport"]').click()  # a step from the list
    page.wait_for_url(f"**{base}/passport")
    expect(page.locator(f'#wizard form[action="{base}/passport"]')).to_be_attached()
    for expected in ("personal", "passport", "service"):
        page.go_back()
        page.wait_for_url(f"**{base}/{expected}")
        expect(page.locator(f'#wizard form[action="{base}/{expected}"]')).to_be_attached()
    page.go_forward()
    page.wait_for_url(f"**{base}/passport")
    expect(page.locator(f'#wizard form[action="{base}/passport"]')).to_be_attached()
    page.wait_for_timeout(300)  # a late error of the last swap still counts
    assert errors == []


@pytest.mark.parametrize("javascript", [True, False])
def test_enter_on_a_step_still_saves_it(live_server, page, javascript):
    """The language switch belongs to the step's form without JavaScript; Enter (the keyboard's
    Go) must still save the step, not switch the language."""
    phone = Phone(page, "id", javascript=javascript, name="enter")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    answer(page, SERVICE)
    save_and_continue(phone, base, "service", "passport")
    answer(page, ADULT)
    page.locator('#wizard input[name="birth_date-year"]').press("Enter")
    page.wait_for_url(f"**{base}/personal")
    expect(page.locator("html")).to_have_attribute("lang", "id")
