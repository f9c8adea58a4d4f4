"""Small things an applicant relies on: page counts in words, the terms behind the checkbox, the
language switch that keeps a step as typed, the browser's favicon, the jobs page without Redis."""

import os
import re
import subprocess
from zoneinfo import ZoneInfo

import html5lib
import pytest
from flask_babel import force_locale, format_date
from sqlalchemy import select
from sqlalchemy import update as sa_update

from tests import journeys
from tests.conftest import Mailbox
from tests.factories import jpeg_bytes, make_user, pdf_bytes
from tests.html import NS, csrf_token, submit
from tests.integration.test_wizard import fill_steps, signed_in, start, upload
from tests.staff import make_administrator, sign_in_staff
from webapp.extensions import db
from webapp.models import Application, Bill, User

WITA = ZoneInfo("Asia/Makassar")

SERVICE = {"for_self": "yes", "service": "regular", "application_type": "new"}


def test_page_counts_are_in_the_singular_for_one_page(app):
    with app.app_context():
        make_user(email="siti@contoh.id", locale="en")
    client = signed_in(app)
    base = start(client)
    fill_steps(client, base)
    for code, content, name in [
        ("ktp", jpeg_bytes(), "ktp.jpg"),
        ("kk", pdf_bytes(1), "kk.pdf"),
        ("civil_record", pdf_bytes(3), "akta.pdf"),
    ]:
        assert upload(client, base, code, content, name).status_code == 302
    counts = re.compile(r"PDF, \d+ pages?\b")
    assert counts.findall(client.get(f"{base}/documents").text) == ["PDF, 1 page", "PDF, 3 pages"]
    assert counts.findall(client.get(f"{base}/review").text) == ["PDF, 1 page", "PDF, 3 pages"]


def test_a_hidden_element_stays_hidden_whatever_its_class(app):
    """ "Use my location" is a .button marked hidden until a script finds geolocation."""
    with app.test_client().get("/static/css/app.css") as response:
        css = response.text
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none\s*!important", css)


def test_the_terms_are_linked_beside_the_checkbox_in_a_new_tab(client):
    page = html5lib.parse(client.get("/register").text)
    link = next(a for a in page.iter(f"{NS}a") if a.get("href") == "/terms")
    assert link.get("target") == "_blank" and "noopener" in link.get("rel")
    terms = client.get("/terms")
    assert terms.status_code == 200
    assert "UU 27/2022" in terms.text and "hangus" in terms.text  # Indonesian by default
    client.set_cookie("lang", "en")
    english = client.get("/terms").text
    assert "forfeited" in english and "rejected" in english and "wrong application type" in english


def test_switching_language_without_javascript_keeps_the_step_as_typed(app):
    with app.app_context():
        make_user(email="siti@contoh.id", locale="id")
    client = signed_in(app)
    base = start(client)
    assert submit(client, f"{base}/service", SERVICE).status_code == 302
    page = client.get(f"{base}/passport")
    tree = html5lib.parse(page.text)
    switch = next(b for b in tree.iter(f"{NS}button") if b.get("formaction"))
    assert switch.get("form") == "step-form"
    assert tree.find(f".//{NS}form[@id='step-form']") is not None
    typed = {"birth_date-day": "11", "birth_date-month": "11", "birth_date-year": "19"}
    response = client.post(
        switch.get("formaction"),
        data={"csrf_token": csrf_token(page), **typed, "marital_status": "married"},
    )
    assert response.status_code == 302 and response.location == f"{base}/passport"
    again = client.get(f"{base}/passport").text
    assert 'lang="en"' in again
    assert 'value="19"' in again  # an unfinished year is kept as typed
    assert re.search(r'value="married"[^>]*checked|checked[^>]*value="married"', again)
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "en"
        assert db.session.scalar(select(Application.marital_status)) is None  # not saved yet


def test_the_language_switch_keeps_nothing_of_another_accounts_application(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
        make_user(email="made@contoh.id")
    owner = signed_in(app)
    base = start(owner)
    intruder = signed_in(app, "made@contoh.id")
    page = intruder.get("/")
    response = intruder.post(
        "/language",
        data={
            "csrf_token": csrf_token(page),
            "lang": "en",
            "next": f"{base}/service",
            "service": "express",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Application.pending_inputs)) == {}


def test_favicon_is_served_and_cached(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert response.cache_control.public and response.cache_control.max_age >= 3600
        assert response.headers.get("ETag")


def test_the_jobs_page_says_why_it_is_empty_without_redis(make_app):
    app = make_app(REDIS_URL=None)
    with app.app_context():
        make_administrator(email="admin@contoh.id", locale="en")
    client = sign_in_staff(app, "admin@contoh.id")
    page = client.get("/admin/jobs").text
    assert "no Redis is configured" in page and "REDIS_URL" in page


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_billing_code_mail_gives_deadline_office_and_appointment(app, lang):
    booking = journeys.bookable(app, journeys.open_office(app))
    with app.app_context():
        db.session.execute(sa_update(User).where(User.email == booking.email).values(locale=lang))
        db.session.commit()
    booking.hold()
    with app.app_context():
        bill = db.session.scalar(select(Bill))
        code, deadline = bill.code, bill.expires_at.astimezone(WITA)
    appointment = journeys.tomorrow_at_nine().astimezone(WITA)
    separator = "." if lang == "id" else ":"
    mail = Mailbox(app).last(booking.email)
    text = Mailbox.text(mail)
    with app.test_request_context(), force_locale(lang):
        day = {moment: format_date(moment.date(), "d MMMM y") for moment in (deadline, appointment)}
    assert re.search(r"\b\d{4} \d{4} \d{4} \d{3}\b", text).group() == journeys.as_read(code)
    assert f"{day[deadline]}, {deadline:%H}{separator}{deadline:%M} WITA" in text
    assert f"{day[appointment]}, 09{separator}00 WITA" in text
    assert "Kantor Imigrasi Kelas I Khusus TPI Makassar" in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f"{day[appointment]}, 09{separator}00 WITA" in html and "TPI Makassar" in html
    digits = re.sub(
        r"<[^>]+>", "", re.search(r"<strong><span class=\"code-groups\">.*?</strong>", html).group()
    )
    assert digits == code  # grouped by margins, so that a copy gives the digits alone


def test_the_billing_code_is_grouped_on_the_application_page(app):
    booking = journeys.bookable(app, journeys.open_office(app)).hold()
    page = html5lib.parse(booking.client.get(booking.url()).text)
    shown = page.find(f".//{NS}dd[@class='billing-code']")
    groups = [span.text for span in shown.iter(f"{NS}span") if span.get("class") == "code-group"]
    assert [len(group) for group in groups] == [4, 4, 4, 3]
    assert "".join(groups) == booking.billing_code()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "http://127.0.0.1:5077"),
        ({"BASE_URL": "https://paspor.example"}, "https://paspor.example"),
    ],
)
def test_make_run_links_mail_to_the_port_it_serves(environment, expected):
    """Each command of `make run` prints BASE_URL in place of running (RUN and UV replaced)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "PORT", "MAKEFLAGS")}
    done = subprocess.run(
        ["make", "-s", "run", "PORT=5077", "RUN=printenv BASE_URL #", "UV=true"],
        cwd=root,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed = done.stdout.split()
    assert printed and set(printed) == {expected}
