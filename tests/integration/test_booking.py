"""Booking a slot: the hold and its bill, the quota, expiry at two hours, reschedule, cancel."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from tests import journeys
from tests.booked import hold, pay
from tests.conftest import Mailbox
from tests.factories import make_office, make_slot, make_user, submitted_application
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, AuditEntry, Bill, Closure, Hold, LeaveDay, Office, User
from webapp.rules import statuses
from webapp.services import booking, lifecycle

WITA = ZoneInfo("Asia/Makassar")


def local(day_offset: int, hour: int = 9) -> datetime:
    """A slot start `day_offset` days from today at `hour` WITA, as aware UTC."""
    day = clock.now().astimezone(WITA).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour), tzinfo=WITA).astimezone(ZoneInfo("UTC"))


@pytest.fixture
def ready(app):
    """A verified applicant with a submitted application at a Makassar office, and a slot."""
    with app.app_context():
        user = make_user(email="siti@contoh.id", locale="en")
        office = make_office()
        slot = make_slot(office, local(1), capacity=1)
        application = submitted_application(user, office)
        return {"public_id": application.public_id, "slot": slot.id, "office": office.id}


def post_hold(client, public_id: str, slot_id: int, follow=False):
    """The hold (or move) as its confirmation page posts it: with the status it was shown for."""
    token = csrf_token(client.get(f"/applications/{public_id}"))
    with client.application.app_context():
        seen = db.session.scalar(select(Application.status).filter_by(public_id=public_id))
    return client.post(
        f"/applications/{public_id}/hold",
        data={"csrf_token": token, "slot": slot_id, "seen": seen},
        follow_redirects=follow,
    )


def test_holding_a_slot_bills_it_for_two_hours(app, ready):
    client = signed_in(app)
    response = post_hold(client, ready["public_id"], ready["slot"])
    assert response.location == f"/applications/{ready['public_id']}"
    with app.app_context():
        bill = db.session.scalar(select(Bill))
        application = db.session.scalar(select(Application))
        assert len(bill.code) == 15 and bill.code.isdigit() and bill.code[0] != "0"
        assert bill.amount == 950_000  # electronic, 10 years
        assert timedelta(hours=1, minutes=59) < bill.expires_at - clock.now() <= timedelta(hours=2)
        assert application.status == "awaiting_payment"
        audit = db.session.execute(
            select(AuditEntry.entity, AuditEntry.from_status, AuditEntry.to_status).order_by(
                AuditEntry.id
            )
        ).all()
        assert [tuple(row) for row in audit] == [
            ("hold", None, "held"),
            ("bill", None, "open"),
            ("application", "submitted", "awaiting_payment"),
        ]
    page = client.get(f"/applications/{ready['public_id']}").text
    assert bill.code in re.sub(r"<[^>]+>", "", page)  # grouped by spans, copied as digits
    assert "Rp950,000" in page and 'hx-trigger="every 3s"' in page
    assert "09:00 WITA" in page
    mail = Mailbox(app).last("siti@contoh.id")
    assert journeys.as_read(bill.code) in Mailbox.text(mail)


def test_the_last_place_goes_to_one_application_only(app, ready):
    with app.app_context():
        other = make_user(email="budi@contoh.id", locale="en")
        office = db.session.get(booking.Office, ready["office"])
        second = submitted_application(other, office, nik="5104074101970002").public_id
    assert post_hold(signed_in(app), ready["public_id"], ready["slot"]).status_code == 302
    refused = post_hold(signed_in(app, "budi@contoh.id"), second, ready["slot"], follow=True)
    assert "That hour was just taken" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Hold.id))) == 1


def test_an_unpaid_hold_frees_its_place_at_the_deadline_whatever_the_jobs(app, ready):
    with app.app_context():
        other = make_user(email="budi@contoh.id", locale="en")
        other_id = other.id
        office = db.session.get(booking.Office, ready["office"])
        second = submitted_application(other, office, nik="5104074101970002").public_id
    post_hold(signed_in(app), ready["public_id"], ready["slot"])
    with app.app_context():  # two hours pass; no expiry job has run
        db.session.execute(update(Hold).values(expires_at=clock.now() - timedelta(seconds=1)))
        db.session.commit()
    assert post_hold(signed_in(app, "budi@contoh.id"), second, ready["slot"]).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Hold.id)).where(Hold.status == "held")) == 2
        assert booking.sweep_expired() == 1
        assert booking.sweep_expired() == 0  # safe to run again
        first = db.session.scalar(select(Application).where(Application.account_id != other_id))
        assert first.status == "expired"
    expired_mail = Mailbox(app).last("siti@contoh.id")
    assert "not paid within 2 hours" in Mailbox.text(expired_mail)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda: local(-1), "That hour has passed"),
        (lambda: local(24), "not open for booking yet"),
    ],
)
def test_past_and_unreleased_slots_are_refused(app, ready, when, message):
    with app.app_context():
        office = db.session.get(booking.Office, ready["office"])
        slot = make_slot(office, when()).id
    response = post_hold(signed_in(app), ready["public_id"], slot, follow=True)
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Hold.id))) == 0


def test_closed_days_and_other_lanes_are_refused(app, ready):
    with app.app_context():
        office = db.session.get(booking.Office, ready["office"])
        express = make_slot(office, local(2), lane="express").id
        closed = make_slot(office, local(3)).id
        db.session.add(
            Closure(office_id=office.id, day=local(3).astimezone(WITA).date(), reason="Renovasi")
        )
        db.session.commit()
    client = signed_in(app)
    assert "another service" in post_hold(client, ready["public_id"], express, True).text
    assert "closed that day" in post_hold(client, ready["public_id"], closed, True).text


def test_a_double_click_holds_once(app, ready):
    client = signed_in(app)
    post_hold(client, ready["public_id"], ready["slot"])
    again = post_hold(client, ready["public_id"], ready["slot"], follow=True)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Hold.id))) == 1


def scheduled(app, ready, appointment: datetime | None = None) -> int:
    """Make the ready application paid and scheduled (in two days by default); returns the id
    of a free slot a day after the appointment, to move it to."""
    appointment = appointment or local(2)
    with app.app_context():
        office = db.session.get(booking.Office, ready["office"])
        slot = make_slot(office, appointment, capacity=3)
        application = db.session.scalar(select(Application))
        application.status = "scheduled"
        db.session.add(
            Hold(
                slot_id=slot.id,
                application_id=application.id,
                account_id=application.account_id,
                status="paid",
                expires_at=clock.now(),
            )
        )
        db.session.commit()
        return make_slot(office, appointment + timedelta(days=1, hours=1), capacity=3).id


def test_a_paid_appointment_moves_once(app, ready):
    target = scheduled(app, ready)
    client = signed_in(app)
    moved = post_hold(client, ready["public_id"], target, follow=True)
    assert "Your appointment is moved" in moved.text
    with app.app_context():
        office = db.session.get(booking.Office, ready["office"])
        another = make_slot(office, local(5), capacity=3).id
    again = post_hold(client, ready["public_id"], another, follow=True)
    assert "only once" in again.text
    with app.app_context():
        assert db.session.scalar(select(Hold.slot_id).where(Hold.status == "paid")) == target


def test_no_moving_on_the_appointment_day(app, ready):
    later_today = clock.now().astimezone(WITA).replace(hour=23, minute=0)
    target = scheduled(app, ready, later_today.astimezone(ZoneInfo("UTC")))
    refused = post_hold(signed_in(app), ready["public_id"], target, follow=True)
    assert "no later than the day before" in refused.text


def test_cancelling_states_the_forfeited_fee_and_frees_the_place(app, ready):
    scheduled(app, ready)
    client = signed_in(app)
    with app.app_context():
        application = db.session.scalar(select(Application))
        hold = db.session.scalar(select(Hold))
        db.session.add(
            Bill(
                hold_id=hold.id,
                application_id=application.id,
                code="123456789012345",
                amount=950_000,
                status="paid",
                expires_at=clock.now(),
            )
        )
        db.session.commit()
    page = client.get(f"/applications/{ready['public_id']}/cancel-booking").text
    assert "Rp950,000" in page and "not be returned" in page
    token = csrf_token(client.get(f"/applications/{ready['public_id']}/cancel-booking"))
    client.post(
        f"/applications/{ready['public_id']}/cancel-booking",
        data={"csrf_token": token, "seen": "scheduled"},
    )
    with app.app_context():
        assert db.session.scalar(select(Application.status)) == "cancelled"
        assert db.session.scalar(select(Hold.status)) == "cancelled"


def test_another_account_cannot_book_or_see_the_calendar(app, ready):
    with app.app_context():
        make_user(email="budi@contoh.id")
    intruder = signed_in(app, "budi@contoh.id")
    assert intruder.get(f"/applications/{ready['public_id']}/slots").status_code == 404
    assert post_hold(signed_in(app), ready["public_id"], ready["slot"]).status_code == 302
    token = csrf_token(intruder.get("/"))
    response = intruder.post(
        f"/applications/{ready['public_id']}/hold",
        data={"csrf_token": token, "slot": ready["slot"], "seen": "submitted"},
    )
    assert response.status_code == 404


def test_the_calendar_shows_free_places_in_the_office_zone(app, ready):
    client = signed_in(app)
    day = local(1).astimezone(WITA).date()
    page = client.get(
        f"/applications/{ready['public_id']}/slots?month={day:%Y-%m}&day={day.isoformat()}"
    ).text
    assert "09:00 WITA" in page and "1 free" in page
    fragment = client.get(
        f"/applications/{ready['public_id']}/slots?month={day:%Y-%m}",
        headers={"HX-Request": "true", "HX-Target": "calendar"},
    )
    assert "<html" not in fragment.text and 'class="calendar"' in fragment.text


def test_moving_is_audited(app, ready):
    target = scheduled(app, ready)
    post_hold(signed_in(app), ready["public_id"], target)
    with app.app_context():
        reasons = db.session.scalars(select(AuditEntry.reason)).all()
        assert any(r and r.startswith("rescheduled from") for r in reasons)


def test_a_moved_appointment_keeps_its_bill_proof_and_trail(app, ready):
    from webapp.services import proof

    with app.app_context():
        application = db.session.scalar(select(Application))
        office = db.session.get(booking.Office, ready["office"])
        origin = make_slot(office, local(2), capacity=3)
        target = make_slot(office, local(3, hour=10), capacity=3).id
        first = hold(application.id, origin.id).id
        assert pay(application.id) == "applied"
    client = signed_in(app)
    assert "moved" in post_hold(client, ready["public_id"], target, follow=True).text
    with app.app_context():
        application = db.session.scalar(select(Application))
        holds = dict(db.session.execute(select(Hold.id, Hold.status)).all())
        assert holds[first] == "moved" and sorted(holds.values()) == ["moved", "paid"]
        assert booking.live_hold(application).slot_id == target
        assert booking.bill_for(application).status == "paid"
        shown = proof.proof_for(application)
        assert shown.amount_paid == 950_000 and shown.starts_at.hour == 10
        moves = db.session.execute(
            select(AuditEntry.entity, AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.entity == "hold")
            .order_by(AuditEntry.id)
        ).all()
        assert [tuple(m) for m in moves][-2:] == [("hold", "paid", "moved"), ("hold", None, "paid")]
    assert 'class="proof"' in client.get(f"/applications/{ready['public_id']}").text
    cancel_page = client.get(f"/applications/{ready['public_id']}/cancel-booking").text
    assert "Rp950,000" in cancel_page and "not be returned" in cancel_page


def test_a_cancel_meant_for_an_unpaid_booking_forfeits_no_payment_made_since(app, ready):

    client = signed_in(app)
    post_hold(client, ready["public_id"], ready["slot"])
    page = client.get(f"/applications/{ready['public_id']}/cancel-booking")
    assert 'name="seen" value="awaiting_payment"' in page.text
    with app.app_context():
        assert pay(db.session.scalar(select(Application.id))) == "applied"
    refused = client.post(
        f"/applications/{ready['public_id']}/cancel-booking",
        data={"csrf_token": csrf_token(page), "seen": "awaiting_payment"},
        follow_redirects=True,
    )
    assert "changed meanwhile" in refused.text
    with app.app_context():
        assert db.session.scalar(select(Application.status)) == "scheduled"
        assert db.session.scalar(select(Bill.status)) == "paid"


def next_friday_nine_wita() -> datetime:
    """Independently of the rule: the first Friday 09.00 in Makassar after now."""
    moment = clock.now().astimezone(WITA).replace(hour=9, minute=0, second=0, microsecond=0)
    while moment.weekday() != 4 or moment <= clock.now():
        moment += timedelta(days=1)
    return moment


@pytest.mark.parametrize("locale", ["en", "id"])
def test_the_calendar_says_when_the_next_quota_opens_in_office_time(app, ready, locale):
    with app.app_context():
        db.session.execute(update(User).values(locale=locale))
        db.session.commit()
    opens = next_friday_nine_wita()
    page = signed_in(app).get(f"/applications/{ready['public_id']}/slots").text
    if locale == "en":
        expected = f"The next quota opens Friday, {opens.day} {opens:%B %Y}, 09:00 WITA."
        assert expected in page
        assert "Every Friday at 09:00 WITA the places of the following week" in page
    else:
        assert f"Kuota berikutnya dibuka Jumat, {opens.day} " in page
        assert f"{opens.year}, 09.00 WITA." in page


def test_days_not_yet_released_say_so_and_cannot_be_chosen(app, ready):
    with app.app_context():
        office = db.session.get(booking.Office, ready["office"])
        later = make_slot(office, local(15)).starts_at.astimezone(WITA).date()
    page = signed_in(app).get(f"/applications/{ready['public_id']}/slots?month={later:%Y-%m}")
    cell = re.search(rf"<td[^>]*>\s*<span[^>]*>{later.day}<small>([^<]+)</small>", page.text)
    assert cell and cell[1] == "not yet"
    assert f"day={later.isoformat()}" not in page.text
    assert "Days marked “not yet” are not open for booking yet." in page.text


def test_choosing_a_day_leads_to_its_slots(app, ready):
    """Without JavaScript the day link's anchor scrolls to the list; htmx gets it in place."""
    client = signed_in(app)
    day = local(1).astimezone(WITA).date()
    calendar = client.get(f"/applications/{ready['public_id']}/slots?month={day:%Y-%m}").text
    link = re.search(rf'<a href="([^"]*day={day.isoformat()}[^"]*)"', calendar)[1]
    assert link.endswith("#slots")
    chosen = client.get(link.replace("&amp;", "&").split("#")[0]).text
    assert re.search(r'<section id="slots" tabindex="-1"', chosen)
    assert "09:00 WITA" in chosen and "/static/js/slots.js" in chosen


# Confirmations: what holding, moving and cancelling do, said before the final button, and
# acted on only from the status they were shown for.

IN_PLACE = {"HX-Request": "true"}


def hidden(page, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page.text).group(1)


def status(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Application.status))


def test_choosing_an_hour_first_says_what_holding_it_costs(app, ready):
    client = signed_in(app)
    url = f"/applications/{ready['public_id']}/hold?slot={ready['slot']}"
    page = client.get(url)
    assert page.status_code == 200 and "<h1" in page.text
    assert "Rp950,000" in page.text and "within 2 hours" in page.text
    assert "09:00 WITA" in page.text and hidden(page, "seen") == "submitted"
    assert status(app) == "submitted"  # looking holds nothing
    panel = client.get(url, headers={**IN_PLACE, "HX-Target": "hold-confirmation"})
    assert "<html" not in panel.text and 'class="confirm-panel"' in panel.text
    assert "autofocus" in panel.text
    confirmed = client.post(
        f"/applications/{ready['public_id']}/hold",
        data={"csrf_token": csrf_token(page), "slot": ready["slot"], "seen": "submitted"},
    )
    assert confirmed.location == f"/applications/{ready['public_id']}"
    assert status(app) == "awaiting_payment"


def test_the_calendar_asks_before_holding(app, ready):
    day = local(1).date().isoformat()
    page = signed_in(app).get(f"/applications/{ready['public_id']}/slots?day={day}")
    assert f'href="/applications/{ready["public_id"]}/hold?slot={ready["slot"]}"' in page.text
    assert 'method="post" action="/applications/' + ready["public_id"] + '/hold"' not in page.text


def test_a_hold_posted_without_its_confirmation_holds_nothing(app, ready):
    client = signed_in(app)
    token = csrf_token(client.get(f"/applications/{ready['public_id']}"))
    response = client.post(
        f"/applications/{ready['public_id']}/hold",
        data={"csrf_token": token, "slot": ready["slot"]},
    )
    assert response.location.endswith(f"/hold?slot={ready['slot']}")
    assert status(app) == "submitted"


def test_a_hold_confirmed_before_payment_does_not_spend_the_reschedule(app, ready):
    """Tab one shows the hold confirmation; tab two holds and the bill is paid: tab one's
    confirmation was for holding, and must not move the paid appointment."""
    client = signed_in(app)
    stale = client.get(f"/applications/{ready['public_id']}/hold?slot={ready['slot']}")
    with app.app_context():
        application_id = db.session.scalar(select(Application.id))
        office = db.session.get(Office, ready["office"])
        other_slot = make_slot(office, local(3), capacity=3).id
        hold(application_id, other_slot)
        assert pay(application_id) == "applied"
    refused = client.post(
        f"/applications/{ready['public_id']}/hold",
        data={"csrf_token": csrf_token(stale), "slot": ready["slot"], "seen": "submitted"},
        follow_redirects=True,
    )
    assert "changed meanwhile" in refused.text
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.status == "scheduled" and application.rescheduled_at is None
        assert db.session.scalar(select(Hold.slot_id).where(Hold.status == "paid")) == other_slot


def test_moving_says_it_is_the_only_move(app, ready):
    target = scheduled(app, ready)
    client = signed_in(app)
    page = client.get(f"/applications/{ready['public_id']}/hold?slot={target}")
    assert "only once" in page.text and "nothing more to pay" in page.text
    assert "From: " in page.text and "To: " in page.text
    assert hidden(page, "seen") == "scheduled"
    with app.app_context():
        assert db.session.scalar(select(Application.rescheduled_at)) is None


def test_cancelling_a_submitted_application_asks_first(app, ready):
    client = signed_in(app)
    overview = client.get(f"/applications/{ready['public_id']}").text
    url = f"/applications/{ready['public_id']}/cancel"
    assert f'href="{url}"' in overview and 'id="cancel-confirmation"' in overview
    page = client.get(url)
    assert "cannot be undone" in page.text and "NIK is free" in page.text
    token = csrf_token(page)
    unconfirmed = client.post(url, data={"csrf_token": token})
    assert unconfirmed.status_code == 200 and status(app) == "submitted"
    stale = client.post(url, data={"csrf_token": token, "seen": "draft"}, follow_redirects=True)
    assert "changed meanwhile" in stale.text and status(app) == "submitted"
    panel = client.get(url, headers={**IN_PLACE, "HX-Target": "cancel-confirmation"})
    assert "<html" not in panel.text and 'name="seen" value="submitted"' in panel.text
    done = client.post(url, data={"csrf_token": token, "seen": "submitted"})
    assert done.location == "/" and status(app) == "cancelled"


def test_cancelling_a_booking_asks_first_and_says_the_fee_is_lost(app, ready):
    client = signed_in(app)
    with app.app_context():
        hold(db.session.scalar(select(Application.id)), ready["slot"])
    url = f"/applications/{ready['public_id']}/cancel-booking"
    page = client.get(url)
    assert "billing code stops working" in page.text and hidden(page, "seen") == "awaiting_payment"
    unconfirmed = client.post(url, data={"csrf_token": csrf_token(page)})
    assert unconfirmed.status_code == 200 and status(app) == "awaiting_payment"
    with app.app_context():
        pay(db.session.scalar(select(Application.id)))
    paid = client.get(url)
    assert "Rp950,000" in paid.text and "forfeited" in paid.text and "given up" in paid.text


def test_an_hour_taken_meanwhile_sends_the_page_back_with_the_reason(app, ready):
    """Asked for in place, a confirmation with nothing to confirm loads the whole slots page
    (with the reason) rather than nesting it inside the panel."""
    with app.app_context():
        other = make_user(email="budi@contoh.id", locale="en")
        office = db.session.get(Office, ready["office"])
        second = submitted_application(other, office, nik="5104074101970002").public_id
    assert post_hold(signed_in(app), ready["public_id"], ready["slot"]).status_code == 302
    budi = signed_in(app, "budi@contoh.id")
    response = budi.get(
        f"/applications/{second}/hold?slot={ready['slot']}",
        headers={**IN_PLACE, "HX-Target": "hold-confirmation"},
    )
    assert response.status_code == 204 and "/slots?" in response.headers["HX-Redirect"]
    assert "just taken" in budi.get(response.headers["HX-Redirect"]).text


def test_places_of_applications_that_ended_do_not_count_against_the_accounts_five(app):
    with app.app_context():
        user, office = make_user(), make_office()
        for n in range(5):
            application = submitted_application(user, office)
            booking.hold(application, make_slot(office, local(1, 8 + n)).id)
            pay(application.id)
            application = db.session.get(Application, application.id)
            lifecycle.transition(application, statuses.NO_SHOW, actor_id=None, reason="test")
            db.session.commit()
        sixth = submitted_application(user, office)
        held = booking.hold(sixth, make_slot(office, local(2)).id)
        assert held.status == "held"


def test_no_new_booking_is_taken_on_a_leave_day_added_after_its_slots(app):
    with app.app_context():
        office = make_office()
        slot = make_slot(office, local(3))
        db.session.add(LeaveDay(day=local(3).astimezone(WITA).date(), name="Cuti bersama"))
        db.session.commit()
        with pytest.raises(booking.BookingRefused) as refused:
            booking.hold(submitted_application(make_user(), office), slot.id)
        assert refused.value.code == "closed"
