"""Offline drafting on a small Android phone: what is typed without a signal stays on the phone,
a step or a photo sent without one waits in the outbox and reaches the server once, a draft
edited on two devices shows both values, and nothing of one account is left for another.

Playwright's offline switch covers the page and its service worker; where a request must reach
the server and its answer be lost, the route lets it through and aborts the answer.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from tests import services
from tests.e2e.conftest import CHROMIUM_ARGS, _phone
from tests.e2e.test_touch_targets import log_in
from tests.e2e.test_wizard_journey import phone_photo
from tests.factories import make_application, make_user
from webapp.extensions import db
from webapp.models import Application, Document
from webapp.models.applications import StepSubmission

pytestmark = pytest.mark.browser

QUEUED = "Disimpan di ponsel ini — akan dikirim saat ada sinyal"
RESTORED = "Dipulihkan dari ponsel ini"
TRAVEL_LEFT_OPEN = {
    "travel_purpose": None,
    "destination_country": None,
    "stay_length": None,
    "emergency_name": None,
    "emergency_phone": None,
}
TYPED = {
    "destination_country": "Jepang",
    "emergency_name": "Kadek Putra",
    "emergency_phone": "0812 9876 5432",
}


def applicant_with_travel_open(live_server, **answers) -> tuple[str, str]:
    """An account whose draft has every step answered but the travel step's typed fields."""
    with live_server.app.app_context():
        user = make_user()
        application = make_application(user, **{**TRAVEL_LEFT_OPEN, **answers})
        return user.email, f"/applications/{application.public_id}"


def saved(live_server, base: str) -> Application:
    with live_server.app.app_context():
        public_id = base.rsplit("/", 1)[1]
        application = db.session.scalar(select(Application).filter_by(public_id=public_id))
        db.session.expunge(application)
        return application


def applied_keys(live_server, base: str, step: str) -> int:
    with live_server.app.app_context():
        application = db.session.scalar(
            select(Application).filter_by(public_id=base.rsplit("/", 1)[1])
        )
        return db.session.scalar(
            select(func.count())
            .select_from(StepSubmission)
            .filter_by(application_id=application.id, step=step)
        )


# Every key of the phone's store, read without the site's script (signed-out pages have none).
ALL_KEYS = """() => new Promise((done, fail) => {
  const opening = indexedDB.open("keyval-store");
  opening.onerror = () => fail(opening.error);
  opening.onsuccess = () => {
    const store = opening.result;
    if (!store.objectStoreNames.contains("keyval")) return done([]);
    const keys = store.transaction("keyval").objectStore("keyval").getAllKeys();
    keys.onsuccess = () => done(keys.result);
  };
})"""


def local_keys(page: Page) -> list[str]:
    return page.evaluate(ALL_KEYS)


def tag_of(page: Page) -> str:
    return page.locator('meta[name="account-tag"]').get_attribute("content")


def open_step(page: Page, base: str, step: str) -> None:
    page.goto(f"{base}/{step}")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")


def fill_travel(page: Page, values: dict) -> None:
    for name, value in values.items():
        page.locator(f'#wizard [name="{name}"]').fill(value)


def choose_tourism(page: Page) -> None:
    for name, value in (("travel_purpose", "tourism"), ("stay_length", "under_1_month")):
        option = page.locator(f'#wizard input[name="{name}"][value="{value}"]')
        page.locator(f'label[for="{option.get_attribute("id")}"]').click()


def wait_for_draft(page: Page, base: str, step: str, name: str, value: str) -> None:
    """Until the debounced write of the draft has put `value` into IndexedDB."""
    key = f"draft:{tag_of(page)}:{base.rsplit('/', 1)[1]}:{step}"

    def written() -> bool:
        draft = page.evaluate("(key) => idbKeyval.get(key)", key)
        return bool(draft) and [name, value] in draft["values"]

    wait_until(written, f"{name} was not kept on the phone", page)


def set_signal(context: BrowserContext, on: bool) -> None:
    """The browser's offline switch, and every request aborted: the switch alone lets through
    the requests a service worker passes on."""
    if on:
        context.unroute("**/*")
    else:
        context.route("**/*", lambda route: route.abort("internetdisconnected"))
    context.set_offline(not on)


def submit(page: Page, base: str, step: str) -> None:
    page.locator(f'#wizard form[action="{base}/{step}"] button[type="submit"]').click()


def wait_until(check, message: str, page: Page, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    pytest.fail(message)


@pytest.fixture
def profile(playwright_driver, live_server, tmp_path):
    """Opens the same on-disk phone profile again and again, as a browser killed and reopened;
    each one opened is closed after the test."""
    opened: list[BrowserContext] = []

    def open_profile() -> BrowserContext:
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=services.CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            **_phone(base_url=live_server.url),
        )
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    try:
        yield open_profile
    finally:
        for context in opened:
            context.close()


def test_typed_offline_reloaded_closed_and_reopened_arrives_once(live_server, profile):
    email, base = applicant_with_travel_open(live_server)
    phone = profile()
    page = phone.pages[0] if phone.pages else phone.new_page()
    log_in(page, email)
    open_step(page, base, "travel")
    choose_tourism(page)
    fill_travel(page, {"destination_country": TYPED["destination_country"]})

    set_signal(phone, False)  # the lift doors close
    fill_travel(page, {k: v for k, v in TYPED.items() if k != "destination_country"})
    wait_for_draft(page, base, "travel", "emergency_phone", TYPED["emergency_phone"])
    page.reload()  # from the worker's copy of the step
    expect(page.locator("#draft-line")).to_contain_text(RESTORED)
    for name, value in TYPED.items():
        expect(page.locator(f'#wizard [name="{name}"]')).to_have_value(value)
    expect(page.locator('#wizard input[name="stay_length"][value="under_1_month"]')).to_be_checked()

    submit(page, base, "travel")
    expect(page.locator("#queued-text")).to_have_text(QUEUED)
    expect(page.locator("#offline-notice")).to_be_visible()
    expect(page.locator("#outbox-count")).to_have_text("Belum terkirim: 1")
    assert saved(live_server, base).destination_country is None
    phone.close()  # a low-memory phone kills the browser

    phone = profile()  # on the train, with a signal
    page = phone.pages[0] if phone.pages else phone.new_page()
    page.goto("/")
    wait_until(lambda: applied_keys(live_server, base, "travel"), "the step was not sent", page)
    expect(page.locator("#outbox-count")).to_be_hidden()
    application = saved(live_server, base)
    assert application.destination_country == TYPED["destination_country"]
    assert application.emergency_name == TYPED["emergency_name"]
    assert application.travel_purpose == "tourism"
    assert applied_keys(live_server, base, "travel") == 1
    assert not [k for k in local_keys(page) if k.startswith("outbox:")]


def test_a_step_whose_answer_was_lost_is_applied_once_when_sent_again(live_server, context):
    email, base = applicant_with_travel_open(live_server)
    page = context.new_page()
    log_in(page, email)
    open_step(page, base, "travel")
    choose_tourism(page)
    fill_travel(page, TYPED)

    answers = []
    page.on("response", lambda r: r.request.headers.get("x-outbox") and answers.append(r))
    lost = []

    def lose_the_first_answer(route):
        """The request reaches the server; its answer is lost on the way back."""
        if lost:
            return route.continue_()
        lost.append(route.fetch())
        route.abort("internetdisconnected")

    page.route(f"**{base}/travel", lose_the_first_answer)
    submit(page, base, "travel")
    wait_until(lambda: lost, "the step was not sent", page)
    assert lost[0].status == 204
    version = saved(live_server, base).draft_version

    page.goto("/")  # any page loaded sends the outbox, if Background Sync has not yet
    wait_until(lambda: answers, "the outbox was not sent", page)
    assert {r.headers.get("x-submission") for r in answers} == {"duplicate"}
    assert applied_keys(live_server, base, "travel") == 1
    assert saved(live_server, base).draft_version == version
    expect(page.locator("#outbox-count")).to_be_hidden()


def test_a_draft_edited_on_two_devices_shows_both_values(live_server, context, another_phone):
    email, base = applicant_with_travel_open(
        live_server,
        travel_purpose="tourism",
        stay_length="under_1_month",
        destination_country="Thailand",
    )
    phone = context.new_page()
    log_in(phone, email)
    open_step(phone, base, "travel")

    laptop = another_phone().new_page()
    log_in(laptop, email)
    laptop.goto(f"{base}/travel")
    fill_travel(laptop, {**TYPED, "destination_country": "Korea Selatan"})
    submit(laptop, base, "travel")
    laptop.wait_for_url(lambda url: urlsplit(url).path == f"{base}/documents")

    set_signal(context, False)
    fill_travel(phone, TYPED)
    submit(phone, base, "travel")
    expect(phone.locator("#queued-text")).to_be_visible()
    set_signal(context, True)  # the outbox goes, the server finds the step changed meanwhile

    form = phone.locator("#step-form[data-conflict]")
    expect(form).to_be_visible()
    expect(form).to_contain_text("Yang Anda ketik di sini")
    expect(form).to_contain_text("Tersimpan dari perangkat lain")
    expect(form).to_contain_text("Jepang")
    expect(form).to_contain_text("Korea Selatan")
    assert saved(live_server, base).destination_country == "Korea Selatan"  # nothing overwritten


def test_a_photo_queued_offline_arrives_once_and_resized(live_server, context, tmp_path):
    with live_server.app.app_context():
        user = make_user()
        application = make_application(user)
        email, base = user.email, f"/applications/{application.public_id}"
    photo = tmp_path / "IMG_20240817_101530.jpg"
    phone_photo(photo)
    page = context.new_page()
    log_in(page, email)
    open_step(page, base, "documents")

    sent = []
    context.on(
        "response",
        lambda r: (
            r.request.method == "POST" and "/documents/ktp" in r.url and sent.append(r.request)
        ),
    )
    set_signal(context, False)
    item = page.locator("#doc-ktp")
    item.locator('input[type="file"]').set_input_files(photo)
    expect(item.locator('button[type="submit"]')).to_be_enabled()
    item.locator('button[type="submit"]').click()
    expect(page.locator("#queued-text")).to_be_visible()
    queued_bytes = page.evaluate(
        "idbKeyval.values().then((items) => items.flatMap((item) => item.fields || [])"
        ".filter(([name]) => name === 'file').map(([, file]) => file.size))"
    )
    assert len(queued_bytes) == 1
    assert queued_bytes[0] < 1_000_000 < photo.stat().st_size  # resized before it was queued
    set_signal(context, True)

    wait_until(lambda: any(r.headers.get("x-outbox") for r in sent), "no photo sent", page)
    expect(page.locator("#outbox-count")).to_be_hidden()
    replays = [r for r in sent if r.headers.get("x-outbox")]
    assert len(replays) == 1
    with live_server.app.app_context():
        documents = db.session.scalars(
            select(Document).filter_by(application_id=application.id, code="ktp")
        ).all()
        assert len(documents) == 1
        assert max(documents[0].width, documents[0].height) <= 2000
        assert documents[0].height > documents[0].width  # turned upright, as it was taken


def test_logging_out_sends_first_and_leaves_nothing_of_the_account(live_server, context):
    email, base = applicant_with_travel_open(live_server)
    page = context.new_page()
    log_in(page, email)
    open_step(page, base, "travel")
    tag = tag_of(page)
    choose_tourism(page)
    fill_travel(page, TYPED)
    wait_for_draft(page, base, "travel", "emergency_phone", TYPED["emergency_phone"])
    set_signal(context, False)
    submit(page, base, "travel")
    expect(page.locator("#queued-text")).to_be_visible()

    # Still no signal: logging out asks first, and "no" keeps everything.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#logout-form button").click()
    page.wait_for_timeout(300)
    assert any(k.startswith(f"outbox:{tag}:") for k in local_keys(page))

    set_signal(context, True)
    page.locator("#logout-form button").click()  # the outbox goes first
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    assert saved(live_server, base).destination_country == TYPED["destination_country"]
    assert not [k for k in local_keys(page) if tag in k]
    assert not page.evaluate(f"caches.has('pages-{tag}')")


def test_another_account_on_the_same_phone_sees_nothing(live_server, context):
    first, base = applicant_with_travel_open(live_server)
    page = context.new_page()
    log_in(page, first)
    open_step(page, base, "travel")
    first_tag = tag_of(page)
    fill_travel(page, TYPED)
    wait_for_draft(page, base, "travel", "emergency_phone", TYPED["emergency_phone"])
    set_signal(context, False)
    submit(page, base, "travel")
    expect(page.locator("#queued-text")).to_be_visible()
    context.clear_cookies()  # the session ends without logging out
    set_signal(context, True)

    second, other_base = applicant_with_travel_open(live_server)
    log_in(page, second)
    posted = []
    context.on("request", lambda r: r.method == "POST" and base in r.url and posted.append(r))
    open_step(page, other_base, "travel")
    assert tag_of(page) != first_tag
    expect(page.locator("#outbox-count")).to_be_hidden()
    expect(page.locator("#draft-line")).to_be_hidden()
    assert any(k.startswith(f"outbox:{first_tag}:") for k in local_keys(page))  # kept for its owner
    assert not posted, "the first account's outbox was sent from the second's pages"

    set_signal(context, False)  # offline, the first account's kept step is not shown to the second
    page.goto(f"{base}/travel")
    expect(page.locator("h1")).to_have_text("Tidak ada koneksi")
    assert not re.search("Kadek Putra", page.content())


def test_an_unreadable_local_entry_is_left_out_and_the_step_still_saves(live_server, context):
    email, base = applicant_with_travel_open(live_server)
    page = context.new_page()
    log_in(page, email)
    open_step(page, base, "travel")
    key = f"draft:{tag_of(page)}:{base.rsplit('/', 1)[1]}:travel"
    page.evaluate("(key) => idbKeyval.set(key, {values: 'not a list'})", key)
    page.reload()
    expect(page.locator("#draft-line")).to_have_text(
        "Ada data di ponsel ini yang tidak bisa dibaca dan dilewati."
    )
    assert key not in local_keys(page)
    choose_tourism(page)
    fill_travel(page, TYPED)
    submit(page, base, "travel")
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/documents")
    assert saved(live_server, base).emergency_name == TYPED["emergency_name"]


def test_without_indexeddb_the_page_says_so_and_works_as_before(live_server, context):
    email, base = applicant_with_travel_open(live_server)
    context.add_init_script(
        "Object.defineProperty(window, 'indexedDB', {get() { throw new Error('blocked'); }})"
    )
    page = context.new_page()
    log_in(page, email)
    page.goto(f"{base}/travel")
    expect(page.locator("#draft-line")).to_have_text(
        "Draf tidak bisa disimpan di ponsel ini: simpan setiap langkah selagi ada sinyal."
    )
    choose_tourism(page)
    fill_travel(page, TYPED)
    submit(page, base, "travel")
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/documents")
    assert saved(live_server, base).destination_country == TYPED["destination_country"]
