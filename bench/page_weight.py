"""Page weight as sent: the bytes the running server puts on the wire, page by page and for a whole
journey in Chromium.

Run it as `python bench/page_weight.py`. It migrates a throw-away SQLite database, serves the app
with gunicorn (bench/harness.py) and then measures over HTTP:

1. Each account page and wizard step, asked for as a browser asks (`Accept-Encoding: br, gzip`):
   the body bytes sent (compressed when the server compresses), and a first visit: the landing
   page and everything it makes a browser fetch.
2. journey_bytes: Chromium at 360x740 registers, activates the account with the mailed code,
   fills in the six steps, uploads three photos, submits, chooses an office, a day and an hour,
   waits while the bill is paid (by the bank's notice) and downloads the proof of application.
   Every response's encodedDataLength from Chromium's network log (CDP, headers included) is
   added up: what the phone's data plan pays for. Uploads are what the phone sends, not
   receives, and are not in it; the service worker is left out (it keeps the same shell files).

Budgets (reported, not enforced): each page at most 14 KB as sent, so that it arrives in the
first round trips; a first visit at most 45 KB; a journey at most 150 KB. The names of the
figures end in _gz_bytes for history: they are bytes as sent, Brotli-compressed here.
"""

import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402
from tests.factories import FORM_ANSWERS, jpeg_bytes  # noqa: E402
from webapp.extensions import db  # noqa: E402

KB = 1024
HTML_BUDGET = 14 * KB
FIRST_VISIT_BUDGET = 45 * KB
JOURNEY_BUDGET = 150 * KB
ACCEPT_ENCODING = "br, gzip"  # what Chrome on Android sends over HTTPS
SEEDED_EMAIL = "budi@contoh.id"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCUMENTS = ("ktp", "kk", "civil_record")  # a new adult's, for tourism
JOURNEY_KINDS = [
    (r"^/static/", "static files"),
    (r"/documents/\w+/(thumbnail|file)$", "document thumbnails"),
    (r"/documents/\w+$", "upload answers"),
    (r"/(nik-status|payment-status|documents/\w+/status)$", "status polls"),
    (r"/proof\.pdf$", "proof PDF"),
]
# The journey's applicant is another resident: the pages' one already holds the NIK above.
JOURNEY_ANSWERS = {
    **FORM_ANSWERS,
    "passport": {
        **FORM_ANSWERS["passport"],
        **{"birth_date-day": "17", "birth_date-month": "08", "birth_date-year": "1990"},
    },
    "personal": {
        **FORM_ANSWERS["personal"],
        **{"nik": "3174011708900012", "full_name": "Budi Santoso", "sex": "M"},
    },
}


class References(HTMLParser):
    """The URLs a page makes a browser fetch: stylesheets, scripts, icons, manifest, images."""

    LINK_RELS = {"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and self.LINK_RELS & set((attrs.get("rel") or "").lower().split()):
            self._add(attrs.get("href"))
        elif tag in ("script", "img", "source", "video", "audio", "iframe"):
            self._add(attrs.get("src"))

    def _add(self, url):
        if url and url not in self.urls:
            self.urls.append(url)


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


def add_member(bench: harness.Bench) -> None:
    """The one verified member whose pages are weighed."""
    with bench.app_context():
        db.session.add(harness.verified_user(SEEDED_EMAIL, "Budi Santoso", "+6281234567890"))
        db.session.commit()


# Pages over HTTP ----------------------------------------------------------------------------


class Origin:
    def __init__(self, server: harness.Server):
        self.server = server
        self.url = server.url

    def browser(self) -> harness.Client:
        return self.server.client({"Accept-Encoding": ACCEPT_ENCODING})

    def is_third_party(self, url: str) -> bool:
        parts = urlsplit(urljoin(self.url + "/", url))
        if parts.scheme in ("data", "blob"):
            return False
        return f"{parts.scheme}://{parts.netloc}" != self.url


def sent(client: harness.Client, path: str) -> tuple[str, int]:
    """GET `path`: the body as text, and its bytes as they came over the wire."""
    status, body = client.request("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return body, client.body_bytes


def measure_pages(
    origin: Origin, bench: harness.Bench
) -> tuple[dict, list[tuple[str, int]], list[str]]:
    figures: dict[str, int] = {}
    visitor = origin.browser()
    figures["landing_html_gz_bytes"] = sent(visitor, "/")[1]
    figures["register_html_gz_bytes"] = sent(visitor, "/register")[1]
    registration = {
        "full_name": "Śri Rahayu",
        "email": "sri@contoh.id",
        "phone": "0812 3456 7891",
        "password": "nasi-goreng-kampung",
        "accept_terms": "y",
    }
    if visitor.submit("/register", registration) != "/verify":
        raise RuntimeError("registration did not lead to /verify")
    figures["verify_html_gz_bytes"] = sent(visitor, "/verify")[1]

    member = origin.browser()
    figures["login_html_gz_bytes"] = sent(member, "/login")[1]
    member.sign_in(SEEDED_EMAIL)
    home, figures["home_html_gz_bytes"] = sent(member, "/")
    if "Budi Santoso" not in home:
        raise RuntimeError("the signed-in home page does not show the member's name")
    measure_wizard(member, bench, figures)

    rows, third_party = first_visit(origin)
    figures["first_visit_gz_bytes"] = sum(size for url, size in rows)
    figures["third_party_requests"] = len(third_party)
    # With scripts on, the service worker also fetches itself and the offline page it keeps.
    extra = 0
    for url in ("/sw.js", "/offline"):
        size = sent(origin.browser(), url)[1]
        extra += size
        rows.append((f"{url} (service worker, not in first visit)", size))
    figures["service_worker_extra_gz_bytes"] = extra
    return figures, rows, third_party


def measure_wizard(member: harness.Client, bench: harness.Bench, figures: dict) -> None:
    """Each step page of an application, as the applicant reaches it (documents uploaded)."""
    from webapp.models import Application
    from webapp.services import documents

    _, token = member.csrf_token("/")
    member.request("POST", "/applications", {"csrf_token": token})
    base = member.location.rsplit("/", 1)[0]
    for step, answers in FORM_ANSWERS.items():
        figures[f"step_{step}_html_gz_bytes"] = sent(member, f"{base}/{step}")[1]
        member.submit(f"{base}/{step}", answers)
    with bench.app_context():  # the same database the server uses
        application = db.session.scalar(
            db.select(Application).filter_by(public_id=base.rsplit("/", 1)[1])
        )
        for code in DOCUMENTS:
            documents.upload(application, code, jpeg_bytes())
    figures["step_documents_html_gz_bytes"] = sent(member, f"{base}/documents")[1]
    figures["step_review_html_gz_bytes"] = sent(member, f"{base}/review")[1]


def first_visit(origin: Origin) -> tuple[list[tuple[str, int]], list[str]]:
    """The landing page and everything it makes a browser fetch, with their bytes as sent."""
    fresh = origin.browser()
    landing, size = sent(fresh, "/")
    rows = [("/ (landing HTML)", size)]
    queue = references(landing)
    third_party = [url for url in queue if origin.is_third_party(url)]
    fetched = set()
    while queue:
        url = queue.pop(0)
        if url in fetched or origin.is_third_party(url):
            continue
        fetched.add(url)
        body, size = sent(fresh, url)
        rows.append((url, size))
        path = urlsplit(url).path
        found = []
        if path.endswith(".webmanifest"):
            icons = [urljoin(url, i["src"]) for i in json.loads(body)["icons"]]
            found = icons[:1]  # a browser fetches one icon, the size it needs
            third_party += [u for u in icons if origin.is_third_party(u)]
        elif path.endswith(".css"):
            found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", body)
            found = [urljoin(url, u) for u in found if not u.startswith("data:")]
            third_party += [u for u in found if origin.is_third_party(u)]
        queue += found
    return rows, third_party


# A whole journey in Chromium ----------------------------------------------------------------


def journey_bytes(origin: Origin, bench: harness.Bench) -> tuple[int, dict[str, int]]:
    """Register -> proof PDF on a 360 px phone: the bytes every response took on the wire."""
    from playwright.sync_api import sync_playwright

    from webapp import clock
    from webapp.services.offices import load_demo_offices

    with bench.app_context():
        load_demo_offices(clock.today())
    photo = Path(bench.scratch) / "photo.jpg"
    photo.write_bytes(jpeg_bytes())
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(
            base_url=origin.url,
            viewport={"width": 360, "height": 740},
            is_mobile=True,
            has_touch=True,
            locale="id-ID",
            service_workers="block",
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        network = context.new_cdp_session(page)
        urls: dict[str, str] = {}
        received: dict[str, float] = {}
        network.on(
            "Network.requestWillBeSent",
            lambda e: urls.setdefault(e["requestId"], e["request"]["url"]),
        )
        network.on(
            "Network.loadingFinished",
            lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]),
        )
        network.send("Network.enable")
        try:
            pdf_bytes = walk(page, bench, photo)
        finally:
            chromium.close()
    by_kind: dict[str, float] = {"proof PDF": pdf_bytes}
    for request_id, size in received.items():
        kind = journey_kind(urls.get(request_id, ""))
        if kind != "proof PDF":
            by_kind[kind] = by_kind.get(kind, 0) + size
    return int(sum(by_kind.values())), {kind: int(size) for kind, size in by_kind.items()}


def journey_kind(url: str) -> str:
    """What a request of the journey was for, to tell where the bytes go."""
    path = urlsplit(url).path
    for pattern, kind in JOURNEY_KINDS:
        if re.search(pattern, path):
            return kind
    return "pages and fragments"


def walk(page, bench: harness.Bench, photo: Path) -> int:
    """The journey, step by step as a thumb takes it; the bytes of the proof PDF."""
    email = "ayu@contoh.id"
    page.goto("/")
    page.click('main a[href="/register"]')
    page.fill('input[name="full_name"]', "Ayu Lestari")
    page.fill('input[name="email"]', email)
    page.fill('input[name="phone"]', "0812 3456 7892")
    page.fill('input[name="password"]', "nasi-goreng-kampung")
    page.check('input[name="accept_terms"]')
    page.click('main form[action="/register"] button[type="submit"]')
    page.wait_for_url("**/verify")
    page.fill('input[name="code"]', activation_code(bench, email))
    page.click('main form[action="/verify"] button[type="submit"]')
    page.wait_for_url("**/login")
    page.fill('main input[name="email"]', email)
    page.fill('main input[name="password"]', "nasi-goreng-kampung")
    page.click('main form[action="/login"] button[type="submit"]')
    page.wait_for_url(lambda url: urlsplit(url).path == "/")

    page.click('main form[action="/applications"] button[type="submit"]')
    page.wait_for_url(re.compile(r"/service$"))
    base = urlsplit(page.url).path.rsplit("/", 1)[0]
    steps = list(JOURNEY_ANSWERS)
    for step, following in zip(steps, [*steps[1:], "documents"], strict=True):
        for name, value in JOURNEY_ANSWERS[step].items():
            field = page.locator(f'#wizard [name="{name}"]')
            if field.first.get_attribute("type") == "radio":
                page.check(f'#wizard input[name="{name}"][value="{value}"]')
            else:
                field.fill(value)
        page.click(f'#wizard form[action="{base}/{step}"] button[type="submit"]')
        page.wait_for_url(lambda url, f=following: urlsplit(url).path == f"{base}/{f}")
    for code in DOCUMENTS:
        item = page.locator(f"#doc-{code}")
        item.locator('input[type="file"]').set_input_files(photo)
        item.locator('button[type="submit"]').click()
        item.locator(".tag-ok").wait_for()
    page.click(f'#wizard form[action="{base}/documents"] button[type="submit"]')
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/review")
    page.check('#wizard input[name="declare_true"]')
    page.check('#wizard input[name="accept_forfeit"]')
    page.click(f'#wizard form[action="{base}/review"] button[type="submit"]')
    page.wait_for_url(lambda url: urlsplit(url).path == base)

    page.click(f'main a[href="{base}/office"]')
    page.fill("#office-search input[name=q]", "Makassar")
    page.click('#office-search button[type="submit"]')
    page.wait_for_url(re.compile(r"q=Makassar"))
    page.locator('main li.office:has(input[value="kanim-makassar"]) button[type="submit"]').click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"{base}/slots")
    page.locator("table.calendar td a").first.click()
    page.locator("#calendar ul.slots a.button").first.click()
    # The hour's confirmation opens in place; holding it leads back to the application.
    page.locator("#hold-confirmation form button[type='submit']").first.click()
    page.wait_for_url(lambda url: urlsplit(url).path == base)
    pay(bench, base.rsplit("/", 1)[1])
    page.locator("#payment .notice-success").wait_for()
    with page.expect_response(lambda response: response.url.endswith("/proof.pdf")) as pdf:
        page.click(f'#proof a[href="{base}/proof.pdf"]')
    pdf.value.finished()
    # Chromium hands a PDF to its viewer, and the network log then counts none of its body.
    headers = pdf.value.request.sizes()["responseHeadersSize"]
    return headers + int(pdf.value.headers["content-length"])


def activation_code(bench: harness.Bench, email: str) -> str:
    """The 6-digit code of the newest mail to `email` in the demo mailbox."""
    mails = sorted(Path(bench.app.config["MAIL_DIR"]).glob("*.eml"), key=os.path.getmtime)
    for mail in reversed(mails):
        text = mail.read_text(errors="replace")
        if email in text:
            return re.search(r"\b\d{6}\b", text.split("\n\n", 1)[1]).group(0)
    raise RuntimeError(f"no mail to {email}")


def pay(bench: harness.Bench, public_id: str) -> None:
    """The bank's notice for the bill, as the payment channel sends it."""
    from webapp import clock
    from webapp.integrations.payment_gateway import Notice
    from webapp.models import Application
    from webapp.services import booking, payments

    with bench.app_context():
        application = db.session.scalar(db.select(Application).filter_by(public_id=public_id))
        bill = booking.bill_for(application)
        payments.apply_notice(Notice("BENCH-1", bill.code, bill.amount, clock.now()))


# Report -------------------------------------------------------------------------------------


def report(figures: dict, rows: list, third_party: list[str], kinds: dict[str, int]) -> None:
    def status(value: int, budget: int) -> str:
        return "ok" if value <= budget else "OVER"

    print(f"Page HTML as sent (Accept-Encoding: {ACCEPT_ENCODING})   bytes    budget")
    for name, value in figures.items():
        if not name.endswith("_html_gz_bytes"):
            continue
        label = name.removesuffix("_html_gz_bytes")
        print(f"  {label:<40} {value:>7}  {HTML_BUDGET:>8}  {status(value, HTML_BUDGET)}")
    print()
    print("First visit, as sent                                   bytes")
    for url, size in rows:
        print(f"  {url:<52} {size:>7}")
    total = figures["first_visit_gz_bytes"]
    print(
        f"  {'total (landing + its assets)':<52} {total:>7}"
        f"  budget {FIRST_VISIT_BUDGET}  {status(total, FIRST_VISIT_BUDGET)}"
    )
    print(
        f"  third-party requests: {len(third_party)}" + (f" {third_party}" if third_party else "")
    )
    journey = figures["journey_bytes"]
    print(
        f"Journey register -> PDF in Chromium: {journey} bytes received"
        f"  budget {JOURNEY_BUDGET}  {status(journey, JOURNEY_BUDGET)}"
    )
    for kind, size in sorted(kinds.items(), key=lambda item: -item[1]):
        print(f"  {kind:<52} {size:>7}")
    print()
    harness.report(figures)


def main() -> None:
    with harness.Bench(None) as bench:
        add_member(bench)
        with bench.serve() as server:
            origin = Origin(server)
            figures, rows, third_party = measure_pages(origin, bench)
            figures["journey_bytes"], kinds = journey_bytes(origin, bench)
    report(figures, rows, third_party, kinds)


if __name__ == "__main__":
    main()
