"""An applicant's first visit on a small Android phone: register, confirm, log in, install.

Every journey runs with and without JavaScript: the pages are plain HTML forms that scripts only
enhance. Where wording matters the final Indonesian text is used; otherwise URLs, input names
and html[lang] are.
"""

import io
import uuid
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import Mailbox

pytestmark = pytest.mark.browser

FULL_NAME = "Śri Rahayu"
PHONE = "0812 3456 7890"
PASSWORD = "nasi-goreng-kampung"
WIDTH = 360

# Button names and the home page's greeting, as people read them in each language.
WORDS = {
    "id": {
        "register": "Buat akun",
        "confirm": "Konfirmasi",
        "login": "Masuk",
        "welcome": "Selamat datang, {name}.",
    },
    "en": {
        "register": "Create account",
        "confirm": "Confirm",
        "login": "Log in",
        "welcome": "Welcome, {name}.",
    },
}


def unique_email() -> str:
    return f"sri.{uuid.uuid4().hex[:10]}@contoh.id"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def path_of(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_fits(page) -> None:
    """Nothing sticks out sideways: no horizontal scrolling on a 360 px wide screen."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, f"{path_of(page)} scrolls sideways: {width}px wide"


def button(page, action: str, name: str):
    """The submit button of the form posting to `action`, found by its visible name."""
    form = page.locator(f'main form[action="{action}"]')
    return form.get_by_role("button", name=name, exact=True)


def choose_language(page, lang: str) -> None:
    """Indonesian is the default; English is chosen with the switch in the header."""
    if lang == "en":
        page.locator('header form[action="/language"] button[type="submit"]').click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.wait_for_load_state()


def register(page, lang: str, email: str, javascript: bool) -> None:
    page.goto("/")
    if javascript:
        assert_fits(page)
    choose_language(page, lang)
    page.locator('main a[href="/register"]').click()
    page.wait_for_url("**/register")
    if javascript:
        assert_fits(page)
    page.locator('input[name="full_name"]').fill(FULL_NAME)
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="phone"]').fill(PHONE)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="accept_terms"]').check()
    button(page, "/register", WORDS[lang]["register"]).click()
    page.wait_for_url("**/verify")


def confirm(page, lang: str, code: str) -> None:
    page.locator('input[name="code"]').fill(code)
    button(page, "/verify", WORDS[lang]["confirm"]).click()
    page.wait_for_url("**/login")


def log_in(page, lang: str, email: str) -> None:
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    button(page, "/login", WORDS[lang]["login"]).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def full_journey(page, live_server, lang: str, email: str, javascript: bool) -> None:
    register(page, lang, email, javascript)
    assert page.locator("html").get_attribute("lang") == lang
    if javascript:
        assert_fits(page)

    confirm(page, lang, Mailbox(live_server.app).code_for(email))
    if javascript:
        assert_fits(page)

    log_in(page, lang, email)
    assert page.locator("html").get_attribute("lang") == lang
    greeting = WORDS[lang]["welcome"].format(name=FULL_NAME)
    assert greeting in page.locator("main").inner_text()
    if javascript:
        assert_fits(page)

    page.goto("/account/")
    assert path_of(page) == "/account/"  # not sent to log in again
    assert page.locator("html").get_attribute("lang") == lang
    assert email in page.locator("main").inner_text()
    if javascript:
        assert_fits(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_register_confirm_and_log_in(live_server, page, lang, javascript):
    full_journey(page, live_server, lang, unique_email(), javascript)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_wrong_code_is_explained_beside_the_field_and_at_the_top(live_server, page, javascript):
    email = unique_email()
    register(page, "id", email, javascript)
    typed = wrong(Mailbox(live_server.app).code_for(email))
    page.locator('input[name="code"]').fill(typed)
    button(page, "/verify", WORDS["id"]["confirm"]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    page.wait_for_load_state()

    assert path_of(page) == "/verify"
    code = page.locator('input[name="code"]')
    assert code.input_value() == typed  # what was typed is still there
    assert code.get_attribute("aria-invalid") == "true"
    code_id = code.get_attribute("id")
    inline = page.locator(f"#{code_id}-error")
    assert inline.is_visible() and inline.inner_text().strip()
    assert f"{code_id}-error" in (code.get_attribute("aria-describedby") or "").split()
    # Beside the field: in the same field group.
    assert page.locator(".field", has=code).locator(f"#{code_id}-error").count() == 1

    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.is_visible()
    assert summary.get_attribute("role") == "alert"
    link = summary.locator(f'a[href="#{code_id}"]')
    # The summary names the question before the problem it shares with the field.
    question = page.locator(f'label[for="{code_id}"]').inner_text().strip()
    assert link.inner_text().strip() == f"{question}: {inline.inner_text().strip()}"
    # At the top: above the form that has the problem.
    assert summary.bounding_box()["y"] < code.bounding_box()["y"]
    if javascript:
        # The script moves focus to the summary so that screen readers announce it.
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        assert_fits(page)


def test_no_request_leaves_the_site(live_server, context, page):
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    full_journey(page, live_server, "id", unique_email(), javascript=True)
    page.goto("/")  # and once more, with the service worker in charge

    origin = urlsplit(live_server.url)
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob")
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert requested, "no requests were seen at all"
    assert elsewhere == []


def test_the_site_installs_and_works_offline(installable_context):
    context = installable_context
    page = context.pages[0] if context.pages else context.new_page()
    page.goto("/offline")
    offline_heading = page.locator("h1").inner_text()
    offline_title = page.title()

    page.goto("/")
    state = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            const worker = registration.active;
            if (worker.state !== "activated") {
                await new Promise((done) => worker.addEventListener("statechange", () => {
                    if (worker.state === "activated") done();
                }));
            }
            return worker.state;
        }"""
    )
    assert state == "activated"

    cdp = context.new_cdp_session(page)
    try:
        installability = cdp.send("Page.getInstallabilityErrors")
    finally:
        cdp.detach()
    assert installability["installabilityErrors"] == []

    href = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest_url = urljoin(page.url, href)
    assert urlsplit(manifest_url).path == "/static/manifest.webmanifest"
    response = context.request.get(manifest_url)
    assert response.ok
    manifest = response.json()
    assert manifest["name"] and manifest["short_name"]
    assert len(manifest["short_name"]) <= 12  # fits under an icon on a home screen
    assert urlsplit(manifest["start_url"]).path == "/"
    assert manifest["display"] == "standalone"

    icons = manifest["icons"]
    sizes = {icon["sizes"] for icon in icons}
    assert {"192x192", "512x512"} <= sizes
    assert any("maskable" in icon.get("purpose", "any").split() for icon in icons)
    for icon in icons:
        image = context.request.get(urljoin(manifest_url, icon["src"]))
        assert image.ok, icon["src"]
        assert image.headers["content-type"].split(";")[0] == "image/png", icon["src"]
        assert icon.get("type", "image/png") == "image/png"
        with Image.open(io.BytesIO(image.body())) as picture:
            assert picture.format == "PNG"
            assert f"{picture.width}x{picture.height}" == icon["sizes"], icon["src"]

    context.set_offline(True)
    try:
        page.goto("/login?x=1")  # never visited, so never cached
        assert not page.url.startswith("chrome-error://")
        assert page.locator("h1").inner_text() == offline_heading
        assert page.title() == offline_title
    finally:
        context.set_offline(False)
