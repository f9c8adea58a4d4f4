"""The calendar's free places from the availability cache: exact after a hold, an expiry, a cancel
and a reschedule; a warm read asks the database nothing about slots or holds; what changes by
another path shows within a second. In this process (no REDIS_URL) and in Redis."""

import contextlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.booked import hold, local, pay
from tests.factories import make_office, make_slot, make_user, submitted_application, unique_nik
from tests.integration.test_wizard import signed_in
from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Hold, Office
from webapp.rules import holds
from webapp.services import availability, booking

NOW = clock.now()


@pytest.fixture(params=["process", "redis"])
def app(request, make_app, monkeypatch):
    """The app with its clock stopped, so that only a dropped month can make a read fresh."""
    redis_url = request.getfixturevalue("redis") if request.param == "redis" else None
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return make_app(REDIS_URL=redis_url)


@pytest.fixture
def office(app):
    """Two applicants at one office with two slots, tomorrow and the day after."""
    with app.app_context():
        made = make_office()
        first, second = make_slot(made, local(1), capacity=2), make_slot(made, local(2))
        people = [make_user(email=f"orang{n}@contoh.id", locale="en") for n in range(2)]
        numbers = [submitted_application(p, made, nik=unique_nik()).id for p in people]
        return {"id": made.id, "slots": (first.id, second.id), "applications": numbers}


def free(office_id: int) -> dict[int, int]:
    """Free places per slot id, as the calendar reads them (inside an app context)."""
    office = db.session.get(Office, office_id)
    day = booking.zone_of(office)
    counts = {}
    for offset in (1, 2):
        month = local(offset).astimezone(day)
        for views in availability.month(office, "regular", month.year, month.month).values():
            counts.update({view.slot.id: view.free for view in views})
    return counts


@contextlib.contextmanager
def slot_queries():
    """The statements sent that read slots or holds."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\b(FROM|JOIN) (slots|holds)\b", statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_hold_shows_at_once(app, office):
    first, _ = office["slots"]
    with app.app_context():
        assert free(office["id"])[first] == 2
        hold(office["applications"][0], first)
        assert free(office["id"])[first] == 1


def test_a_cancel_gives_the_place_back_at_once(app, office):
    first, _ = office["slots"]
    with app.app_context():
        hold(office["applications"][0], first)
        assert free(office["id"])[first] == 1
        application = db.session.get(Application, office["applications"][0])
        assert booking.cancel(application, "awaiting_payment")
        assert free(office["id"])[first] == 2


def test_a_reschedule_moves_the_place_at_once(app, office):
    first, second = office["slots"]
    with app.app_context():
        hold(office["applications"][0], first)
        pay(office["applications"][0])
        assert free(office["id"]) == {first: 1, second: 2}
        booking.reschedule(db.session.get(Application, office["applications"][0]), second)
        assert free(office["id"]) == {first: 2, second: 1}


def test_an_expired_hold_stays_free_after_its_expiry(app, office, monkeypatch):
    first, _ = office["slots"]
    with app.app_context():
        held = hold(office["applications"][0], first)
        hold_id, past = held.id, held.expires_at + timedelta(seconds=1)
        assert free(office["id"])[first] == 1
        monkeypatch.setattr(clock, "now", lambda: past)
        assert free(office["id"])[first] == 2  # released at its deadline, job or not
        assert booking.expire(hold_id)
        assert free(office["id"])[first] == 2
        hold(office["applications"][1], first)
        assert free(office["id"])[first] == 1


def test_an_unpaid_place_shows_free_the_moment_it_lapses(app, office, monkeypatch):
    first, _ = office["slots"]
    with app.app_context():
        held = hold(office["applications"][0], first)
        lapse = NOW + timedelta(milliseconds=500)  # within the second a month is kept
        held.expires_at = lapse
        db.session.commit()
        availability.changed(held.slot)
        assert free(office["id"])[first] == 1
        monkeypatch.setattr(clock, "now", lambda: lapse)
        assert free(office["id"])[first] == 2


def test_a_warm_calendar_asks_nothing_about_slots(app, office):
    first, _ = office["slots"]
    client = signed_in(app, "orang0@contoh.id")
    with app.app_context():
        public_id = db.session.get(Application, office["applications"][0]).public_id
        day = local(1).astimezone(booking.zone_of(db.session.get(Office, office["id"]))).date()
    page = f"/applications/{public_id}/slots?month={day:%Y-%m}&day={day.isoformat()}"
    assert "2 free" in client.get(page).text
    with app.app_context(), slot_queries() as seen:
        answer = client.get(page)
    assert answer.status_code == 200 and "2 free" in answer.text
    assert seen == []


def test_a_change_by_another_path_shows_within_a_second(app, office, monkeypatch):
    first, _ = office["slots"]
    with app.app_context():
        assert free(office["id"])[first] == 2
        application = db.session.get(Application, office["applications"][0])
        db.session.add(  # a place held outside the booking paths, as a closure offers one
            Hold(
                slot_id=first,
                application_id=application.id,
                account_id=application.account_id,
                status=holds.OFFERED,
                created_at=NOW,
                expires_at=NOW + timedelta(hours=1),
            )
        )
        db.session.commit()
        assert free(office["id"])[first] == 2  # the month read a moment ago
        monkeypatch.setattr(clock, "now", lambda: NOW + availability.FRESH)
        assert free(office["id"])[first] == 1
