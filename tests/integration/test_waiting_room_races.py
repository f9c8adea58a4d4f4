"""The release instant under a crowd: joins, ticks and holds all at once. Nothing is oversold, a
NIK is in a room once, positions are unique and gapless, an admission makes one hold. Each test
runs on an SQLite file of its own and on the run's PostgreSQL, as tests/integration/
test_races.py does."""

import pytest
from sqlalchemy import func, select

from tests.factories import make_office, make_slot
from tests.integration.test_races import database_url, together  # noqa: F401 (the fixture)
from tests.integration.test_waiting_room import MONDAY, RELEASE, SECOND, Clock, applicant
from webapp.extensions import db
from webapp.models import Application, Hold, Office
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom
from webapp.rules import waiting
from webapp.services import booking, waiting_room
from webapp.services.waiting_room import RoomRefused

CROWD = 24


@pytest.fixture
def crowd_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=False,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": CROWD + 8, "max_overflow": 0, "pool_timeout": 60},
    )


@pytest.fixture
def time(monkeypatch):
    return Clock(monkeypatch, RELEASE - 10 * 60 * SECOND)


@pytest.fixture
def release(crowd_app, time):
    """An office with a slot of `capacity` places in the week it releases, its room made."""

    def make(capacity: int) -> dict:
        with crowd_app.app_context():
            office = make_office()
            slot = make_slot(office, MONDAY, capacity=capacity)
            waiting_room.tick(RELEASE - 50 * 60 * SECOND)
            return {"office": office.id, "slot": slot.id}

    return make


def applicants(office_id: int, count: int) -> list[int]:
    office = db.session.get(Office, office_id)
    return [applicant(office).id for _ in range(count)]


def joining(application_id: int):
    def join():
        try:
            return waiting_room.join(db.session.get(Application, application_id)).id
        except RoomRefused as refused:
            return refused.code

    return join


def holding(application_id: int, slot_id: int):
    def hold():
        try:
            booking.hold(db.session.get(Application, application_id), slot_id)
            return "held"
        except booking.BookingRefused as refused:
            return refused.code

    return hold


def room_entries(office_id: int) -> list[RoomEntry]:
    room = db.session.scalar(select(WaitingRoom).where(WaitingRoom.office_id == office_id))
    return list(
        db.session.scalars(
            select(RoomEntry).where(RoomEntry.room_id == room.id).order_by(RoomEntry.position)
        )
    )


def test_joins_and_ticks_at_the_release_instant_give_unique_gapless_positions(
    crowd_app, release, time
):
    place = release(capacity=200)
    with crowd_app.app_context():
        early = applicants(place["office"], CROWD // 2)
        late = applicants(place["office"], CROWD // 2)
    assert all(isinstance(joined, int) for joined in together(crowd_app, list(map(joining, early))))
    time.at(RELEASE + SECOND)
    ticks = [lambda: waiting_room.tick(RELEASE + SECOND)] * 4
    outcomes = together(crowd_app, [joining(i) for i in late] + ticks)
    assert all(isinstance(outcome, int) for outcome in outcomes[: len(late)])
    with crowd_app.app_context():
        found = room_entries(place["office"])
        assert [entry.position for entry in found] == list(range(1, CROWD + 1))
        assert len({entry.nik for entry in found}) == CROWD
        room = db.session.get(WaitingRoom, found[0].room_id)
        published = waiting_room.published(room)
        assert published.numbers == sorted(db.session.get(Application, i).number for i in early)
        drawn = [entry.number for entry in found[: len(early)]]
        assert drawn == published.order  # everyone who came before the release is in the draw


def test_one_application_joining_from_many_tabs_at_once_is_in_the_room_once(crowd_app, release):
    place = release(capacity=10)
    with crowd_app.app_context():
        (application_id,) = applicants(place["office"], 1)
    outcomes = together(crowd_app, [joining(application_id)] * 12)
    assert sum(isinstance(outcome, int) for outcome in outcomes) == 1
    assert outcomes.count("already_joined") == 11
    with crowd_app.app_context():
        assert len(room_entries(place["office"])) == 1


def test_a_crowd_holding_at_the_release_takes_exactly_the_places_and_only_the_admitted(
    crowd_app, release, time
):
    capacity = 6
    place = release(capacity=capacity)
    with crowd_app.app_context():
        ids = applicants(place["office"], CROWD)
        for application_id in ids:
            waiting_room.join(db.session.get(Application, application_id))
    together(crowd_app, [lambda: waiting_room.tick(RELEASE)] * 2)  # two clocks at once
    time.at(RELEASE + SECOND)
    # Every applicant holds twice (a double tap), the ticks keep running meanwhile.
    calls = [holding(i, place["slot"]) for i in ids for _ in range(2)]
    outcomes = together(crowd_app, calls + [lambda: waiting_room.tick(RELEASE + SECOND)] * 2)
    assert outcomes[: len(calls)].count("held") == capacity
    with crowd_app.app_context():
        assert db.session.scalar(select(func.count(Hold.id))) == capacity
        found = room_entries(place["office"])
        admitted = waiting.admissions_wanted(capacity, 0)
        assert [entry.status for entry in found[:admitted]].count("used") == capacity
        holders = set(db.session.scalars(select(Hold.application_id)))
        used = {entry.application_id for entry in found if entry.status == "used"}
        assert holders == used  # every hold was made with an admission, each one once
        assert all(entry.position <= admitted for entry in found if entry.status == "used")


@pytest.mark.parametrize("round_", range(3))
def test_an_admission_used_at_its_expiry_instant_ends_one_way(crowd_app, release, time, round_):
    place = release(capacity=3)
    with crowd_app.app_context():
        (application_id,) = applicants(place["office"], 1)
        entry_id = waiting_room.join(db.session.get(Application, application_id)).id
        waiting_room.tick(RELEASE)
    expiry = RELEASE + waiting.ADMISSION_LIFETIME
    time.at(expiry - SECOND / 1000)  # the hold sees its last millisecond
    outcome, _ = together(
        crowd_app, [holding(application_id, place["slot"]), lambda: waiting_room.tick(expiry)]
    )
    with crowd_app.app_context():
        status = db.session.get(RoomEntry, entry_id).status
        holds = db.session.scalar(select(func.count(Hold.id)))
    assert (outcome, status, holds) in {("held", "used", 1), ("not_admitted", "lapsed", 0)}
