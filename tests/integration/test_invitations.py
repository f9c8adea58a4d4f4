"""Staff and supervisor accounts as administrators keep them (/admin/staff, /invitation/<token>):
an invitation mailed with a single-use link that works for 72 hours, the invitee choosing their
password there and enrolling the second factor at their first sign-in; a used, late or replaced
link refused plainly; an address already in use refused; an account disabled (no sign-in, its
sessions and its open counter end) and enabled again; every step on the trail."""

import re
from datetime import timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_office, make_user
from tests.html import csrf_token, submit
from tests.integration.test_fuzz_forms import fuzz, garbage
from tests.integration.test_wizard import signed_in
from tests.staff import make_administrator, make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import AccountEvent, Change, CounterSession, Invitation, User
from webapp.rules import visits
from webapp.services import calling, invitations, staff_auth

ADMIN = "admin@contoh.id"
INVITEE = "nurul@imigrasi.go.id"
NEW_PASSWORD = "sambal-matah-pedas"


@pytest.fixture
def admin(app):
    with app.app_context():
        make_administrator(email=ADMIN, locale="en")
    return sign_in_staff(app, ADMIN)


@pytest.fixture
def office_id(app):
    with app.app_context():
        return make_office(code="kanim-bogor", name="Kantor Imigrasi Bogor").id


def invite(admin, office_id, email=INVITEE, role="supervisor", name="Nurul Hidayah"):
    return submit(
        admin,
        "/admin/staff/invite",
        {"full_name": name, "email": email, "office_id": str(office_id), "role": role},
    )


def link_in(mailbox, to=INVITEE) -> str:
    text = mailbox.text(mailbox.last(to))
    return re.search(r"http://localhost(/invitation/[A-Za-z0-9_\-]+)", text).group(1)


def enrol_second_factor(client) -> None:
    """Scan the enrolment's key into an authenticator and confirm it with a current code."""
    page = client.get("/staff/sign-in/enrol")
    key = re.search(r"([A-Z2-7]{4}(?: [A-Z2-7]{4}){7})", page.text).group(1).replace(" ", "")
    done = submit(client, "/staff/sign-in/enrol", {"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200 and 'class="recovery' in done.text


def accept(app, path, password=NEW_PASSWORD, confirm=None):
    client = app.test_client()
    confirm = password if confirm is None else confirm
    return client, submit(client, path, {"password": password, "confirm": confirm})


def test_an_invitation_is_mailed_accepted_once_and_the_account_enrols_totp(
    app, admin, office_id, mailbox
):
    invited = invite(admin, office_id)
    assert invited.status_code == 302
    listing = admin.get("/admin/staff").text
    assert INVITEE in listing and "Invitations not used yet" in listing
    # In Indonesian, the office side's default language, with the subject of its own.
    message = mailbox.last(INVITEE)
    assert message["Subject"] == "Anda diundang ke M-Paspor untuk kantor Anda"
    assert "sebagai supervisor di Kantor Imigrasi Bogor" in mailbox.text(message)
    path = link_in(mailbox)
    with app.app_context():
        [invitation] = db.session.scalars(select(Invitation)).all()
        token = path.rsplit("/", 1)[1]
        assert token not in invitation.token_hash  # only the hash is kept
        assert invitation.expires_at - invitation.created_at == timedelta(hours=72)

    page = app.test_client().get(path)
    assert page.status_code == 200 and INVITEE in page.text
    client, made = accept(app, path)
    assert made.status_code == 302 and made.location == "/login"

    # The link works once: a second use, even with another password, is refused plainly.
    _again, reused = accept(app, path, password="teh-manis-hangat")
    assert reused.status_code == 410
    assert "already used" in reused.text or "sudah digunakan" in reused.text
    assert 'name="password"' not in reused.text

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == INVITEE))
        assert (user.role, user.office_id) == ("supervisor", office_id)
        assert user.totp_enrolled_at is None and user.is_verified
        assert [event for event, _ in staff_auth.events_of(user.id)] == ["created"]
        actions = db.session.scalars(select(Change.action).order_by(Change.id)).all()
        assert actions == ["invited", "created"]

    # Their first sign-in asks for the second factor's enrolment, then accepts its code.
    login = submit(client, "/login", {"email": INVITEE, "password": NEW_PASSWORD})
    assert login.location == "/staff/sign-in/enrol"
    enrol_second_factor(client)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == INVITEE))
        assert user.totp_enrolled_at is not None
    assert client.get("/counter/check-in").status_code == 200


def test_a_late_link_is_refused_and_makes_no_account(app, admin, office_id, mailbox, monkeypatch):
    invite(admin, office_id)
    path = link_in(mailbox)
    later = clock.now() + timedelta(hours=72, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    page = app.test_client().get(path)
    assert page.status_code == 410 and 'name="password"' not in page.text
    _client, late = accept(app, path)
    assert late.status_code == 410
    assert "72" in late.text
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == INVITEE)) is None
        # Listed as expired, for the administrator to send again.
        [row] = invitations.pending()
        assert row.expired


def test_a_resent_invitation_replaces_the_old_link(app, admin, office_id, mailbox):
    invite(admin, office_id)
    old = link_in(mailbox)
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    token = csrf_token(admin.get("/admin/staff"))
    sent = admin.post(
        f"/admin/staff/invitations/{invitation_id}/resend", data={"csrf_token": token}
    )
    assert sent.status_code == 302
    new = link_in(mailbox)
    assert new != old
    _client, stale = accept(app, old)
    assert stale.status_code == 410 and 'name="password"' not in stale.text
    assert "newer one" in stale.text or "lebih baru" in stale.text
    _client, fresh = accept(app, new)
    assert fresh.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == INVITEE)) == 1
        assert "resent" in db.session.scalars(select(Change.action)).all()


def test_an_address_already_in_use_is_refused(app, admin, office_id, mailbox):
    with app.app_context():
        make_user(email="siti@contoh.id")
    refused = invite(admin, office_id, email="SITI@contoh.id")
    assert refused.status_code == 422
    assert 'id="email-error"' in refused.text
    invite(admin, office_id)
    again = invite(admin, office_id, role="staff")
    assert again.status_code == 422 and 'id="email-error"' in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 1
    assert mailbox.messages("siti@contoh.id") == []


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"email": "bukan-alamat"}, "email"),
        ({"full_name": "<script>"}, "full_name"),
        ({"role": "admin"}, "role"),
        ({"office_id": "999999"}, "office_id"),
        ({"office_id": "kanim"}, "office_id"),
    ],
)
def test_a_bad_invitation_is_refused_beside_its_field(app, admin, office_id, fields, field):
    data = {"full_name": "Nurul", "email": INVITEE, "office_id": str(office_id), "role": "staff"}
    refused = submit(admin, "/admin/staff/invite", {**data, **fields})
    assert refused.status_code == 422 and f'id="{field}-error"' in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_a_weak_password_is_refused_and_the_link_still_works(app, admin, office_id, mailbox):
    invite(admin, office_id)
    path = link_in(mailbox)
    _client, weak = accept(app, path, password="password")
    assert weak.status_code == 422 and 'id="password-error"' in weak.text
    _client, with_email = accept(app, path, password=f"x{INVITEE}")
    assert with_email.status_code == 422
    _client, made = accept(app, path)
    assert made.status_code == 302


def test_an_unknown_link_says_so(client):
    page = client.get("/invitation/bukan-tautan-undangan")
    assert page.status_code == 404 and 'name="password"' not in page.text


def test_a_disabled_account_cannot_sign_in_and_its_session_and_counter_end(app, admin):
    with app.app_context():
        office = make_office()
        officer = make_staff(office, email="andi@imigrasi.go.id")
        officer_id = officer.id
    staff_client = sign_in_staff(app, "andi@imigrasi.go.id")
    with app.app_context():
        calling.open_counter(db.session.get(User, officer_id), 3, list(visits.LANES))
    assert staff_client.get("/counter/check-in").status_code == 200

    token = csrf_token(admin.get("/admin/staff"))
    disabled = admin.post(f"/admin/staff/{officer_id}/disable", data={"csrf_token": token})
    assert disabled.status_code == 302
    assert "Disabled" in admin.get("/admin/staff").text

    # The open session ends; signing in again is refused like a wrong password.
    assert staff_client.get("/counter/check-in").location.startswith("/login")
    again = submit(
        app.test_client(), "/login", {"email": "andi@imigrasi.go.id", "password": PASSWORD}
    )
    assert again.status_code == 422
    with app.app_context():
        open_counters = db.session.scalar(
            select(func.count(CounterSession.id)).where(
                CounterSession.staff_id == officer_id, CounterSession.closed_at.is_(None)
            )
        )
        assert open_counters == 0
        events = db.session.scalars(
            select(AccountEvent.event).where(AccountEvent.user_id == officer_id)
        ).all()
        assert invitations.DISABLED_EVENT in events
        change = db.session.scalar(select(Change).where(Change.action == "disabled"))
        assert change.entity_id == officer_id and change.after["counter_sessions_closed"] == 1

    token = csrf_token(admin.get("/admin/staff"))
    assert (
        admin.post(f"/admin/staff/{officer_id}/enable", data={"csrf_token": token}).status_code
        == 302
    )
    sign_in_staff(app, "andi@imigrasi.go.id")  # signs in again, second factor as before


def test_an_applicant_or_administrator_account_cannot_be_disabled_here(app, admin):
    with app.app_context():
        applicant_id = make_user().id
    token = csrf_token(admin.get("/admin/staff"))
    answer = admin.post(f"/admin/staff/{applicant_id}/disable", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "not a staff account" in admin.get("/admin/staff").text
    with app.app_context():
        assert db.session.get(User, applicant_id).closed_at is None


def test_the_list_filters_by_office(app, admin):
    with app.app_context():
        bogor = make_office(code="kanim-bogor", name="Kantor Imigrasi Bogor")
        medan = make_office(code="kanim-medan", name="Kantor Imigrasi Medan")
        make_staff(bogor, email="bogor@imigrasi.go.id")
        make_staff(medan, email="medan@imigrasi.go.id")
    page = admin.get("/admin/staff?office=kanim-bogor").text
    assert "bogor@imigrasi.go.id" in page and "medan@imigrasi.go.id" not in page
    every = admin.get("/admin/staff").text
    assert "bogor@imigrasi.go.id" in every and "medan@imigrasi.go.id" in every


@pytest.mark.parametrize("role", ["applicant", "staff", "supervisor"])
def test_only_administrators_reach_the_staff_pages(app, role):
    with app.app_context():
        office = make_office()
        person = make_user() if role == "applicant" else make_staff(office, role=role)
        email, office_id = person.email, office.id
    client = signed_in(app, email) if role == "applicant" else sign_in_staff(app, email)
    token = csrf_token(client.get("/account/password"))
    for path in ("/admin/staff", "/admin/staff/invite"):
        assert client.get(path).status_code == 403, path
    data = {"csrf_token": token, "full_name": "Calo", "email": "calo@contoh.id"}
    data |= {"office_id": str(office_id), "role": "supervisor"}
    assert client.post("/admin/staff/invite", data=data).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_production_starts_from_create_admin_and_everything_else_is_made_on_the_pages(app, mailbox):
    """No demo data: the first administrator from the command line, then the office and its
    supervisor through the pages, the supervisor signed in with their own second factor."""
    created = app.test_cli_runner().invoke(
        args=["create-admin", "--email", ADMIN, "--full-name", "Ratna Sari", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    admin = app.test_client()
    assert submit(admin, "/login", {"email": ADMIN, "password": NEW_PASSWORD}).status_code == 302
    enrol_second_factor(admin)
    office = submit(
        admin,
        "/admin/offices/new",
        {
            "kind": "ulp",
            "code": "ulp-bogor",
            "name": "Unit Layanan Paspor Bogor",
            "address": "Jl. Pajajaran No. 10",
            "city": "Bogor",
            "province": "Jawa Barat",
            "latitude": "-6,59",  # a comma, as Indonesians write decimals
            "longitude": "106,80",
            "timezone": "Asia/Jakarta",
            "epassport_stock": "0",
        },
    )
    assert office.status_code == 302
    office_id = int(office.location.rsplit("/", 1)[1])
    assert invite(admin, office_id).status_code == 302
    supervisor, made = accept(app, link_in(mailbox))
    assert made.status_code == 302
    login = submit(supervisor, "/login", {"email": INVITEE, "password": NEW_PASSWORD})
    assert login.location == "/staff/sign-in/enrol"
    enrol_second_factor(supervisor)
    assert supervisor.get("/counter/check-in").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == INVITEE))
        assert user.office_id == office_id and user.role == "supervisor"


@fuzz(25)
@given(
    field=st.sampled_from(["full_name", "email", "office_id", "role"]),
    value=garbage,
)
def test_garbage_in_an_invitation_is_refused_or_sent_whole_never_a_500(
    app, admin, office_id, field, value
):
    data = {"full_name": "Nurul", "office_id": str(office_id), "role": "staff"}
    with app.app_context():
        before = db.session.scalar(select(func.count(Invitation.id)))
    data["email"] = f"fuzz{before}@imigrasi.go.id"
    answer = submit(admin, "/admin/staff/invite", {**data, field: value})
    assert answer.status_code in (302, 422), answer.status_code
    with app.app_context():
        after = db.session.scalar(select(func.count(Invitation.id)))
    assert after == before + (answer.status_code == 302)


@fuzz(20)
@given(password=garbage, same=st.booleans(), confirm=garbage)
def test_garbage_on_the_invitation_page_makes_an_account_only_when_whole(
    app, admin, office_id, mailbox, password, same, confirm
):
    with app.app_context():
        email = f"fuzz{db.session.scalar(select(func.count(Invitation.id)))}@imigrasi.go.id"
    assert invite(admin, office_id, email=email).status_code == 302
    path = link_in(mailbox, to=email)
    _client, answer = accept(app, path, password=password, confirm=password if same else confirm)
    assert answer.status_code in (302, 422), answer.status_code
    with app.app_context():
        made = db.session.scalar(select(func.count(User.id)).where(User.email == email))
        used = db.session.scalar(select(Invitation.used_at).where(Invitation.email == email))
    assert made == (answer.status_code == 302) == (used is not None)
