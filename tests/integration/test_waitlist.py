"""The waitlist for freed places, on an SQLite file of its own and on the run's PostgreSQL (as
test_races.py): joining and leaving; a freed place offered once, to the first listed, with one
mail; accepting books and bills it; a lapsed offer passes to the next; while the release's
waiting room is open nothing goes to the waitlist."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.booked import hold, local
from tests.conftest import Mailbox
from tests.factories import make_office, make_slot, make_user, submitted_application, unique_nik
from tests.html import csrf_token
from tests.integration import test_races as races
from tests.integration.test_wizard import signed_in
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Bill, Hold, Office, Slot, WaitlistEntry
from webapp.rules import bills, holds, waiting
from webapp.services import applications, booking, waiting_room, waitlist

database_url = races.database_url
race_app = races.race_app


@pytest.fixture
def scene(race_app):
    """A one-place slot held by one applicant, and two others listed, first and second."""
    with race_app.app_context():
        office = make_office()
        slot = make_slot(office, local(2), capacity=1)
        people = [make_user(email=f"antre{n}@contoh.id", locale="en") for n in range(3)]
        ids = [submitted_application(p, office, nik=unique_nik()).id for p in people]
        hold(ids[0], slot.id)
        for application_id in ids[1:]:
            waitlist.join(db.session.get(Application, application_id))
        return {"office": office.id, "slot": slot.id, "holder": ids[0], "listed": ids[1:]}


def application(application_id: int) -> Application:
    return db.session.get(Application, application_id)


def entry(application_id: int) -> WaitlistEntry:
    return db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.application_id == application_id)
        .order_by(WaitlistEntry.id.desc())
    )


def offered_holds(slot_id: int) -> list[Hold]:
    return db.session.scalars(
        select(Hold).where(Hold.slot_id == slot_id, Hold.status == holds.OFFERED)
    ).all()


def cancel_holder(scene) -> None:
    assert booking.cancel(application(scene["holder"]), "awaiting_payment")


def test_joining_twice_is_refused_and_leaving_ends_the_entry(race_app, scene):
    first, _ = scene["listed"]
    with race_app.app_context():
        with pytest.raises(waitlist.WaitlistRefused) as refused:
            waitlist.join(application(first))
        assert refused.value.code == "already_listed"
        assert waitlist.leave(application(first))
        assert entry(first).status == waiting.PASSED
        assert waitlist.entry_of(application(first)) is None
        assert not waitlist.leave(application(first))
        waitlist.join(application(first))  # back on the list, at its end
        assert entry(first).id > entry(scene["listed"][1]).id


def test_an_application_that_cannot_book_is_not_listed(race_app, scene):
    with race_app.app_context():
        with pytest.raises(waitlist.WaitlistRefused) as refused:
            waitlist.join(application(scene["holder"]))  # it holds a place already
        assert refused.value.code == "not_bookable"


def test_a_cancelled_place_goes_to_the_first_listed_with_one_mail(race_app, scene):
    first, second = scene["listed"]
    with race_app.app_context():
        cancel_holder(scene)
        [offered] = offered_holds(scene["slot"])
        assert offered.application_id == first
        assert entry(first).status == waiting.OFFERED
        assert entry(first).offered_hold_id == offered.id
        assert offered.expires_at - clock.now() <= waiting.WAITLIST_OFFER_LIFETIME
        assert entry(second).status == waiting.LISTED
        assert not waitlist.place_freed(scene["slot"])  # the place is offered: nothing free
        assert len(offered_holds(scene["slot"])) == 1
    mail = Mailbox(race_app).messages("antre1@contoh.id")
    assert len(mail) == 1 and "30 minutes" in mail[0]["Subject"]
    assert Mailbox(race_app).messages("antre2@contoh.id") == []


def test_a_freed_place_raced_is_offered_once(race_app, scene):
    with race_app.app_context():
        # The holder's place let go without the hooks that would offer it.
        db.session.execute(
            Hold.__table__.update()
            .where(Hold.application_id == scene["holder"])
            .values(status=holds.CANCELLED)
        )
        db.session.commit()
        slot_id = scene["slot"]
    results = races.together(race_app, [lambda: waitlist.place_freed(slot_id)] * 6)
    assert results.count(True) == 1
    with race_app.app_context():
        [offered] = offered_holds(slot_id)
        assert offered.application_id == scene["listed"][0]
        statuses = [entry(i).status for i in scene["listed"]]
        assert statuses == [waiting.OFFERED, waiting.LISTED]
    assert len(Mailbox(race_app).messages("antre1@contoh.id")) == 1


def test_accepting_the_offer_books_and_bills_the_place(race_app, scene):
    first, _ = scene["listed"]
    with race_app.app_context():
        cancel_holder(scene)
        held = waitlist.accept(application(first))
        assert held.status == holds.HELD and held.slot_id == scene["slot"]
        assert application(first).status == "awaiting_payment"
        bill = db.session.scalar(select(Bill).where(Bill.hold_id == held.id))
        assert bill.status == bills.OPEN
        assert bill.amount == applications.quote(application(first)).total
        assert entry(first).status == waiting.TAKEN
        assert offered_holds(scene["slot"]) == []
        taken = db.session.scalar(
            select(func.count(Hold.id)).where(
                Hold.slot_id == scene["slot"], booking.live_hold_filter(clock.now())
            )
        )
        assert taken == 1  # the one place, not two
        with pytest.raises(booking.BookingRefused) as refused:
            waitlist.accept(application(first))
        assert refused.value.code == "offer_gone"


def test_a_lapsed_offer_passes_the_place_to_the_next(race_app, scene, monkeypatch):
    first, second = scene["listed"]
    with race_app.app_context():
        cancel_holder(scene)
        first_entry = entry(first).id
        assert not waitlist.lapse_offer(first_entry)  # not yet
        later = clock.now() + waiting.WAITLIST_OFFER_LIFETIME + timedelta(seconds=1)
        monkeypatch.setattr(clock, "now", lambda: later)
        with pytest.raises(booking.BookingRefused):
            waitlist.accept(application(first))
        assert waitlist.sweep_lapsed() == 1
        assert entry(first).status == waiting.PASSED
        [offered] = offered_holds(scene["slot"])
        assert offered.application_id == second and entry(second).status == waiting.OFFERED
        assert not waitlist.lapse_offer(first_entry)  # run twice: nothing more
        assert len(offered_holds(scene["slot"])) == 1
    assert len(Mailbox(race_app).messages("antre2@contoh.id")) == 1


def room_of_the_slot(scene) -> tuple:
    """The waiting room of the release that opened the scene's slot, and that release."""
    office = db.session.get(Office, scene["office"])
    release_at = waiting_room.release_of(db.session.get(Slot, scene["slot"]))
    room = waiting_room.room_for_release(office, release_at)
    db.session.commit()
    return room, release_at


def test_while_the_room_is_open_a_freed_place_stays_with_the_room(race_app, scene, monkeypatch):
    with race_app.app_context():
        _, release_at = room_of_the_slot(scene)
        monkeypatch.setattr(clock, "now", lambda: release_at + timedelta(minutes=5))
        cancel_holder(scene)
        assert offered_holds(scene["slot"]) == []  # the room's tick admits the next entry
        assert entry(scene["listed"][0]).status == waiting.LISTED
        monkeypatch.setattr(clock, "now", lambda: release_at + timedelta(hours=2))
        assert waitlist.place_freed(scene["slot"])  # the window is over
        [offered] = offered_holds(scene["slot"])
        assert offered.application_id == scene["listed"][0]


def test_a_place_freed_after_the_room_sold_out_goes_to_the_waitlist(race_app, scene, monkeypatch):
    with race_app.app_context():
        room, release_at = room_of_the_slot(scene)
        moment = release_at + timedelta(minutes=5)
        monkeypatch.setattr(clock, "now", lambda: moment)
        waiting_room.tick(moment)  # nobody is waiting and no place is free: sold out
        assert db.session.get(type(room), room.id).sold_out_at is not None
        cancel_holder(scene)  # within the hour, but the room has nobody left to give it to
        [offered] = offered_holds(scene["slot"])
        assert offered.application_id == scene["listed"][0]


def calendar(client, public_id: str):
    day = local(2).astimezone(ZoneInfo("Asia/Makassar")).date()
    return client.get(f"/applications/{public_id}/slots?month={day:%Y-%m}&day={day.isoformat()}")


def test_the_pages_join_and_leave_from_a_full_calendar_and_take_the_offer(race_app, scene):
    first, second = scene["listed"]
    with race_app.app_context():
        waitlist.leave(application(second))
        ids = {n: application(n).public_id for n in (first, second)}
    joining, leaving = (
        signed_in(race_app, "antre2@contoh.id"),
        signed_in(race_app, "antre1@contoh.id"),
    )
    page = calendar(joining, ids[second])
    assert "Notify me when a place is free" in page.text
    answer = joining.post(
        f"/applications/{ids[second]}/waitlist", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 302
    assert "You are on the waitlist" in calendar(joining, ids[second]).text
    page = calendar(leaving, ids[first])
    assert "Leave the waitlist" in page.text
    leaving.post(
        f"/applications/{ids[first]}/waitlist/leave", data={"csrf_token": csrf_token(page)}
    )
    with race_app.app_context():
        assert entry(first).status == waiting.PASSED
        cancel_holder(scene)
        assert entry(second).status == waiting.OFFERED
    offer = joining.get(f"/applications/{ids[second]}/waitlist/offer")
    assert offer.status_code == 200 and "Take this place" in offer.text
    taken = joining.post(
        f"/applications/{ids[second]}/waitlist/offer", data={"csrf_token": csrf_token(offer)}
    )
    assert taken.location == f"/applications/{ids[second]}"
    with race_app.app_context():
        assert application(second).status == "awaiting_payment"
        assert entry(second).status == waiting.TAKEN
    gone = leaving.get(f"/applications/{ids[first]}/waitlist/offer")
    assert gone.status_code == 302 and gone.location == f"/applications/{ids[first]}"


def test_leaving_with_an_offered_place_passes_it_to_the_next(race_app, scene):
    first, second = scene["listed"]
    with race_app.app_context():
        cancel_holder(scene)
        assert waitlist.leave(application(first))
        assert entry(first).status == waiting.PASSED
        [offered] = offered_holds(scene["slot"])
        assert offered.application_id == second


def test_a_month_that_is_over_offers_no_waitlist(race_app, scene):
    with race_app.app_context():
        office = db.session.get(Office, scene["office"])
        gone = make_slot(office, local(-40), capacity=1)  # long past: nothing to wait for
        public_id = application(scene["listed"][0]).public_id
        month = gone.starts_at.astimezone(ZoneInfo("Asia/Makassar"))
    page = signed_in(race_app, "antre1@contoh.id").get(
        f"/applications/{public_id}/slots?month={month:%Y-%m}"
    )
    assert page.status_code == 200
    assert f"/applications/{public_id}/waitlist" not in page.text  # neither join nor leave
