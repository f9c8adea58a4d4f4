"""The fair opening on two small Android phones: both join the office's waiting room before the
release and see its commitment, the release draws their order, each page notices its own turn
by itself (htmx polling the board) and shows the position, and the first in the draw books the
release's hour.

The product's clock is set by the test (webapp.clock, as the room's own tests do); the release
moves on when the test runs the room's tick at the release instant, as `flask waiting-rooms`
does every second.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.test_booking_journey import hold_hour, hour_label, show_day
from tests.e2e.test_wizard_journey import Phone, log_in
from tests.factories import make_office, make_slot, make_user, submitted_application, unique_nik
from webapp import clock
from webapp.extensions import db
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom
from webapp.services import waiting_room

pytestmark = pytest.mark.browser

WITA = ZoneInfo("Asia/Makassar")
# The factories' office releases on Fridays at 09.00 WITA: this one opens the week of Monday 7.
RELEASE = datetime(2026, 12, 4, 9, 0, tzinfo=WITA).astimezone(UTC)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=WITA).astimezone(UTC)
# They join seconds before the draw, so their pages ask again 5 to 15 s later (a page opened
# earlier asks once a minute until then), and reload themselves once on a change of status.
JOIN_BEFORE_DRAW = timedelta(seconds=5)
TURN = 20_000  # ms


def test_two_applicants_wait_are_drawn_and_the_first_books(
    live_server, page, another_phone, monkeypatch
):
    app = live_server.app
    moment = {"now": RELEASE - JOIN_BEFORE_DRAW}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    with app.app_context():
        office = make_office()
        make_slot(office, MONDAY, capacity=1)
        waiting_room.tick(RELEASE - timedelta(minutes=50))  # the room is made an hour ahead
        commitment = db.session.scalar(sa.select(WaitingRoom.commitment))
        people = []
        for _ in range(2):
            user = make_user()
            application = submitted_application(user, office, nik=unique_nik())
            people.append((user.email, application.public_id, application.id))

    phones = [Phone(page, "id", True, "first"), Phone(another_phone().new_page(), "id", True, "2")]
    for phone, (email, public_id, _) in zip(phones, people, strict=True):
        log_in(phone, email)
        phone.page.goto(f"/applications/{public_id}")
        expect(phone.page.locator("main .commitment")).to_have_text(commitment)
        phone.page.get_by_role("button", name="Masuk ruang tunggu").click()
        phone.page.wait_for_url(
            lambda url, p=public_id: urlsplit(url).path == f"/applications/{p}/waiting-room"
        )
        expect(phone.page.locator("main")).to_contain_text("Undian dilakukan pukul 09.00 WITA")
        expect(phone.page.locator("#room-status")).to_contain_text("Posisi Anda diundi")
        phone.check_page("waiting")

    # The release: the draw, and admission for the one place and its margin.
    moment["now"] = RELEASE + timedelta(seconds=1)
    with app.app_context():
        waiting_room.tick(moment["now"])
        positions = dict(
            db.session.execute(sa.select(RoomEntry.application_id, RoomEntry.position)).all()
        )
    assert sorted(positions.values()) == [1, 2]

    for phone, (_, _, application_id) in zip(phones, people, strict=True):
        status = phone.page.locator("#room-status")
        expect(status).to_contain_text(f"Posisi Anda: {positions[application_id]}", timeout=TURN)
        expect(status).to_contain_text("Giliran Anda: pilih jam sekarang.")
        expect(phone.page.locator("main")).to_contain_text("Giliran Anda berlaku sampai 09.10")
        phone.check_page("admitted")

    # The first in the draw books the release's hour from the calendar.
    first = next(n for n, (_, _, a) in enumerate(people) if positions[a] == 1)
    phone, (_, public_id, _) = phones[first], people[first]
    phone.page.get_by_role("link", name="Pilih tanggal dan jam").click()
    phone.page.wait_for_url(lambda url: urlsplit(url).path == f"/applications/{public_id}/slots")
    phone.mark()
    show_day(phone, app, "2026-12-07")
    row = phone.page.locator("#calendar ul.slots > li").filter(has_text=hour_label("id", 9))
    hold_hour(phone, row)
    phone.page.wait_for_url(lambda url: urlsplit(url).path == f"/applications/{public_id}")
    expect(phone.page.locator("#payment .billing-code")).to_be_visible()
    with app.app_context():
        used = db.session.scalar(sa.select(RoomEntry.status).filter_by(position=1))
    assert used == "used"
