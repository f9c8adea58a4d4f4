"""The booking calendar's free places, served from a cache, so that a crowd reading the calendar at
a quota release costs the database nothing.

A local month of an office's lane is kept as its slots with the places their live holds take, and
what closes them, for at most FRESH: in Redis when REDIS_URL is set (every server process shares
it), else in this process (the embedded default serves from one). The hold, expiry, cancel and
reschedule paths drop the months they changed right after their commit, so a change is seen at
once, and a month is read again once an unpaid place in it lapses (its expiry job may come
later); what changes otherwise (a closure) is seen within FRESH. What can be booked is still
decided per request from the current time, and the quota's guarantee stays in the database: a
hold counts the places again under the slot's lock.
"""

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from webapp import clock
from webapp.extensions import db
from webapp.jobs import redis_connection
from webapp.models import Hold, Office, Slot
from webapp.rules import holds
from webapp.services import booking

FRESH = timedelta(seconds=1)


def month(office: Office, lane: str, year: int, month: int) -> "dict[date, list[booking.SlotView]]":
    """The month's slots by local day with their free places, as booking.month_of gives them."""
    moment = clock.now()
    key = _key(office.id, lane, f"{year:04d}-{month:02d}")
    cached = _read(key)
    if cached is None or not _fresh(cached, moment):
        cached = _counted(office, lane, year, month, moment)
        _write(key, cached)
    counts = [(_slot(office, lane, row), row[3]) for row in cached["slots"]]
    closed = booking.Closed(
        frozenset(map(date.fromisoformat, cached["closed_days"])),
        {date.fromisoformat(day): hours for day, hours in cached["closed_hours"].items()},
    )
    release_off = frozenset(map(date.fromisoformat, cached["release_off"]))
    views = booking.slot_views(office, counts, moment, closed, release_off)
    return booking.by_local_day(office, views)


def _fresh(cached: dict, moment: datetime) -> bool:
    """Counted less than FRESH ago, and no unpaid place of the month has lapsed since."""
    lapses_at = cached["lapses_at"]
    if lapses_at is not None and moment >= datetime.fromisoformat(lapses_at):
        return False
    return timedelta(0) <= moment - datetime.fromisoformat(cached["at"]) < FRESH


def changed(*slots: Slot) -> None:
    """Drop the months of these slots, after the commit that took or freed a place in them."""
    keys = set()
    for slot in slots:
        office = db.session.get(Office, slot.office_id)
        local = slot.starts_at.astimezone(ZoneInfo(office.timezone))
        keys.add(_key(office.id, slot.lane, f"{local:%Y-%m}"))
    if current_app.config["REDIS_URL"]:
        try:
            redis_connection().delete(*keys)
            return
        except RedisError:
            current_app.logger.warning("availability: Redis unreachable, months kept a second")
            return
    store = _local()
    with store["lock"]:
        for key in keys:
            store["data"].pop(key, None)


def _counted(office: Office, lane: str, year: int, month: int, moment: datetime) -> dict:
    """The month read from the database, as plain JSON values."""
    start, end = booking.month_bounds(office, year, month)
    closed = booking.closed_of(office)
    lapses_at = db.session.scalar(
        select(func.min(Hold.expires_at))
        .join(Slot, Slot.id == Hold.slot_id)
        .where(
            Slot.office_id == office.id,
            Slot.lane == lane,
            Slot.starts_at >= start,
            Slot.starts_at < end,
            Hold.status.in_((holds.HELD, holds.OFFERED)),
            Hold.expires_at > moment,
        )
    )
    return {
        "at": moment.isoformat(),
        "lapses_at": lapses_at.isoformat() if lapses_at else None,
        "slots": [
            [slot.id, slot.starts_at.isoformat(), slot.capacity, used]
            for slot, used in booking.slot_counts(office, lane, start, end, moment)
        ],
        "closed_days": sorted(day.isoformat() for day in closed.days),
        "closed_hours": {day.isoformat(): hours for day, hours in closed.hours.items()},
        "release_off": sorted(day.isoformat() for day in booking.release_days_off(office)),
    }


@dataclass(frozen=True)
class CachedSlot:
    """A slot as its calendar view reads it from the cache: a plain value, far cheaper to make
    for every slot of a month than a model instance."""

    id: int
    office_id: int
    lane: str
    starts_at: datetime
    capacity: int


def _slot(office: Office, lane: str, row: list) -> CachedSlot:
    slot_id, starts_at, capacity, _ = row
    return CachedSlot(slot_id, office.id, lane, datetime.fromisoformat(starts_at), capacity)


def _key(office_id: int, lane: str, month: str) -> str:
    return f"availability:{office_id}:{lane}:{month}"


def _local() -> dict:
    """The embedded cache: {key: month}, one per application object."""
    return current_app.extensions.setdefault("availability", {"lock": threading.Lock(), "data": {}})


def _read(key: str) -> dict | None:
    if current_app.config["REDIS_URL"]:
        try:
            value = redis_connection().get(key)
        except RedisError:
            current_app.logger.warning("availability: Redis unreachable, counted from the database")
            return None
        return json.loads(value) if value else None
    store = _local()
    with store["lock"]:
        return store["data"].get(key)


def _write(key: str, value: dict) -> None:
    if current_app.config["REDIS_URL"]:
        try:
            # Redis forgets it a little after FRESH; freshness itself is judged by "at".
            redis_connection().set(key, json.dumps(value, separators=(",", ":")), px=2000)
        except RedisError:
            current_app.logger.warning("availability: Redis unreachable, month not kept")
        return
    store = _local()
    with store["lock"]:
        store["data"][key] = value
