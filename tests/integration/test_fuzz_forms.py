"""Every form fuzzed: arbitrary input gets a 4xx with a clear message, never a 500, and a refused
submission never leaves a half-created record behind.

Each property POSTs Hypothesis-generated values with a valid CSRF token. A refused submission must
answer with one of REFUSED and show an error message; input that happens to be valid is accepted
(usually a redirect) and must then be stored completely. Rate limits are off for the fuzz (they
would turn it into 429s); one test at the end checks that the limits answer garbage with a 429.
A 500 surfaces as the exception itself, since the test app propagates exceptions.
"""

import io
import os
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tests import journeys
from tests.conftest import Mailbox
from tests.factories import FORM_ANSWERS, PASSWORD, REGISTRATION, make_user
from tests.html import csrf_token, submit
from tests.routes import every_route
from tests.staff import make_administrator, sign_in_staff
from webapp import clock, labels
from webapp.extensions import db
from webapp.forms.base import without_control_characters
from webapp.jobs import QUEUES
from webapp.models import Application, AuditEntry, EmailCode, PasswordReset, User
from webapp.rules import journey

REFUSED = {400, 404, 405, 409, 410, 413, 422, 429}
FORM_STEPS = ("service", "passport", "personal", "travel")
DATE_FIELDS = ("birth_date", "old_passport_issue_date")
HTMX = {"HX-Request": "true", "HX-Target": "wizard"}


# Shrinking a failure replays the whole request cycle hundreds of times (minutes per failure);
# FUZZ_SHRINK=1 turns it on to minimise a new failure. The failures found so far are kept below as
# single examples with their minimal input.
PHASES = tuple(Phase) if os.environ.get("FUZZ_SHRINK") else (Phase.explicit, Phase.generate)


# FUZZ_SCALE=10 runs ten times as many examples, for a longer hunt than CI can afford.
SCALE = float(os.environ.get("FUZZ_SCALE") or 1)


def fuzz(examples: int = 30):
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        database=None,  # nothing written to .hypothesis/
        phases=PHASES,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# Input ----------------------------------------------------------------------------------------

SNIPPETS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "\r\n",
    "\t",
    "\u202e\u200b\ufeff",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% raw %}",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; SELECT pg_sleep(1)",
    "\\",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "%s%n%x",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "NaN",
    "-1",
    "0",
    "1e309",
    "0x1F",
    "١٢٣٤٥٦",  # Arabic-Indic digits: int() and \d accept them
    "𝟏𝟐",
    "İß",
    "9" * 30,
    "9" * 5000,
)

controls = st.text(alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("a0 "), max_size=12)
numbers = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(str),
    st.from_regex(r"[0-9]{1,25}", fullmatch=True),
)
big_numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
long_text = st.tuples(st.text(min_size=1, max_size=6), st.integers(20, 1000)).map(
    lambda pair: (pair[0] * pair[1])[:5000]
)
garbage = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    controls,
    st.sampled_from(SNIPPETS),
    numbers,
    long_text,
    st.builds("{}{}{}".format, st.text(max_size=4), st.sampled_from(SNIPPETS), st.text(max_size=4)),
)


@dataclass(frozen=True)
class Real:
    """A value only known while the test runs (a user's email, a code from a mail), by name."""

    name: str
    variant: str = "as is"


def resolve(fields: dict, **real: str) -> dict:
    """The fields to post: None means "omit the field", Real is replaced by the live value."""
    variants = {
        "as is": lambda v: v,
        "upper": str.upper,
        "padded": lambda v: f"  {v} ",
    }
    posted = {}
    for name, value in fields.items():
        if isinstance(value, Real):
            value = variants[value.variant](real[value.name])
        if value is not None:
            posted[name] = value
    return posted


def field(*valid, real: str | None = None):
    """Omitted, garbage, a valid value, or a valid value followed by garbage."""
    options = [st.none(), garbage]
    good = [st.sampled_from(valid)] if valid else []
    if real:
        good.append(st.builds(Real, st.just(real), st.sampled_from(["as is", "upper", "padded"])))
    if good:
        options += good
        options.append(st.builds("{}{}".format, st.one_of(*good).filter(_plain), garbage))
    return st.one_of(*options)


def _plain(value) -> bool:
    return isinstance(value, str)


# A "next" address: a path on this site with anything after it, or one that leaves the site.
on_site_garbage = st.builds("/{}".format, garbage)
OFF_SITE = ("//evil.example", "/\\evil.example", "https://evil.example", "/\t/evil.example")

extra_fields = st.dictionaries(
    st.text(max_size=15).filter(lambda name: name != "csrf_token"), garbage, max_size=2
)


def spoiled(valid: dict, names=None):
    """A valid form with one to three fields replaced by garbage or left out."""
    return st.builds(
        lambda changes: {**valid, **changes},
        st.dictionaries(
            st.sampled_from(list(names or valid)),
            st.one_of(st.none(), garbage),
            min_size=1,
            max_size=3,
        ),
    )


def form_input(valid: dict, fields: dict, names=None):
    """Each field on its own omitted, garbage or valid; or a valid form with a few spoiled."""
    return st.one_of(st.fixed_dictionaries(fields), spoiled(valid, names))


# Checks ---------------------------------------------------------------------------------------


def check(response, accepted=(302,)) -> bool:
    """True when accepted; else asserts a clean refusal with a message. Never a trace or a 500."""
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, f"{status} for {response.request.path}"
    assert "Traceback (most recent call last)" not in body
    if status in accepted:
        return True
    assert status in REFUSED, f"unexpected {status} for {response.request.path}"
    assert shows_error(response), f"{status} without a message: {body[:500]}"
    return False


def shows_error(response) -> bool:
    body = response.get_data(as_text=True)
    if 'class="error-summary"' in body or 'class="error"' in body:
        return True
    if '<div class="notice notice-error" role="alert">' in body:  # a flashed refusal, not hidden
        return True
    if 'class="notice notice-error request-refused"' in body:  # the refusal alone, for htmx
        return True
    if response.status_code == 410 and "/password/forgot" in body:  # the expired-link page
        return True
    # The error page: its title as heading, then "Error code 404" in the reader's language.
    return bool(
        re.search(r"<h1>[^<]+</h1>", body)
        and re.search(rf'<p class="hint">[^<]*\b{response.status_code}\b', body)
    )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def user_row(app, email: str) -> dict | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            return None
        return {
            column: getattr(user, column)
            for column in (
                "id",
                "email",
                "full_name",
                "phone",
                "password_hash",
                "locale",
                "session_version",
                "terms_accepted_at",
                "verified_at",
                "closed_at",
                "closed_reason",
            )
        }


STRING_LIMITS = {
    column.name: column.type.length
    for column in Application.__table__.columns
    if getattr(column.type, "length", None)
}


def assert_fits_columns(app, public_id: str) -> None:
    """What SQLite stores silently but PostgreSQL refuses (with a 500): a string longer than its
    column, or a NUL character in any text."""
    state = snapshot(app, public_id)
    for name, value in state.items():
        if isinstance(value, str):
            assert len(value) <= STRING_LIMITS.get(name, len(value)), f"{name} is too long"
            assert "\x00" not in value, f"{name} contains NUL: {value!r}"


def snapshot(app, public_id: str) -> dict:
    """The stored answers, status and documents of an application (not the typed input)."""
    with app.app_context():
        application = db.session.scalar(
            sa.select(Application).where(Application.public_id == public_id)
        )
        state = {name: getattr(application, name) for name in journey.FIELD_STEP}
        state.update(
            status=application.status,
            declared_at=application.declared_at,
            number=application.number,
            documents=sorted((d.code, d.storage_key) for d in application.documents),
        )
        return state


def pending(app, public_id: str) -> dict:
    with app.app_context():
        return dict(
            db.session.scalar(
                sa.select(Application.pending_inputs).where(Application.public_id == public_id)
            )
            or {}
        )


def restore(app, public_id: str, state: dict) -> None:
    """Put the stored answers back and forget typed input, so that examples stay independent."""
    with app.app_context():
        application = db.session.scalar(
            sa.select(Application).where(Application.public_id == public_id)
        )
        for name in journey.FIELD_STEP:
            setattr(application, name, state[name])
        application.pending_inputs = {}
        db.session.commit()


def assert_pending_is_sane(app, public_id: str) -> None:
    """Typed input is kept only for known fields, at most 500 characters each."""
    for name, value in pending(app, public_id).items():
        assert name.split("-")[0] in journey.FIELD_STEP, name
        assert isinstance(value, str) and len(value) <= 500


# Accounts and applications --------------------------------------------------------------------


@pytest.fixture
def fuzz_app(make_app):
    return make_app(RATELIMIT_ENABLED=False)


def new_user(app, **fields) -> str:
    with app.app_context():
        return make_user(**fields).email


def sign_in(app, email: str | None = None):
    """A client of a verified factory account, logged in through the login form."""
    email = email or new_user(app)
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


ADULT_NEW = FORM_ANSWERS
# A girl born 11 May 2015 replacing a lost passport: parents' NIKs and the old passport apply.
CHILD_REPLACEMENT = {
    "service": {
        "for_self": "no",
        "service": "express",
        "application_type": "replacement",
        "replacement_reason": "lost",
    },
    "passport": {
        "birth_date-day": "11",
        "birth_date-month": "5",
        "birth_date-year": "2015",
        "marital_status": "single",
        "passport_kind": "ordinary",
        "validity_years": "5",
    },
    "personal": {
        **ADULT_NEW["personal"],
        "nik": "5104075105150003",
        "full_name": "Putu Ayu",
        "occupation": "Pelajar",
        "mother_nik": "5104075111970004",
        "father_nik": "5104071208880001",
        "old_passport_number": "B1234567",
        "old_passport_issue_date-day": "1",
        "old_passport_issue_date-month": "2",
        "old_passport_issue_date-year": "2020",
    },
    "travel": ADULT_NEW["travel"],
}
CASES = {"adult_new": ADULT_NEW, "child_replacement": CHILD_REPLACEMENT}


def jpeg(colour=(200, 30, 40)) -> bytes:
    """A small plain picture: accepted as an upload, though too small to pass the quality check."""
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@cache
def scan() -> bytes:
    """A sharp, well-lit scan of a printed page that passes the document quality check."""
    words = random.Random(0)
    page = Image.new("RGB", (1600, 1000), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((8, 8, 1592, 992), outline=(20, 20, 20), width=3)
    for line in range(20):
        y = 180 + 35 * line
        draw.text(
            (96, y), "NIK 5104075111970004  Nama: SITI RAHAYU", fill=(10, 10, 10), font_size=22
        )
        x = 880
        while x < 1440:
            word = words.randint(20, 120)
            draw.rectangle((x, y + 4, x + word, y + 18), fill=(15, 15, 15))
            x += word + 14
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class Wizard:
    """A signed-in applicant with one application, and the session's CSRF token."""

    app: object
    client: object
    public_id: str
    token: str

    def url(self, path: str = "") -> str:
        return f"/applications/{self.public_id}{path}"

    def post(self, path: str, fields: dict, headers=None, **kwargs):
        data = {"csrf_token": self.token, **fields}
        return self.client.post(self.url(path), data=data, headers=headers or {}, **kwargs)

    def required_documents(self) -> tuple[str, ...]:
        with self.app.app_context():
            application = db.session.scalar(
                sa.select(Application).where(Application.public_id == self.public_id)
            )
            return journey.required_documents(application, clock.today())


def start_application(app, client) -> Wizard:
    token = csrf_token(client.get("/"))
    response = client.post("/applications", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    public_id = response.location.split("/")[2]
    return Wizard(app, client, public_id, token)


@pytest.fixture
def wizard(fuzz_app):
    """open(up_to, case): an application whose steps before up_to hold valid answers."""

    def open_wizard(up_to: str = "service", case: str = "adult_new") -> Wizard:
        wizard = start_application(fuzz_app, sign_in(fuzz_app))
        answers = CASES[case]
        for step in journey.STEPS[: journey.STEPS.index(up_to)]:
            if step == "documents":
                for code in wizard.required_documents():
                    response = wizard.post(
                        f"/documents/{code}", {"file": (io.BytesIO(scan()), "scan.jpg")}
                    )
                    assert response.status_code == 302, (code, response.status_code)
            else:
                response = wizard.post(f"/{step}", answers[step])
                assert response.status_code == 302, (step, response.status_code)
            Mailbox(fuzz_app).run_jobs()  # the NIK and document checks, on a worker if any
        return wizard

    return open_wizard


# Registration and activation ------------------------------------------------------------------

REGISTER = form_input(
    {
        "full_name": "Siti Rahayu",
        "email": "ayu@contoh.id",
        "phone": "081234567890",
        "password": "kopi-tubruk-pagi",
        "accept_terms": "y",
    },
    {
        "full_name": field("Siti Rahayu", "Ni Luh Putu Ayu", "Ma'ruf"),
        "email": st.one_of(field("ayu@contoh.id", "A.Yu@Contoh.ID"), st.emails()),
        "phone": field("081234567890", "+62 812-3456-7890", "6281234567890"),
        "password": field("kopi-tubruk-pagi", "sambal-matah-pedas"),
        "accept_terms": field("y", "on", "1"),
    },
)


@fuzz(40)
@given(fields=REGISTER, extra=extra_fields)
def test_register_refuses_garbage_and_creates_nothing(fuzz_app, fields, extra):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/register"))
    users, codes = count(fuzz_app, User), count(fuzz_app, EmailCode)
    posted = {**extra, **resolve(fields)}
    response = client.post("/register", data={**posted, "csrf_token": token})
    if check(response):
        assert response.location == "/verify"
        email = posted["email"].strip().lower()
        user = user_row(fuzz_app, email)
        assert user is not None, "accepted, but no account"
        assert count(fuzz_app, User) <= users + 1
        assert user["full_name"] and len(user["full_name"]) <= 120
        assert re.fullmatch(r"\+62\d{8,13}", user["phone"])
        assert user["password_hash"].startswith("scrypt:")
        assert user["terms_accepted_at"] is not None and len(email) <= 254
    else:
        assert count(fuzz_app, User) == users, "a refused registration created an account"
        assert count(fuzz_app, EmailCode) == codes, "a refused registration sent a code"


@pytest.fixture
def pending_registration(fuzz_app):
    """A client that has just registered, with the emailed code."""
    client = fuzz_app.test_client()
    email = "pending@contoh.id"
    response = submit(
        client,
        "/register",
        {**REGISTRATION, "email": email},
    )
    assert response.status_code == 302
    return client, email, Mailbox(fuzz_app).code_for(email)


@fuzz(30)
@given(
    code=st.one_of(
        field("123456", "000000", " 999999 "), st.from_regex(r"[0-9]{6}", fullmatch=True)
    ),
    real=st.booleans(),
)
def test_verify_refuses_garbage_codes(fuzz_app, pending_registration, code, real):
    client, email, right = pending_registration
    token = csrf_token(client.get("/verify"))
    before = user_row(fuzz_app, email)["verified_at"]
    data = {"csrf_token": token}
    if real and code is None:
        data["code"] = right
    elif code is not None:
        data["code"] = code
    response = client.post("/verify", data=data)
    after = user_row(fuzz_app, email)["verified_at"]
    if check(response):
        assert after is not None, "accepted a code without activating the account"
    else:
        assert after == before, "a refused code changed the account"


# Login, forgotten and changed passwords, closure ----------------------------------------------


@pytest.fixture
def member(fuzz_app):
    return new_user(fuzz_app, email="member@contoh.id")


@fuzz(30)
@given(
    fields=form_input(
        {"email": Real("email"), "password": PASSWORD},
        {
            "email": st.one_of(field("nobody@contoh.id", real="email"), st.emails()),
            "password": field("salah-sekali-1", PASSWORD),
        },
    ),
    extra=extra_fields,
)
def test_login_refuses_garbage(fuzz_app, member, fields, extra):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/login"))
    posted = {**extra, **resolve(fields, email=member), "csrf_token": token}
    response = client.post("/login", data=posted)
    signed_in = client.get("/account/").status_code == 200
    if check(response):
        assert signed_in
    else:
        assert not signed_in, "a refused login signed the client in"


@fuzz(25)
@given(target=st.one_of(garbage, on_site_garbage, st.sampled_from(OFF_SITE)))
def test_login_next_is_never_a_500_nor_another_site(fuzz_app, member, target):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"csrf_token": token, "email": member, "password": PASSWORD},
    )
    assert check(response)
    assert_on_site(response.location)


def assert_on_site(location: str) -> None:
    """Where a browser would go stays on this site: browsers drop tabs and newlines and read
    a backslash as a slash."""
    browser = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").lstrip("\x00\x20")
    parts = urlsplit(browser)
    assert not parts.scheme and not parts.netloc and browser.startswith("/"), location
    assert not browser.startswith("//"), location


@fuzz(30)
@given(
    email=st.one_of(field("nobody@contoh.id", real="email"), st.emails()),
    extra=extra_fields,
)
def test_forgot_password_refuses_garbage_and_sends_nothing_for_it(fuzz_app, member, email, extra):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/password/forgot"))
    posted = {**extra, **resolve({"email": email}, email=member), "csrf_token": token}
    resets = count(fuzz_app, PasswordReset)
    response = client.post("/password/forgot", data=posted)
    if check(response, accepted=(200,)):
        assert "/password/reset/" not in response.text  # the link goes by mail only
    else:
        assert count(fuzz_app, PasswordReset) == resets
    assert count(fuzz_app, PasswordReset) <= 5  # at most five links an hour for the one account


def reset_token(app) -> tuple[str, str]:
    """A new account and a real reset link for it, as read from the mail."""
    email = new_user(app)
    client = app.test_client()
    assert submit(client, "/password/forgot", {"email": email}).status_code == 200
    text = Mailbox.text(Mailbox(app).last(email))
    return email, re.search(r"/password/reset/(\S+)", text).group(1)


@pytest.fixture
def reset_link(fuzz_app):
    """A mutable [email, token] pair; a test replaces it once the link has been used."""
    return list(reset_token(fuzz_app))


NEW_PASSWORD = {"password": "sambal-matah-pedas", "confirm": Real("password")}


def new_password_fields():
    return st.one_of(
        form_input(NEW_PASSWORD, {"password": field("sambal-matah-pedas"), "confirm": field()}),
        st.builds(
            lambda password: {"password": password, "confirm": Real("password")},
            field("sambal-matah-pedas", "bakso-malang-enak"),
        ),
    )


def with_confirm(fields: dict, **real: str) -> dict:
    """Resolve the fields, where Real("password") repeats the new password typed."""
    password = fields.get("password")
    return resolve(fields, password=password if isinstance(password, str) else "", **real)


@fuzz(30)
@given(fields=new_password_fields(), extra=extra_fields)
def test_reset_password_refuses_garbage_and_keeps_the_link(fuzz_app, reset_link, fields, extra):
    email, token = reset_link
    before = user_row(fuzz_app, email)
    client = fuzz_app.test_client()
    path = f"/password/reset/{token}"
    page = client.get(path)
    assert page.status_code == 200
    posted = {**extra, **with_confirm(fields), "csrf_token": csrf_token(page)}
    response = client.post(path, data=posted)
    after = user_row(fuzz_app, email)
    if check(response):
        assert response.location == "/login"
        assert after["password_hash"] != before["password_hash"]
        assert after["session_version"] == before["session_version"] + 1
        reset_link[:] = reset_token(fuzz_app)  # that link is spent
    else:
        assert response.status_code != 410, "a refused form spent the link"
        assert after == before, "a refused reset changed the account"


@fuzz(30)
@given(token=st.one_of(garbage.filter(bool), st.sampled_from(["..", ".", "%2F", "a/b"])))
def test_reset_link_with_a_garbage_token_is_a_clean_410_or_404(fuzz_app, token):
    client = fuzz_app.test_client()
    form = {"csrf_token": csrf_token(client.get("/login")), "password": token, "confirm": token}
    path = "/password/reset/" + quote(token, safe="")
    for response in (client.get(path), client.post(path, data=form)):
        assert not check(response, accepted=())
        assert response.status_code in (400, 404, 410)


@dataclass
class Account:
    """A factory account signed in through the login form."""

    email: str
    client: object
    password_hash: str  # the factory password's hash, to put back between examples


def open_account(app) -> Account:
    email = new_user(app)
    return Account(email, sign_in(app, email), user_row(app, email)["password_hash"])


@pytest.fixture
def account(fuzz_app):
    """A signed-in account, shared by a test's examples (a closing test renews it)."""
    return [open_account(fuzz_app)]


@fuzz(30)
@given(
    fields=st.one_of(
        st.builds(
            lambda current, new: {"current_password": current, **new},
            field("salah-sekali-1", real="current"),
            new_password_fields(),
        ),
        spoiled({"current_password": Real("current"), **NEW_PASSWORD}),
    ),
    extra=extra_fields,
)
def test_change_password_refuses_garbage(fuzz_app, account, fields, extra):
    me = account[0]
    with fuzz_app.app_context():  # each example starts from the factory password
        db.session.execute(
            sa.update(User).where(User.email == me.email).values(password_hash=me.password_hash)
        )
        db.session.commit()
    before = user_row(fuzz_app, me.email)
    token = csrf_token(me.client.get("/account/password"))
    posted = {**extra, **with_confirm(fields, current=PASSWORD), "csrf_token": token}
    response = me.client.post("/account/password", data=posted)
    after = user_row(fuzz_app, me.email)
    if check(response):
        assert response.location == "/account/"
        assert after["session_version"] == before["session_version"] + 1
        assert after["password_hash"] != before["password_hash"]
    else:
        assert after == before, "a refused change altered the account"


@fuzz(30)
@given(
    fields=form_input(
        {"reason": "other", "details": "Pindah.", "password": Real("password")},
        {
            "reason": field("no_longer_needed", "duplicate", "privacy", "other"),
            "details": field("Saya pindah ke luar negeri."),
            "password": field("salah-sekali-1", real="password"),
        },
    ),
    extra=extra_fields,
)
def test_close_account_refuses_garbage(fuzz_app, account, fields, extra):
    me = account[0]
    before = user_row(fuzz_app, me.email)
    token = csrf_token(me.client.get("/account/close"))
    posted = {**extra, **resolve(fields, password=PASSWORD), "csrf_token": token}
    response = me.client.post("/account/close", data=posted)
    after = user_row(fuzz_app, me.email)
    if check(response):
        assert response.location == "/"
        assert after["closed_at"] is not None and after["closed_reason"]
        assert "\x00" not in after["closed_reason"], "PostgreSQL cannot store this reason"
        account[0] = open_account(fuzz_app)  # that one is closed now
    else:
        assert after == before, "a refused closure altered the account"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
@fuzz(25)
@given(
    fields=st.fixed_dictionaries(
        {
            "lang": field("id", "en"),
            "next": st.one_of(
                field("/", "/account/", "/register?x=1"), on_site_garbage, st.sampled_from(OFF_SITE)
            ),
        }
    ),
    extra=extra_fields,
)
def test_language_switch_takes_any_input_and_stays_on_site(
    fuzz_app, account, signed_in, fields, extra
):
    email, client = (
        (account[0].email, account[0].client) if signed_in else (None, fuzz_app.test_client())
    )
    token = csrf_token(client.get("/"))
    posted = {**extra, **resolve(fields), "csrf_token": token}
    response = client.post("/language", data=posted)
    assert check(response)
    assert_on_site(response.location)
    cookies = response.headers.getlist("Set-Cookie")
    chosen = [c for c in cookies if c.startswith("lang=")]
    wanted = without_control_characters(posted.get("lang") or "").strip()  # as every form does
    if wanted in ("id", "en"):
        assert chosen and chosen[0].startswith(f"lang={wanted};")
    else:
        assert not chosen, "an unknown language was remembered"
    if signed_in:
        assert user_row(fuzz_app, email)["locale"] in ("id", "en")


# The application wizard -----------------------------------------------------------------------


def date_parts(name: str, day="11", month="11", year="1997") -> dict:
    def part(*valid):
        return st.one_of(field(*valid), big_numbers)

    return {
        f"{name}-day": part(day, "31", "0", "1"),
        f"{name}-month": part(month, "13", "2"),
        f"{name}-year": part(year, "2015", "1899", "999", "3000"),
    }


VALID_VALUES = {
    "for_self": ("yes", "no"),
    "service": ("regular", "express"),
    "application_type": ("new", "replacement"),
    "replacement_reason": tuple(labels.REPLACEMENT_REASONS),
    "marital_status": tuple(labels.MARITAL_STATUSES),
    "passport_kind": tuple(labels.PASSPORT_KINDS),
    "validity_years": ("5", "10"),
    "nik": ("5104075111970004", "5104071111970004", "3171010101900001"),
    "full_name": ("Siti Rahayu", "Ni Luh Putu Ayu"),
    "birth_place": ("Denpasar", "x" * 60),
    "sex": ("M", "F"),
    "address": ("Jl. Raya 1", "x" * 300),
    "occupation": ("Guru", "x" * 60),
    "phone": ("081234567890", "+6281234567890"),
    "mother_name": ("Ibu Siti",),
    "father_name": ("Bapak Budi",),
    "mother_nik": ("5104075111970004",),
    "father_nik": ("5104071208880001",),
    "name_changed": ("y", ""),
    "naturalised": ("y", ""),
    "old_passport_number": ("B1234567", "b 123 4567"),
    "travel_purpose": tuple(labels.TRAVEL_PURPOSES),
    "destination_country": ("Jepang", "x" * 60),
    "address_abroad": ("", "Tokyo"),
    "stay_length": tuple(labels.STAY_LENGTHS),
    "emergency_name": ("Budi",),
    "emergency_phone": ("081298765432", "+81 3-1234-5678"),
}


def step_field_names(step: str) -> list[str]:
    names = []
    for name in journey.STEP_FIELDS[step]:
        if name in DATE_FIELDS:
            names += [f"{name}-{part}" for part in ("day", "month", "year")]
        else:
            names.append(name)
    return names


def random_step(step: str):
    """Every field of the step: omitted, garbage or valid, independently."""
    strategies = {}
    for name in journey.STEP_FIELDS[step]:
        if name in DATE_FIELDS:
            strategies.update(date_parts(name))
        else:
            strategies[name] = field(*VALID_VALUES[name])
    return st.fixed_dictionaries(strategies)


def step_input(step: str, case: str):
    """Any values for the step's fields, or the case's valid answers with a few spoiled."""
    return st.one_of(random_step(step), spoiled(CASES[case][step], step_field_names(step)))


STEP_CASES = [
    ("service", "adult_new"),
    ("passport", "adult_new"),
    ("passport", "child_replacement"),
    ("personal", "adult_new"),
    ("personal", "child_replacement"),
    ("travel", "adult_new"),
]


@pytest.fixture
def opened(wizard, request):
    """A step of an application, opened once per test: (step, case, wizard, stored answers)."""
    step, case = request.param
    opened = wizard(step, case)
    return step, case, opened, snapshot(opened.app, opened.public_id)


@pytest.mark.parametrize("opened", STEP_CASES, indirect=True, ids="-".join)
@fuzz(30)
@given(data=st.data(), htmx=st.booleans(), extra=extra_fields)
def test_wizard_step_refuses_garbage_without_saving_it(opened, data, htmx, extra):
    step, case, wizard, baseline = opened
    restore(wizard.app, wizard.public_id, baseline)
    fields = data.draw(step_input(step, case), label="fields")
    before = snapshot(wizard.app, wizard.public_id)
    response = wizard.post(f"/{step}", {**extra, **resolve(fields)}, headers=HTMX if htmx else None)
    after = snapshot(wizard.app, wizard.public_id)
    following = journey.STEPS[journey.STEPS.index(step) + 1]
    if check(response, accepted=(204,) if htmx else (302,)):
        where = response.headers["HX-Location"] if htmx else response.location
        assert wizard.url(f"/{following}") in where
        assert_fits_columns(wizard.app, wizard.public_id)
        for earlier in journey.STEPS[: journey.STEPS.index(step)]:
            for name in journey.STEP_FIELDS[earlier]:
                assert after[name] == before[name], f"saving {step} changed {name}"
    else:
        assert response.status_code == 422
        assert after == before, "a refused step changed the stored answers"
    assert_pending_is_sane(wizard.app, wizard.public_id)
    # Whatever was typed, the step opens again.
    assert check(wizard.client.get(wizard.url(f"/{step}")), accepted=(200, 302))


@pytest.mark.parametrize(
    "opened", [(step, "adult_new") for step in FORM_STEPS], indirect=True, ids="-".join
)
@fuzz(20)
@given(data=st.data(), extra=extra_fields)
def test_autosave_keeps_any_input_and_never_saves_answers(opened, data, extra):
    step, case, wizard, baseline = opened
    restore(wizard.app, wizard.public_id, baseline)
    fields = data.draw(step_input(step, case), label="fields")
    before = snapshot(wizard.app, wizard.public_id)
    response = wizard.post(f"/{step}/autosave", {**extra, **resolve(fields)}, headers=HTMX)
    assert check(response, accepted=(200,))
    assert snapshot(wizard.app, wizard.public_id) == before, "autosave changed the answers"
    assert_pending_is_sane(wizard.app, wizard.public_id)
    # What was kept is shown again when the step is opened: that must not break the page.
    assert check(wizard.client.get(wizard.url(f"/{step}")), accepted=(200,))


@pytest.fixture
def personal_step(wizard):
    return wizard("personal")


@fuzz(30)
@given(
    name=st.one_of(st.none(), st.sampled_from(["nik", "mother_nik", "father_nik"]), garbage),
    value=field("5104075111970004", "5104071111970004", "3171010101900001"),
    sex=field("M", "F"),
)
def test_nik_check_answers_any_input_with_a_fragment(personal_step, name, value, sex):
    wizard = personal_step
    before = snapshot(wizard.app, wizard.public_id), pending(wizard.app, wizard.public_id)
    fields = resolve({"field": name, name or "nik": value, "sex": sex})
    response = wizard.post("/nik-check", fields, headers=HTMX)
    assert check(response, accepted=(200,))
    body = response.get_data(as_text=True)
    assert "<html" not in body.lower()  # a fragment for the field, never a whole page
    assert (snapshot(wizard.app, wizard.public_id), pending(wizard.app, wizard.public_id)) == before


@pytest.fixture
def fresh_application(wizard):
    return wizard("service")


@fuzz(30)
@given(
    step=st.sampled_from(["passport", "personal", "travel", "documents", "review"]),
    data=st.data(),
    htmx=st.booleans(),
)
def test_a_step_posted_out_of_order_is_sent_back_and_not_saved(fresh_application, step, data, htmx):
    wizard = fresh_application
    if step in FORM_STEPS:
        fields = data.draw(step_input(step, "adult_new"), label="fields")
    else:
        fields = data.draw(
            st.fixed_dictionaries({"declare_true": field("y"), "accept_forfeit": field("y")})
        )
    before = snapshot(wizard.app, wizard.public_id), pending(wizard.app, wizard.public_id)
    response = wizard.post(f"/{step}", resolve(fields), headers=HTMX if htmx else None)
    assert check(response, accepted=(204,) if htmx else (302,)), response.status_code
    where = response.headers["HX-Location"] if htmx else response.location
    assert wizard.url("/service") in where
    assert (snapshot(wizard.app, wizard.public_id), pending(wizard.app, wizard.public_id)) == before


KNOWN_SEGMENTS = {*journey.STEPS, "cancel", "nik-check", "nik-status"}
# One path segment: not empty, no slash, not "." or ".." (which a browser resolves itself).
segment = garbage.filter(lambda s: s and "/" not in s and s.strip(".") != "")
unknown_segment = segment.filter(lambda s: s not in KNOWN_SEGMENTS)


@fuzz(30)
@given(
    name=unknown_segment,
    method=st.sampled_from(["GET", "POST"]),
    tail=st.sampled_from(["", "/autosave"]),
)
def test_unknown_step_names_are_404(fresh_application, name, method, tail):
    wizard = fresh_application
    before = snapshot(wizard.app, wizard.public_id)
    path = wizard.url(f"/{quote(name, safe='')}{tail}")
    response = wizard.client.open(path, method=method, data={"csrf_token": wizard.token})
    assert not check(response, accepted=())
    assert response.status_code == 404
    assert snapshot(wizard.app, wizard.public_id) == before


APPLICATION_PATHS = (
    ("GET", ""),
    ("GET", "/service"),
    ("POST", "/service"),
    ("POST", "/passport/autosave"),
    ("POST", "/nik-check"),
    ("POST", "/review"),
    ("GET", "/documents"),
    ("POST", "/documents/ktp"),
    ("GET", "/documents/ktp/file"),
    ("GET", "/documents/ktp/status"),
    ("GET", "/nik-status"),
    ("POST", "/nik-status"),
    ("POST", "/cancel"),
)


@fuzz(30)
@given(public_id=segment, where=st.sampled_from(APPLICATION_PATHS))
def test_unknown_application_ids_are_404(fresh_application, public_id, where):
    wizard = fresh_application
    applications = count(wizard.app, Application)
    method, tail = where
    path = f"/applications/{quote(public_id, safe='')}{tail}"
    response = wizard.client.open(path, method=method, data={"csrf_token": wizard.token})
    assert not check(response, accepted=())
    assert response.status_code == 404
    assert count(wizard.app, Application) == applications


OWNER_STATES = ("draft", "submitted", "awaiting_payment", "scheduled")


def owners_application(fuzz_app, wizard, state: str) -> tuple[str, tuple[str, int]]:
    """An application in `state`, brought there as its owner would: (its id, its office)."""
    office = journeys.open_office(fuzz_app)
    if state == "draft":
        return wizard("review").public_id, office
    booking = journeys.bookable(fuzz_app, office)
    if state in ("awaiting_payment", "scheduled"):
        booking.hold()
    if state == "scheduled":
        booking.pay()
    return booking.public_id, office


@pytest.mark.parametrize("state", OWNER_STATES)
def test_another_accounts_application_is_404_everywhere(fuzz_app, wizard, state):
    """Every route of an application, the booking ones too, answers another account with a 404
    and changes nothing, whatever the state of the application."""
    public_id, (office_code, slot_id) = owners_application(fuzz_app, wizard, state)

    def state_of_it():
        return (
            snapshot(fuzz_app, public_id),
            pending(fuzz_app, public_id),
            journeys.holds_of(fuzz_app, public_id),
        )

    before = state_of_it()
    intruder = start_application(fuzz_app, sign_in(fuzz_app))
    answers = {**ADULT_NEW["personal"], "nik": "3171010101900001"}
    routes = [r for r in every_route(fuzz_app, public_id) if r.of_an_application]
    assert {"booking.office", "booking.hold", "booking.cancel", "proof.cover_letter"} <= {
        r.endpoint for r in routes
    }
    for route in routes:
        data = {
            "csrf_token": intruder.token,
            **answers,
            "declare_true": "y",
            "accept_forfeit": "y",
            "office": office_code,
            "slot": str(slot_id),  # the owner's own hour: a hold, or a reschedule once paid
        }
        if route.endpoint == "apply.upload_document":
            data["file"] = (io.BytesIO(jpeg()), "ktp.jpg")
        response = intruder.client.open(route.path, method=route.method, data=data)
        assert response.status_code == 404, (route.method, route.path, response.status_code)
        assert shows_error(response)
    assert state_of_it() == before


# Documents and review -------------------------------------------------------------------------

JPEG = jpeg()
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x10\x00\x00WEBP", b"%PDF-1.7\n")
upload_bytes = st.one_of(
    st.binary(max_size=2048),
    st.builds(bytes.__add__, st.sampled_from(SIGNATURES), st.binary(max_size=2048)),
    st.integers(0, len(JPEG)).map(lambda cut: JPEG[:cut]),  # truncated
    st.builds(
        lambda at, byte: JPEG[:at] + bytes([byte]) + JPEG[at + 1 :],
        st.integers(0, len(JPEG) - 1),
        st.integers(0, 255),
    ),
    st.builds(bytes.__add__, st.just(JPEG), st.sampled_from([b"<script>", b"PK\x05\x06\0\0\0\0"])),
)


def stored_files(app) -> set[str]:
    root = Path(app.instance_path) / "uploads"
    return (
        {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )


@pytest.fixture
def documents_step(wizard):
    return wizard("documents")


@fuzz(30)
@given(
    content=upload_bytes,
    code=st.one_of(st.sampled_from(["ktp", "kk", "civil_record", "old_passport"]), segment),
    sent=st.sampled_from(["file", "other", "none"]),
    filename=st.one_of(st.just("foto.jpg"), st.text(max_size=30)),
    mimetype=st.sampled_from(["image/jpeg", "application/pdf", "text/html", "x/garbage"]),
    htmx=st.booleans(),
)
def test_upload_refuses_garbage_files_and_keeps_nothing_of_them(
    documents_step, content, code, sent, filename, mimetype, htmx
):
    wizard = documents_step
    before, files = snapshot(wizard.app, wizard.public_id), stored_files(wizard.app)
    fields = {}
    if sent != "none":
        fields[sent] = (io.BytesIO(content), filename, mimetype)
    target = f"doc-{code}" if code.isascii() and code.isidentifier() else "doc-x"
    headers = {"HX-Request": "true", "HX-Target": target} if htmx else None
    response = wizard.post(f"/documents/{quote(code, safe='')}", fields, headers=headers)
    after = snapshot(wizard.app, wizard.public_id)
    if check(response, accepted=(200,) if htmx else (302,)):
        document = dict(after["documents"]).get(code)
        assert document and document in stored_files(wizard.app)
        assert code in wizard.required_documents()
    else:
        assert after == before, "a refused upload changed the documents"
        assert stored_files(wizard.app) == files, "a refused upload left a file behind"
        if code not in wizard.required_documents():
            assert response.status_code == 404


@pytest.fixture
def review_step(wizard):
    return wizard("review")


@fuzz(30)
@given(
    fields=st.fixed_dictionaries(
        {"declare_true": field("y", "on"), "accept_forfeit": field("y", "on")}
    ),
    extra=extra_fields,
)
def test_review_refuses_garbage_and_submits_only_whole(review_step, fields, extra):
    wizard = review_step
    before = snapshot(wizard.app, wizard.public_id)
    audits = count(wizard.app, AuditEntry)
    response = wizard.post("/review", {**extra, **resolve(fields)})
    after = snapshot(wizard.app, wizard.public_id)
    if check(response):
        assert response.location == wizard.url()
        assert after["status"] == "submitted" and after["number"] and after["declared_at"]
        assert count(wizard.app, AuditEntry) == audits + 1
        with wizard.app.app_context():  # back to a draft, so that examples stay independent
            db.session.execute(
                sa.update(Application)
                .where(Application.public_id == wizard.public_id)
                .values(status="draft", declared_at=None, submitted_at=None)
            )
            db.session.commit()
    else:
        assert after == before, "a refused review changed the application"
        assert count(wizard.app, AuditEntry) == audits


# Booking and payment --------------------------------------------------------------------------

# Half the time the session's own token, else none or garbage: a refusal must then be a clean 400.
csrf_field = st.one_of(st.just(Real("csrf")), st.none(), garbage)


@pytest.fixture
def offices(fuzz_app):
    """Where applications are booked, and an office that issues no e-passports (the factory's
    applications ask for one)."""
    return {
        "open": journeys.open_office(fuzz_app),
        "no_epassport": journeys.open_office(fuzz_app, issues_epassport=False),
    }


def follow(client, response):
    """The page a redirect leads to, as a browser loads it: never a 5xx (the checking client
    also refuses duplicate ids and forms without actions on it)."""
    page = client.get(response.location)
    assert page.status_code < 500, page.status_code
    return page


def booking_form(valid: dict, fields: dict):
    """The valid form as a page posts it, each field on its own anything, or a few spoiled."""
    return st.one_of(st.just(valid), st.fixed_dictionaries(fields), spoiled(valid))


def posted_with(booking, fields: dict, extra: dict, **real) -> dict:
    return resolve({**extra, **fields}, csrf=csrf_token(booking.client.get(booking.url())), **real)


@fuzz(30)
@given(
    fields=booking_form(
        {"office": Real("office"), "csrf_token": Real("csrf")},
        {
            "office": st.one_of(field(real="office"), st.just(Real("elsewhere"))),
            "csrf_token": csrf_field,
        },
    ),
    extra=extra_fields,
)
def test_office_choice_refuses_garbage_and_keeps_the_office(fuzz_app, offices, fields, extra):
    booking = journeys.bookable(fuzz_app, offices["open"])
    before = booking.office_code()
    data = posted_with(
        booking, fields, extra, office=offices["open"][0], elsewhere=offices["no_epassport"][0]
    )
    response = booking.client.post(booking.url("/office"), data=data)
    if fields["csrf_token"] == Real("csrf") and fields["office"] == Real("office"):
        assert response.status_code == 302, "the office offered was refused"
    if check(response):
        assert response.location == booking.url("/slots")
        assert booking.office_code() == offices["open"][0]
        follow(booking.client, response)
    else:
        assert booking.office_code() == before


# The status the confirmation was shown for: the application's, another, or garbage.
seen_field = st.one_of(st.sampled_from(["submitted", "scheduled", "awaiting_payment"]), garbage)
slot_field = st.one_of(
    field(real="slot"),
    st.just(Real("elsewhere")),  # a free hour at another office
    big_numbers,
    st.integers(-3, 3).map(str),
)


@fuzz(30)
@given(
    fields=booking_form(
        {"slot": Real("slot"), "seen": "submitted", "csrf_token": Real("csrf")},
        {"slot": slot_field, "seen": seen_field, "csrf_token": csrf_field},
    ),
    extra=extra_fields,
)
def test_hold_refuses_garbage_and_holds_only_the_hour_chosen(fuzz_app, offices, fields, extra):
    booking = journeys.bookable(fuzz_app, offices["open"])
    data = posted_with(
        booking,
        fields,
        extra,
        slot=str(offices["open"][1]),
        elsewhere=str(offices["no_epassport"][1]),
    )
    response = booking.client.post(booking.url("/hold"), data=data)
    if fields == {"slot": Real("slot"), "seen": "submitted", "csrf_token": Real("csrf")}:
        assert booking.status() == "awaiting_payment", "the hour offered was not held"
    if not check(response):
        assert booking.status() == "submitted" and booking.holds() == []
        return
    # Without the status seen, the hold is not made: the confirmation is shown first, or the
    # reason it cannot be.
    page = booking.client.get(response.location, follow_redirects=True)
    assert page.status_code < 500, page.status_code
    if booking.status() == "awaiting_payment":
        assert [slot for slot, _ in booking.holds()] == [offices["open"][1]]
        assert booking.billing_code() in re.sub(r"<[^>]+>", "", page.text)  # shown in groups
    else:
        assert booking.status() == "submitted" and booking.holds() == []
        assert "notice-error" in page.text or 'class="confirm-panel"' in page.text, (
            "a refused hold without a message"
        )


@fuzz(20)
@given(paid=st.booleans(), csrf=st.one_of(st.just(Real("csrf")), csrf_field), extra=extra_fields)
def test_cancel_booking_needs_its_own_form_and_cancels_whole(fuzz_app, offices, paid, csrf, extra):
    booking = journeys.bookable(fuzz_app, offices["open"]).hold()
    if paid:
        booking.pay()
    before = booking.status(), booking.holds()
    data = posted_with(booking, {"csrf_token": csrf, "seen": before[0]}, extra)
    response = booking.client.post(booking.url("/cancel-booking"), data=data)
    if check(response):
        assert response.location == "/"
        assert booking.status() == "cancelled"
        assert len(booking.holds()) == 1 and booking.holds() != before[1], "the hold is left live"
        follow(booking.client, response)
    else:
        assert (booking.status(), booking.holds()) == before


PAY = {"billing_code": Real("code"), "pay": "1", "csrf_token": Real("csrf")}
LOOK_UP = {"billing_code": Real("code"), "csrf_token": Real("csrf")}


@fuzz(30)
@given(
    fields=st.one_of(
        st.just(LOOK_UP),
        booking_form(
            PAY,
            {
                "billing_code": st.one_of(
                    field(real="code"), st.from_regex(r"[0-9]{15}", fullmatch=True)
                ),
                "pay": field("1", "y"),
                "csrf_token": csrf_field,
            },
        ),
    ),
    extra=extra_fields,
)
def test_pay_refuses_garbage_and_pays_only_when_asked(fuzz_app, offices, fields, extra):
    bill = journeys.bookable(fuzz_app, offices["open"]).hold()
    client = fuzz_app.test_client()  # a bank's counter: nobody signed in
    extra = {name: value for name, value in extra.items() if name not in PAY}  # no stray "pay"
    data = resolve(
        {**extra, **fields}, csrf=csrf_token(client.get("/pay")), code=bill.billing_code()
    )
    response = client.post("/pay", data=data)
    paid = bill.status() == "scheduled"
    assert paid or bill.status() == "awaiting_payment"
    if fields in (PAY, LOOK_UP):
        assert paid == (fields == PAY), "a valid form did not do what it says"
    if not check(response, accepted=(200, 302)):
        assert not paid
    elif response.status_code == 200:  # the amount due, and a button to pay it
        assert not paid
        assert "Rp" in response.text and 'name="pay"' in response.text
    else:
        assert data.get("pay"), "paid without the pay button"
        assert "notice-" in follow(client, response).text


# Forms that are only a button: any extra input is ignored, a bad token refused, never a 5xx.
BUTTONS = (
    "/applications",
    "{application}/documents",
    "{application}/nik-status",
    "{application}/cancel",
    "/verify/resend",
    "/logout",
)


@fuzz(30)
@given(path=st.sampled_from(BUTTONS), csrf=csrf_field, extra=extra_fields, htmx=st.booleans())
def test_button_forms_ignore_extra_input(fuzz_app, offices, path, csrf, extra, htmx):
    booking = journeys.bookable(fuzz_app, offices["open"])
    data = posted_with(booking, {"csrf_token": csrf}, extra)
    headers = {"HX-Request": "true"} if htmx else {}
    response = booking.client.post(
        path.format(application=booking.url()), data=data, headers=headers
    )
    if check(response, accepted=(200, 302)) and response.status_code == 302:
        follow(booking.client, response)
    elif response.status_code != 200:
        assert booking.status() == "submitted"


@fuzz(15)
@given(queue=st.one_of(st.sampled_from(QUEUES), segment), csrf=csrf_field, extra=extra_fields)
def test_retrying_failed_jobs_refuses_unknown_queues(fuzz_app, queue, csrf, extra):
    with fuzz_app.app_context():
        email = make_administrator().email
    admin = sign_in_staff(fuzz_app, email)
    data = resolve({**extra, "csrf_token": csrf}, csrf=csrf_token(admin.get("/admin/jobs")))
    response = admin.post(f"/admin/jobs/{quote(queue, safe='')}/retry", data=data)
    if check(response, accepted=(302,)):
        follow(admin, response)
    else:
        assert response.status_code in (400, 404)


# CSRF and rate limits -------------------------------------------------------------------------

ANONYMOUS_FORMS = (
    "/register",
    "/login",
    "/verify",
    "/verify/resend",
    "/password/forgot",
    "/language",
)
SIGNED_IN_FORMS = ("/account/password", "/account/close", "/applications", "/logout")


@fuzz(30)
@given(
    path=st.sampled_from(ANONYMOUS_FORMS + SIGNED_IN_FORMS),
    token=st.one_of(st.none(), garbage),
    fields=REGISTER,
)
def test_a_bad_csrf_token_is_a_clear_400_and_changes_nothing(
    fuzz_app, account, path, token, fields
):
    client = account[0].client if path in SIGNED_IN_FORMS else fuzz_app.test_client()
    before = (
        count(fuzz_app, User),
        count(fuzz_app, Application),
        user_row(fuzz_app, account[0].email),
    )
    data = resolve(fields) | ({} if token is None else {"csrf_token": token})
    response = client.post(path, data=data)
    assert not check(response, accepted=())
    assert response.status_code == 400
    after = (
        count(fuzz_app, User),
        count(fuzz_app, Application),
        user_row(fuzz_app, account[0].email),
    )
    assert after == before


def test_rate_limits_answer_garbage_with_a_429(make_app):
    app = make_app(ADDRESS_RATE_LIMIT="10 per minute")  # limits on, as in production
    client = app.test_client()
    token = csrf_token(client.get("/login"))
    statuses = []
    for value in (
        "\x00",
        "<script>",
        "' OR 1=1 --",
        "9" * 5000,
        "a\r\nb",
        "١٢٣",
        "",
        " ",
        "x@y",
        "%00",
        "z",
    ):
        response = client.post(
            "/login", data={"csrf_token": token, "email": value, "password": value}
        )
        check(response, accepted=())
        statuses.append(response.status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


# The failures found by the properties above, as single examples -------------------------------


def test_a_birth_year_too_large_for_a_date_is_refused(wizard):
    w = wizard("passport")
    fields = {**ADULT_NEW["passport"], "birth_date-year": "2147483648"}
    response = w.post("/passport", fields)
    assert response.status_code == 422 and shows_error(response)


def test_autosaving_a_year_too_large_for_a_date_does_not_break_the_step(wizard):
    w = wizard("passport")
    response = w.post("/passport/autosave", {"birth_date-year": "2147483648"}, headers=HTMX)
    assert response.status_code == 200
    assert w.client.get(w.url("/passport")).status_code == 200


def test_typed_date_parts_kept_from_two_refused_posts_do_not_break_the_step(wizard):
    """Each post alone is refused cleanly, but the kept input adds up to a day past C's int."""
    w = wizard("passport")
    first = w.post("/passport", {"birth_date-day": "2147483648", "birth_date-month": ""})
    assert first.status_code == 422
    second = w.post("/passport", {"birth_date-month": "1", "birth_date-year": "1997"})
    assert second.status_code == 422
    assert w.client.get(w.url("/passport")).status_code == 200


def test_a_language_switch_back_to_an_address_with_a_newline_is_not_a_500(fuzz_app):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/"))
    response = client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/a\nb"})
    assert response.status_code == 302
    assert_on_site(response.location)


def test_a_login_next_address_with_a_newline_is_not_a_500(fuzz_app, member):
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login?next=/%0A", data={"csrf_token": token, "email": member, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert_on_site(response.location)


def test_a_nul_in_an_application_id_is_a_404(fresh_application):
    response = fresh_application.client.get("/applications/%00")
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["birth_place", "address", "occupation"])
def test_a_nul_in_a_personal_answer_is_refused_or_dropped(wizard, name):
    w = wizard("personal")
    response = w.post("/personal", {**ADULT_NEW["personal"], name: "Den\x00pasar"})
    assert response.status_code in (302, 422)
    assert_fits_columns(w.app, w.public_id)


def test_a_nul_in_travel_answers_is_refused_or_dropped(wizard):
    w = wizard("travel")
    fields = {**ADULT_NEW["travel"], "destination_country": "Je\x00pang", "address_abroad": "\x00"}
    response = w.post("/travel", fields)
    assert response.status_code in (302, 422)
    assert_fits_columns(w.app, w.public_id)


def test_a_nul_in_the_closing_details_is_refused_or_dropped(fuzz_app, account):
    me = account[0]
    token = csrf_token(me.client.get("/account/close"))
    fields = {"reason": "other", "details": "\x00", "password": PASSWORD, "csrf_token": token}
    response = me.client.post("/account/close", data=fields)
    assert response.status_code in (302, 422)
    reason = user_row(fuzz_app, me.email)["closed_reason"] or ""
    assert "\x00" not in reason, "PostgreSQL cannot store this reason"


def test_submitting_the_review_twice_is_not_a_500(review_step):
    w = review_step
    fields = {"declare_true": "y", "accept_forfeit": "y"}
    assert w.post("/review", fields).status_code == 302
    response = w.post("/review", fields)  # the back button, or a double click
    assert response.status_code < 500
    assert snapshot(w.app, w.public_id)["status"] == "submitted"


def test_a_refused_upload_over_a_photo_to_retake_shows_one_error(documents_step):
    """The page would carry the id doc-ktp-error twice: the refusal and the quality problem."""
    w = documents_step
    small = w.post("/documents/ktp", {"file": (io.BytesIO(jpeg()), "ktp.jpg")})
    assert small.status_code == 302  # kept, then judged too small to read: to be taken again
    response = w.post("/documents/ktp", {"file": (io.BytesIO(b"not a picture"), "ktp.jpg")})
    assert response.status_code == 422 and shows_error(response)
