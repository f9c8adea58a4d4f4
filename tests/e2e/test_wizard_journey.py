"""The application wizard on a small Android phone: for oneself and for a child, stopped halfway
and continued on another device, a phone photo and a PDF uploaded, reviewed and submitted.

With JavaScript, htmx swaps only the wizard region and pushes each step's URL; without it, every
step is an ordinary form POST and redirect. Fields, forms and links are found by name, action and
URL. Where wording matters, English uses the source text and Indonesian the app's own catalogue,
so that the test follows the translators.

Set WIZARD_SHOTS to a directory to keep a screenshot of every step there.
"""

import io
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from PIL import ExifTags, Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, pdf_bytes
from webapp import labels
from webapp.extensions import db
from webapp.models import Application

pytestmark = pytest.mark.browser

WIDTH = 360
SHOTS = os.environ.get("WIZARD_SHOTS")

SERVICE = {"for_self": "yes", "service": "regular", "application_type": "new"}
ADULT = {
    "birth_date": ("11", "11", "1997"),
    "marital_status": "single",
    "passport_kind": "electronic",
    "validity_years": "10",
}
PERSONAL = {
    "nik": "5104075111970004",
    "full_name": "Siti Rahayu",
    "birth_place": "Denpasar",
    "sex": "F",
    "address": "Jl. Raya Kuta 1, Badung",
    "occupation": "Guru",
    "phone": "0812 3456 7890",
    "mother_name": "Ni Made Sari",
    "father_name": "I Wayan Budi",
}
TRAVEL = {
    "travel_purpose": "tourism",
    "destination_country": "Jepang",
    "stay_length": "under_1_month",
    "emergency_name": "Kadek Putra",
    "emergency_phone": "0812 9876 5432",
}
RADIOS = {
    "for_self",
    "service",
    "application_type",
    "marital_status",
    "passport_kind",
    "validity_years",
    "sex",
    "travel_purpose",
    "stay_length",
}
# A girl born on 11 November 2016: her typed beginning of the personal step.
CHILD_TYPED = {"nik": "5104075111160004", "full_name": "Putu Ayu Lestari", "sex": "F"}
FEE = {"id": "Rp950.000", "en": "Rp950,000"}  # electronic, 10 years (PP 45/2024)


@dataclass
class Phone:
    """One device's tab, and what the test knows about how it runs."""

    page: Page
    lang: str
    javascript: bool
    name: str
    shots: list[str] = field(default_factory=list)

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def mark(self) -> None:
        """Leave a mark in the window that only a full page load would wipe out."""
        if self.javascript:
            self.page.evaluate("window.__marker = 1")

    def assert_not_reloaded(self) -> None:
        if self.javascript:
            assert self.page.evaluate("window.__marker") == 1, f"{self.path()} was reloaded"

    def check_page(self, step: str) -> None:
        """Nothing sticks out sideways at 360 px; and a screenshot when asked for."""
        assert self.page.locator("html").get_attribute("lang") == self.lang
        if self.javascript:
            width = self.page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= WIDTH, f"{self.path()} scrolls sideways: {width}px wide"
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            self.shots.append(step)
            shot = f"{self.name}-{len(self.shots):02d}-{step}.png"
            self.page.screenshot(path=os.path.join(SHOTS, shot), full_page=True)


def translated(app, lang: str, message) -> str:
    """A message or label as the app shows it in `lang`."""
    with app.test_request_context(), force_locale(lang):
        return gettext(message) if isinstance(message, str) else str(message)


def new_account(live_server, lang: str) -> str:
    with live_server.app.app_context():
        return make_user(locale=lang).email


# --- Signing in and moving through the wizard ------------------------------------------------


def log_in(phone: Phone, email: str) -> None:
    """English is chosen with the switch in the header; the account then keeps it."""
    page = phone.page
    page.goto("/login")
    if phone.lang == "en":
        page.locator('header form[action="/language"] button[type="submit"]').click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    expect(page.locator("html")).to_have_attribute("lang", phone.lang)


def start_application(phone: Phone) -> str:
    """Start from the home page; the wizard's base path, /applications/<id>."""
    page = phone.page
    page.goto("/")
    page.locator('main form[action="/applications"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/applications/[\w-]+/service$"))
    phone.mark()
    phone.check_page("service")
    return phone.path().rsplit("/", 1)[0]


def choose(page: Page, name: str, value: str) -> None:
    """Tap the label of a radio button or checkbox, as a thumb does."""
    option = page.locator(f'#wizard input[name="{name}"][value="{value}"]')
    page.locator(f'label[for="{option.get_attribute("id")}"]').click()
    expect(option).to_be_checked()


def answer(page: Page, answers: dict) -> None:
    for name, value in answers.items():
        if name in RADIOS:
            choose(page, name, value)
        elif name == "birth_date":
            for part, typed in zip(("day", "month", "year"), value, strict=True):
                page.locator(f'#wizard input[name="birth_date-{part}"]').fill(typed)
        else:
            page.locator(f'#wizard [name="{name}"]').fill(value)


def save_and_continue(phone: Phone, base: str, step: str, following: str) -> None:
    """Submit a step; the next one's URL must be in the address bar, without a full reload."""
    page = phone.page
    page.locator(f'#wizard form[action="{base}/{step}"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/{following}")
    expect(page.locator(f'#wizard form[action="{base}/{following}"]').first).to_be_attached()
    expect(page.locator("#progress [aria-current=step]")).to_have_count(1)
    phone.assert_not_reloaded()
    phone.check_page(following)


def reach_personal_step(phone: Phone, base: str) -> None:
    """Answer the service and passport steps as an adult travelling for tourism."""
    answer(phone.page, SERVICE)
    save_and_continue(phone, base, "service", "passport")
    answer(phone.page, ADULT)
    save_and_continue(phone, base, "passport", "personal")


def fill_up_to_documents(phone: Phone, base: str) -> None:
    page = phone.page
    reach_personal_step(phone, base)
    answer(page, PERSONAL)
    save_and_continue(phone, base, "personal", "travel")
    answer(page, TRAVEL)
    save_and_continue(phone, base, "travel", "documents")


# --- Documents, review and submission ---------------------------------------------------------


def phone_photo(path) -> None:
    """A 12-megapixel photo as a phone stores it: landscape pixels with EXIF orientation 6 (turn
    90° clockwise to show), camera make and model, and where it was taken. Its top half is red
    and its bottom half blue, so the turn can be seen in the pixels."""
    width, height = 4000, 3000
    image = Image.new("RGB", (width, height), (200, 40, 40))
    ImageDraw.Draw(image).rectangle((0, height // 2, width, height), fill=(40, 60, 200))
    image = Image.blend(image, Image.effect_noise((width, height), 40).convert("RGB"), 0.3)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "samsung"
    exif[ExifTags.Base.Model] = "SM-A105F"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (8.0, 43.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (115.0, 10.0, 3.25)
    image.save(path, "JPEG", quality=90, exif=exif)


def page_photo(path, width: int = 1200, height: int = 1600) -> None:
    """A sharp, well-lit photo of a printed page, as the document check wants it."""
    image = Image.new("RGB", (width, height), (236, 232, 220))
    draw = ImageDraw.Draw(image)
    for y in range(60, height - 60, 28):
        draw.text(
            (50, y), "KUTIPAN AKTA KELAHIRAN No. 5104-LT-11111997-0004 " * 3, fill=(20, 20, 30)
        )
    image.save(path, "JPEG", quality=90)


def upload(phone: Phone, app, code: str, path) -> None:
    item = phone.page.locator(f"#doc-{code}")
    item.locator('input[type="file"]').set_input_files(path)
    item.locator('button[type="submit"]').click()
    done = phone.page.locator(f"#doc-{code} .tag-ok")
    expect(done).to_be_visible(timeout=15_000)  # once the photo is checked
    expect(done).to_have_text(translated(app, phone.lang, "uploaded"))
    expect(phone.page.locator(f"#doc-{code} .error")).to_have_count(0)
    phone.assert_not_reloaded()


def upload_documents(phone: Phone, app, base: str, tmp_path) -> None:
    page = phone.page
    items = page.locator("#wizard li.document")
    codes = [items.nth(n).get_attribute("id") for n in range(items.count())]
    assert codes == ["doc-ktp", "doc-kk", "doc-civil_record"]  # a new adult's, for tourism
    photo = tmp_path / "IMG_20240817_101530.jpg"
    scan = tmp_path / "kk.pdf"
    record = tmp_path / "akta.jpg"
    phone_photo(photo)
    assert photo.stat().st_size > 3_000_000
    scan.write_bytes(pdf_bytes(2))
    page_photo(record)

    upload(phone, app, "ktp", photo)
    thumbnail = page.locator("#doc-ktp img")
    expect(thumbnail).to_have_attribute("src", re.compile(rf"^{base}/documents/ktp/thumbnail"))
    assert_image_loads(phone, thumbnail)
    upload(phone, app, "kk", scan)
    expect(page.locator("#doc-kk img")).to_have_count(0)
    assert "2" in page.locator("#doc-kk .uploaded").inner_text()  # its pages are counted
    upload(phone, app, "civil_record", record)
    phone.check_page("documents-uploaded")

    stored = page.context.request.get(f"{base}/documents/ktp/file")
    assert stored.ok and stored.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(stored.body())) as image:
        assert image.height > image.width  # turned upright, as the phone was held
        assert max(image.size) <= 2000
        assert not image.getexif() and "exif" not in image.info  # no GPS, no camera
        # Turned clockwise: the red top of the sensor's picture is now on the right.
        middle = image.height // 2
        left, right = image.getpixel((10, middle)), image.getpixel((image.width - 10, middle))
        assert left[2] > left[0] and right[0] > right[2]


def assert_image_loads(phone: Phone, image) -> None:
    src = image.get_attribute("src")
    response = phone.page.context.request.get(src)
    assert response.ok and response.headers["content-type"] == "image/jpeg", src
    if phone.javascript:
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0


def review_and_submit(phone: Phone, app, base: str) -> None:
    page = phone.page
    page.locator(f'#wizard form[action="{base}/documents"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/review")
    expect(page.locator("#wizard .summary .total dd")).to_have_text(FEE[phone.lang])
    phone.assert_not_reloaded()
    thumbnails = page.locator("#wizard ul.thumbs img")
    expect(thumbnails).to_have_count(2)  # the two photos; the PDF is named with its pages
    for n in range(2):
        assert_image_loads(phone, thumbnails.nth(n))
    expect(page.locator("#wizard ul.thumbs .pdf-badge")).to_contain_text("2")
    assert PERSONAL["full_name"] in page.locator("#wizard").inner_text()
    phone.check_page("review")

    choose(page, "declare_true", "y")
    choose(page, "accept_forfeit", "y")
    page.locator(f'#wizard form[action="{base}/review"] button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == base)
    facts = page.locator("main dl.summary dd")
    number = facts.nth(0).inner_text().strip()
    assert re.fullmatch(r"\d{16}", number), number
    expect(facts.nth(1)).to_have_text(translated(app, phone.lang, labels.STATUSES["submitted"]))
    phone.check_page("submitted")
    with app.app_context():
        stored = db.session.scalar(select(Application).where(Application.number == number))
        assert stored.status == "submitted" and stored.public_id == base.rsplit("/", 1)[1]


# --- The journeys -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["id", "en"])
def test_application_for_self_and_child(live_server, page, another_phone, lang, tmp_path):
    app = live_server.app
    email = new_account(live_server, lang)
    phone = Phone(page, lang, javascript=True, name=f"js-{lang}")
    log_in(phone, email)

    # For herself: four steps of questions, each swapped into the page by htmx.
    own = start_application(phone)
    fill_up_to_documents(phone, own)

    # For her daughter, born in 2016: ten years is not offered to a child.
    child = start_application(phone)
    answer(page, {**SERVICE, "for_self": "no"})
    save_and_continue(phone, child, "service", "passport")
    answer(
        page,
        {
            "birth_date": ("11", "11", "2016"),
            "marital_status": "single",
            "passport_kind": "electronic",
        },
    )
    ten_years = page.locator('#wizard input[name="validity_years"][value="10"]')
    expect(ten_years).to_be_disabled()  # told by the autosave as soon as she is known a child
    hint = page.locator("#wizard #validity_years-hint")
    expect(hint).to_be_visible()
    if lang == "en":
        expect(hint).to_contain_text("10 years is only for adults")
    phone.check_page("passport-child")
    choose(page, "validity_years", "5")
    save_and_continue(phone, child, "passport", "personal")
    expect(page.locator('#wizard input[name="mother_nik"]')).to_be_visible()

    # She stops halfway through the personal data; leaving the last field saves what she typed.
    answer(page, {k: v for k, v in CHILD_TYPED.items() if k != "full_name"})
    with page.expect_response(
        lambda r: (
            urlsplit(r.url).path == f"{child}/personal/autosave"
            and "Putu" in (r.request.post_data or "")
        )
    ) as autosaved:
        page.locator('#wizard input[name="full_name"]').fill(CHILD_TYPED["full_name"])
        page.locator('#wizard input[name="birth_place"]').focus()
    assert autosaved.value.ok
    expect(page.locator("#autosave-status")).not_to_be_empty()
    phone.check_page("personal-autosaved")

    # Later, on another device: both applications, and the child's continues where she stopped.
    other = Phone(another_phone().new_page(), lang, javascript=True, name=f"js-{lang}-other")
    log_in(other, email)
    applications = other.page.locator("main .application-list > li")
    expect(applications).to_have_count(2)
    own_item = applications.filter(has=other.page.locator(f'a[href="{own}"]'))
    expect(own_item).to_contain_text(PERSONAL["full_name"])
    expect(applications.filter(has=other.page.locator(f'a[href="{child}"]'))).to_have_count(1)
    other.check_page("home")
    other.page.locator(f'main a[href="{child}"]').click()
    other.page.wait_for_url(lambda url: urlsplit(url).path == f"{child}/personal")
    for name in ("nik", "full_name"):
        expect(other.page.locator(f'#wizard input[name="{name}"]')).to_have_value(CHILD_TYPED[name])
    expect(other.page.locator('#wizard input[name="sex"][value="F"]')).to_be_checked()
    other.check_page("personal-continued")

    # There she finishes her own application.
    other.page.goto("/")
    other.page.locator(f'main a[href="{own}"]').click()
    other.page.wait_for_url(lambda url: urlsplit(url).path == f"{own}/documents")
    other.mark()
    other.check_page("documents")
    upload_documents(other, app, own, tmp_path)
    review_and_submit(other, app, own)


@pytest.mark.parametrize("javascript", [False], ids=["no-js"])
def test_wizard_without_javascript(live_server, page, javascript, tmp_path):
    app = live_server.app
    phone = Phone(page, "id", javascript=False, name="nojs-id")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    fill_up_to_documents(phone, base)
    upload_documents(phone, app, base, tmp_path)
    review_and_submit(phone, app, base)


def test_nik_checked_inline(live_server, page):
    app = live_server.app
    phone = Phone(page, "id", javascript=True, name="nik-id")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    reach_personal_step(phone, base)

    choose(page, "sex", "F")
    nik = page.locator('#wizard input[name="nik"]')
    message = page.locator("#nik-check .error")
    with page.expect_response(lambda r: urlsplit(r.url).path == f"{base}/nik-check") as checked:
        nik.fill("5104071111970004")  # a man's NIK: a woman's day of birth is 51, not 11
        nik.press("Tab")
    assert checked.value.ok
    expect(message).to_have_text(translated(app, "id", labels.NIK_PROBLEMS["sex_mismatch"]))
    field_box, message_box = nik.bounding_box(), message.bounding_box()
    assert 0 <= message_box["y"] - (field_box["y"] + field_box["height"]) < 40  # right below
    phone.assert_not_reloaded()
    assert phone.path() == f"{base}/personal"
    phone.check_page("personal-nik-wrong")

    nik.fill(PERSONAL["nik"])
    nik.press("Tab")
    expect(page.locator("#nik-check .ok-note")).to_be_visible()
    expect(message).to_have_count(0)
    phone.assert_not_reloaded()


def test_a_late_autosave_keeps_the_validity_chosen_meanwhile(live_server, page):
    """On a slow mobile connection an autosave, sent before the validity was chosen, answers
    after it: the choice stays, and the step is accepted."""
    phone = Phone(page, "id", javascript=True, name="slow-id")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    answer(page, SERVICE)
    save_and_continue(phone, base, "service", "passport")

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    def autosave(r):
        return urlsplit(r.url).path == f"{base}/passport/autosave"

    with page.expect_request(autosave):
        answer(page, {k: v for k, v in ADULT.items() if k != "validity_years"})
    choose(page, "validity_years", "10")  # while that autosave is still on its way
    # The second autosave waits for the first one's late answer, then goes: wait for both.
    for _ in range(2):
        with page.expect_response(autosave):
            pass
    expect(page.locator('#wizard input[name="validity_years"][value="10"]')).to_be_checked()
    save_and_continue(phone, base, "passport", "personal")


def test_correcting_a_refused_step_keeps_the_focus_in_the_fields(live_server, page):
    """The error summary takes the focus once, when the step is refused; leaving a corrected
    field (which autosaves) must not pull the focus back to it while the applicant types."""
    phone = Phone(page, "en", javascript=True, name="refused-en")
    log_in(phone, new_account(live_server, "en"))
    base = start_application(phone)
    reach_personal_step(phone, base)
    answer(page, {k: v for k, v in PERSONAL.items() if k not in ("occupation", "phone")})
    page.locator(f'#wizard form[action="{base}/personal"] button[type="submit"]').click()
    expect(page.locator("#wizard .error-summary")).to_be_focused()
    phone.check_page("personal-refused")

    page.locator('#wizard input[name="occupation"]').click()
    with page.expect_response(lambda r: urlsplit(r.url).path == f"{base}/personal/autosave"):
        page.keyboard.type(PERSONAL["occupation"])
        page.keyboard.press("Tab")  # on to the phone number
    expect(page.locator("#autosave-status")).not_to_be_empty()
    page.keyboard.type(PERSONAL["phone"])
    expect(page.locator('#wizard input[name="phone"]')).to_be_focused()
    expect(page.locator('#wizard input[name="phone"]')).to_have_value(PERSONAL["phone"])
    save_and_continue(phone, base, "personal", "travel")


def test_a_lost_connection_keeps_what_was_typed(live_server, page):
    """On a dropped signal the step stays as typed, the applicant is told, and it saves later."""
    phone = Phone(page, "id", javascript=True, name="offline-id")
    log_in(phone, new_account(live_server, "id"))
    base = start_application(phone)
    answer(page, SERVICE)
    notice = page.locator("#offline-notice")
    expect(notice).to_be_hidden()

    page.context.set_offline(True)
    page.locator(f'#wizard form[action="{base}/service"] button[type="submit"]').click()
    expect(notice).to_be_visible()
    assert phone.path() == f"{base}/service"
    for name, value in SERVICE.items():
        expect(page.locator(f'#wizard input[name="{name}"][value="{value}"]')).to_be_checked()

    page.context.set_offline(False)
    save_and_continue(phone, base, "service", "passport")
    expect(notice).to_be_hidden()
