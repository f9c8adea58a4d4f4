"""Logging in and out, sessions, forgotten and changed passwords, closing an account."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user
from tests.html import csrf_token, submit
from webapp.clock import now
from webapp.extensions import db
from webapp.models import PasswordReset, User

NEW_PASSWORD = "sambal-matah-pedas"


def log_in(client, email, password=PASSWORD):
    return submit(client, "/login", {"email": email, "password": password})


def test_login_with_wrong_password_or_unknown_email_says_the_same(app, client):
    with app.app_context():
        make_user(email="siti@contoh.id")
    wrong = log_in(client, "siti@contoh.id", "salah-sekali-1")
    unknown = log_in(client, "tidakada@contoh.id", "salah-sekali-1")
    assert wrong.status_code == unknown.status_code == 422
    message = "Alamat email atau kata sandi tidak benar"
    assert message in wrong.text and message in unknown.text


def test_login_renews_the_session_and_honours_a_local_next(app, client):
    with app.app_context():
        make_user(email="siti@contoh.id")
    with client.session_transaction() as session:
        session["left_over"] = "from before"
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login?next=/account/",
        data={"csrf_token": token, "email": "SITI@contoh.id", "password": PASSWORD},
    )
    assert response.location == "/account/"
    with client.session_transaction() as session:
        assert "left_over" not in session
        assert session.permanent


def test_login_never_redirects_to_another_site(app, client):
    with app.app_context():
        make_user(email="siti@contoh.id")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        token = csrf_token(client.get("/login"))
        response = client.post(
            f"/login?next={target}",
            data={"csrf_token": token, "email": "siti@contoh.id", "password": PASSWORD},
        )
        assert response.location == "/"


def test_logout_needs_a_post_with_csrf(app, client):
    with app.app_context():
        make_user(email="siti@contoh.id")
    log_in(client, "siti@contoh.id")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/account/").status_code == 200
    token = csrf_token(client.get("/account/"))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/account/").status_code == 302


def test_forgotten_password_link_works_once(app, client, mailbox):
    with app.app_context():
        make_user(email="siti@contoh.id")
    response = submit(client, "/password/forgot", {"email": "siti@contoh.id"})
    assert response.status_code == 200
    link = next(
        line
        for line in mailbox.text(mailbox.last("siti@contoh.id")).splitlines()
        if "/reset/" in line
    )
    path = link.strip().removeprefix("http://localhost")
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(client, path, data).location == "/login"
    assert client.get(path).status_code == 410  # replayed
    assert log_in(client, "siti@contoh.id").status_code == 422
    assert log_in(client, "siti@contoh.id", NEW_PASSWORD).status_code == 302


def test_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing(app, client, mailbox):
    with app.app_context():
        make_user(email="siti@contoh.id")
    known = submit(client, "/password/forgot", {"email": "siti@contoh.id"})
    unknown = submit(client, "/password/forgot", {"email": "budi@contoh.id"})
    assert known.status_code == unknown.status_code == 200

    def without_tokens(text):  # CSRF tokens carry a timestamp: in the forms and in hx-headers
        text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", text)
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)

    assert without_tokens(known.text.replace("siti@", "budi@")) == without_tokens(unknown.text)
    assert mailbox.messages("budi@contoh.id") == []


def test_an_expired_reset_link_is_refused(app, client, mailbox):
    with app.app_context():
        make_user(email="siti@contoh.id")
    submit(client, "/password/forgot", {"email": "siti@contoh.id"})
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=now() - timedelta(seconds=1)))
        db.session.commit()
    text = mailbox.text(mailbox.last("siti@contoh.id"))
    path = "/password/reset/" + text.split("/password/reset/")[1].split()[0]
    assert client.get(path).status_code == 410
    assert client.get("/password/reset/not-a-real-token").status_code == 410


def test_changing_the_password_signs_out_other_devices(app, make_app):
    with app.app_context():
        make_user(email="siti@contoh.id")
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, "siti@contoh.id")
    log_in(laptop, "siti@contoh.id")
    wrong = submit(
        phone,
        "/account/password",
        {"current_password": "bukan-ini-1", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    right = submit(
        phone,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert right.status_code == 302
    assert phone.get("/account/").status_code == 200
    assert laptop.get("/account/").status_code == 302


def test_closing_the_account_stops_login_and_keeps_the_record(app, client, mailbox):
    with app.app_context():
        make_user(email="siti@contoh.id")
    log_in(client, "siti@contoh.id")
    refused = submit(client, "/account/close", {"reason": "privacy", "password": "salah-1234"})
    assert refused.status_code == 422
    closed = submit(
        client, "/account/close", {"reason": "other", "details": "Pindah", "password": PASSWORD}
    )
    assert closed.status_code == 302
    assert log_in(client, "siti@contoh.id").status_code == 422
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.closed_at is not None and user.closed_reason == "other: Pindah"
    assert "ditutup" in mailbox.text(mailbox.last("siti@contoh.id"))


def test_language_choice_is_remembered_for_the_account(app, client):
    with app.app_context():
        make_user(email="siti@contoh.id")
    log_in(client, "siti@contoh.id")
    token = csrf_token(client.get("/"))
    response = client.post(
        "/language", data={"csrf_token": token, "lang": "en", "next": "/account/"}
    )
    assert response.location == "/account/"
    assert '<html lang="en">' in client.get("/account/").text
    with app.app_context():
        assert db.session.scalar(select(User.locale)) == "en"
