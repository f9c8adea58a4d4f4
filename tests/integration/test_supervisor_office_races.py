"""A quota lowered while applicants take places in the same slot, on SQLite and PostgreSQL: every
slot keeps at least as many places as it has live holds, and nobody gets a place beyond them."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.booked import local
from tests.factories import make_office, make_slot, make_user, submitted_application, unique_nik
from tests.integration.test_races import database_url, together  # noqa: F401 (the fixture)
from tests.staff import make_staff
from webapp.extensions import db
from webapp.models import Application, Hold, Office, Slot, User
from webapp.services import booking, office_settings

RACERS = 8


@pytest.mark.parametrize("round_number", range(3))
def test_a_quota_lowered_while_holds_are_taken_never_has_fewer_places_than_holds(app, round_number):
    with app.app_context():
        office = make_office(
            opening_days="0123456",
            first_slot_hour=0,
            last_slot_hour=23,
            regular_per_hour=5,
            express_per_hour=0,
            priority_per_hour=0,
            slot_window_days=3,
            release_weekday=0,  # the next week is always released
            release_hour=0,
        )
        slot_id = make_slot(office, local(3, 10) + timedelta(hours=round_number), capacity=5).id
        applications = [
            submitted_application(make_user(), office, nik=unique_nik()).id for _ in range(RACERS)
        ]
        chief = make_staff(office, role="supervisor").id
        office_id = office.id

    def take(application_id: int):
        def call():
            try:
                booking.hold(db.session.get(Application, application_id), slot_id)
            except booking.BookingRefused as refused:
                return refused.code
            return "held"

        return call

    def lower():
        user = db.session.get(User, chief)
        current = office_settings.current(db.session.get(Office, office_id))
        new = office_settings.Settings(**{**current.__dict__, "regular_per_hour": 2})
        return office_settings.change(user, new)

    outcomes = together(app, [lower, *(take(each) for each in applications)])
    held = [outcome for outcome in outcomes[1:] if outcome == "held"]
    assert set(outcomes[1:]) <= {"held", "full"}
    with app.app_context():
        capacity = db.session.get(Slot, slot_id).capacity
        live = db.session.scalar(
            select(func.count(Hold.id)).where(Hold.slot_id == slot_id, Hold.status == "held")
        )
        assert db.session.get(Office, office_id).regular_per_hour == 2
        assert live == len(held) <= capacity
        # Lowered before any hold: two places; after one: the held slot keeps its five.
        assert (capacity, live) in {(2, 2)} | {(5, n) for n in range(1, 6)}
        # Every other future slot of the office took the new quota.
        others = db.session.scalars(
            select(Slot.capacity).where(Slot.office_id == office_id, Slot.id != slot_id)
        ).all()
        assert others and set(others) == {2}
