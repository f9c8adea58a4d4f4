"""The waiting room of each office's quota release: who may join, the draw at the release
instant, admission in the drawn order, and the gate that lets only admitted applications hold
the release's slots while its window lasts.

Everything that moves with time is done by tick(), which any number of processes may run at
once: each room is worked on under its row lock, and every entry's move is a compare-and-set.

Lock order (beside lifecycle's): join and tick lock the room, then write its entries; a hold
(booking.reserve) locks account, slot and application, then the entry it uses. No path locks a
room after an entry or a slot, so none waits on another in a cycle.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Office, Slot
from webapp.models.waiting_rooms import RoomEntry, WaitingRoom
from webapp.rules import quota, statuses, waiting
from webapp.services import booking, changes, lifecycle, room_board
from webapp.services.notifications import notify

SERVED = (waiting.ADMITTED, waiting.USED, waiting.LAPSED)
RATE_SPAN = timedelta(minutes=10)  # admissions per minute are reckoned over this span


class RoomRefused(Exception):
    """Why joining a room was refused; code is a key of labels.ROOM_PROBLEMS."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Standing:
    position: int | None
    status: str
    admitted_through: int
    admission_expires_at: datetime | None
    ahead: int | None  # waiting entries before this one; None before the draw
    estimate_minutes: int | None  # None when there is no rate to go by yet


@dataclass(frozen=True)
class Published:
    commitment: str
    seed: str | None  # revealed by the draw
    numbers: list[str]  # the application numbers of those who joined before the release, sorted
    order: list[str] | None  # those numbers in drawn order, once drawn


# Rooms ------------------------------------------------------------------------------------------


def window_end(room: WaitingRoom) -> datetime:
    """When the room's release window ends: an hour after the release, or sooner when the room
    closes or its quota is gone; a place freed after that goes to the office's waitlist."""
    ends = (room.release_at + waiting.RELEASE_WINDOW, room.closed_at, room.sold_out_at)
    return min(end for end in ends if end is not None)


def room_for_release(office: Office, release_at: datetime) -> WaitingRoom:
    """The office's room for this release, made now with its secret seed if there is none yet.

    Two callers at once make one room (the unique office and release): the loser reads the
    winner's. The seed is written here once and by nothing else; its commitment is audited.
    """
    room = _room_at(office.id, release_at)
    if room is not None:
        return room
    seed = secrets.token_hex(32)
    room = WaitingRoom(
        office_id=office.id,
        release_at=release_at,
        opens_at=release_at - waiting.ROOM_LEAD,
        seed=seed,
        commitment=waiting.commitment(seed),
    )
    db.session.add(room)
    try:
        db.session.flush()
        changes.record(
            None,
            "waiting_room",
            room.id,
            "seeded",
            after={"release_at": release_at, "commitment": room.commitment},
            office_id=office.id,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _room_at(office.id, release_at)
    _publish_summary(room)
    return room


def _room_at(office_id: int, release_at: datetime) -> WaitingRoom | None:
    return db.session.scalar(
        select(WaitingRoom).where(
            WaitingRoom.office_id == office_id, WaitingRoom.release_at == release_at
        )
    )


def open_room(office: Office, moment: datetime | None = None) -> WaitingRoom | None:
    """The office's room whose time is now: open, and its release window not over."""
    moment = moment or clock.now()
    return db.session.scalars(
        select(WaitingRoom)
        .where(
            WaitingRoom.office_id == office.id,
            WaitingRoom.opens_at <= moment,
            WaitingRoom.release_at > moment - waiting.RELEASE_WINDOW,
            WaitingRoom.closed_at.is_(None),
        )
        .order_by(WaitingRoom.release_at)
    ).first()


def release_of(slot: Slot) -> datetime:
    """The release that opens this slot, by its office's schedule."""
    office = db.session.get(Office, slot.office_id)
    return quota.release_moment(
        slot.starts_at.astimezone(booking.zone_of(office)).date(),
        office.release_weekday,
        office.release_hour,
        office.timezone,
        kind=office.release_kind,
        minute=office.release_minute,
        days_off=booking.release_days_off(office),
    )


def window_room_for_slot(slot: Slot, moment: datetime) -> WaitingRoom | None:
    """The room of the release that opened this slot, while that release's window lasts."""
    room = _room_at(slot.office_id, release_of(slot))
    if room is None or not room.release_at <= moment < window_end(room):
        return None
    return room


def released_span(office: Office, release_at: datetime) -> tuple[datetime, datetime]:
    """The start of the first and of the day after the last local day a release opens."""
    zone = booking.zone_of(office)
    opening_day = release_at.astimezone(zone).date()
    if office.release_kind == quota.MONTHLY:
        first = (opening_day.replace(day=28) + timedelta(days=4)).replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        first = opening_day + timedelta(days=7 - opening_day.weekday())
        following = first + timedelta(days=7)
    return (
        datetime.combine(first, datetime.min.time(), tzinfo=zone),
        datetime.combine(following, datetime.min.time(), tzinfo=zone),
    )


def free_places(room: WaitingRoom, moment: datetime) -> int:
    """The places still free at `moment` in the release's slots that can be booked online."""
    office = db.session.get(Office, room.office_id)
    start, end = released_span(office, room.release_at)
    closed, days_off = booking.closed_of(office), booking.release_days_off(office)
    return sum(
        view.free
        for lane in sorted(set(quota.LANE_OF_SERVICE.values()))
        for view in booking.slot_views(
            office, booking.slot_counts(office, lane, start, end, moment), moment, closed, days_off
        )
        if view.problem is None
    )


# Joining ----------------------------------------------------------------------------------------


def join(application: Application, room_id: int | None = None) -> RoomEntry:
    """Put a submitted application with a verified NIK in its office's open room (the room
    `room_id`, when the form names one). Before the release it waits for the draw; after it,
    it queues behind everyone there, in arrival order."""
    moment = clock.now()
    if application.status != statuses.SUBMITTED:
        raise RoomRefused("not_submitted")
    if application.nik_status != "verified":
        raise RoomRefused("not_verified")
    office = db.session.get(Office, application.office_id) if application.office_id else None
    if office is None:
        raise RoomRefused("wrong_office")
    room = open_room(office, moment)
    if room_id is not None and (room is None or room.id != room_id):
        raise RoomRefused(_why_not_that_room(room_id, office, moment))
    if room is None:
        raise RoomRefused("not_open")
    room = lifecycle.lock(room)  # joins, the draw and admissions of a room: one at a time
    _check_joinable(room, application, moment)
    drawn = []
    if room.drawn_at is None and moment >= room.release_at:
        drawn = _draw(room, moment)  # this join is past the release: the draw comes first
    entry = RoomEntry(
        room_id=room.id,
        application_id=application.id,
        account_id=application.account_id,
        nik=application.nik,
        number=application.number,
        token=secrets.token_urlsafe(18),
        # After the draw, never before it, whatever this process's clock says: published()
        # tells the drawn from the late by their arrival before the release.
        joined_at=max(moment, room.drawn_at) if room.drawn_at else moment,
        position=_last_position(room) + 1 if room.drawn_at else None,
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # the same NIK or application joined meanwhile
        db.session.rollback()
        raise RoomRefused("already_joined") from None
    _publish(room, [*drawn, entry])
    return entry


def _why_not_that_room(room_id: int, office: Office, moment: datetime) -> str:
    asked = db.session.get(WaitingRoom, room_id)
    if asked is not None and asked.office_id != office.id:
        return "wrong_office"
    return "not_open"


def _check_joinable(room: WaitingRoom, application: Application, moment: datetime) -> None:
    """An entry is of an active application, so it takes one of the account's five places as
    a booking does: the database's five active applications per account bound it, and no count
    is needed here."""

    def refuse(code: str) -> RoomRefused:
        db.session.rollback()
        return RoomRefused(code)

    if room.sold_out_at is not None:
        raise refuse("sold_out")
    if not moment < window_end(room):
        raise refuse("not_open")
    already = db.session.scalar(
        select(func.count(RoomEntry.id)).where(
            RoomEntry.room_id == room.id,
            or_(RoomEntry.nik == application.nik, RoomEntry.application_id == application.id),
        )
    )
    if already:
        raise refuse("already_joined")


def _last_position(room: WaitingRoom) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(RoomEntry.position), 0)).where(RoomEntry.room_id == room.id)
    )


# What the pages show ----------------------------------------------------------------------------


def entry_of(application: Application, room: WaitingRoom) -> RoomEntry | None:
    return db.session.scalar(
        select(RoomEntry).where(
            RoomEntry.room_id == room.id, RoomEntry.application_id == application.id
        )
    )


def standing(entry: RoomEntry) -> Standing:
    """Where an entry stands: its position, the last position admitted, and how long to wait."""
    room = db.session.get(WaitingRoom, entry.room_id)
    through = _admitted_through(room)
    ahead = None
    if entry.position is not None:
        ahead = 0
        if entry.status == waiting.WAITING:
            ahead = db.session.scalar(
                select(func.count(RoomEntry.id)).where(
                    RoomEntry.room_id == room.id,
                    RoomEntry.status == waiting.WAITING,
                    RoomEntry.position < entry.position,
                )
            )
    rate = _per_minute(room, clock.now())
    estimate = math.ceil(ahead / rate) if ahead is not None and rate else None
    return Standing(
        entry.position, entry.status, through, entry.admission_expires_at, ahead, estimate
    )


def published(room: WaitingRoom) -> Published:
    """What anyone may check: the commitment; after the draw the seed, the entries it ordered
    (their application numbers only) and the order it gave them."""
    drawn = room.drawn_at is not None
    statement = select(RoomEntry.number).where(RoomEntry.room_id == room.id)
    if drawn:
        statement = statement.where(RoomEntry.joined_at < room.release_at)
    numbers = sorted(db.session.scalars(statement))
    return Published(
        room.commitment,
        room.seed if drawn else None,
        numbers,
        waiting.drawn_order(room.seed, numbers) if drawn else None,
    )


def _admitted_through(room: WaitingRoom) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(RoomEntry.position), 0)).where(
            RoomEntry.room_id == room.id, RoomEntry.status.in_(SERVED)
        )
    )


def _per_minute(room: WaitingRoom, moment: datetime) -> float:
    since = max(room.release_at, moment - RATE_SPAN)
    minutes = (moment - since).total_seconds() / 60
    if minutes <= 0:
        return 0.0
    admitted = db.session.scalar(
        select(func.count(RoomEntry.id)).where(
            RoomEntry.room_id == room.id, RoomEntry.admitted_at >= since
        )
    )
    return round(admitted / max(minutes, 1.0), 1)


def _publish_summary(room: WaitingRoom) -> None:
    moment = clock.now()
    if room.closed_at is not None:
        state = "closed"
    elif room.sold_out_at is not None:
        state = "sold_out"
    else:
        state = "drawn" if room.drawn_at is not None else "open"
    entries = db.session.scalar(
        select(func.count(RoomEntry.id)).where(RoomEntry.room_id == room.id)
    )
    room_board.publish_room(
        room.id,
        {
            "state": state,
            "release_at": room.release_at.isoformat(),
            "admitted_through": _admitted_through(room),
            "entries": entries,
            "per_minute": _per_minute(room, moment),
            "commitment": room.commitment,
        },
    )


def _publish(room: WaitingRoom, entries: list[RoomEntry]) -> None:
    """The room's summary and these entries' own lines, as they are now."""
    _publish_summary(room)
    room_board.publish_entries(
        room.id,
        {entry.token: {"position": entry.position, "status": entry.status} for entry in entries},
    )


# The hold's gate --------------------------------------------------------------------------------


def use_admission(application: Application, slot: Slot, moment: datetime) -> None:
    """During a release's window only an admitted application may hold one of its slots: its
    entry is locked, checked and marked used in the hold's own transaction (booking.reserve),
    so that one admission makes one hold and a lapse or a second request loses the race."""
    room = window_room_for_slot(slot, moment)
    if room is None:
        return
    entry = db.session.scalar(
        lifecycle.locking(
            select(RoomEntry).where(
                RoomEntry.room_id == room.id, RoomEntry.application_id == application.id
            )
        )
    )
    if (
        entry is None
        or entry.account_id != application.account_id
        or entry.status != waiting.ADMITTED
        or entry.admission_expires_at <= moment
    ):
        db.session.rollback()
        raise booking.BookingRefused("not_admitted")
    entry.status = waiting.USED


def refuse_in_window(slot: Slot, moment: datetime) -> None:
    """A booking moved into a release's slots waits for the end of its window: the places go
    first to the room, in its order, not to whoever moves fastest."""
    if window_room_for_slot(slot, moment) is not None:
        db.session.rollback()
        raise booking.BookingRefused("in_release_window")


# Time -------------------------------------------------------------------------------------------


def tick(moment: datetime | None = None) -> None:
    """Move every room on to `moment`: make the coming releases' rooms, draw at the release,
    admit as places allow, lapse expired admissions, tell the rest when the quota is gone, and
    close rooms whose window has ended."""
    moment = moment or clock.now()
    for office in db.session.scalars(select(Office).order_by(Office.id)).all():
        release_at = quota.next_release(
            moment,
            office.release_weekday,
            office.release_hour,
            office.timezone,
            kind=office.release_kind,
            minute=office.release_minute,
            days_off=booking.release_days_off(office),
        )
        if release_at - moment <= waiting.ROOM_MAKING_LEAD:
            room_for_release(office, release_at)
    live = db.session.scalars(
        select(WaitingRoom.id).where(
            WaitingRoom.closed_at.is_(None), WaitingRoom.release_at <= moment
        )
    ).all()
    db.session.rollback()
    for room_id in live:
        _move_room(room_id, moment)


def _move_room(room_id: int, moment: datetime) -> None:
    """One room's turn, under its row lock: a second process waits, then finds it done."""
    room = db.session.scalar(
        lifecycle.locking(select(WaitingRoom).where(WaitingRoom.id == room_id))
    )
    if room is None or room.closed_at is not None or moment < room.release_at:
        db.session.rollback()
        return
    moved: list[RoomEntry] = []
    if room.drawn_at is None:
        moved += _draw(room, moment)
    moved += _lapse(room, moment)
    if moment >= window_end(room):
        room.closed_at = moment
        db.session.commit()
        _publish(room, moved)
        return
    admitted = _admit(room, moment)
    told: list[RoomEntry] = []
    if not admitted and room.sold_out_at is None and free_places(room, moment) == 0:
        told = _sell_out(room, moment)
    db.session.commit()
    # Every admission outstanding is written again each second: a join's own write, sent just
    # before the draw and arriving after this tick's, must not leave its page saying "waiting".
    outstanding = db.session.scalars(
        select(RoomEntry).where(RoomEntry.room_id == room.id, RoomEntry.status == waiting.ADMITTED)
    ).all()
    _publish(room, moved + told + list(outstanding))  # the summary each second: its rate moves on
    _tell(room, admitted, told)


def _draw(room: WaitingRoom, moment: datetime) -> list[RoomEntry]:
    """Reveal the seed and give everyone who joined before the release their drawn position."""
    entries = list(
        db.session.scalars(
            select(RoomEntry).where(RoomEntry.room_id == room.id, RoomEntry.position.is_(None))
        )
    )
    by_number = {entry.number: entry for entry in entries}
    for position, number in enumerate(waiting.drawn_order(room.seed, list(by_number)), start=1):
        by_number[number].position = position
    room.drawn_at = moment
    db.session.flush()
    return entries


def _lapse(room: WaitingRoom, moment: datetime) -> list[RoomEntry]:
    """Admissions unused past their expiry pass on: the entry lapses, by compare-and-set."""
    lapsed = list(
        db.session.scalars(
            select(RoomEntry).where(
                RoomEntry.room_id == room.id,
                RoomEntry.status == waiting.ADMITTED,
                RoomEntry.admission_expires_at <= moment,
            )
        )
    )
    if not lapsed:
        return []
    ids = [entry.id for entry in lapsed]
    db.session.execute(
        update(RoomEntry)
        .where(RoomEntry.id.in_(ids), RoomEntry.status == waiting.ADMITTED)
        .values(status=waiting.LAPSED)
        .execution_options(synchronize_session=False)
    )
    # Read back what lapsed: an admission used meanwhile by a hold stays used.
    return list(
        db.session.scalars(
            select(RoomEntry)
            .where(RoomEntry.id.in_(ids), RoomEntry.status == waiting.LAPSED)
            .execution_options(populate_existing=True)
        )
    )


def _admit(room: WaitingRoom, moment: datetime) -> list[RoomEntry]:
    """Admit the next waiting entries in order: as many as the free places (plus the margin)
    beyond the admissions still outstanding."""
    free = free_places(room, moment)
    outstanding = db.session.scalar(
        select(func.count(RoomEntry.id)).where(
            RoomEntry.room_id == room.id,
            RoomEntry.status == waiting.ADMITTED,
            RoomEntry.admission_expires_at > moment,
        )
    )
    wanted = waiting.admissions_wanted(free, outstanding)
    if wanted <= 0:
        return []
    chosen = list(
        db.session.scalars(
            select(RoomEntry)
            .where(RoomEntry.room_id == room.id, RoomEntry.status == waiting.WAITING)
            .order_by(RoomEntry.position)
            .limit(wanted)
        )
    )
    for entry in chosen:
        entry.status = waiting.ADMITTED
        entry.admitted_at = moment
        entry.admission_expires_at = moment + waiting.ADMISSION_LIFETIME
    return chosen


def _sell_out(room: WaitingRoom, moment: datetime) -> list[RoomEntry]:
    """No place is left: everyone still waiting is told now, not when their turn would come."""
    room.sold_out_at = moment
    waiting_entries = list(
        db.session.scalars(
            select(RoomEntry).where(
                RoomEntry.room_id == room.id, RoomEntry.status == waiting.WAITING
            )
        )
    )
    for entry in waiting_entries:
        entry.status = waiting.SOLD_OUT
    return waiting_entries


def _tell(room: WaitingRoom, admitted: list[RoomEntry], told: list[RoomEntry]) -> None:
    """Mail the admitted their turn and the rest that the quota is gone, once each."""
    office = db.session.get(Office, room.office_id)
    for entry in admitted:
        notify(
            db.session.get(Application, entry.application_id),
            "room_admitted",
            f"{room.id}:{entry.admitted_at.isoformat()}",
            office=office.name,
            zone=office.timezone,
            expires_at=entry.admission_expires_at.isoformat(),
        )
    for entry in told:
        notify(
            db.session.get(Application, entry.application_id),
            "room_sold_out",
            str(room.id),
            office=office.name,
        )
