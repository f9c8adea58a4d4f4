"""Staff, supervisors and administrators sign in with a password and a TOTP second factor.

Enrolment with a QR code and ten recovery codes, codes accepted once, the lock after five wrong
codes, the 15-minute idle end of their sessions, their accounts kept apart from applicants',
`flask create-staff`, the demo staff, and the append-only record of account security events.
"""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from tests.factories import PASSWORD, make_application, make_office, make_user
from tests.html import csrf_token, submit
from tests.journeys import sign_in
from tests.staff import (
    TOTP_SECRET,
    code_at,
    current_step,
    fresh_code,
    make_administrator,
    make_staff,
    sign_in_staff,
)
from webapp import clock
from webapp.extensions import db
from webapp.models import AccountEvent, Office, RecoveryCode, User
from webapp.services import demo, staff_auth
from webapp.views.staff_auth import LAST_SEEN

CODE_PAGE, ENROL_PAGE = "/staff/sign-in/code", "/staff/sign-in/enrol"
STRONG_PASSWORD = "Loket-Makassar-2026"


@pytest.fixture
def office(app) -> int:
    with app.app_context():
        return make_office().id


@pytest.fixture
def staff_email(app, office):
    with app.app_context():
        return make_staff(db.session.get(Office, office), email="andi@imigrasi.go.id").email


def password_only(app, email: str):
    """A client past the password, not yet past the second factor."""
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client, response.location


def give(client, code: str, **kwargs):
    return submit(client, CODE_PAGE, {"code": code}, **kwargs)


def account(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def events(app, email: str) -> list[str]:
    with app.app_context():
        return [event for event, _ in staff_auth.events_of(account(app, email).id)]


# Signing in ------------------------------------------------------------------------------------


def test_the_password_alone_reaches_nothing_but_the_code_page(app, staff_email):
    client, location = password_only(app, staff_email)
    assert location == CODE_PAGE
    assert 'href="/account/"' not in client.get(CODE_PAGE).text  # no applicant's profile link
    for path in ("/", "/counter/check-in", "/admin/jobs", "/account/", "/applications/x"):
        assert client.get(path).location == CODE_PAGE, path
    token = csrf_token(client.get(CODE_PAGE))
    assert client.post("/applications", data={"csrf_token": token}).location == CODE_PAGE
    # Logging out stays possible.
    assert client.post("/logout", data={"csrf_token": token}).location == "/"
    assert client.get(CODE_PAGE).location.startswith("/login")


def test_the_right_code_signs_staff_in_to_the_check_in_page(app, staff_email):
    client, _ = password_only(app, staff_email)
    wrong = give(client, "000000" if code_at(current_step()) != "000000" else "111111")
    assert wrong.status_code == 422
    assert "Kode tersebut tidak benar. Anda masih dapat mencoba 4 kali lagi." in wrong.text
    right = give(client, fresh_code(app, staff_email))
    assert right.location == "/counter/check-in"
    assert client.get("/").location == "/counter/check-in"  # staff have no applicant home
    assert client.get(CODE_PAGE).location == "/counter/check-in"  # nothing more to give
    assert account(app, staff_email).failed_codes == 0


def test_an_administrator_gives_the_second_factor_too_and_lands_on_the_jobs_page(app):
    with app.app_context():
        email = make_administrator(email="ratna@imigrasi.go.id").email
    client, location = password_only(app, email)
    assert location == CODE_PAGE
    assert client.get("/admin/jobs").location == CODE_PAGE
    assert give(client, fresh_code(app, email)).location == "/admin/jobs"
    assert client.get("/admin/jobs").status_code == 200


def test_a_code_is_accepted_once_only(app, staff_email):
    code = code_at(current_step())
    first, _ = password_only(app, staff_email)
    assert give(first, code).status_code == 302
    again, _ = password_only(app, staff_email)
    replayed = give(again, code)
    assert replayed.status_code == 422 and "Kode itu sudah dipakai" in replayed.text
    assert again.get("/admin/jobs").location == CODE_PAGE
    # The next step's code is still good (the window reaches one step ahead).
    assert give(again, code_at(current_step() + 1)).status_code == 302


def test_codes_of_the_steps_beside_now_are_accepted_and_older_ones_are_not(app, staff_email):
    client, _ = password_only(app, staff_email)
    assert give(client, code_at(current_step() - 2)).status_code == 422
    assert give(client, code_at(current_step() + 2)).status_code == 422
    assert give(client, code_at(current_step() - 1)).status_code == 302


def test_the_secret_is_stored_encrypted(app, staff_email):
    stored = account(app, staff_email).totp_secret
    assert TOTP_SECRET not in stored and TOTP_SECRET.lower() not in stored.lower()
    with app.app_context():
        assert staff_auth._secret_of(account(app, staff_email)) == TOTP_SECRET


# Lockout ---------------------------------------------------------------------------------------


def wrong_code() -> str:
    near = {code_at(current_step() + offset) for offset in (-1, 0, 1)}
    return next(code for code in ("123456", "654321", "111111", "999999") if code not in near)


def test_five_wrong_codes_lock_the_account_for_30_minutes_told_in_office_time(app, staff_email):
    client, _ = password_only(app, staff_email)
    for left in (4, 3, 2, 1):
        assert f"Anda masih dapat mencoba {left} kali lagi" in give(client, wrong_code()).text
    before = clock.now()
    locked = give(client, wrong_code())
    user = account(app, staff_email)
    assert timedelta(minutes=29) < user.locked_until - before <= timedelta(minutes=30, seconds=5)
    until = user.locked_until.astimezone(ZoneInfo("Asia/Makassar"))
    assert f"terkunci sampai {until:%H.%M} WITA" in locked.text
    # Neither the right code nor a fresh password sign-in gets past the lock.
    assert "terkunci sampai" in give(client, fresh_code(app, staff_email)).text
    other, _ = password_only(app, staff_email)
    assert "terkunci sampai" in other.get(CODE_PAGE).text
    assert other.get("/admin/jobs").location == CODE_PAGE
    assert events(app, staff_email) == ["locked"]
    # Thirty minutes later (the lock moved into the past) the right code works again.
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.email == staff_email)
            .values(locked_until=clock.now() - timedelta(seconds=1))
        )
        db.session.commit()
    assert give(other, fresh_code(app, staff_email)).status_code == 302
    assert account(app, staff_email).locked_until is None


def test_an_administrators_lock_is_told_in_wib_and_in_english(app):
    with app.app_context():
        email = make_administrator(locale="en").email
    client, _ = password_only(app, email)
    for _ in range(4):
        give(client, wrong_code())
    page = give(client, wrong_code()).text
    until = account(app, email).locked_until.astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"this account is locked until {until:%H:%M} WIB" in page


def test_a_right_code_clears_the_count_of_wrong_ones(app, staff_email):
    client, _ = password_only(app, staff_email)
    for _ in range(4):
        give(client, wrong_code())
    assert give(client, fresh_code(app, staff_email)).status_code == 302
    again, _ = password_only(app, staff_email)
    assert "Anda masih dapat mencoba 4 kali lagi" in give(again, wrong_code()).text


# Enrolment and recovery codes ------------------------------------------------------------------


def enrolling(app, office) -> tuple[str, object, str]:
    """A staff account without a second factor, past its password: (email, client, key)."""
    with app.app_context():
        email = make_user(role="staff", office_id=office, locale="en").email
    client, location = password_only(app, email)
    assert location == ENROL_PAGE
    page = client.get(ENROL_PAGE).text
    key = re.search(r'<code class="totp-key">([A-Z2-7 ]+)</code>', page).group(1)
    return email, client, key.replace(" ", "")


def test_first_sign_in_enrols_with_a_qr_code_then_shows_ten_recovery_codes(app, office):
    email, client, key = enrolling(app, office)
    page = client.get(ENROL_PAGE).text
    assert re.search(r'<svg viewBox="[^"]+" class="qr-code">', page) and "style=" not in page
    assert key in page.replace(" ", "")  # a reload shows the same key (and QR code)
    assert client.get(CODE_PAGE).location == ENROL_PAGE
    assert client.get("/admin/jobs").location == ENROL_PAGE
    totp = pyotp.TOTP(key)
    wrong = submit(client, ENROL_PAGE, {"code": wrong_code()})
    assert wrong.status_code == 422 and "4 tries left" in wrong.text
    done = submit(client, ENROL_PAGE, {"code": totp.at(clock.now())})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(set(codes)) == 10
    assert 'href="/counter/check-in"' in done.text
    assert client.get("/counter/check-in").location != ENROL_PAGE  # signed in
    user = account(app, email)
    assert user.totp_enrolled_at is not None
    assert events(app, email) == ["enrolled", "recovery_codes_made"]
    with app.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    # Enrolled: the enrolment page is gone, the next sign-in asks for a code.
    assert client.get(ENROL_PAGE).location == CODE_PAGE
    assert password_only(app, email)[1] == CODE_PAGE


def test_the_recovery_codes_are_each_accepted_once_in_place_of_a_code(app, office):
    email, client, key = enrolling(app, office)
    done = submit(client, ENROL_PAGE, {"code": pyotp.TOTP(key).at(clock.now())})
    first, second = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", done.text)[:2]
    phoneless, _ = password_only(app, email)
    used = give(phoneless, first.upper().replace("-", " "))  # as read off the paper
    assert used.location == "/counter/check-in"
    assert "9 recovery codes are left" in phoneless.get(used.location).text
    again, _ = password_only(app, email)
    assert give(again, first).status_code == 422
    assert give(again, second).status_code == 302
    assert events(app, email) == [
        "enrolled",
        "recovery_codes_made",
        "recovery_code_used",
        "recovery_code_used",
    ]


def test_an_enrolment_is_confirmed_only_by_a_current_code_and_counts_wrong_ones(app, office):
    email, client, key = enrolling(app, office)
    totp = pyotp.TOTP(key)
    stale = totp.generate_otp(totp.timecode(clock.now()) - 2)
    assert submit(client, ENROL_PAGE, {"code": stale}).status_code == 422
    assert submit(client, ENROL_PAGE, {"code": "12 34"}).status_code == 422  # not 6 digits
    assert account(app, email).totp_enrolled_at is None
    assert account(app, email).failed_codes == 1  # the malformed one never reached a check


# Idle sessions ---------------------------------------------------------------------------------


def idle_for(client, minutes: int) -> None:
    with client.session_transaction() as session:
        session[LAST_SEEN] = (clock.now() - timedelta(minutes=minutes)).timestamp()


def test_a_staff_session_ends_after_15_minutes_idle(app):
    with app.app_context():
        email = make_administrator().email
    client = sign_in_staff(app, email)
    idle_for(client, 14)
    assert client.get("/admin/jobs").status_code == 200  # and the clock starts again
    idle_for(client, 16)
    from_htmx = client.get("/admin/jobs", headers={"HX-Request": "true"})
    assert from_htmx.headers["HX-Redirect"] == "/login"  # the whole page, not a fragment
    assert client.get("/admin/jobs").location.startswith("/login")
    page = client.get("/login").text
    assert "Anda dikeluarkan setelah 15 menit tanpa aktivitas" in page


def test_a_page_polling_by_itself_does_not_keep_a_staff_session_alive(app, staff_email):
    client = sign_in_staff(app, staff_email)
    idle_for(client, 10)
    polled = client.get("/counter/desk", headers={"HX-Request": "true", "X-Poll": "true"})
    assert polled.status_code == 200
    with client.session_transaction() as session:
        seen = session[LAST_SEEN]
        assert clock.now().timestamp() - seen > 9 * 60  # the poll did not count as activity
        session[LAST_SEEN] = seen - 6 * 60  # six more minutes of polling: 16 without a person
    assert client.get("/counter/desk").location.startswith("/login")


def test_an_applicant_session_is_not_ended_after_15_minutes(app):
    with app.app_context():
        email = make_user().email
    client = sign_in(app, email)
    idle_for(client, 16)
    assert client.get("/account/").status_code == 200


# Staff accounts are not applicants' --------------------------------------------------------------


def test_staff_and_administrators_have_no_applicant_pages(app, office, staff_email):
    with app.app_context():
        owner = make_user()
        public_id = make_application(owner).public_id
        admin_email = make_administrator().email
    for client in (sign_in_staff(app, staff_email), sign_in_staff(app, admin_email)):
        token = csrf_token(client.get("/account/password"))
        assert client.post("/applications", data={"csrf_token": token}).status_code == 403
        assert client.get(f"/applications/{public_id}").status_code == 403
        assert client.get(f"/applications/{public_id}/office").status_code == 403


def test_an_applicant_never_reaches_the_staff_sign_in_pages(app):
    with app.app_context():
        email = make_user().email
    client = sign_in(app, email)
    assert client.get(CODE_PAGE).status_code == 403
    assert client.get(ENROL_PAGE).status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    assert app.test_client().get(CODE_PAGE).location.startswith("/login")


def test_the_code_page_is_limited_per_account_whatever_the_address(app, staff_email):
    client, _ = password_only(app, staff_email)
    answers = []
    for n in range(21):
        with app.app_context():  # kept clear of the lock, to reach the limit
            db.session.execute(update(User).values(failed_codes=0))
            db.session.commit()
        address = {"REMOTE_ADDR": f"10.0.1.{n}"}
        answers.append(give(client, wrong_code(), environ_base=address))
    assert [answer.status_code for answer in answers] == [422] * 20 + [429]
    assert "Terlalu banyak percobaan" in answers[-1].text


# flask create-staff ----------------------------------------------------------------------------


def create_staff(runner, *options, office="kanim-1", input=STRONG_PASSWORD + "\n"):
    return runner.invoke(
        args=[
            "create-staff",
            "--email",
            "Andi@Imigrasi.go.id",
            "--full-name",
            "Andi Pratama",
            "--office",
            office,
            "--password-stdin",
            *options,
        ],
        input=input,
    )


@pytest.fixture
def cli_office(app):
    with app.app_context():
        return make_office(code="kanim-1").code


def test_create_staff_makes_an_account_that_enrols_at_first_sign_in(app, runner, cli_office):
    result = create_staff(runner, "--role", "supervisor")
    assert result.exit_code == 0, result.output
    assert "created: supervisor Andi@Imigrasi.go.id of kanim-1" in result.output
    user = account(app, "andi@imigrasi.go.id")
    assert (user.role, user.is_verified, user.totp_secret) == ("supervisor", True, None)
    assert events(app, user.email) == ["created"]
    client = app.test_client()
    login = submit(client, "/login", {"email": user.email, "password": STRONG_PASSWORD})
    assert login.location == ENROL_PAGE


def test_create_staff_twice_changes_nothing_and_says_so(app, runner, cli_office):
    assert create_staff(runner).exit_code == 0
    again = create_staff(runner, input="")
    assert again.exit_code == 0 and "exists: staff" in again.output
    assert events(app, "andi@imigrasi.go.id") == ["created"]


@pytest.mark.parametrize(
    "existing, options, office, reason",
    [
        (None, (), "kanim-tidak-ada", "no office with the code"),
        ("applicant", (), "kanim-1", "nothing changed"),
        ("admin", (), "kanim-1", "nothing changed"),
        ("staff of another office", (), "kanim-1", "nothing changed"),
        ("staff", ("--role", "supervisor"), "kanim-1", "nothing changed"),
        (None, ("--role", "admin"), "kanim-1", "Invalid value for '--role'"),
    ],
)
def test_create_staff_refuses(app, runner, cli_office, existing, options, office, reason):
    with app.app_context():
        fields = {"email": "andi@imigrasi.go.id"}
        if existing == "applicant":
            make_user(**fields)
        elif existing == "admin":
            make_administrator(**fields)
        elif existing == "staff of another office":
            make_staff(make_office(code="kanim-2"), **fields)
        elif existing == "staff":
            make_staff(db.session.scalar(select(Office).filter_by(code="kanim-1")), **fields)
        before = db.session.scalar(select(sa.func.count(User.id)))
    result = create_staff(runner, *options, office=office)
    assert result.exit_code != 0 and reason in result.output
    with app.app_context():
        assert db.session.scalar(select(sa.func.count(User.id))) == before
        assert db.session.scalar(select(sa.func.count(AccountEvent.id))) == 0


def test_create_staff_refuses_a_weak_password(app, runner, cli_office):
    result = create_staff(runner, input="andi-12345\n")
    assert result.exit_code != 0 and "contains the email address" in result.output


# Demo staff ------------------------------------------------------------------------------------


def test_the_demo_staff_sign_in_with_the_code_demo_totp_prints(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    staff = {account[1]: (account[4], account[5]) for account in demo.DEMO_ACCOUNTS if account[5]}
    assert sorted({office for _, office in staff.values()}) == ["kanim-latihan", "kanim-makassar"]
    for email, (role, _) in staff.items():
        user = account(app, email)
        assert user.role == role and user.totp_enrolled_at is not None
    email = "petugas.makassar@demo.mpaspor.id"
    printed = runner.invoke(args=["demo-totp", email])
    assert printed.exit_code == 0 and re.fullmatch(r"\d{6}\n", printed.output)
    client = app.test_client()
    login = submit(client, "/login", {"email": email, "password": demo.DEMO_PASSWORD})
    assert login.location == CODE_PAGE
    assert give(client, printed.output.strip()).location == "/counter/check-in"
    # The demo administrator has the second factor too.
    admin = app.test_client()
    submit(admin, "/login", {"email": "admin@demo.mpaspor.id", "password": demo.DEMO_PASSWORD})
    assert admin.get("/admin/jobs").location == CODE_PAGE
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # twice changes nothing
    assert events(app, email) == ["created"]


def test_a_demo_administrator_seeded_before_the_second_factor_gets_the_demo_one(app, runner):
    with app.app_context():
        make_user(email="admin@demo.mpaspor.id", role="admin")
    seeded = runner.invoke(args=["seed-demo"])
    assert "second factor: admin@demo.mpaspor.id" in seeded.output
    code = runner.invoke(args=["demo-totp", "admin@demo.mpaspor.id"]).output.strip()
    client = app.test_client()
    submit(client, "/login", {"email": "admin@demo.mpaspor.id", "password": PASSWORD})
    assert give(client, code).location == "/admin/jobs"
    assert "exists: admin@demo.mpaspor.id" in runner.invoke(args=["seed-demo"]).output


def test_demo_totp_refuses_other_accounts_and_outside_demo_mode(app, runner, staff_email):
    assert runner.invoke(args=["demo-totp", staff_email]).exit_code != 0
    app.config["DEMO_MODE"] = False
    refused = runner.invoke(args=["demo-totp", "admin@demo.mpaspor.id"])
    assert refused.exit_code != 0 and "only in demo mode" in refused.output


# The security record ---------------------------------------------------------------------------


def test_account_events_are_append_only(app, staff_email):
    with app.app_context():
        user_id = account(app, staff_email).id
        staff_auth.record(user_id, staff_auth.LOCKED, detail="test")
        db.session.commit()
        for statement in (
            update(AccountEvent).values(detail="rewritten"),
            sa.delete(AccountEvent),
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(statement)
                db.session.flush()
            db.session.rollback()
        assert staff_auth.events_of(user_id) == [("locked", "test")]


@pytest.mark.parametrize(
    "typed, counted",
    [
        ("", False),
        ("   ", False),
        ("x" * 33, False),
        ("12\x0034", True),  # the control character is dropped: a wrong 4-digit code
        ("１２３４５６", True),  # full-width digits are not the code
        ("'; DROP TABLE users; --", True),
        ("abcde-fghjk", True),  # a recovery code of nobody
    ],
)
def test_bad_codes_are_refused_in_words_and_change_nothing_else(app, staff_email, typed, counted):
    client, _ = password_only(app, staff_email)
    response = give(client, typed)
    assert response.status_code == 422
    assert "Ada masalah" in response.text
    assert account(app, staff_email).failed_codes == (1 if counted else 0)
    assert client.get("/admin/jobs").location == CODE_PAGE
