"""Booking on a small Android phone: an office in Makassar, a day and an hour in WITA, the billing
code on the page and by mail, payment at the stand-in channel, and the proof of application.

The bill on the application page asks the server every 3 s while it is unpaid and stops once it
is paid: the change is seen without a reload, and no further requests follow. The PDF's QR code is
read from the rendered page, as a scanner at the office would, and verified with the published
key. A hold left unpaid frees its place at the two-hour mark: the clock is controlled by data
(the hold's deadline is moved into the past), as two hours passing would leave it.

Set BOOKING_SHOTS to a directory to keep a screenshot of the office list, the calendar and the
application page there.
"""

import os
import re
import shutil
import time as timer
from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import journeys, services
from tests.conftest import Mailbox
from tests.e2e.test_wizard_journey import Phone, log_in, translated
from tests.factories import make_slot, make_user, submitted_application
from tests.pdfs import qr_codes_on_page
from webapp import clock, labels, signing
from webapp.extensions import db
from webapp.models import Application, Bill, Hold, Office, Slot
from webapp.services import availability, booking
from webapp.services.offices import SLOT_HOURS, load_demo_offices

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("BOOKING_SHOTS")
MAKASSAR = "kanim-makassar"
WITA = ZoneInfo("Asia/Makassar")
FEE = {"id": "Rp950.000", "en": "Rp950,000"}  # electronic, 10 years (PP 45/2024)
MAX_PDF_BYTES = 100 * 1024
SETTLED = 10_000  # ms: a paid or expired bill must show within this (it polls every 3 s)
QUIET = 4  # s: no poll may follow once the bill is settled


def hour_label(lang: str, hour: int) -> str:
    """08.00 WITA in Indonesian, 08:00 WITA in English."""
    return f"{hour:02d}{'.' if lang == 'id' else ':'}00 WITA"


def look(phone: Phone, step: str) -> None:
    """Nothing sticks out sideways at 360 px; and a screenshot when asked for."""
    phone.check_page(step)
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        shot = os.path.join(SHOTS, f"{phone.name}-{step}.png")
        phone.page.screenshot(path=shot, full_page=True)


def paths_requested(page: Page, path: str) -> list[float]:
    """When the page asked for `path`: a list that fills as requests go out."""
    moments: list[float] = []
    page.on(
        "request",
        lambda request: (
            moments.append(timer.monotonic()) if urlsplit(request.url).path == path else None
        ),
    )
    return moments


# --- The calendar ----------------------------------------------------------------------------


def open_calendar(phone: Phone, public_id: str) -> None:
    phone.page.goto(f"/applications/{public_id}/slots")
    expect(phone.page.locator("#calendar table.calendar")).to_be_visible()


def next_month(phone: Phone, app) -> None:
    page = phone.page
    shown = page.locator("#calendar .month-nav h2").inner_text()
    label = translated(app, phone.lang, "Next month")
    page.locator(f'#calendar .month-nav a[aria-label="{label}"]').click()
    expect(page.locator("#calendar .month-nav h2")).not_to_have_text(shown)
    phone.assert_not_reloaded()


def first_free_day(phone: Phone, app) -> str:
    """The first day with free places, turning to the next month when this one has none left
    (places open a week at a time, so the first free one is at most ten days ahead)."""
    days = phone.page.locator("#calendar table.calendar td a")
    if not days.count():
        next_month(phone, app)
    assert days.count(), "no day with free places this month or the next"
    href = days.first.get_attribute("href")
    return parse_qs(urlsplit(href).query)["day"][0]


def show_day(phone: Phone, app, day: str) -> None:
    """Tap a day in the calendar (turning to the next month if it is there); its hours appear."""
    page = phone.page
    link = page.locator(f'#calendar table.calendar td a[href*="day={day}#"]')
    if not link.count():
        next_month(phone, app)
    assert link.count() == 1, f"{day} has no free places in the calendar"
    link.click()
    expect(page.locator("#calendar td.chosen a")).to_have_attribute("href", re.compile(day))
    expect(page.locator("#calendar #day-slots")).to_be_visible()
    phone.assert_not_reloaded()


def hour_row(page: Page, lang: str, hour: int):
    return page.locator("#calendar ul.slots > li").filter(has_text=hour_label(lang, hour))


def free_on(page: Page, day: str) -> int:
    return int(page.locator(f'#calendar td a[href*="day={day}#"] small').inner_text())


def hold_hour(phone: Phone, row) -> None:
    """Choose an hour: a panel says in place what holding it costs, then it is held."""
    page = phone.page
    row.locator("a.button").click()
    panel = page.locator("#hold-confirmation .confirm-panel")
    expect(panel.locator("h2")).to_be_focused()
    expect(panel).to_contain_text(FEE[phone.lang])
    phone.assert_not_reloaded()
    look(phone, "hold-confirmation")
    panel.locator('button[type="submit"]').click()


# --- Booking, paying and the proof ---------------------------------------------------------


def read_qr(document: bytes, tmp_path) -> str:
    """The text of the one QR code on the letter's page, rendered at 200 dpi."""
    found = qr_codes_on_page(document, tmp_path)
    assert len(found) == 1, found
    return found[0].text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_book_makassar_pay_and_get_the_proof(live_server, page, context, lang, tmp_path):
    services.require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) missing")
    app = live_server.app
    with app.app_context():
        load_demo_offices(clock.today())
        user = make_user(locale=lang)
        makassar = db.session.scalar(select(Office).where(Office.code == MAKASSAR))
        application = submitted_application(user, makassar)
        application.office_id = None  # the applicant chooses it
        db.session.commit()
        email, public_id, number = user.email, application.public_id, application.number
    base = f"/applications/{public_id}"
    phone = Phone(page, lang, javascript=True, name=f"booking-{lang}")
    log_in(phone, email)

    # From the application page to the office search.
    page.goto(base)
    choose_office = page.locator(f'main a[href="{base}/office"]')
    expect(choose_office).to_have_text(
        translated(app, lang, "Choose an office, a date and an hour")
    )
    choose_office.click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/office")
    page.locator("#office-search input[name=q]").fill("Makassar")
    page.locator('#office-search button[type="submit"]').click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["Makassar"])
    found = page.locator("main ul.offices > li.office")
    office = found.filter(has=page.locator(f'input[name="office"][value="{MAKASSAR}"]'))
    expect(office).to_have_count(1)
    expect(office.locator("h2")).to_have_text("Kantor Imigrasi Kelas I Khusus TPI Makassar")
    expect(office.locator(".hint")).to_contain_text("WITA")
    look(phone, "office")

    # The calendar, in the office's time zone.
    office.locator('button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/slots")
    expect(page.locator("main > p").first).to_contain_text(
        translated(app, lang, "times in %(zone)s") % {"zone": "WITA"}
    )
    phone.mark()
    day = first_free_day(phone, app)
    show_day(phone, app, day)
    rows = page.locator("#calendar ul.slots > li")
    labels_shown = [rows.nth(n).locator("span").first.inner_text() for n in range(rows.count())]
    assert labels_shown == [hour_label(lang, hour) for hour in SLOT_HOURS]
    look(phone, "calendar")
    chosen = rows.filter(has=page.locator("a.button")).first
    hour = chosen.locator("span").first.inner_text()

    # Holding it: the bill on the application page, polling itself.
    hold_hour(phone, chosen)
    page.wait_for_url(lambda url: urlsplit(url).path == base)
    bill = page.locator("#payment")
    code = bill.locator(".billing-code").inner_text().strip()
    assert re.fullmatch(r"[1-9]\d{14}", code), code
    facts = bill.locator("dl.summary dd")
    expect(facts.nth(1)).to_have_text(FEE[lang])
    expect(facts.nth(2)).to_contain_text("WITA")
    expect(bill).to_have_attribute("hx-trigger", "every 3s")
    expect(page.locator("main dl.summary").nth(1)).to_contain_text(hour)
    with app.app_context():
        stored = db.session.scalar(select(Bill).where(Bill.code == code))
        deadline = stored.expires_at.astimezone(WITA)
        starts_at = stored.hold.slot.starts_at
    expect(facts.nth(2)).to_contain_text(
        f"{deadline:%H}{'.' if lang == 'id' else ':'}{deadline:%M}"
    )
    assert starts_at.astimezone(WITA).date().isoformat() == day
    look(phone, "awaiting-payment")
    mail = Mailbox(app).last(email)
    # The mail groups the code for reading ("1234 5678 9012 345"); the page copies as digits.
    assert journeys.as_read(code) in Mailbox.text(mail)

    # Paid at the stand-in channel, in another tab.
    polls = paths_requested(page, f"{base}/payment-status")
    phone.mark()
    teller = context.new_page()
    teller.goto("/pay")
    teller.locator('main input[name="billing_code"]').fill(code)
    teller.locator('main form[action="/pay"] button[type="submit"]').click()
    expect(teller.locator("main .billing-code")).to_have_text(code)
    expect(teller.locator("main dl.summary")).to_contain_text(number)
    expect(teller.locator("main dl.summary")).to_contain_text(FEE[lang])
    teller.locator('main button[name="pay"]').click()
    expect(teller.locator("main .notice-success")).to_have_text(
        translated(app, lang, "Payment received. The appointment is confirmed.")
    )
    teller.close()

    # Seen on the application page without a reload; then the polling stops.
    paid = page.locator("#payment .notice-success")
    expect(paid).to_have_text(
        translated(app, lang, "Paid. Your appointment is confirmed."), timeout=SETTLED
    )
    settled = timer.monotonic()
    expect(page.locator("#payment")).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert polls, "the bill never asked for its status"
    phone.assert_not_reloaded()
    page.wait_for_timeout(QUIET * 1000)
    late = [moment for moment in polls if moment > settled]
    assert not late, f"{len(late)} status requests after the bill was paid"
    look(phone, "paid")
    qr_live = page.locator("#proof svg.qr-code").count()

    # The proof of application: a small PDF whose QR code verifies with the published key.
    response = context.request.get(f"{base}/proof.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    document = response.body()
    assert document.startswith(b"%PDF-") and len(document) <= MAX_PDF_BYTES, len(document)
    token = read_qr(document, tmp_path)
    keys = context.request.get("/.well-known/mpaspor-proof-keys.json")
    assert keys.ok
    jwk = keys.json()["keys"][0]
    payload = signing.verify_token(token, signing.key_from_jwk(jwk))
    assert payload["n"] == number
    assert payload["o"] == MAKASSAR
    assert payload["t"] == starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    # The QR code is on the application page: as soon as it is paid, and when opened again.
    page.reload()
    expect(page.locator("main dl.summary dd").nth(1)).to_have_text(
        translated(app, lang, labels.STATUSES["scheduled"])
    )
    look(phone, "scheduled")
    qr_opened = page.locator("#proof svg.qr-code").count()
    assert (qr_live, qr_opened) == (1, 1), (
        f"QR code on the application page: {qr_live} once paid, {qr_opened} when opened again"
    )
    expect(page.locator(f'#proof a[href="{base}/proof.pdf"]')).to_be_visible()


def test_an_unpaid_hold_frees_its_place_at_two_hours(live_server, page, another_phone):
    app = live_server.app
    with app.app_context():
        load_demo_offices(clock.today())
        makassar = db.session.scalar(select(Office).where(Office.code == MAKASSAR))
        tomorrow = clock.today(makassar.timezone) + timedelta(days=1)
        starts_at = datetime.combine(tomorrow, time(SLOT_HOURS[0]), WITA)
        slot = db.session.scalar(
            select(Slot).where(
                Slot.office_id == makassar.id, Slot.starts_at == starts_at, Slot.lane == "regular"
            )
        )
        if slot is None:  # tomorrow is not an opening day: the office opens one hour for us
            slot = make_slot(makassar, starts_at, capacity=1)
        slot.capacity = 1
        db.session.commit()
        slot_id = slot.id
        first, second = make_user(locale="en"), make_user(locale="en")
        mine = submitted_application(first, makassar).public_id
        theirs = submitted_application(second, makassar, nik="5104074101970002").public_id
        emails = first.email, second.email
    day = tomorrow.isoformat()

    # A holds the one place at 08.00 WITA tomorrow, and lets it lapse.
    a = Phone(page, "en", javascript=True, name="hold-a")
    log_in(a, emails[0])
    open_calendar(a, mine)
    a.mark()
    show_day(a, app, day)
    before = free_on(page, day)
    row = hour_row(page, "en", SLOT_HOURS[0])
    expect(row.locator(".hint")).to_have_text("1 free")
    hold_hour(a, row)
    page.wait_for_url(lambda url: urlsplit(url).path == f"/applications/{mine}")
    expect(page.locator("#payment .billing-code")).to_have_text(re.compile(r"^\d{15}$"))
    a.mark()

    # B, on another phone, finds it taken.
    b = Phone(another_phone().new_page(), "en", javascript=True, name="hold-b")
    log_in(b, emails[1])
    open_calendar(b, theirs)
    b.mark()
    show_day(b, app, day)
    row = hour_row(b.page, "en", SLOT_HOURS[0])
    expect(row.locator(".hint")).to_have_text("full")
    expect(row.locator("a.button")).to_have_count(0)
    assert free_on(b.page, day) == before - 1

    # Two hours pass: the deadline of A's hold and bill is now one second ago.
    with app.app_context():
        held = db.session.scalar(
            select(Hold)
            .join(Application, Hold.application_id == Application.id)
            .where(Application.public_id == mine)
        )
        lapsed = clock.now() - timedelta(seconds=1)
        held.expires_at = held.bill.expires_at = lapsed
        db.session.commit()
    # The calendar counted the place held until its old deadline: past a second (what it keeps
    # a month at most) it counts again, as it would once two real hours had passed.
    b.page.wait_for_timeout(availability.FRESH.total_seconds() * 1000 + 100)

    # B sees the place free again, before any expiry job has run, and holds it.
    open_calendar(b, theirs)
    b.mark()
    show_day(b, app, day)
    assert free_on(b.page, day) == before
    row = hour_row(b.page, "en", SLOT_HOURS[0])
    expect(row.locator(".hint")).to_have_text("1 free")
    look(b, "calendar-freed")
    hold_hour(b, row)
    b.page.wait_for_url(lambda url: urlsplit(url).path == f"/applications/{theirs}")
    expect(b.page.locator("#payment .billing-code")).to_have_text(re.compile(r"^\d{15}$"))
    expect(b.page.locator("main .notice-error:not(#offline-notice)")).to_have_count(0)
    with app.app_context():
        live = db.session.scalars(
            select(Application.public_id)
            .join(Hold, Hold.application_id == Application.id)
            .where(Hold.slot_id == slot_id, booking.live_hold_filter(clock.now()))
        ).all()
        assert live == [theirs]

    # The sweep expires A's hold; A's page says so by itself and stops asking.
    with app.app_context():
        assert booking.sweep_expired() == 1
    expired = page.locator("#payment .notice-error")
    expect(expired).to_have_text(
        translated(
            app,
            "en",
            "The billing code expired before it was paid. The place was released; start a new "
            "application to book again.",
        ),
        timeout=SETTLED,
    )
    expect(page.locator("#payment")).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(page.locator("#payment .billing-code")).to_have_count(0)
    a.assert_not_reloaded()
    look(a, "expired")


@pytest.mark.parametrize(
    ("lang", "javascript"), [("id", True), ("en", False)], ids=["id-js", "en-no-js"]
)
def test_the_chosen_days_slots_come_on_screen(live_server, page, lang, javascript):
    """At 360×740 the slot list sits below the calendar: choosing a day must bring it up, by
    the #slots anchor without JavaScript and by the swap's handler with it."""
    app = live_server.app
    with app.app_context():
        load_demo_offices(clock.today())
        user = make_user(locale=lang)
        makassar = db.session.scalar(select(Office).where(Office.code == MAKASSAR))
        public_id = submitted_application(user, makassar).public_id
        email = user.email
    phone = Phone(page, lang, javascript=javascript, name=f"slots-{lang}")
    log_in(phone, email)
    open_calendar(phone, public_id)
    expect(page.locator("#calendar .release-note")).to_contain_text(
        translated(app, lang, "Friday") + ", "
    )
    phone.mark()
    show_day(phone, app, first_free_day(phone, app))
    slots = page.locator("#slots")
    expect(slots).to_be_in_viewport()
    top = slots.evaluate("element => element.getBoundingClientRect().top")
    assert 0 <= top < 740 / 2, f"the slot list starts {top}px down the screen"
    if javascript:
        expect(slots).to_be_focused()
    else:
        assert urlsplit(page.url).fragment == "slots"
    look(phone, "day-chosen")
