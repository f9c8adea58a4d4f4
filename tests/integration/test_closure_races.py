"""Closure races, on an SQLite file of its own and on the run's PostgreSQL (as test_races.py):
an applicant taking a special reschedule while others book the last places never oversells a
slot, and the same closure posted at once by two supervisors makes one closure and one set of
offers."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.checkins import open_all_day, paid, slot_at, submitted
from tests.integration import test_races as races
from tests.staff import make_staff
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Closure, Hold, User
from webapp.models.offices import ClosureOffer
from webapp.rules import holds
from webapp.services import booking, closures

RACERS = 8
ZONE = "Asia/Makassar"
database_url = races.database_url
race_app = races.race_app
assert_trail_is_true = races.assert_trail_is_true


def at(days: int, hour: int) -> datetime:
    day = clock.today(ZONE) + timedelta(days=days)
    return datetime.combine(day, time(hour), ZoneInfo(ZONE)).astimezone(UTC)


def taken(slot_id: int) -> int:
    return db.session.scalar(
        select(func.count(Hold.id)).where(
            Hold.slot_id == slot_id, booking.live_hold_filter(clock.now())
        )
    )


def closed_booking(office, day_offset: int = 3) -> int:
    """A paid booking at 10.00 `day_offset` days ahead, whose hours the office then closes; the
    offer made. Returns the application id."""
    application = paid(office, at(day_offset, 10))
    supervisor = make_staff(office, role="supervisor")
    closure = closures.add(
        supervisor, at(day_offset, 10).astimezone(ZoneInfo(ZONE)).date(), 10, 11, "Banjir"
    )
    closures.make_offers(closure.id)  # the job, run here whether or not a worker has it
    return application.id


def test_a_special_reschedule_against_bookings_of_the_last_places_never_oversells(race_app):
    with race_app.app_context():
        office = open_all_day(ZONE, regular_per_hour=2, express_per_hour=0)
        slot_at(office, at(3, 10), capacity=2)
        for hour in range(24):  # the next hours' slots, where the offer's place is held
            slot_at(office, at(1, hour), capacity=2)
        moved_id = closed_booking(office)
        target = slot_at(office, at(2, 9), capacity=2)
        paid(office, at(2, 9))  # one of its two places is taken
        others = [submitted(office).id for _ in range(RACERS)]
        target_id = target.id

    def choosing():
        try:
            return closures.choose(db.session.get(Application, moved_id), target_id).id
        except booking.BookingRefused as refused:
            return refused.code

    def holding(application_id):
        def call():
            try:
                return booking.hold(db.session.get(Application, application_id), target_id).id
            except booking.BookingRefused as refused:
                return refused.code

        return call

    outcomes = races.together(race_app, [choosing, *(holding(each) for each in others)])
    with race_app.app_context():
        assert taken(target_id) == 2  # never over capacity
        winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
        assert len(winners) == 1
        assert set(outcomes) - set(winners) == {"full"}
        offer = db.session.scalar(select(ClosureOffer).filter_by(application_id=moved_id))
        if outcomes[0] == "full":  # the applicant lost: the offer and its place are kept
            assert offer.status == holds.OFFER_OPEN
            assert db.session.get(Hold, offer.offered_hold_id).status == holds.OFFERED
        else:
            assert offer.status == holds.OFFER_ACCEPTED
    assert_trail_is_true(race_app, moved_id)


def test_accepting_while_others_book_the_offered_slot_keeps_the_place(race_app):
    with race_app.app_context():
        office = open_all_day(ZONE, regular_per_hour=1, express_per_hour=0)
        slot_at(office, at(3, 10), capacity=1)
        for days in (1, 2):
            for hour in range(24):
                slot_at(office, at(days, hour), capacity=1)
        moved_id = closed_booking(office)
        offer = db.session.scalar(select(ClosureOffer).filter_by(application_id=moved_id))
        offered_slot = db.session.get(Hold, offer.offered_hold_id).slot_id
        others = [submitted(office).id for _ in range(RACERS)]

    def accepting():
        return closures.accept(db.session.get(Application, moved_id)).slot_id

    def holding(application_id):
        def call():
            try:
                return booking.hold(db.session.get(Application, application_id), offered_slot).id
            except booking.BookingRefused as refused:
                return refused.code

        return call

    outcomes = races.together(race_app, [accepting, *(holding(each) for each in others)])
    assert outcomes[0] == offered_slot  # the held place was the applicant's all along
    assert set(outcomes[1:]) <= {"full", "too_soon"}
    with race_app.app_context():
        assert taken(offered_slot) == 1
    assert_trail_is_true(race_app, moved_id)


def test_the_same_closure_posted_at_once_makes_one_closure_and_one_set_of_offers(race_app):
    with race_app.app_context():
        office = open_all_day(ZONE, regular_per_hour=RACERS, express_per_hour=0)
        day = at(3, 10).astimezone(ZoneInfo(ZONE)).date()
        for hour in range(24):
            slot_at(office, at(1, hour), capacity=RACERS)
        slot_at(office, at(3, 10), capacity=RACERS)
        people = [paid(office, at(3, 10)).id for _ in range(4)]
        chiefs = [make_staff(office, role="supervisor").id for _ in range(RACERS)]

    def adding(chief_id):
        def call():
            try:
                return closures.add(db.session.get(User, chief_id), day, None, None, "Banjir").id
            except closures.ClosureRefused as refused:
                return refused.code

        return call

    outcomes = races.together(race_app, [adding(each) for each in chiefs])
    with race_app.app_context():
        [closure] = db.session.scalars(select(Closure)).all()
        assert outcomes.count(closure.id) == 1 and outcomes.count("overlap") == RACERS - 1
        closure_id = closure.id
    # The offers' job run again, twice at once: still one offer per applicant.
    races.together(race_app, [lambda: closures.make_offers(closure_id)] * 2)
    with race_app.app_context():
        offers = db.session.scalars(select(ClosureOffer)).all()
        assert sorted(offer.application_id for offer in offers) == sorted(people)
        assert db.session.scalar(
            select(func.count(Hold.id)).filter_by(status=holds.OFFERED)
        ) == len(people)
    for each in people:
        assert_trail_is_true(race_app, each)
