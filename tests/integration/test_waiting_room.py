"""The waiting room of a quota release: who may join, the checkable draw, admission in order as
places allow, lapses, the sold-out notice, and the hold gate of the release's window."""

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.booked import pay
from tests.factories import make_office, make_slot, make_user, submitted_application, unique_nik
from tests.integration import test_races as races
from tests.integration.test_races import together
from tests.staff import make_administrator, sign_in_staff
from webapp import clock
from webapp.extensions import db
from webapp.jobs import waiting_rooms
from webapp.models import Application, Hold, Notification, Office, Slot, User
from webapp.models.changes import Change
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom
from webapp.rules import waiting
from webapp.services import booking, room_board, waiting_room
from webapp.services.waiting_room import RoomRefused

# Every test on an SQLite file of its own and on the run's PostgreSQL, so that its races (two
# ticks making one room, two drawing once) are proven on both.
database_url = races.database_url

WITA = ZoneInfo("Asia/Makassar")
# A Friday 09.00 WITA release: it opens the slots of the week of Monday 7 December.
RELEASE = datetime(2026, 12, 4, 9, 0, tzinfo=WITA).astimezone(UTC)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=WITA).astimezone(UTC)
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


class Clock:
    """The product's one "now", set by the test."""

    def __init__(self, monkeypatch, moment: datetime):
        self.moment = moment
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def at(self, moment: datetime) -> datetime:
        self.moment = moment
        return moment


@pytest.fixture
def time(monkeypatch):
    return Clock(monkeypatch, RELEASE - 10 * MINUTE)


@pytest.fixture
def office(app, time):
    """A Makassar office releasing on Fridays at 09.00 with one slot of three places in the week
    it releases, its room made by the tick an hour ahead; the app context stays open."""
    with app.app_context():
        office = make_office()
        make_slot(office, MONDAY, capacity=3)
        waiting_room.tick(RELEASE - 50 * MINUTE)
        yield office


def the_room(office: Office) -> WaitingRoom:
    return db.session.scalar(select(WaitingRoom).where(WaitingRoom.office_id == office.id))


def the_slot(office: Office) -> int:
    """The release's slot of three places."""
    return db.session.scalar(select(func.min(Slot.id)).where(Slot.office_id == office.id))


def applicant(office: Office, **answers) -> Application:
    return submitted_application(make_user(), office, nik=unique_nik(), **answers)


def joined(office: Office, count: int) -> list[RoomEntry]:
    return [waiting_room.join(applicant(office)) for _ in range(count)]


def entries(office: Office) -> list[RoomEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(RoomEntry)
            .where(RoomEntry.room_id == the_room(office).id)
            .order_by(RoomEntry.position, RoomEntry.id)
        )
    )


def statuses_by_position(office: Office) -> list[tuple[int, str]]:
    return [(entry.position, entry.status) for entry in entries(office)]


def hold_for(entry: RoomEntry, office: Office):
    return booking.hold(db.session.get(Application, entry.application_id), the_slot(office))


def refused_hold(application: Application, office: Office) -> str:
    with pytest.raises(booking.BookingRefused) as refused:
        booking.hold(application, the_slot(office))
    return refused.value.code


def told(event: str) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.event == event))


# The room and its seed --------------------------------------------------------------------------


def test_the_room_is_made_ahead_of_its_opening_with_a_seed_that_never_changes(office):
    room = the_room(office)
    assert room.opens_at == RELEASE - waiting.ROOM_LEAD
    assert room.commitment == hashlib.sha256(bytes.fromhex(room.seed)).hexdigest()
    again = waiting_room.room_for_release(office, RELEASE)
    waiting_room.tick(RELEASE - 20 * MINUTE)
    assert (again.id, again.seed) == (room.id, room.seed)
    assert db.session.scalar(select(func.count(WaitingRoom.id))) == 1
    audited = db.session.scalars(select(Change).where(Change.entity == "waiting_room")).all()
    assert [(c.entity_id, c.action) for c in audited] == [(room.id, "seeded")]
    assert audited[0].after["commitment"] == room.commitment
    assert room.seed not in str(audited[0].after)  # the seed stays secret until the draw


def test_the_room_s_making_is_on_its_office_s_trail_for_administrators(app):
    with app.app_context():
        office_id = make_office().id
        room = waiting_room.room_for_release(db.session.get(Office, office_id), RELEASE)
        commitment, seed = room.commitment, room.seed
        make_administrator(email="admin@contoh.id")
    trail = sign_in_staff(app, "admin@contoh.id").get(f"/admin/offices/{office_id}").text
    assert "Ruang tunggu dibuat, seed undiannya ditetapkan" in trail
    assert commitment in trail
    assert seed not in trail


def test_no_room_is_made_more_than_an_hour_before_it_opens(app, time):
    with app.app_context():
        office = make_office()
        waiting_room.tick(RELEASE - waiting.ROOM_MAKING_LEAD - SECOND)
        assert the_room(office) is None


def test_two_ticks_making_the_room_at_once_make_one(app, time):
    with app.app_context():
        office_id = make_office().id
    together(app, [lambda: waiting_room.tick(RELEASE - 50 * MINUTE)] * 4)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(WaitingRoom.id)).where(WaitingRoom.office_id == office_id)
            )
            == 1
        )


def test_the_room_is_open_from_its_lead_until_the_end_of_the_window(office):
    room = the_room(office)
    assert waiting_room.open_room(office, room.opens_at - SECOND) is None
    assert waiting_room.open_room(office, room.opens_at).id == room.id
    assert waiting_room.open_room(office, RELEASE + 59 * MINUTE).id == room.id
    assert waiting_room.open_room(office, RELEASE + waiting.RELEASE_WINDOW) is None


# Joining ----------------------------------------------------------------------------------------


def test_joining_before_the_release_waits_for_the_draw_and_is_on_the_board(office):
    entry = waiting_room.join(applicant(office))
    assert (entry.position, entry.status) == (None, waiting.WAITING)
    summary, line = room_board.read(entry.room_id, entry.token)
    assert summary["state"] == "open"
    assert summary["commitment"] == the_room(office).commitment
    assert summary["entries"] == 1
    assert line == {"position": None, "status": "waiting"}
    assert room_board.read(entry.room_id, "forged-token")[1] is None


def test_joining_twice_is_refused_by_application_and_by_nik(office):
    first = applicant(office)
    waiting_room.join(first)
    with pytest.raises(RoomRefused) as twice:
        waiting_room.join(first)
    assert twice.value.code == "already_joined"
    # The same person again: the first application cancelled, a new one with the same NIK.
    first.status = "cancelled"
    db.session.commit()
    again = submitted_application(make_user(), office, nik=first.nik)
    with pytest.raises(RoomRefused) as same_nik:
        waiting_room.join(again)
    assert same_nik.value.code == "already_joined"
    assert len(entries(office)) == 1


@pytest.mark.parametrize("nik_status", ["pending", "mismatch", "not_found", "error"])
def test_an_unverified_nik_cannot_join(office, nik_status):
    application = applicant(office)
    application.nik_status = nik_status
    db.session.commit()
    with pytest.raises(RoomRefused) as refused:
        waiting_room.join(application)
    assert refused.value.code == "not_verified"
    assert entries(office) == []


def test_an_application_not_submitted_or_already_booked_cannot_join(office):
    draft = applicant(office)
    draft.status = "draft"
    booked = applicant(office)
    booked.status = "awaiting_payment"
    db.session.commit()
    for application in (draft, booked):
        with pytest.raises(RoomRefused) as refused:
            waiting_room.join(application)
        assert refused.value.code == "not_submitted"


def test_joining_outside_the_room_s_time_or_its_office_is_refused(office, time):
    application = applicant(office)
    time.at(the_room(office).opens_at - SECOND)
    with pytest.raises(RoomRefused) as early:
        waiting_room.join(application)
    assert early.value.code == "not_open"
    time.at(RELEASE - MINUTE)
    other = make_office()
    waiting_room.tick(RELEASE - 50 * MINUTE)
    with pytest.raises(RoomRefused) as elsewhere:
        waiting_room.join(application, room_id=the_room(other).id)
    assert elsewhere.value.code == "wrong_office"
    time.at(RELEASE + waiting.RELEASE_WINDOW)
    with pytest.raises(RoomRefused) as late:
        waiting_room.join(application)
    assert late.value.code == "not_open"
    assert entries(office) == []


def test_an_application_without_an_office_cannot_join(office):
    application = applicant(office)
    application.office_id = None
    db.session.commit()
    with pytest.raises(RoomRefused) as refused:
        waiting_room.join(application)
    assert refused.value.code == "wrong_office"


def test_each_of_an_account_s_applications_takes_its_own_place(office):
    user = make_user()
    family = [submitted_application(user, office, nik=unique_nik()) for _ in range(5)]
    for application in family:
        waiting_room.join(application)
    assert len({entry.application_id for entry in entries(office)}) == 5


def test_joining_after_the_quota_is_gone_is_refused(office, time):
    joined(office, 3)
    waiting_room.tick(time.at(RELEASE))
    for entry in entries(office):
        hold_for(entry, office)
    waiting_room.tick(time.at(RELEASE + SECOND))
    with pytest.raises(RoomRefused) as refused:
        waiting_room.join(applicant(office))
    assert refused.value.code == "sold_out"


# The draw ---------------------------------------------------------------------------------------


def test_the_commitment_is_published_first_and_the_revealed_seed_gives_the_order(office, time):
    people = joined(office, 6)
    room = the_room(office)
    before = waiting_room.published(room)
    assert before.seed is None and before.order is None
    assert before.numbers == sorted(entry.number for entry in people)
    committed = room_board.read(room.id, people[0].token)[0]["commitment"]
    # A tick a few seconds early (a clock running ahead of the release) draws nothing.
    waiting_room.tick(time.at(RELEASE - 3 * SECOND))
    assert all(entry.position is None for entry in entries(office))
    waiting_room.tick(time.at(RELEASE))
    db.session.refresh(room)
    after = waiting_room.published(room)
    assert hashlib.sha256(bytes.fromhex(after.seed)).hexdigest() == committed == before.commitment
    assert after.numbers == before.numbers
    assert after.order == waiting.drawn_order(after.seed, after.numbers)
    assert [entry.number for entry in entries(office)] == after.order
    assert [entry.position for entry in entries(office)] == [1, 2, 3, 4, 5, 6]


def test_two_ticks_at_the_release_draw_once(app, office):
    joined(office, 8)
    db.session.rollback()  # this test's transaction ends before the ticks (SQLite: one writer)
    together(app, [lambda: waiting_room.tick(RELEASE)] * 4)
    room = the_room(office)
    db.session.refresh(room)
    assert room.drawn_at == RELEASE
    order = waiting_room.published(room).order
    assert [entry.number for entry in entries(office)] == order
    assert [entry.position for entry in entries(office)] == list(range(1, 9))


def test_late_joiners_queue_behind_the_draw_in_arrival_order(office, time):
    early = joined(office, 3)
    time.at(RELEASE + 2 * SECOND)  # no tick has run yet: the first late join draws first
    late = joined(office, 2)
    waiting_room.tick(time.at(RELEASE + 3 * SECOND))
    positions = {entry.number: entry.position for entry in entries(office)}
    assert sorted(positions[entry.number] for entry in early) == [1, 2, 3]
    assert [positions[entry.number] for entry in late] == [4, 5]
    room = the_room(office)
    assert waiting_room.published(room).numbers == sorted(entry.number for entry in early)
    drawn = [entry.number for entry in entries(office)][:3]
    assert drawn == waiting_room.published(room).order


# Admission --------------------------------------------------------------------------------------


def test_as_many_are_admitted_as_places_and_margin_and_nobody_twice(office, time):
    joined(office, 6)
    make_slot(office, MONDAY, lane="priority", capacity=10)  # walk-ins: no place to book online
    waiting_room.tick(time.at(RELEASE))
    admitted_at = [entry.admitted_at for entry in entries(office)]
    assert statuses_by_position(office) == [
        (1, "admitted"), (2, "admitted"), (3, "admitted"), (4, "admitted"),
        (5, "waiting"), (6, "waiting"),
    ]  # fmt: skip
    for _ in range(3):
        waiting_room.tick(time.at(time.moment + SECOND))
    assert [entry.admitted_at for entry in entries(office)] == admitted_at
    assert told("room_admitted") == 4
    first = entries(office)[0]
    assert first.admission_expires_at == RELEASE + waiting.ADMISSION_LIFETIME
    summary, line = room_board.read(first.room_id, first.token)
    assert (summary["state"], summary["admitted_through"]) == ("drawn", 4)
    assert line == {"position": 1, "status": "admitted"}


def test_a_join_s_late_write_to_the_board_is_corrected_by_the_next_tick(office, time):
    [entry] = joined(office, 1)
    waiting_room.tick(time.at(RELEASE))  # drawn and admitted
    # The join's own write, sent before the draw, reaching the board after the tick's:
    room_board.publish_entries(
        entry.room_id, {entry.token: {"position": None, "status": "waiting"}}
    )
    waiting_room.tick(time.at(RELEASE + SECOND))
    assert room_board.read(entry.room_id, entry.token)[1] == {"position": 1, "status": "admitted"}


def test_a_lapsed_admission_passes_to_the_next_entry(office, time):
    joined(office, 7)
    waiting_room.tick(time.at(RELEASE))
    hold_for(entries(office)[0], office)
    waiting_room.tick(time.at(RELEASE + waiting.ADMISSION_LIFETIME))
    # One place taken, two free: positions 2-4 lapsed, three more are admitted (two and a margin).
    assert statuses_by_position(office) == [
        (1, "used"), (2, "lapsed"), (3, "lapsed"), (4, "lapsed"),
        (5, "admitted"), (6, "admitted"), (7, "admitted"),
    ]  # fmt: skip


def test_when_the_quota_is_gone_everyone_still_waiting_is_told_at_once(office, time, mailbox):
    joined(office, 8)
    waiting_room.tick(time.at(RELEASE))
    for entry in entries(office)[:3]:
        hold_for(entry, office)
    fourth = entries(office)[3]
    assert refused_hold(db.session.get(Application, fourth.application_id), office) == "full"
    waiting_room.tick(time.at(RELEASE + SECOND))
    assert [status for _, status in statuses_by_position(office)] == [
        "used", "used", "used", "admitted", "sold_out", "sold_out", "sold_out", "sold_out",
    ]  # fmt: skip
    assert told("room_sold_out") == 4
    last = entries(office)[-1]
    summary, line = room_board.read(last.room_id, last.token)
    assert summary["state"] == "sold_out"
    assert line["status"] == "sold_out"
    turn_to, gone_to = (db.session.get(User, e.account_id).email for e in (fourth, last))
    db.session.rollback()  # the mail jobs write from their own connection (SQLite: one writer)
    turn = mailbox.last(turn_to)  # admitted, then found the hour taken: its one mail
    assert turn["Subject"] == "Giliran Anda: pilih jadwal kedatangan dalam 10 menit"
    assert "Kantor Imigrasi Kelas I Khusus TPI Makassar" in turn.get_body(("plain",)).get_content()
    gone = mailbox.last(gone_to)
    assert gone["Subject"] == "Kuota yang Anda tunggu sudah habis"
    assert "Tidak ada yang dibayar" in gone.get_body(("plain",)).get_content()


def test_the_standing_counts_those_ahead_and_estimates_from_the_rate(office, time):
    joined(office, 9)
    waiting_room.tick(time.at(RELEASE))
    time.at(RELEASE + 2 * MINUTE)
    last = entries(office)[-1]
    standing = waiting_room.standing(last)
    assert (standing.position, standing.status, standing.admitted_through) == (9, "waiting", 4)
    assert standing.ahead == 4  # positions 5 to 8
    assert (
        standing.estimate_minutes == 2
    )  # four admitted in two minutes: four ahead at two a minute


# The hold's gate --------------------------------------------------------------------------------


def test_during_the_window_only_an_admitted_application_holds_and_after_it_anyone(office, time):
    first, second = joined(office, 2)
    stranger = applicant(office)
    waiting_room.tick(time.at(RELEASE))
    assert refused_hold(stranger, office) == "not_admitted"
    assert hold_for(first, office).status == "held"
    assert waiting_room.window_room_for_slot(db.session.get(Slot, the_slot(office)), RELEASE)
    time.at(RELEASE + waiting.RELEASE_WINDOW)
    waiting_room.tick()
    assert booking.hold(stranger, the_slot(office)).status == "held"
    assert hold_for(second, office).status == "held"
    assert db.session.scalar(select(func.count(Hold.id))) == 3


def test_a_booking_moves_into_the_release_only_after_its_window(office, time):
    saturday = make_slot(office, MONDAY - timedelta(days=2))  # of the release before
    application = applicant(office)
    booking.hold(application, saturday.id)
    assert pay(application.id) == "applied"
    time.at(RELEASE + MINUTE)
    with pytest.raises(booking.BookingRefused) as refused:
        booking.reschedule(db.session.get(Application, application.id), the_slot(office))
    assert refused.value.code == "in_release_window"
    time.at(RELEASE + waiting.RELEASE_WINDOW)
    moved = booking.reschedule(db.session.get(Application, application.id), the_slot(office))
    assert moved.slot_id == the_slot(office)


def test_a_slot_of_another_release_is_not_gated(office, time):
    later = make_slot(office, MONDAY + timedelta(days=7))
    assert waiting_room.window_room_for_slot(later, RELEASE + MINUTE) is None
    assert (
        waiting_room.window_room_for_slot(db.session.get(Slot, the_slot(office)), RELEASE - SECOND)
        is None
    )


def test_an_expired_admission_is_refused_even_before_the_tick_lapses_it(office, time):
    (entry,) = joined(office, 1)
    waiting_room.tick(time.at(RELEASE))
    time.at(RELEASE + waiting.ADMISSION_LIFETIME)
    application = db.session.get(Application, entry.application_id)
    assert refused_hold(application, office) == "not_admitted"
    assert db.session.get(RoomEntry, entry.id).status == "admitted"  # the refusal wrote nothing


def test_an_admission_serves_its_own_account_only(office, time):
    (entry,) = joined(office, 1)
    waiting_room.tick(time.at(RELEASE))
    # The admitted row pointed at another account's application, as a forged request would.
    other = applicant(office)
    forged = db.session.get(RoomEntry, entry.id)
    forged.application_id = other.id
    db.session.commit()
    assert refused_hold(other, office) == "not_admitted"
    assert db.session.get(RoomEntry, entry.id).status == "admitted"


def test_a_replayed_hold_takes_no_second_place(office, time):
    (entry,) = joined(office, 1)
    waiting_room.tick(time.at(RELEASE))
    mine = db.session.get(Application, entry.application_id)
    booking.hold(mine, the_slot(office))
    with pytest.raises(booking.BookingRefused):
        booking.hold(db.session.get(Application, mine.id), the_slot(office))
    assert db.session.scalar(select(func.count(Hold.id))) == 1
    assert db.session.get(RoomEntry, entry.id).status == "used"


# The clock ------------------------------------------------------------------------------------


def test_without_redis_the_server_s_first_request_starts_the_clock(make_app, time):
    app = make_app(REDIS_URL=None, TESTING=False)
    with app.app_context():
        office = make_office()
        make_slot(office, MONDAY, capacity=3)
        waiting_room.tick(RELEASE - 50 * MINUTE)
        joined(office, 2)
        office_id = office.id
    time.at(RELEASE + SECOND)
    app.test_client().get("/")
    thread, stop = app.extensions[waiting_rooms.EMBEDDED]
    try:
        with app.app_context():
            office = db.session.get(Office, office_id)
            for _ in range(100):
                if the_room(office).drawn_at is not None:
                    break
                db.session.rollback()
                threading.Event().wait(0.05)
            assert the_room(office).drawn_at == RELEASE + SECOND
            assert [status for _, status in statuses_by_position(office)] == ["admitted"] * 2
    finally:
        stop.set()
        thread.join(5)
