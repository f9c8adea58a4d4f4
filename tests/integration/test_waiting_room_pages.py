"""The waiting room's pages: joining from the application's page, the waiting page in each state,
the status fragment served from the board without the database, and the public draw that anyone
recomputes with the README's script."""

import contextlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import event

from tests.factories import make_office, make_slot
from tests.html import csrf_token, submit
from tests.journeys import bookable
from webapp import clock, labels
from webapp.extensions import db
from webapp.models import Application, User
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom
from webapp.rules.waiting import spread_of
from webapp.services import demo_booking, offices, waiting_room
from webapp.services.demo import DEMO_PASSWORD

README = Path(__file__).resolve().parents[2] / "README.md"
WITA = ZoneInfo("Asia/Makassar")
# The factories' office releases on Fridays at 09.00 WITA: this one opens the week of Monday 7.
RELEASE = datetime(2026, 12, 4, 9, 0, tzinfo=WITA).astimezone(UTC)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=WITA).astimezone(UTC)
AFTER = RELEASE + timedelta(seconds=1)


class Clock:
    """The product's one "now", set by the test."""

    def __init__(self, monkeypatch, moment: datetime):
        self.moment = moment
        monkeypatch.setattr(clock, "now", lambda: self.moment)


@contextlib.contextmanager
def counted_queries(app):
    """Every statement sent to the database while the block runs."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def time(monkeypatch):
    """Ten minutes before the release: the room has been open for five."""
    return Clock(monkeypatch, RELEASE - timedelta(minutes=10))


@pytest.fixture
def office(app, time):
    """An office whose release opens one place on Monday, and its room, made by the tick an
    hour ahead: (the office's code, the slot's id)."""
    with app.app_context():
        made = make_office()
        slot = make_slot(made, MONDAY, capacity=1)
        waiting_room.tick(RELEASE - timedelta(minutes=50))
        return made.code, slot.id


@pytest.fixture
def room(app, office):
    with app.app_context():
        return db.session.scalar(sa.select(WaitingRoom.id))


def _room(app, room_id: int) -> WaitingRoom:
    with app.app_context():
        found = db.session.get(WaitingRoom, room_id)
        db.session.expunge(found)
        return found


def _entry(app, booking) -> RoomEntry:
    with app.app_context():
        found = db.session.scalar(
            sa.select(RoomEntry).where(RoomEntry.application_id == booking.application_id())
        )
        db.session.expunge(found)
        return found


def _join(booking):
    response = booking.post("/waiting-room", {})
    assert response.status_code == 302
    assert response.location == booking.url("/waiting-room")
    return booking


def sign_in_as(app, email: str, password: str):
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": password}).status_code == 302
    return client


def indonesian(app, label) -> str:
    """A label as the pages show it by default, escaped as in HTML."""
    with app.test_request_context(), force_locale("id"):
        return str(escape(str(label)))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _tick(app, time, moment):
    time.moment = moment
    with app.app_context():
        waiting_room.tick(moment)


def test_the_application_page_shows_the_room_and_joins_it(app, office, room):
    booking = bookable(app, office)
    page = booking.client.get(booking.url()).get_data(as_text=True)
    assert _room(app, room).commitment in page
    assert "Masuk ruang tunggu" in page

    _join(booking)
    waiting = booking.client.get(booking.url("/waiting-room")).get_data(as_text=True)
    assert "Undian dilakukan pukul" in waiting
    assert _room(app, room).commitment in waiting
    assert f"/waiting-room/{room}/draw" in waiting
    # The application's page now leads to the place instead of offering to join again.
    again = booking.client.get(booking.url()).get_data(as_text=True)
    assert "Masuk ruang tunggu" not in again
    assert booking.url("/waiting-room") in again


def test_joining_twice_keeps_one_place_and_says_so(app, office, room):
    booking = _join(bookable(app, office))
    response = booking.post("/waiting-room", {}, follow_redirects=True)
    assert indonesian(app, labels.ROOM_PROBLEMS["already_joined"]) in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomEntry)) == 1


def test_an_unverified_nik_cannot_join(app, office, room):
    booking = bookable(app, office)
    with app.app_context():
        application = db.session.get(Application, booking.application_id())
        application.nik_status = "pending"
        db.session.commit()
    response = booking.post("/waiting-room", {}, follow_redirects=True)
    assert indonesian(app, labels.ROOM_PROBLEMS["not_verified"]) in _text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomEntry)) == 0


def test_without_an_open_room_there_is_no_button_and_no_join(app, office, time):
    booking = bookable(app, office)
    time.moment = RELEASE - timedelta(minutes=20)  # before the room opens
    assert "Masuk ruang tunggu" not in booking.client.get(booking.url()).get_data(as_text=True)
    response = booking.post("/waiting-room", {}, follow_redirects=True)
    assert indonesian(app, labels.ROOM_PROBLEMS["not_open"]) in _text(response)
    # The waiting page of an application that joined nothing sends it back to its page.
    assert booking.client.get(booking.url("/waiting-room")).location == booking.url()


def test_the_waiting_page_in_each_state_up_to_the_booking(app, office, room, time):
    """One place and three in the room: two are admitted (the place and its margin), the one
    who books it takes the last place, and the one still waiting is told the quota is gone."""
    people = [_join(bookable(app, office)) for _ in range(3)]
    before = people[0].client.get(people[0].url("/waiting-room")).get_data(as_text=True)
    # Ten minutes before the draw nothing can change sooner than it: once a minute.
    assert 'hx-trigger="every 60s"' in before
    assert '<meta http-equiv="refresh" content="60">' in before
    _tick(app, time, AFTER)
    by_position = sorted(people, key=lambda booking: _entry(app, booking).position)
    first, second, third = by_position
    assert [_entry(app, b).position for b in by_position] == [1, 2, 3]

    page = first.client.get(first.url("/waiting-room")).get_data(as_text=True)
    assert "Giliran Anda berlaku sampai 09.10 WITA" in page
    assert first.url("/slots") in page
    waiting = third.client.get(third.url("/waiting-room")).get_data(as_text=True)
    assert "Posisi Anda: 3" in waiting
    assert "Sudah masuk: sampai nomor 2." in waiting

    first.hold()
    _tick(app, time, AFTER + timedelta(seconds=1))
    told = third.client.get(third.url("/waiting-room")).get_data(as_text=True)
    assert "Kuota yang dibuka kali ini habis sebelum giliran Anda" in told
    assert f'action="{third.url("/waitlist")}"' in told  # offered the waitlist
    assert "hx-trigger" not in told and 'http-equiv="refresh"' not in told  # nothing to wait for
    # The one who booked is on to paying: the application's page, no room any more.
    assert first.client.get(first.url("/waiting-room")).location == first.url()


def test_the_status_fragment_comes_from_the_board_without_the_database(app, office, room, time):
    people = [_join(bookable(app, office)) for _ in range(3)]
    _tick(app, time, AFTER)
    last = max(people, key=lambda booking: _entry(app, booking).position)
    entry = _entry(app, last)
    url = f"/waiting-room/{room}/{entry.token}/status?seen=waiting&lang=id"

    with counted_queries(app) as statements:  # signed in, as the waiting page polls it
        response = last.client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert statements == []
    assert len(response.get_data()) <= 1024
    body = _text(response)
    assert "Posisi Anda: 3" in body and "Sudah masuk: sampai nomor 2." in body
    # Next in line: asks again within the floor and its spread.
    assert f'hx-trigger="every {max(5, round(spread_of(entry.token) * 10))}s"' in body

    english = last.client.get(url.replace("lang=id", "lang=en"), headers={"HX-Request": "true"})
    assert "Your position: 3" in _text(english)


def test_a_changed_status_reloads_the_page_instead_of_the_fragment(app, office, room):
    booking = _join(bookable(app, office))
    entry = _entry(app, booking)
    response = booking.client.get(
        f"/waiting-room/{room}/{entry.token}/status?seen=admitted", headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Refresh"] == "true"


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAAAA", "short", "../../etc/passwd-xxxx"])
def test_a_forged_or_unknown_token_is_404_without_the_database(app, office, room, token):
    _join(bookable(app, office))
    client = app.test_client()
    with counted_queries(app) as statements:
        response = client.get(f"/waiting-room/{room}/{token}/status")
    assert response.status_code == 404
    assert statements == []


def test_another_rooms_token_names_nothing(app, office, room):
    booking = _join(bookable(app, office))
    entry = _entry(app, booking)
    assert (
        app.test_client().get(f"/waiting-room/{room + 1}/{entry.token}/status").status_code == 404
    )


def test_the_draw_page_shows_numbers_and_nothing_personal(app, office, room, time):
    bookings = [_join(bookable(app, office)) for _ in range(3)]
    ids = [booking.application_id() for booking in bookings]
    with app.app_context():
        people = [db.session.get(Application, id_) for id_ in ids]
        numbers, niks = [p.number for p in people], [p.nik for p in people]
        names = {p.full_name for p in people}
    before = app.test_client().get(f"/waiting-room/{room}/draw").get_data(as_text=True)
    assert all(number in before for number in numbers)
    assert _room(app, room).commitment in before
    assert not any(nik in before for nik in niks) and not any(n in before for n in names)
    assert json.loads(app.test_client().get(f"/waiting-room/{room}/draw.json").data)["seed"] is None

    _tick(app, time, AFTER)
    after = app.test_client().get(f"/waiting-room/{room}/draw").get_data(as_text=True)
    assert _room(app, room).seed in after
    assert not any(nik in after for nik in niks) and not any(n in after for n in names)


def test_an_unknown_room_has_no_draw(app):
    assert app.test_client().get("/waiting-room/999999/draw").status_code == 404
    assert app.test_client().get("/waiting-room/999999/draw.json").status_code == 404


def readme_script() -> str:
    """The recompute script as the README prints it."""
    section = README.read_text().split("## Fair quota opening", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_script_recomputes_the_published_order(app, office, room, time, tmp_path):
    for _ in range(4):
        _join(bookable(app, office))
    _tick(app, time, AFTER)
    published = json.loads(app.test_client().get(f"/waiting-room/{room}/draw.json").data)
    assert len(published["order"]) == 4
    script, data = tmp_path / "recompute.py", tmp_path / "draw.json"
    script.write_text(readme_script())
    data.write_text(json.dumps(published))

    done = subprocess.run(
        [sys.executable, str(script), str(data)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:4] == published["order"]

    # A seed that is not the committed one is caught, however well its order is forged.
    data.write_text(json.dumps({**published, "seed": "00" * 32}))
    forged = subprocess.run([sys.executable, str(script), str(data)], capture_output=True)
    assert forged.returncode != 0


def test_the_demo_opens_a_waiting_room_the_demo_applicants_join(app, runner):
    output = runner.invoke(args=["seed-demo"]).output
    assert "waiting room: " in output
    with app.app_context():
        office = offices.by_code(demo_booking.ROOM_OFFICE)
        room = waiting_room.open_room(office)
        assert room is not None
        assert clock.now() + timedelta(minutes=9) < room.release_at
        assert room.release_at <= clock.now() + timedelta(minutes=11)
    for email, *_ in demo_booking.ROOM_APPLICANTS:
        client = sign_in_as(app, email, DEMO_PASSWORD)
        with app.app_context():
            account = db.session.scalar(sa.select(User.id).filter_by(email=email))
            public_id = db.session.scalar(
                sa.select(Application.public_id).filter_by(
                    account_id=account, office_id=office.id, status="submitted"
                )
            )
        page = client.get(f"/applications/{public_id}")
        client.post(
            f"/applications/{public_id}/waiting-room", data={"csrf_token": csrf_token(page)}
        )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomEntry)) == 3
    # Seeding again keeps the applications and the one room of that release.
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomEntry)) == 3
