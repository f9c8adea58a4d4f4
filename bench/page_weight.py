"""Page weight: gzipped bytes of the account pages and of a first visit to the landing page.

Run from the repository root: `python bench/page_weight.py`. It builds the app on a throw-away
SQLite database, walks the pages through Flask's test client, gzips each response at level 6
(what a typical server does) and prints a table, then one `name: value` line per figure.

Budgets (reported, not enforced): each page's HTML at most 14 KB gzipped, so that it arrives in
the first round trips; a first visit (landing HTML and everything it loads) at most 45 KB.
"""

import gzip
import io
import json
import os
import re
import sys
import tempfile
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from tests.factories import FORM_ANSWERS, jpeg_bytes  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.clock import now  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402

KB = 1024
HTML_BUDGET = 14 * KB
FIRST_VISIT_BUDGET = 45 * KB
ORIGIN = "http://localhost"  # the test client's
PASSWORD = "kopi-tubruk-pagi"
SEEDED_EMAIL = "budi@contoh.id"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


class References(HTMLParser):
    """The URLs a page makes a browser fetch: stylesheets, scripts, icons, manifest, images."""

    LINK_RELS = {"stylesheet", "icon", "apple-touch-icon", "manifest", "preload", "modulepreload"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.csrf_token: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and self.LINK_RELS & set((attrs.get("rel") or "").lower().split()):
            self._add(attrs.get("href"))
        elif tag in ("script", "img", "source", "video", "audio", "iframe"):
            self._add(attrs.get("src"))
        elif tag == "input" and attrs.get("name") == "csrf_token" and self.csrf_token is None:
            self.csrf_token = attrs.get("value")

    def _add(self, url):
        if url and url not in self.urls:
            self.urls.append(url)


def parse(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


def is_third_party(url: str) -> bool:
    parts = urlsplit(urljoin(ORIGIN + "/", url))
    if parts.scheme in ("data", "blob"):
        return False
    return f"{parts.scheme}://{parts.netloc}" != ORIGIN


def get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return response


def post_form(client, path: str, fields: dict):
    """GET a page and submit its form with its CSRF token, as a browser would."""
    token = parse(get(client, path).get_data(as_text=True)).csrf_token
    if token is None:
        raise RuntimeError(f"no CSRF token on {path}")
    return client.post(path, data={"csrf_token": token, **fields})


def make_app(directory: Path):
    config = {
        "TESTING": True,
        "DEMO_MODE": True,
        "INSTANCE_PATH": str(directory / "instance"),
        "SECRET_KEY": "bench-secret-key",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(directory / "bench.sqlite"),
        "MAIL_SERVER": None,
        "MAIL_DIR": str(directory / "mail"),
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
        "SESSION_COOKIE_SECURE": False,
        "BASE_URL": ORIGIN,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.session.add(
            User(
                full_name="Budi Santoso",
                email=SEEDED_EMAIL,
                phone="+6281234567890",
                password_hash=generate_password_hash(PASSWORD, method="scrypt"),
                locale="id",
                terms_accepted_at=now(),
                verified_at=now(),
            )
        )
        db.session.commit()
    return app


def measure(app) -> tuple[dict, list[tuple[str, int, int]], list[str]]:
    figures: dict[str, int] = {}

    visitor = app.test_client()
    landing = get(visitor, "/").get_data()
    figures["landing_html_gz_bytes"] = gz(landing)
    figures["register_html_gz_bytes"] = gz(get(visitor, "/register").get_data())
    registered = post_form(
        visitor,
        "/register",
        {
            "full_name": "Śri Rahayu",
            "email": "sri@contoh.id",
            "phone": "0812 3456 7891",
            "password": "nasi-goreng-kampung",
            "accept_terms": "y",
        },
    )
    if registered.status_code != 302 or urlsplit(registered.location).path != "/verify":
        raise RuntimeError(f"registration answered {registered.status_code}")
    figures["verify_html_gz_bytes"] = gz(get(visitor, "/verify").get_data())

    member = app.test_client()
    figures["login_html_gz_bytes"] = gz(get(member, "/login").get_data())
    logged_in = post_form(member, "/login", {"email": SEEDED_EMAIL, "password": PASSWORD})
    if logged_in.status_code != 302:
        raise RuntimeError(f"login answered {logged_in.status_code}")
    home = get(member, "/").get_data(as_text=True)
    if "Budi Santoso" not in home:
        raise RuntimeError("the signed-in home page does not show the member's name")
    figures["home_html_gz_bytes"] = gz(home.encode())
    measure_wizard(member, figures)

    # First visit: the landing page and everything it makes the browser fetch.
    fresh = app.test_client()
    landing = get(fresh, "/").get_data()
    rows = [("/ (landing HTML)", len(landing), gz(landing))]
    references = parse(landing.decode()).urls
    queue = list(references)
    third_party = [url for url in queue if is_third_party(url)]
    fetched = set()
    while queue:
        url = queue.pop(0)
        if url in fetched or is_third_party(url):
            continue
        fetched.add(url)
        body = get(fresh, url).get_data()
        rows.append((url, len(body), gz(body)))
        path = urlsplit(url).path
        if path.endswith(".webmanifest"):
            icons = json.loads(body)["icons"]
            more = [urljoin(url, i["src"]) for i in icons if i.get("sizes") == "192x192"][:1]
            third_party += [u for u in [urljoin(url, i["src"]) for i in icons] if is_third_party(u)]
            queue += more
        elif path.endswith(".css"):
            found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", body.decode())
            found = [urljoin(url, u) for u in found if not u.startswith("data:")]
            third_party += [u for u in found if is_third_party(u)]
            queue += found
    figures["first_visit_gz_bytes"] = sum(row[2] for row in rows)
    figures["third_party_requests"] = len(third_party)

    # With scripts on, the service worker also fetches itself and the offline page it keeps.
    extra = 0
    for url in ("/sw.js", "/offline"):
        body = get(fresh, url).get_data()
        extra += gz(body)
        rows.append((f"{url} (service worker, not in first visit)", len(body), gz(body)))
    figures["service_worker_extra_gz_bytes"] = extra
    return figures, rows, third_party


def measure_wizard(member, figures: dict) -> None:
    """Each step page of an application, as the applicant reaches it (documents uploaded)."""
    started = member.post("/applications", data={"csrf_token": csrf_of(member, "/")})
    base = urlsplit(started.location).path.rsplit("/", 1)[0]
    for step, answers in FORM_ANSWERS.items():
        figures[f"step_{step}_html_gz_bytes"] = gz(get(member, f"{base}/{step}").get_data())
        saved = post_form(member, f"{base}/{step}", answers)
        if saved.status_code != 302:
            raise RuntimeError(f"step {step} answered {saved.status_code}")
    photo = io.BytesIO(jpeg_bytes())  # a sharp photo of a printed page, as the checks want
    for code in ("ktp", "kk", "civil_record"):
        member.post(
            f"{base}/documents/{code}",
            data={
                "csrf_token": csrf_of(member, f"{base}/documents"),
                "file": (io.BytesIO(photo.getvalue()), "photo.jpg"),
            },
            content_type="multipart/form-data",
        ).close()
    figures["step_documents_html_gz_bytes"] = gz(get(member, f"{base}/documents").get_data())
    figures["step_review_html_gz_bytes"] = gz(get(member, f"{base}/review").get_data())


def csrf_of(client, path: str) -> str:
    return parse(get(client, path).get_data(as_text=True)).csrf_token


def report(figures: dict, rows: list, third_party: list[str]) -> None:
    def status(value: int, budget: int) -> str:
        return "ok" if value <= budget else "OVER"

    print("Page HTML (gzip -6)          bytes    budget  ")
    for name, value in figures.items():
        if not name.endswith("_html_gz_bytes"):
            continue
        label = name.removesuffix("_html_gz_bytes")
        print(f"  {label:<24} {value:>7}  {HTML_BUDGET:>8}  {status(value, HTML_BUDGET)}")
    print()
    print("First visit                                         raw      gzip")
    for url, raw, gzipped in rows:
        print(f"  {url:<48} {raw:>7}  {gzipped:>8}")
    total = figures["first_visit_gz_bytes"]
    print(
        f"  {'total (landing + its assets)':<48} {'':>7}  {total:>8}"
        f"  budget {FIRST_VISIT_BUDGET}  {status(total, FIRST_VISIT_BUDGET)}"
    )
    print(
        f"  third-party requests: {len(third_party)}" + (f" {third_party}" if third_party else "")
    )
    print()
    for name, value in figures.items():
        print(f"{name}: {value}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="page-weight-") as directory:
        app = make_app(Path(directory))
        try:
            figures, rows, third_party = measure(app)
        finally:
            with app.app_context():
                db.engine.dispose()
    report(figures, rows, third_party)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
