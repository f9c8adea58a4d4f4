"""Rate limits behind carrier-grade NAT: keyed by account and NIK, not by the shared address;
and a refused form that comes back with what was typed."""

import html5lib
import pytest
from sqlalchemy import select

from tests.factories import REGISTRATION, make_office, make_slot, make_user, submitted_application
from tests.html import csrf_token, submit
from tests.integration.test_booking import local
from tests.integration.test_wizard import signed_in
from webapp.extensions import db
from webapp.models import Office, User

NS = "{http://www.w3.org/1999/xhtml}"
CARRIER_ADDRESS = {"REMOTE_ADDR": "114.124.0.1"}  # one public address for a carrier's phones


def field_values(response) -> dict[str, str | None]:
    """What each input and textarea of the page holds, as a browser would show it."""
    tree = html5lib.parse(response.get_data(as_text=True))
    values = {field.get("name"): field.get("value") for field in tree.iter(f"{NS}input")}
    values.update({area.get("name"): area.text for area in tree.iter(f"{NS}textarea")})
    return values


def error_summary(response) -> str:
    tree = html5lib.parse(response.get_data(as_text=True))
    for div in tree.iter(f"{NS}div"):
        if div.get("class") == "error-summary":
            return " ".join("".join(div.itertext()).split())
    return ""


REFUSED_ID = "Terlalu banyak percobaan"


# Holds: per account and per NIK ----------------------------------------------------------------


@pytest.fixture
def two_accounts(app):
    """Two applicants, each with a submitted application, behind one carrier address."""
    with app.app_context():
        office = make_office()
        slot = make_slot(office, local(2), capacity=50)
        siti, budi = make_user(email="siti@contoh.id"), make_user(email="budi@contoh.id")
        first = submitted_application(siti, office).public_id
        second = submitted_application(siti, office, nik="5104070101900001").public_id
        other = submitted_application(budi, office, nik="3174011708900012").public_id
        return {"slot": slot.id, "first": first, "second": second, "other": other}


def hammer_hold(client, public_id: str, times: int) -> bool:
    """Post the hold form `times` times for a slot that is not there (refused at once); True
    when the limit refused any of them. A refused hold goes back to the slots page with the
    reason, like any other refused hold, so the reason is what tells."""
    token = csrf_token(client.get(f"/applications/{public_id}"))
    for _ in range(times):
        response = client.post(
            f"/applications/{public_id}/hold",
            data={"csrf_token": token, "slot": "999999", "seen": "submitted"},
            environ_base=CARRIER_ADDRESS,
        )
        assert response.status_code == 302
    return REFUSED_ID in client.get(response.location).text


def test_holds_are_limited_per_nik_not_per_address(app, two_accounts):
    siti, budi = signed_in(app), signed_in(app, "budi@contoh.id")
    assert not hammer_hold(siti, two_accounts["first"], 20)
    assert hammer_hold(siti, two_accounts["first"], 1)
    # The same address, another account: not limited with the first.
    assert not hammer_hold(budi, two_accounts["other"], 5)
    # The same account, another person's application: its NIK has its own count.
    assert not hammer_hold(siti, two_accounts["second"], 5)


def test_holds_for_one_nik_count_together_whichever_account_books(app, two_accounts):
    with app.app_context():  # Budi once applied under Siti's NIK; that application has ended
        budi = db.session.scalar(select(User).where(User.email == "budi@contoh.id"))
        office = db.session.scalar(select(Office))
        ended = submitted_application(budi, office, nik="3578015505000003")
        ended.status = "cancelled"
        db.session.commit()
        ended.nik = "5104075111970004"
        db.session.commit()
        ended_id = ended.public_id
    assert not hammer_hold(signed_in(app, "budi@contoh.id"), ended_id, 20)
    assert hammer_hold(signed_in(app), two_accounts["first"], 1)


def test_holds_are_limited_per_account(app, two_accounts):
    siti = signed_in(app)
    with app.app_context():  # more of the account's people, each with a NIK of their own
        user = db.session.scalar(select(User).where(User.email == "siti@contoh.id"))
        office = db.session.scalar(select(Office))
        third = submitted_application(user, office, nik="3471010904840001").public_id
        fourth = submitted_application(user, office, nik="3471016112870002").public_id
    for public_id in (two_accounts["first"], two_accounts["second"], third):
        assert not hammer_hold(siti, public_id, 20)
    # A NIK not tried yet, but the account has used its 60 an hour.
    assert hammer_hold(siti, fourth, 1)
    assert not hammer_hold(signed_in(app, "budi@contoh.id"), two_accounts["other"], 1)


def test_a_refused_hold_goes_back_to_the_slots_with_the_reason(app, two_accounts):
    siti = signed_in(app)
    hammer_hold(siti, two_accounts["first"], 20)
    page = siti.get(f"/applications/{two_accounts['first']}/slots?day=2026-01-05")
    token = csrf_token(page)
    refused = siti.post(
        f"/applications/{two_accounts['first']}/hold",
        data={"csrf_token": token, "slot": str(two_accounts["slot"])},
        headers={"Referer": f"/applications/{two_accounts['first']}/slots?day=2026-01-05"},
    )
    assert refused.status_code == 302
    assert refused.location.endswith("/slots?day=2026-01-05")
    assert REFUSED_ID in siti.get(refused.location).text


# Activation codes: per account -----------------------------------------------------------------


def registered(app, email: str):
    client = app.test_client()
    submit(
        client,
        "/register",
        {**REGISTRATION, "email": email},
        environ_base=CARRIER_ADDRESS,
    )
    return client


def wrong_codes(client, times: int) -> list[int]:
    token = csrf_token(client.get("/verify"))
    return [
        client.post(
            "/verify", data={"csrf_token": token, "code": "000000"}, environ_base=CARRIER_ADDRESS
        ).status_code
        for _ in range(times)
    ]


def test_activation_codes_are_limited_per_account_not_per_address(app):
    first, second = registered(app, "siti@contoh.id"), registered(app, "budi@contoh.id")
    statuses = wrong_codes(first, 11)
    assert 429 not in statuses[:10] and statuses[10] == 429
    assert 429 not in wrong_codes(second, 10)


def test_a_refused_code_keeps_the_code_typed(app):
    client = registered(app, "siti@contoh.id")
    wrong_codes(client, 10)
    token = csrf_token(client.get("/verify"))
    refused = client.post("/verify", data={"csrf_token": token, "code": "123456"})
    assert refused.status_code == 429
    assert field_values(refused)["code"] == "123456"
    assert REFUSED_ID in error_summary(refused)


# Anonymous forms: a crowd behind one address, and the form kept --------------------------------


def test_thousands_of_phones_behind_one_address_can_log_in(app):
    limit = app.config["ADDRESS_RATE_LIMIT"]
    assert "5000/hour" in limit  # sized for a carrier's crowd, not a household
    with app.app_context():
        for n in range(30):
            make_user(email=f"warga{n}@contoh.id")
    for n in range(30):
        client = app.test_client()
        response = submit(
            client,
            "/login",
            {"email": f"warga{n}@contoh.id", "password": "kopi-tubruk-pagi"},
            environ_base=CARRIER_ADDRESS,
        )
        assert response.status_code == 302


def test_a_refused_registration_keeps_everything_but_the_password(client):
    typed = {
        "full_name": "Ni Luh Putu Ayu",
        "email": "ayu@contoh.id",
        "phone": "081234567890",
        "password": "rahasia",  # too short: refused, so the same email can be tried again
        "accept_terms": "y",
    }
    for _ in range(5):
        assert submit(client, "/register", typed).status_code == 422
    refused = submit(client, "/register", typed)
    assert refused.status_code == 429
    values = field_values(refused)
    assert values["full_name"] == "Ni Luh Putu Ayu"
    assert values["email"] == "ayu@contoh.id"
    assert values["phone"] == "081234567890"
    assert not values["password"]
    assert REFUSED_ID in error_summary(refused)


def test_a_refused_login_keeps_the_email_in_english(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    for _ in range(10):
        submit(client, "/login", {"email": "siti@contoh.id", "password": "salah-salah"})
    refused = submit(client, "/login", {"email": "siti@contoh.id", "password": "salah-salah"})
    assert refused.status_code == 429
    assert field_values(refused)["email"] == "siti@contoh.id"
    assert not field_values(refused)["password"]
    assert "Too many attempts" in error_summary(refused)


def test_a_refused_password_reset_request_keeps_the_email(client):
    for _ in range(5):
        submit(client, "/password/forgot", {"email": "siti@contoh.id"})
    refused = submit(client, "/password/forgot", {"email": "siti@contoh.id"})
    assert refused.status_code == 429
    assert field_values(refused)["email"] == "siti@contoh.id"


def test_a_refused_payment_keeps_the_billing_code(make_app):
    client = make_app(ADDRESS_RATE_LIMIT="2 per hour").test_client()
    for _ in range(2):
        submit(client, "/pay", {"billing_code": "812345678901234"})
    refused = submit(client, "/pay", {"billing_code": "812345678901234"})
    assert refused.status_code == 429
    assert field_values(refused)["billing_code"] == "812345678901234"
    assert REFUSED_ID in error_summary(refused)


def test_a_refused_account_closure_keeps_the_reason(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
    client = signed_in(app)
    typed = {"reason": "other", "details": "Pindah ke luar negeri", "password": "salah-salah"}
    for _ in range(10):
        submit(client, "/account/close", typed)
    refused = submit(client, "/account/close", typed)
    assert refused.status_code == 429
    values = field_values(refused)
    assert values["details"] == "Pindah ke luar negeri"
    assert not values["password"]
    assert REFUSED_ID in error_summary(refused)
