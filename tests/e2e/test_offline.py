"""A dropped signal on a small phone: the applicant is told where they are looking, and the offline
page leads back to the page that did not load.

The applicant taps "Save and continue" at the foot of a long step: the notice must be on the
screen then, not at the top of the page, and take the focus so that a screen reader reads it.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_touch_targets import log_in
from tests.factories import make_application, make_user

pytestmark = pytest.mark.browser

SCREEN_HEIGHT = 740


def draft_of_a_new_applicant(live_server) -> tuple[str, str]:
    with live_server.app.app_context():
        user = make_user()
        return user.email, f"/applications/{make_application(user).public_id}"


def on_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT


def test_the_offline_notice_shows_beside_the_button_that_was_tapped(live_server, page):
    email, draft = draft_of_a_new_applicant(live_server)
    log_in(page, email)
    page.goto(f"{draft}/personal")
    button = page.locator(f'#wizard form[action="{draft}/personal"] button[type="submit"]')
    button.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > SCREEN_HEIGHT, "the step is not long enough to test"

    page.context.set_offline(True)
    button.click()
    notice = page.locator("#offline-notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    assert on_screen(page, "#offline-notice"), "the notice is off the screen"
    assert on_screen(page, f'#wizard form[action="{draft}/personal"] button[type="submit"]')
    assert urlsplit(page.url).path == f"{draft}/personal"

    page.context.set_offline(False)
    button.click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{draft}/travel")
    expect(notice).to_be_hidden()


def test_try_again_on_the_offline_page_goes_back_to_the_page(live_server, page):
    email, draft = draft_of_a_new_applicant(live_server)
    log_in(page, email)
    page.goto(f"{draft}/travel")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    page.goto("/account/")  # a page the phone does not keep: offline, the offline page shows

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text("Tidak ada koneksi")
    retry = page.locator("#retry")
    expect(retry).to_have_attribute("href", live_server.url + "/account/")

    page.context.set_offline(False)
    retry.click()
    expect(page.locator("h1")).not_to_have_text("Tidak ada koneksi")
    assert urlsplit(page.url).path == "/account/"


def test_the_offline_page_opened_on_its_own_leads_home(live_server, page):
    page.goto("/offline")
    expect(page.locator("#retry")).to_have_attribute("href", "/")
