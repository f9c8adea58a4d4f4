"""Costly or final steps on a small phone ask first and say what they do: in place with
JavaScript (Indonesian), on a page of their own without it (English)."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.test_wizard_journey import Phone, log_in, translated
from tests.factories import make_user, submitted_application
from tests.journeys import WITA, open_office, tomorrow_at_nine
from webapp.extensions import db
from webapp.models import Application, Office

pytestmark = pytest.mark.browser

WAYS = pytest.mark.parametrize(
    ("javascript", "lang"), [(True, "id"), (False, "en")], ids=["js-id", "no-js-en"]
)
FEE = {"id": "Rp950.000", "en": "Rp950,000"}  # electronic, 10 years (PP 45/2024)


def applicant_at_an_office(app, lang: str) -> tuple[str, str, int]:
    code, slot_id = open_office(app)
    with app.app_context():
        user = make_user(locale=lang)
        office = db.session.scalar(select(Office).filter_by(code=code))
        return user.email, submitted_application(user, office).public_id, slot_id


def status_of(app, public_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Application.status).filter_by(public_id=public_id))


def confirmation_shown(phone: Phone, container: str):
    """The panel in place (JavaScript: no reload, its heading focused) or its own page."""
    if phone.javascript:
        panel = phone.page.locator(f"{container} .confirm-panel")
        expect(panel.locator("h2")).to_be_focused()
        phone.assert_not_reloaded()
    else:
        panel = phone.page.locator("main .confirm-panel")
        expect(panel.locator("h1")).to_be_visible()
    return panel


@WAYS
def test_cancelling_an_application_asks_first(live_server, page, javascript, lang):
    app = live_server.app
    email, public_id, _ = applicant_at_an_office(app, lang)
    phone = Phone(page, lang, javascript, f"cancel-{lang}")
    log_in(phone, email)
    base = f"/applications/{public_id}"
    page.goto(base)
    phone.mark()
    page.locator(f'main a[href="{base}/cancel"]').click()
    panel = confirmation_shown(phone, "#cancel-confirmation")
    expect(panel).to_contain_text(
        translated(
            app,
            lang,
            "This cannot be undone. The NIK is free at once for a new application, which must "
            "be filled in from the start.",
        )
    )
    phone.check_page("cancel-confirmation")
    assert status_of(app, public_id) == "submitted"  # nothing happened yet
    panel.locator('button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.locator("main .notice-success")).to_have_text(
        translated(app, lang, "The application is cancelled.")
    )
    assert status_of(app, public_id) == "cancelled"


@WAYS
def test_holding_an_hour_asks_first(live_server, page, javascript, lang):
    app = live_server.app
    email, public_id, slot_id = applicant_at_an_office(app, lang)
    phone = Phone(page, lang, javascript, f"hold-{lang}")
    log_in(phone, email)
    day = tomorrow_at_nine().astimezone(WITA).date()
    page.goto(f"/applications/{public_id}/slots?month={day:%Y-%m}&day={day.isoformat()}")
    phone.mark()
    page.locator(f'#calendar a[href$="/hold?slot={slot_id}"]').click()
    panel = confirmation_shown(phone, "#hold-confirmation")
    expect(panel).to_contain_text(FEE[lang])
    expect(panel).to_contain_text("WITA")
    phone.check_page("hold-confirmation")
    assert status_of(app, public_id) == "submitted"
    panel.locator('button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/applications/{public_id}")
    expect(page.locator("#payment .billing-code")).to_be_visible()
    assert status_of(app, public_id) == "awaiting_payment"
    # Cancelling the booking asks too, and the panel outlives the bill's polling beside it.
    phone.mark()
    page.locator('#payment a[href$="/cancel-booking"]').click()
    panel = confirmation_shown(phone, "#cancel-confirmation")
    expect(panel).to_contain_text(
        translated(app, lang, "The place you hold is released and the billing code stops working.")
    )
    if javascript:
        page.wait_for_timeout(3500)  # one poll of #payment later
        expect(panel).to_be_visible()
    phone.check_page("cancel-booking-confirmation")
    assert status_of(app, public_id) == "awaiting_payment"
    panel.locator('button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    assert status_of(app, public_id) == "cancelled"
