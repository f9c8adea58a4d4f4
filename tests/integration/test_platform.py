"""What every page promises: declared access, security headers, CSRF, limits, health, PWA shell."""

import gzip
import json
from urllib.parse import urlsplit

import brotli
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from PIL import Image

from tests import journeys
from tests.conftest import Mailbox
from tests.factories import PASSWORD, jpeg_bytes, make_office, make_user
from tests.html import csrf_token, submit
from tests.integration.test_wizard import signed_in, start
from tests.routes import every_route
from tests.staff import make_administrator, make_staff, sign_in_staff
from tests.visits import checked_in
from webapp.extensions import db
from webapp.models import Application, Office, PrintBatch, Visit
from webapp.rules import visits
from webapp.services import calling, documents

ROLES = (
    "anonymous",
    "unverified",
    "applicant",
    "other applicant",
    "staff",
    "supervisor",
    "staff of another office",
    "supervisor of another office",
    "administrator",
)
# Accounts that sign in with a second factor, and the access each of their kinds of page needs.
ELSEWHERE = {"staff of another office", "supervisor of another office"}
SECOND_FACTOR_ROLES = {"staff", "supervisor", "administrator"} | ELSEWHERE
NEEDED_ROLES = {
    "admin": {"administrator"},
    "staff": {"staff", "supervisor"} | ELSEWHERE,
    "supervisor": {"supervisor", "supervisor of another office"},
    "signing_in": SECOND_FACTOR_ROLES,  # the code page sends them on, once they gave it
}
ALLOWED, LOGIN, VERIFY, FORBIDDEN, NOT_FOUND = "allowed", "to /login", "to /verify", "403", "404"
# Nobody is refused a public page; it may still send someone on (to activate their account) or
# answer a bad link with a 404.
OPEN = {ALLOWED, NOT_FOUND, LOGIN, VERIFY}
# Fragments that pages poll through htmx, never loaded as pages of their own.
FRAGMENTS = {
    "apply.nik_status",
    "apply.document_status",
    "booking.payment_status",
    "display.board",
}
# Counter actions that name a visit in their form rather than in their path.
VISIT_FORMS = {"desk.recall", "desk.not_present", "desk.start_service"}
# Routes that end what the matrix walks with: a session, an open counter.
LAST = ("desk.close_counter", "auth.logout")


def test_every_route_declares_who_may_use_it(app):
    routes = every_route(app, "app000000001")
    assert [route.path for route in routes if route.access is None] == []
    assert {route.access for route in routes} <= {
        "public",
        "signed_in",
        "verified",
        "admin",
        "staff",
        "supervisor",
        "signing_in",
        "debug",
    }


def expected(route, role: str) -> set[str]:
    """What a role gets from a route, by the access the route declares."""
    if route.access == "debug":
        return {NOT_FOUND}  # outside debug the developer pages do not exist
    if route.access == "public":
        return OPEN
    if role == "anonymous":
        return {LOGIN}
    if route.access in NEEDED_ROLES:
        if role not in NEEDED_ROLES[route.access]:
            return {FORBIDDEN}
        names_a_visit = route.of_a_visit or route.endpoint in VISIT_FORMS
        if role in ELSEWHERE and names_a_visit:
            return {NOT_FOUND}  # another office's visit or application does not exist for its staff
        return {ALLOWED}
    if route.access == "verified":
        if role in SECOND_FACTOR_ROLES:
            return {FORBIDDEN}  # their accounts are not applicants'
        if role == "unverified":
            return {VERIFY}
        if route.of_an_application and role != "applicant":
            return {NOT_FOUND}  # another's application does not exist, whoever asks
        return {ALLOWED}
    return {ALLOWED, NOT_FOUND}  # signed_in: any open account; a bad link may be a 404


def answer(response) -> str:
    if response.status_code in (302, 303):
        where = urlsplit(response.location).path
        if where in ("/login", "/verify"):
            return f"to {where}"
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(response.status_code, ALLOWED)


@pytest.fixture
def people(make_app):
    """An applicant with a paid, scheduled application and one uploaded document; someone else
    checked in at the same office; and a client for each of the other roles: staff and a
    supervisor of that office, staff and a supervisor of another office each with a counter
    open, and an administrator, each signed in with their second factor."""
    app = make_app(RATELIMIT_ENABLED=False)
    owner = journeys.bookable(app, journeys.open_office(app)).hold().pay()
    with app.app_context():
        application = db.session.scalar(sa.select(Application).filter_by(public_id=owner.public_id))
        document = documents.upload(application, "ktp", jpeg_bytes())
        office_ids = {"document_id": document.id, "application_id": application.id}
        office = db.session.get(Office, application.office_id)
        emails = {
            "unverified": make_user(verified=False).email,
            "other applicant": make_user().email,
        }
        visit_id = checked_in(office).id
        other_office = make_office()
        elsewhere = make_staff(other_office)
        calling.open_counter(elsewhere, 1, list(visits.LANES))
        other_supervisor = make_staff(other_office, role="supervisor")
        calling.open_counter(other_supervisor, 2, list(visits.LANES))
        officer = make_staff(office)
        # A batch of the office's receipts, still queued: its pages name a thing of the office.
        batch = PrintBatch(
            office_id=office.id,
            requested_by=officer.id,
            paper="a4",
            application_ids=[application.id],
            total=1,
        )
        db.session.add(batch)
        db.session.commit()
        office_ids["batch_id"] = batch.id
        staff_emails = {
            "staff": officer.email,
            "supervisor": make_staff(office, role="supervisor").email,
            "staff of another office": elsewhere.email,
            "supervisor of another office": other_supervisor.email,
            "administrator": make_administrator().email,
        }
    clients = {
        "anonymous": app.test_client(),
        "applicant": owner.client,
        **{role: journeys.sign_in(app, email) for role, email in emails.items()},
        **{role: sign_in_staff(app, email) for role, email in staff_emails.items()},
    }
    return app, owner, visit_id, office_ids, clients


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_its_access_says(people, role):
    app, owner, visit_id, office_ids, clients = people
    client = clients[role]
    token = csrf_token(client.get("/login" if role == "anonymous" else "/account/password"))
    # The owner only reads: their posts would change the application the matrix is about (the
    # journeys' own tests post them). Logging out comes last, since it ends the session.
    routes = [
        route
        for route in every_route(app, owner.public_id, visit_id, **office_ids)
        if role != "applicant" or route.method == "GET"
    ]
    routes.sort(key=lambda route: LAST.index(route.endpoint) if route.endpoint in LAST else -1)
    wrong = []
    for route in routes:
        data = {"csrf_token": token, "visit_id": visit_id} if route.method == "POST" else None
        headers = {"HX-Request": "true"} if route.endpoint in FRAGMENTS else {}
        got = answer(client.open(route.path, method=route.method, data=data, headers=headers))
        if got not in expected(route, role):
            wrong.append(f"{route.method} {route.path}: {got}, not {expected(route, role)}")
    assert wrong == []
    assert owner.status() == "scheduled" and len(owner.holds()) == 1
    with app.app_context():
        assert db.session.get(Visit, visit_id).status == visits.WAITING


def test_an_id_no_column_can_hold_is_refused_by_the_router_not_the_database(people):
    app, owner, _visit_id, _office_ids, clients = people
    client = clients["supervisor"]
    token = csrf_token(client.get("/account/password"))
    beyond = 2**31  # one past the largest integer id: the database would refuse to compare
    routes = [
        route
        for route in every_route(
            app, owner.public_id, beyond, document_id=beyond, application_id=beyond, batch_id=beyond
        )
        if route.of_a_visit
    ]
    assert routes
    answers = {
        f"{route.method} {route.path}": client.open(
            route.path, method=route.method, data={"csrf_token": token}
        ).status_code
        for route in routes
    }
    # 404; or 405 for a POST to a path that also has a GET: the router refuses the method there
    # before it converts the id. Never the database's error.
    assert set(answers.values()) <= {404, 405} and 404 in answers.values(), answers


def test_pages_carry_security_headers(client):
    response = client.get("/register")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "HX-Request" in response.headers["Vary"]


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/", "/register", "/login", "/password/forgot", "/offline"):
        text = client.get(path).text
        assert "<script>" not in text and "style=" not in text and "<style" not in text


def test_session_cookie_is_secure_outside_debug(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        make_user(email="siti@contoh.id")
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_is_refused_with_a_clear_page(client):
    response = client.post("/register", data={"email": "a@contoh.id"})
    assert response.status_code == 400
    assert "Formulir ini sudah kedaluwarsa" in response.text


def test_htmx_requests_need_the_csrf_header_too(client):
    response = client.post("/verify/resend", headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_registration_is_rate_limited_per_email_not_per_address_in_the_users_language(client):
    client.set_cookie("lang", "en")
    # Many people behind one address (carrier-grade NAT) are not refused together...
    statuses = [submit(client, "/register", {"email": f"x{n}@contoh.id"}) for n in range(12)]
    assert [response.status_code for response in statuses] == [422] * 12
    # ...but one email address tried again and again is.
    for _ in range(4):
        submit(client, "/register", {"email": "x0@contoh.id"})
    response = submit(client, "/register", {"email": "x0@contoh.id"})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_login_is_rate_limited_per_account_whatever_the_address(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
    statuses = []
    for n in range(11):
        client = app.test_client()  # a fresh client each time, as from another device
        response = submit(
            client,
            "/login",
            {"email": "siti@contoh.id", "password": "tebak-tebakan"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and statuses[:10] == [422] * 10


def test_unknown_page_is_a_404_in_indonesian(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404 and "Halaman tidak ditemukan" in response.text


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_healthz_reports_redis_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "degraded",
        "database": "ok",
        "redis": "down",
        "storage": "filesystem",
    }
    assert "127.0.0.1" not in response.text


def test_healthz_reports_redis_up(make_app, redis):
    response = make_app(REDIS_URL=redis).test_client().get("/healthz")
    assert response.json["redis"] == "ok"


def test_mail_page_exists_only_in_debug(make_app):
    app = make_app()
    assert app.test_client().get("/dev/mail").status_code == 404
    app.debug = True
    submit(app.test_client(), "/password/forgot", {"email": "nobody@contoh.id"})
    with app.app_context():
        make_user(email="siti@contoh.id")
    submit(app.test_client(), "/password/forgot", {"email": "siti@contoh.id"})
    Mailbox(app).run_jobs()
    page = app.test_client().get("/dev/mail")
    assert page.status_code == 200 and "siti@contoh.id" in page.text


def test_service_worker_precaches_the_shell_and_the_offline_page(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.text
    assert '"/offline"' in body
    precache = json.loads(body.split("const PRECACHE = ")[1].split(";")[0])
    for url in precache:
        with client.get(url) as cached:
            assert cached.status_code == 200, url


def test_the_kept_offline_page_carries_no_account(app):
    """The worker keeps one copy of the offline page for whoever uses the phone next: fetched by
    a signed-in applicant it names no account and loads nothing of one."""
    with app.app_context():
        make_user(email="siti@contoh.id")
    client = signed_in(app)
    assert 'name="account-tag"' in client.get("/").text  # a page of the account does
    offline = client.get("/offline")
    assert "X-Account-Tag" not in offline.headers
    assert 'name="account-tag"' not in offline.text and "drafts.js" not in offline.text


def test_each_answer_names_the_account_signed_in_when_it_is_sent(app):
    """The worker files a page under its X-Account-Tag: the answer to a sign-in names the account
    just signed in, the answer to a logout none, and two accounts signing in in turn on one phone
    each get their own tag and their own applications only."""
    with app.app_context():
        make_user(email="siti@contoh.id")
        make_user(email="budi@contoh.id")
    client = app.test_client()
    siti = submit(client, "/login", {"email": "siti@contoh.id", "password": PASSWORD}).headers
    assert client.get("/").headers["X-Account-Tag"] == siti["X-Account-Tag"]
    application = start(client)
    logout = client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    assert logout.status_code == 302 and "X-Account-Tag" not in logout.headers
    budi = submit(client, "/login", {"email": "budi@contoh.id", "password": PASSWORD}).headers
    assert budi["X-Account-Tag"] not in ("", siti["X-Account-Tag"])
    assert client.get("/").headers["X-Account-Tag"] == budi["X-Account-Tag"]
    assert client.get(f"{application}/service").status_code == 404


def test_static_assets_are_content_hashed_and_cached_for_a_year(client):
    page = client.get("/").text
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert "?v=" in href
    with client.get(href) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        # A cookie renewed on every page would make browsers fetch the file again (Vary: Cookie).
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")
    # A name without its hash may change under the same URL: kept, but asked about each time.
    with client.get("/static/icons/icon-192.png") as response:
        assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("accepted, sent", [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_pages_and_assets_are_sent_compressed_with_their_length(app, accepted, sent):
    browser = FlaskClient(app)  # the checking client parses pages, which it cannot compressed
    plain_page = browser.get("/")
    script = plain_page.text.split('<script src="')[1].split('"')[0]
    for url, plain in (("/", plain_page), (script, browser.get(script))):
        response = browser.get(url, headers={"Accept-Encoding": accepted})
        assert response.headers.get("Content-Encoding") == sent, url
        assert int(response.headers["Content-Length"]) == len(response.data), url
        assert "Accept-Encoding" in response.headers["Vary"], url
        if sent == "br":
            assert brotli.decompress(response.data)[:15] == plain.data[:15]
        elif sent == "gzip":
            assert gzip.decompress(response.data)[:15] == plain.data[:15]
    assert sent is None or len(response.data) * 2 < len(plain.data)


def test_a_compressed_asset_is_revalidated_by_its_own_etag(client):
    href = client.get("/").text.split('<script src="')[1].split('"')[0]
    first = client.get(href, headers={"Accept-Encoding": "br"})
    again = client.get(
        href, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_manifest_names_real_icons(client, app):
    with client.get("/static/manifest.webmanifest") as response:
        manifest = json.loads(response.data)
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    sizes = {}
    for icon in manifest["icons"]:
        path = app.static_folder + icon["src"].removeprefix("/static")
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.setdefault(icon["sizes"], set()).add(icon["purpose"])
    assert "any" in sizes["192x192"] and {"any", "maskable"} <= sizes["512x512"]


@pytest.mark.parametrize("path", ["/", "/register", "/login", "/password/forgot"])
def test_personal_fields_carry_autocomplete(client, path):
    text = client.get(path).text
    assert 'type="email"' not in text or 'autocomplete="email"' in text
    if 'name="phone"' in text:
        assert 'autocomplete="tel"' in text and 'inputmode="tel"' in text


def test_a_signed_in_page_offers_log_out_in_its_header(app):
    """Families and warnet users share phones: leaving must not hide inside the profile."""
    with app.app_context():
        email = make_user().email
    client = journeys.sign_in(app, email)
    header = client.get("/").text.split("<header")[1].split("</header>")[0]
    assert 'action="/logout"' in header
    token = header.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": token}).location == "/"
    assert 'action="/logout"' not in client.get("/").text
