"""Closing an account: what it forfeits is stated first, and it cancels at once every
application that can still be cancelled, freeing NIKs and places, through the audited moves."""

import re

from sqlalchemy import func, select

from tests.booked import hold, local, pay
from tests.factories import (
    make_application,
    make_office,
    make_slot,
    make_user,
    submitted_application,
)
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Bill, Hold, User
from webapp.services import booking

NIK = "5104075111970004"


def close_form(client, **fields):
    """Post the closure form as the page gives it, with the password and a reason."""
    page = client.get("/account/close")
    shown = re.search(r'name="forfeit_shown" value="(\d+)"', page.text).group(1)
    data = {"csrf_token": csrf_token(page), "reason": "privacy", "forfeit_shown": shown}
    return client.post("/account/close", data={**data, "password": "kopi-tubruk-pagi", **fields})


def account_with_everything(app) -> dict:
    """Siti's draft, her held booking and her paid appointment, on slots of one place each."""
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        office = make_office()
        draft = make_application(user, nik=NIK)
        unpaid = submitted_application(user, office, nik="5104074101970002")
        paid = submitted_application(user, office, nik="5104074101970003")
        unpaid_slot = make_slot(office, local(1), capacity=1).id
        paid_slot = make_slot(office, local(2), capacity=1).id
        hold(unpaid.id, unpaid_slot)
        hold(paid.id, paid_slot)
        assert pay(paid.id) == "applied"
        return {
            "user": user.id,
            "office": office.id,
            "draft": draft.id,
            "unpaid": unpaid.id,
            "paid": paid.id,
            "slots": (unpaid_slot, paid_slot),
            "paid_number": paid.number,
        }


def test_the_closure_page_states_the_forfeited_fee_before_confirming(app):
    made = account_with_everything(app)
    client = signed_in(app)
    page = client.get("/account/close").text
    assert made["paid_number"] in page and "Kantor Imigrasi" in page
    assert "are forfeited and will not be returned" in page
    assert "Forfeited in total: Rp950,000" in page
    with app.app_context():
        db.session.get(User, made["user"]).locale = "id"
        db.session.commit()
    assert "Total yang hangus: Rp950.000" in client.get("/account/close").text


def test_the_profile_asks_in_place_and_the_panel_closes_the_account(app):
    made = account_with_everything(app)
    client = signed_in(app)
    profile = client.get("/account/").text
    assert 'hx-get="/account/close" hx-target="#close-confirmation"' in profile
    assert '<div id="close-confirmation"></div>' in profile
    panel = client.get(
        "/account/close", headers={"HX-Request": "true", "HX-Target": "close-confirmation"}
    )
    assert "<html" not in panel.text and 'class="confirm-panel confirm-danger"' in panel.text
    assert "Forfeited in total: Rp950,000" in panel.text and "This cannot be undone." in panel.text
    shown = re.search(r'name="forfeit_shown" value="(\d+)"', panel.text).group(1)
    closed = client.post(
        "/account/close",
        data={
            "csrf_token": csrf_token(panel),
            "reason": "privacy",
            "forfeit_shown": shown,
            "password": "kopi-tubruk-pagi",
        },
    )
    assert closed.status_code == 302
    with app.app_context():
        assert db.session.get(User, made["user"]).closed_at is not None


def test_closing_cancels_everything_and_frees_niks_and_places_at_once(app):
    made = account_with_everything(app)
    client = signed_in(app)
    assert close_form(client).status_code == 302
    with app.app_context():
        statuses = dict(db.session.execute(select(Application.id, Application.status)).all())
        assert {statuses[made[key]] for key in ("draft", "unpaid", "paid")} == {"cancelled"}
        holds = db.session.scalars(select(Hold.status)).all()
        assert sorted(holds) == ["cancelled", "cancelled"]
        bills = dict(db.session.execute(select(Bill.application_id, Bill.status)).all())
        assert bills == {made["unpaid"]: "void", made["paid"]: "paid"}  # the fee is forfeited
        reasons = db.session.execute(
            select(AuditEntry.entity, func.count())
            .where(AuditEntry.reason == "account closed by its owner")
            .group_by(AuditEntry.entity)
        ).all()
        assert dict(reasons) == {"application": 3, "hold": 2, "bill": 1}
        # The NIK and both places (one each) are free for someone else straight away.
        other = make_user(email="budi@contoh.id")
        office = db.session.get(booking.Office, made["office"])
        same_nik = submitted_application(other, office, nik=NIK)
        another = submitted_application(other, office, nik="5104074101970009")
        for application, slot_id in zip((same_nik, another), made["slots"], strict=True):
            assert hold(application.id, slot_id).status == "held"


def test_a_payment_landing_after_the_page_was_shown_stops_the_closure(app):
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        office = make_office()
        application = submitted_application(user, office)
        hold(application.id, make_slot(office, local(1)).id)
    client = signed_in(app)
    page = client.get("/account/close")
    assert 'name="forfeit_shown" value="0"' in page.text
    with app.app_context():
        assert pay(application.id) == "applied"  # the bank's notice, between page and confirm
    data = {"csrf_token": csrf_token(page), "reason": "privacy", "forfeit_shown": "0"}
    refused = client.post("/account/close", data={**data, "password": "kopi-tubruk-pagi"})
    assert refused.status_code == 422
    assert "An appointment was paid meanwhile" in refused.text
    assert "Forfeited in total: Rp950,000" in refused.text
    with app.app_context():
        assert db.session.scalar(select(User.closed_at)) is None
        assert db.session.scalar(select(Application.status)) == "scheduled"
    assert close_form(client).status_code == 302


def test_a_closed_accounts_session_cookie_is_refused(app):
    with app.app_context():
        make_user(email="siti@contoh.id")
    phone, laptop = signed_in(app), signed_in(app)
    assert laptop.get("/account/").status_code == 200
    assert close_form(phone).status_code == 302
    refused = laptop.get("/account/")
    assert refused.status_code == 302 and "/login" in refused.location
