"""Refused requests on a small phone: a file too large for the service is refused with a clear
message beside its item, before it is sent when JavaScript runs, by the server when it does not,
and the page stays usable."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.test_wizard_journey import Phone, log_in, translated
from tests.factories import make_application, make_user
from webapp import labels

pytestmark = pytest.mark.browser

TOO_LARGE = 25 * 1024 * 1024


def big_photo(path) -> None:
    """25 MB named and started like a JPEG, as a phone's RAW-ish camera file might be."""
    with open(path, "wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0" + b"\0" * (TOO_LARGE - 4))


@pytest.mark.parametrize(
    ("javascript", "lang"), [(True, "id"), (False, "en")], ids=["js-id", "no-js-en"]
)
def test_a_25_mb_file_is_refused_clearly(live_server, page, javascript, lang, tmp_path):
    app = live_server.app
    with app.app_context():
        user = make_user(locale=lang)
        email, public_id = user.email, make_application(user).public_id
    phone = Phone(page, lang, javascript, f"too-large-{lang}")
    log_in(phone, email)
    page.goto(f"/applications/{public_id}/documents")
    phone.mark()
    sent = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    photo = tmp_path / "IMG_20261201_081500.jpg"
    big_photo(photo)
    item = page.locator("#doc-ktp")
    item.locator('input[type="file"]').set_input_files(photo)
    message = translated(app, lang, labels.UPLOAD_PROBLEMS["too_large"])
    if javascript:
        expect(item.locator(".error")).to_have_text(message)  # at once, on choosing the file
    item.locator('button[type="submit"]').click()
    expect(page.locator("#doc-ktp .error")).to_have_text(message)
    expect(page.locator("#doc-ktp input[type=file]")).to_have_attribute("aria-invalid", "true")
    if javascript:
        assert sent == [], "the file was sent"
        phone.assert_not_reloaded()
    else:
        assert urlsplit(page.url).path.endswith(f"/{public_id}/documents/ktp")
    # Still the documents step, with every item and the way on.
    assert page.locator("h1").first.text_content().strip()
    expect(page.locator("li.document")).to_have_count(3)
    expect(page.get_by_text(re.compile("Traceback|Werkzeug"))).to_have_count(0)
    onward = page.locator(f'form[action="/applications/{public_id}/documents"] button')
    expect(onward).to_be_visible()
    page.locator("#doc-ktp").scroll_into_view_if_needed()
    phone.check_page("too-large")


def test_a_refused_htmx_request_says_so_beside_the_form_that_sent_it(live_server, page, tmp_path):
    """A CSRF token gone stale (400): the message appears in the item, in view, not nowhere."""
    app = live_server.app
    with app.app_context():
        user = make_user(locale="id")
        email, public_id = user.email, make_application(user).public_id
    phone = Phone(page, "id", True, "refused-htmx")
    log_in(phone, email)
    page.goto(f"/applications/{public_id}/documents")
    phone.mark()
    page.evaluate(
        """() => {
        document.body.setAttribute("hx-headers", '{"X-CSRFToken": "stale"}');
        document.querySelectorAll("input[name=csrf_token]").forEach((i) => { i.value = "stale"; });
    }"""
    )
    photo = tmp_path / "ktp.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 1000)
    item = page.locator("#doc-kk")
    item.locator('input[type="file"]').set_input_files(photo)
    item.locator('button[type="submit"]').click()
    notice = item.locator(".request-refused")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(translated(app, "id", "This form has expired"))
    expect(notice).to_be_focused()
    expect(notice).to_be_in_viewport()
    phone.assert_not_reloaded()
    item.locator('button[type="submit"]').click()  # again: one message, not two
    expect(page.locator(".request-refused")).to_have_count(1)
    phone.check_page("refused-htmx")
