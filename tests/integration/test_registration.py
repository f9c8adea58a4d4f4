"""Opening an account: the form, the emailed code, and what happens with bad input."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import PASSWORD, make_user
from tests.html import submit
from webapp.clock import now
from webapp.extensions import db
from webapp.models import EmailCode, User

GOOD = {
    "full_name": "Ni Luh Putu Ayu",
    "email": "Ayu@Contoh.ID",
    "phone": "0812-3456-7890",
    "password": "kopi-tubruk-pagi",
    "accept_terms": "y",
}


def register(client, **changes):
    return submit(client, "/register", {**GOOD, **changes})


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_register_verify_and_log_in(app, client, mailbox):
    response = register(client)
    assert response.status_code == 302 and response.location == "/verify"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "ayu@contoh.id"
        assert user.phone == "+6281234567890"
        assert user.verified_at is None
        assert user.password_hash.startswith("scrypt:")
    code = mailbox.code_for("ayu@contoh.id")

    response = submit(client, "/verify", {"code": code})
    assert response.status_code == 302 and response.location == "/login"
    response = submit(client, "/login", {"email": "ayu@contoh.id", "password": GOOD["password"]})
    assert response.status_code == 302
    home = client.get("/")
    assert "Ni Luh Putu Ayu" in home.text
    assert "/verify" not in home.text  # no reminder once confirmed


def test_activation_mail_has_text_and_html_in_the_chosen_language(client, mailbox):
    client.set_cookie("lang", "en")
    register(client)
    message = mailbox.last("ayu@contoh.id")
    assert message["Subject"] == "Your M-Paspor activation code"
    assert message.get_body(preferencelist=("html",)) is not None
    assert "valid for 15 minutes" in mailbox.text(message)


def test_activation_mail_is_indonesian_by_default(client, mailbox):
    register(client)
    message = mailbox.last("ayu@contoh.id")
    assert message["Subject"] == "Kode aktivasi M-Paspor Anda"
    assert "15 menit" in mailbox.text(message)


@pytest.mark.parametrize("name", ["Ni Luh Putu Ayu", "Ma'ruf", "Śri Rahayu", "A. Rahman"])
def test_real_names_are_accepted(app, client, name):
    assert register(client, full_name=name).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.full_name)) == name


@pytest.mark.parametrize(
    "phone",
    ["0812 3456 7890", "0812.3456.7890", "+62 812 - 3456 - 7890", "0812\u20133456\u20137890"],
)
def test_a_phone_number_typed_in_groups_is_accepted(app, client, phone):
    assert register(client, phone=phone).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.phone)) == "+6281234567890"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "ayu@", "Masukkan alamat email"),
        ("email", "a" * 250 + "@contoh.id", "paling banyak 254"),
        ("phone", "021 555 1234", "nomor ponsel Indonesia"),
        ("phone", "+1 202 555 0100", "nomor ponsel Indonesia"),
        ("full_name", "<script>alert(1)</script>", "huruf"),
        ("full_name", "x" * 121, "huruf"),
        ("full_name", "   ", "wajib"),
        ("password", "short", "8 karakter"),
        ("password", "password123", "terlalu umum"),
        ("password", "bismillah", "terlalu umum"),
        ("accept_terms", "", "menyetujui"),
    ],
)
def test_bad_input_is_refused_in_indonesian_and_creates_nothing(app, client, field, value, message):
    response = register(client, **{field: value})
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert count_users(app) == 0


def test_bad_input_keeps_what_was_typed(client):
    response = register(client, phone="12")
    assert 'value="Ni Luh Putu Ayu"' in response.text
    assert 'value="Ayu@Contoh.ID"' in response.text or 'value="ayu@contoh.id"' in response.text


def test_errors_in_english_on_request(client):
    client.set_cookie("lang", "en")
    response = register(client, phone="12")
    assert response.status_code == 422
    assert "Enter an Indonesian mobile number" in response.text
    assert '<html lang="en">' in response.text


def test_a_taken_email_gets_the_same_answer_and_the_owner_is_told(app, client, mailbox):
    with app.app_context():
        make_user(email="ayu@contoh.id")
    response = register(client)
    assert response.status_code == 302 and response.location == "/verify"
    assert count_users(app) == 1
    message = mailbox.last("ayu@contoh.id")
    assert "sudah memiliki akun" in mailbox.text(message).lower()


def test_registering_again_takes_over_an_unverified_account(app, client, mailbox):
    with app.app_context():
        make_user(email="ayu@contoh.id", verified=False, full_name="Orang Lain")
    register(client)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.full_name == "Ni Luh Putu Ayu"
    assert count_users(app) == 1
    code = mailbox.code_for("ayu@contoh.id")
    assert submit(client, "/verify", {"code": code}).status_code == 302


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_five_wrong_codes_void_the_code(app, client, mailbox):
    register(client)
    code = mailbox.code_for("ayu@contoh.id")
    for tries_left in (4, 3, 2, 1):
        response = submit(client, "/verify", {"code": _wrong(code)})
        assert response.status_code == 422
        assert f"{tries_left} kali" in response.text
    response = submit(client, "/verify", {"code": _wrong(code)})
    assert "Terlalu banyak" in response.text
    response = submit(client, "/verify", {"code": code})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(User.verified_at)) is None


def test_an_expired_code_is_refused(app, client, mailbox):
    register(client)
    code = mailbox.code_for("ayu@contoh.id")
    with app.app_context():
        db.session.execute(update(EmailCode).values(expires_at=now() - timedelta(seconds=1)))
        db.session.commit()
    response = submit(client, "/verify", {"code": code})
    assert response.status_code == 422 and "kedaluwarsa" in response.text


def test_a_used_code_cannot_be_used_again(app, client, mailbox):
    register(client)
    code = mailbox.code_for("ayu@contoh.id")
    assert submit(client, "/verify", {"code": code}).status_code == 302
    with app.app_context():
        db.session.execute(update(User).values(verified_at=None))
        db.session.commit()
    assert submit(client, "/verify", {"code": code}).status_code == 422


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456"])
def test_malformed_codes_get_a_message(client, code):
    register(client)
    response = submit(client, "/verify", {"code": code})
    assert response.status_code == 422 and "6 angka" in response.text


def test_resending_waits_a_minute_and_voids_the_old_code(app, client, mailbox):
    register(client)
    first = mailbox.code_for("ayu@contoh.id")
    response = submit(client, "/verify/resend", {}, follow_redirects=True)
    assert "detik" in response.text
    assert len(mailbox.messages("ayu@contoh.id")) == 1
    with app.app_context():  # a minute passes
        db.session.execute(update(EmailCode).values(created_at=now() - timedelta(seconds=61)))
        db.session.commit()
    submit(client, "/verify/resend", {})
    second = mailbox.code_for("ayu@contoh.id")
    assert len(mailbox.messages("ayu@contoh.id")) == 2
    if second != first:
        assert submit(client, "/verify", {"code": first}).status_code == 422
    assert submit(client, "/verify", {"code": second}).status_code == 302


def test_at_most_five_codes_an_hour(app, client, mailbox):
    register(client)
    for _ in range(6):
        with app.app_context():
            db.session.execute(update(EmailCode).values(created_at=now() - timedelta(seconds=61)))
            db.session.commit()
        submit(client, "/verify/resend", {})
    assert len(mailbox.messages("ayu@contoh.id")) == 5


def test_unverified_accounts_are_asked_to_confirm(app, client):
    with app.app_context():
        make_user(email="baru@contoh.id", verified=False)
    submit(client, "/login", {"email": "baru@contoh.id", "password": PASSWORD})
    home = client.get("/")
    assert "Konfirmasi alamat email" in home.text
    assert client.get("/verify").status_code == 200
