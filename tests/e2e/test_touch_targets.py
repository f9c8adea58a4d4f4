"""Every link and button of every applicant page is at least 44×44 px on a 360 px phone, and the
wizard's step list folds to one line.

Thumbs are wide and cheap screens are small: a target below 44 px (WCAG 2.5.5, Android's 48 dp)
is missed or hits its neighbour. Each page is visited as an applicant reaches it, in Indonesian
with JavaScript and in English without, and every visible link, button and summary is measured
by its bounding box. A link inside running text counts by its box too, so it needs a padded hit
area of its own. The header's "Log out" is on every signed-in page, and works without scripts.

Set TOUCH_SHOTS to a directory to keep a screenshot of each page there.
"""

import os
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests import booked
from tests.factories import (
    PASSWORD,
    jpeg_bytes,
    make_application,
    make_office,
    make_slot,
    make_user,
)
from tests.factories import submitted_application as submitted
from webapp.extensions import db
from webapp.services import documents

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("TOUCH_SHOTS")
MINIMUM = 44
# What a thumb can hit: links, buttons and the toggles of folded lists. Elements outside the
# screen (the skip link until it is focused) and those not rendered are not measured.
SMALL_TARGETS = """(minimum) => {
  const small = [];
  const targets = document.querySelectorAll(
    'a[href], button, summary, input[type=submit], input[type=button], input[type=file]');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0 || box.bottom <= 0) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (box.width < minimum || box.height < minimum) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
      small.push(`<${el.tagName.toLowerCase()}> "${text.replace(/\\s+/g, ' ').slice(0, 50)}" `
        + `${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}"""
# Three demo residents, so that the verified NIKs of one account's applications differ.
NIKS = ("3174011708900012", "3471010904840001", "3471016112870002")
WIZARD = ("service", "passport", "personal", "travel", "documents", "review")


def small_targets(page: Page) -> list[str]:
    return page.evaluate(SMALL_TARGETS, MINIMUM)


def measure(page: Page, path: str, problems: dict, name: str) -> None:
    """Go to `path` (unless None: the page already shown) and note its small targets."""
    if path is not None:
        page.goto(path)
        assert urlsplit(page.url).path == urlsplit(path).path, f"{path} went to {page.url}"
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
    found = small_targets(page)
    if found:
        problems[name] = found


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path in ("/", "/verify"))


def log_out(page: Page) -> None:
    page.locator('header form[action="/logout"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.locator('header a[href="/login"]')).to_be_visible()


def applications(app, lang: str) -> tuple[str, str, dict[str, str]]:
    """An unverified account, and a verified one with a draft, a submitted application with a
    free day to book, one awaiting payment and one scheduled: (emails..., public ids)."""
    with app.app_context():
        office = make_office()
        for day in (1, 2):
            slot = make_slot(office, booked.local(day), capacity=10)
        waiting_user = make_user(verified=False, locale=lang)
        user = make_user(locale=lang)
        draft = make_application(user)
        for code, _ in documents.required_items(draft):
            documents.upload(draft, code, jpeg_bytes())
        ready = submitted(user, office, nik=NIKS[0])
        waiting = submitted(user, office, nik=NIKS[1])
        scheduled = submitted(user, office, nik=NIKS[2])
        booked.hold(waiting.id, slot.id)
        booked.hold(scheduled.id, slot.id)
        booked.pay(scheduled.id)
        ids = {
            "draft": draft.public_id,
            "ready": ready.public_id,
            "waiting": waiting.public_id,
            "scheduled": scheduled.public_id,
        }
        emails = (waiting_user.email, user.email)
        db.session.remove()
    return *emails, ids


@pytest.mark.parametrize(
    "lang, javascript", [("id", True), ("en", False)], ids=["id-with-js", "en-without-js"]
)
def test_every_target_of_every_applicant_page_is_big_enough(live_server, page, lang, javascript):
    unverified, email, ids = applications(live_server.app, lang)
    problems: dict[str, list[str]] = {}

    page.goto("/")
    if lang == "en":
        page.locator('header form[action="/language"] button[type="submit"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    for name, path in [
        ("landing", "/"),
        ("register", "/register"),
        ("login", "/login"),
        ("forgot", "/password/forgot"),
        ("offline", "/offline"),
    ]:
        measure(page, path, problems, name)

    log_in(page, unverified)
    measure(page, "/verify", problems, "verify")
    log_out(page)

    log_in(page, email)
    measure(page, "/", problems, "home")
    draft = f"/applications/{ids['draft']}"
    for step in WIZARD:
        measure(page, f"{draft}/{step}", problems, f"step-{step}")
    page.locator("#progress summary").click()  # the folded step list, open
    measure(page, None, problems, "step-list-open")
    ready = f"/applications/{ids['ready']}"
    measure(page, ready, problems, "overview-submitted")
    measure(page, f"{ready}/office", problems, "office")
    measure(page, f"{ready}/slots", problems, "slots")
    page.locator("table.calendar td a").first.click()
    expect(page.locator("#day-slots")).to_be_visible()
    measure(page, None, problems, "slots-of-a-day")
    measure(page, f"/applications/{ids['waiting']}", problems, "awaiting-payment")
    measure(page, f"/applications/{ids['waiting']}/cancel-booking", problems, "cancel")
    measure(page, f"/applications/{ids['scheduled']}", problems, "scheduled")
    measure(page, "/account/", problems, "profile")
    measure(page, "/account/password", problems, "password")
    measure(page, "/account/close", problems, "close-account")
    log_out(page)

    report = "\n".join(f"{name}: {', '.join(found)}" for name, found in problems.items())
    assert not problems, f"targets under {MINIMUM}×{MINIMUM} px:\n{report}"


def test_the_step_list_takes_one_line_until_it_is_opened(live_server, page):
    with live_server.app.app_context():
        user = make_user()
        draft = f"/applications/{make_application(user).public_id}"
        email = user.email
    log_in(page, email)
    page.goto(f"{draft}/personal")
    steps = page.locator("#progress")
    summary = steps.locator("summary")
    expect(summary).to_have_text("Langkah 3 dari 6: Data diri")
    assert steps.bounding_box()["height"] < 50, "the folded list is more than one line"
    expect(steps.locator("ol")).to_be_hidden()

    summary.click()
    expect(steps.locator("li")).to_have_text(
        [
            "Layanan dan jenis permohonan",
            "Pemohon dan paspor",
            "Data diri",
            "Data perjalanan",
            "Dokumen",
            "Periksa dan kirim",
        ]
    )
    steps.locator(f'a[href="{draft}/passport"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{draft}/passport")
    expect(page.locator("#progress summary")).to_have_text("Langkah 2 dari 6: Pemohon dan paspor")
