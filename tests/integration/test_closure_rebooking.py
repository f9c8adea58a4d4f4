"""Closing a booked day cancels nothing: every applicant with a booking in the closed hours is
mailed once and offered a special reschedule, a place held for 48 hours on the first free slot
of the next two weeks; accepted, changed for another day, or released unanswered; it never
uses up the one reschedule."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from tests.checkins import booked, open_all_day, paid
from tests.conftest import Mailbox
from tests.html import csrf_token
from tests.integration.test_wizard import signed_in
from tests.staff import make_staff, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Hold, Office, Slot, User
from webapp.models.offices import ClosureOffer
from webapp.rules import holds
from webapp.services import booking, closures, endings, offices

ZONE = "Asia/Makassar"
PAGE = "/supervisor/closures"
SUPERVISOR = "kepala@contoh.id"


def local_day(days: int):
    return clock.today(ZONE) + timedelta(days=days)


def at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(ZONE)).astimezone(UTC)


def close_fields(day, reason: str = "Banjir", start: str = "", end: str = "") -> dict:
    return {
        "day-day": str(day.day),
        "day-month": str(day.month),
        "day-year": str(day.year),
        "from_hour": start,
        "to_hour": end,
        "reason": reason,
    }


def booked_office(capacity: int = 2, booked_at: int = 10) -> tuple[int, list[int], object]:
    """An office open every hour with `capacity` regular places, its slots of the next three
    weeks made, and its 10.00 slot three days ahead full of paid bookings; inside an app
    context. Returns the office id, the applications and the day."""
    office = open_all_day(ZONE, regular_per_hour=capacity, express_per_hour=0)
    offices.ensure_slots(office, clock.today(ZONE), 21)
    db.session.commit()
    day = local_day(3)
    people = [paid(office, at(day, booked_at)).id for _ in range(capacity)]
    for each in people:  # read in English by the tests
        db.session.get(User, db.session.get(Application, each).account_id).locale = "en"
    db.session.commit()
    make_staff(office, role="supervisor", email=SUPERVISOR, locale="en")
    return office.id, people, day


def close(app, day, start: str = "", end: str = ""):
    chief = sign_in_staff(app, SUPERVISOR)
    response = chief.post(
        PAGE,
        data={"csrf_token": csrf_token(chief.get(PAGE)), **close_fields(day, "Banjir", start, end)},
    )
    Mailbox(app).run_jobs()  # the offers' job, on a worker when there is Redis
    return chief, response


def offer_of(application_id: int) -> ClosureOffer:
    return db.session.scalar(select(ClosureOffer).filter_by(application_id=application_id))


def hold_of(hold_id: int) -> Hold:
    return db.session.get(Hold, hold_id)


def owner(app, application_id: int):
    with app.app_context():
        application = db.session.get(Application, application_id)
        user = db.session.get(User, application.account_id)
        user.locale = "en"
        db.session.commit()
        return signed_in(app, user.email), application.public_id


def test_every_applicant_is_mailed_once_and_offered_a_held_place(app, mailbox):
    with app.app_context():
        office, people, day = booked_office()
        emails = [
            db.session.get(User, db.session.get(Application, each).account_id).email
            for each in people
        ]
    chief, response = close(app, day)
    assert response.status_code == 302
    with app.app_context():
        offered = []
        for each in people:
            offer = offer_of(each)
            assert offer.status == holds.OFFER_OPEN and offer.mailed_at is not None
            held = hold_of(offer.offered_hold_id)
            assert held.status == holds.OFFERED
            assert offer.expires_at - offer.created_at == timedelta(hours=48)
            assert hold_of(offer.closed_hold_id).status == holds.PAID  # nothing cancelled
            assert db.session.get(Application, each).status == "scheduled"
            offered.append(held.slot.starts_at)
        # Both on the first free slot of the lane: the first hour bookable from now on.
        assert offered[0] == offered[1]
        assert clock.now() + timedelta(hours=2) < offered[0] <= clock.now() + timedelta(hours=4)
        # The offered places count against the quota like live holds.
        for moment in set(offered):
            slot = db.session.scalar(
                select(Slot).filter_by(office_id=office, starts_at=moment, lane="regular")
            )
            views = booking.slots_between(
                db.session.get(Office, office), "regular", moment, moment + timedelta(minutes=1)
            )
            assert views[0].free == slot.capacity - offered.count(moment)
        # Run again (a retried job): no second offer, no second mail.
        closure_id = offer_of(people[0]).closure_id
        assert closures.make_offers(closure_id) == 0
        assert db.session.scalar(select(func.count(ClosureOffer.id))) == len(people)
    for email in emails:
        mails = [m for m in mailbox.messages(email) if "office is closed" in m["Subject"]]
        assert len(mails) == 1
        text = mailbox.text(mails[0])
        assert "Banjir" in text and "without using up your one reschedule" in text
        assert "A place is held for you on" in text
    page = chief.get(PAGE).text
    assert "Banjir" in page
    assert _counts(page) == (2, 0, 2)


def _counts(page: str) -> tuple[int, int, int]:
    """The affected, moved and still-to-choose figures of the first closure row."""
    row = page.split("<tbody>")[1].split("</tr>")[0]
    cells = [cell.split("</td>")[0] for cell in row.split('<td class="number">')[1:]]
    return tuple(int(cell) for cell in cells)


def test_the_closure_posted_twice_makes_one_set_of_offers(app):
    with app.app_context():
        office, people, day = booked_office()
    chief, first = close(app, day)
    assert first.status_code == 302
    again = chief.post(PAGE, data={"csrf_token": csrf_token(chief.get(PAGE)), **close_fields(day)})
    assert again.status_code == 422 and "overlaps another closure" in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count(ClosureOffer.id))) == len(people)
        assert db.session.scalar(select(func.count(Hold.id)).filter_by(status=holds.OFFERED)) == 2


def test_an_accepted_offer_moves_the_appointment_and_keeps_the_one_reschedule(app, mailbox):
    with app.app_context():
        office, people, day = booked_office()
        # Moving is allowed up to the day before: keep the offered place off today's calendar.
        db.session.execute(
            update(Slot)
            .where(Slot.office_id == office, Slot.starts_at < at(local_day(1), 0))
            .values(capacity=0)
        )
        db.session.commit()
    chief, _ = close(app, day)
    client, public_id = owner(app, people[0])
    overview = client.get(f"/applications/{public_id}")
    assert "The office is closed at your appointment" in overview.text
    assert "A place is held for you on" in overview.text
    accepted = client.post(
        f"/applications/{public_id}/closure-offer/accept",
        data={"csrf_token": csrf_token(overview)},
    )
    assert accepted.status_code == 302
    with app.app_context():
        application = db.session.get(Application, people[0])
        offer = offer_of(people[0])
        assert offer.status == holds.OFFER_ACCEPTED
        assert hold_of(offer.closed_hold_id).status == holds.MOVED
        live = booking.live_hold(application)
        assert live.id == offer.offered_hold_id and live.status == holds.PAID
        assert application.rescheduled_at is None and application.status == "scheduled"
        assert booking.can_move(application)  # the one normal reschedule is still there
        later = db.session.scalar(
            select(Slot).filter_by(office_id=office, starts_at=at(local_day(8), 9), lane="regular")
        )
        booking.reschedule(application, later.id)
        assert db.session.get(Application, people[0]).rescheduled_at is not None
    after = client.get(f"/applications/{public_id}").text
    assert "The office is closed at your appointment" not in after
    assert _counts(chief.get(PAGE).text) == (2, 1, 1)


def test_choosing_another_day_releases_the_held_place(app):
    with app.app_context():
        office, people, day = booked_office()
    close(app, day)
    client, public_id = owner(app, people[1])
    choose = client.get(f"/applications/{public_id}/closure-offer/choose")
    assert choose.status_code == 200 and "Choose another day" in choose.text
    with app.app_context():
        target = db.session.scalar(
            select(Slot).filter_by(office_id=office, starts_at=at(local_day(6), 11), lane="regular")
        )
        closed_slot = db.session.scalar(
            select(Slot).filter_by(office_id=office, starts_at=at(day, 10), lane="regular")
        )
        offered_id = offer_of(people[1]).offered_hold_id
    assert f'value="{target.id}"' in choose.text
    assert f'value="{closed_slot.id}"' not in choose.text  # closed hours are not offered
    moved = client.post(
        f"/applications/{public_id}/closure-offer/choose",
        data={"csrf_token": csrf_token(choose), "slot_id": str(target.id)},
    )
    assert moved.status_code == 302
    with app.app_context():
        assert hold_of(offered_id).status == holds.CANCELLED
        live = booking.live_hold(db.session.get(Application, people[1]))
        assert live.slot_id == target.id and live.status == holds.PAID
        assert db.session.get(Application, people[1]).rescheduled_at is None
    # A slot outside the two weeks, or in the closed hours, is refused.
    client2, public_id2 = owner(app, people[0])
    with app.app_context():
        far = db.session.scalar(
            select(Slot).filter_by(office_id=office, starts_at=at(local_day(18), 9), lane="regular")
        )
    for slot_id, message in (
        (far.id, "outside the two weeks"),
        (closed_slot.id, "The office is closed"),
    ):
        page = client2.get(f"/applications/{public_id2}/closure-offer/choose")
        refused = client2.post(
            f"/applications/{public_id2}/closure-offer/choose",
            data={"csrf_token": csrf_token(page), "slot_id": str(slot_id)},
            follow_redirects=True,
        )
        assert message in refused.text
    with app.app_context():
        assert offer_of(people[0]).status == holds.OFFER_OPEN


def test_an_unanswered_offer_is_released_after_48_hours(app, monkeypatch):
    with app.app_context():
        office, people, day = booked_office()
    close(app, day)
    with app.app_context():
        offer = offer_of(people[0])
        held = hold_of(offer.offered_hold_id)
        slot_id, moment = held.slot_id, offer.expires_at
        slot = db.session.get(Slot, slot_id)
        before = booking.slots_between(
            db.session.get(Office, office),
            "regular",
            slot.starts_at,
            slot.starts_at + timedelta(minutes=1),
        )[0].free
    later = moment + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        view = booking.slots_between(
            db.session.get(Office, office),
            "regular",
            slot.starts_at,
            slot.starts_at + timedelta(minutes=1),
        )
        # The place is free again at its expiry, before any job has run.
        assert not view or view[0].free > before
        assert closures.sweep_released() == 2
        assert closures.sweep_released() == 0
        offer = offer_of(people[0])
        assert offer.status == holds.OFFER_RELEASED
        assert hold_of(offer.offered_hold_id).status == holds.EXPIRED
        application = db.session.get(Application, people[0])
        assert application.status == "scheduled"  # the paid appointment is kept
        assert hold_of(offer.closed_hold_id).status == holds.PAID
    client, public_id = owner(app, people[0])
    overview = client.get(f"/applications/{public_id}").text
    assert "The held place was released" in overview and "Choose another day" in overview
    refused = client.post(
        f"/applications/{public_id}/closure-offer/accept",
        data={"csrf_token": csrf_token(client.get(f"/applications/{public_id}"))},
        follow_redirects=True,
    )
    assert "no special reschedule to take" in refused.text
    choose = client.get(f"/applications/{public_id}/closure-offer/choose")
    with app.app_context():
        target = db.session.scalar(
            select(Slot).filter_by(office_id=office, starts_at=at(local_day(9), 9), lane="regular")
        )
    moved = client.post(
        f"/applications/{public_id}/closure-offer/choose",
        data={"csrf_token": csrf_token(choose), "slot_id": str(target.id)},
    )
    assert moved.status_code == 302
    with app.app_context():
        assert offer_of(people[0]).status == holds.OFFER_ACCEPTED
        assert booking.live_hold(db.session.get(Application, people[0])).slot_id == target.id


def test_an_unpaid_booking_is_offered_a_place_that_stays_payable(app):
    with app.app_context():
        office = open_all_day(ZONE, regular_per_hour=2, express_per_hour=0)
        offices.ensure_slots(office, clock.today(ZONE), 21)
        db.session.commit()
        day = local_day(3)
        unpaid = booked(office, at(day, 10)).id
        make_staff(office, role="supervisor", email=SUPERVISOR, locale="en")
    close(app, day, "9", "12")
    with app.app_context():
        offer = offer_of(unpaid)
        closed = hold_of(offer.closed_hold_id)
        assert offer.expires_at == closed.expires_at  # no longer than its bill may be paid
        application = db.session.get(Application, unpaid)
        new_hold = closures.accept(application)
        assert new_hold.status == holds.HELD
        assert new_hold.bill is not None and new_hold.bill.status == "open"
        assert hold_of(offer.closed_hold_id).status == holds.MOVED
        assert db.session.get(Application, unpaid).status == "awaiting_payment"


def test_another_applicant_cannot_act_on_the_offer(app):
    with app.app_context():
        office, people, day = booked_office()
    close(app, day)
    _, public_id = owner(app, people[0])
    stranger, _ = owner(app, people[1])
    assert stranger.get(f"/applications/{public_id}/closure-offer/choose").status_code == 404
    page = stranger.get("/")
    response = stranger.post(
        f"/applications/{public_id}/closure-offer/accept",
        data={"csrf_token": csrf_token(page) if "csrf_token" in page.text else ""},
    )
    assert response.status_code in (400, 404)
    with app.app_context():
        assert offer_of(people[0]).status == holds.OFFER_OPEN


def test_a_closed_appointment_waiting_for_a_choice_is_no_no_show(app, monkeypatch):
    with app.app_context():
        office, people, day = booked_office()
    close(app, day)
    after_the_day = at(day, 0) + timedelta(days=1, hours=1)
    monkeypatch.setattr(clock, "now", lambda: after_the_day)
    with app.app_context():
        closures.sweep_released()
        assert endings.sweep_no_shows() == 0
        for each in people:
            assert db.session.get(Application, each).status == "scheduled"
        application = db.session.get(Application, people[0])
        assert closures.open_offer(application) is not None  # still to choose
        target = closures.choices(application)[0].slot
        assert target.starts_at > after_the_day
        closures.choose(application, target.id)
        assert booking.live_hold(db.session.get(Application, people[0])).slot_id == target.id


def test_cancelling_the_application_lets_its_offered_place_go(app):
    with app.app_context():
        office, people, day = booked_office()
    close(app, day)
    with app.app_context():
        offered_id = offer_of(people[0]).offered_hold_id
        slot_id = hold_of(offered_id).slot_id
        application = db.session.get(Application, people[0])
        assert booking.cancel(application, "scheduled")
        assert hold_of(offered_id).status == holds.CANCELLED
        assert closures.open_offer(db.session.get(Application, people[0])) is None
        slot = db.session.get(Slot, slot_id)
        [view] = booking.slots_between(
            db.session.get(Office, office),
            "regular",
            slot.starts_at,
            slot.starts_at + timedelta(minutes=1),
        )
        assert view.free == slot.capacity - 1  # only the other applicant's offered place
