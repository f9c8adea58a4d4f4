"""The supervisor's settings of their own office: opening days and hours, places per hourly slot
and lane, the quota release schedule, the counter's call ratio, and the e-passport blank stock.

A change applies to the slots applicants have not been promised: every future slot that is not
released yet, and every released one that nobody holds. A released slot someone holds keeps its
places. A quota lowered below the places already held in a slot it applies to is refused with the
figures; a release schedule that would have opened the next unreleased slots in the past is
refused. Then the office's missing slots are made by offices.ensure_slots, as every day.

Locks (services/lifecycle.py's order): the office's future slots in id order, then the office's
row. A hold taken meanwhile waits for the slot (booking locks it before counting) and then sees
the new capacity; a hold committed first is counted here. So no slot ever has fewer places than
live holds. Every change is recorded in the changes trail with the values before and after.
"""

from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import Change, Hold, Office, Slot, User
from webapp.rules import quota
from webapp.services import booking, changes, offices
from webapp.services.lifecycle import locking

ENTITY = "office"
STOCK = "epassport_stock"
MAX_PER_HOUR = 500
MAX_DELIVERY = 100_000


@dataclass(frozen=True)
class Settings:
    opening_days: str  # weekdays the office serves, Monday is "0"
    first_slot_hour: int
    last_slot_hour: int
    regular_per_hour: int
    express_per_hour: int
    priority_per_hour: int
    release_kind: str  # quota.WEEKLY | quota.MONTHLY
    release_weekday: int
    release_hour: int
    release_minute: int
    call_weight_priority: int
    call_weight_express: int
    call_weight_regular: int

    @property
    def capacity_per_lane(self) -> dict[str, int]:
        return {
            "regular": self.regular_per_hour,
            "express": self.express_per_hour,
            "priority": self.priority_per_hour,
        }


FIELDS = tuple(Settings.__dataclass_fields__)
RELEASE_FIELDS = ("release_kind", "release_weekday", "release_hour", "release_minute")


@dataclass(frozen=True)
class Overbooked:
    starts_at: datetime  # aware, UTC
    lane: str
    held: int
    new_quota: int


class SettingsRefused(Exception):
    """Why a change was refused; code is a key of labels.OFFICE_SETTINGS_PROBLEMS. overbooked:
    the slots whose holds the new quota would not cover; release_at: the release moment that
    has passed."""

    def __init__(
        self,
        code: str,
        *,
        overbooked: tuple[Overbooked, ...] = (),
        release_at: datetime | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.overbooked = overbooked
        self.release_at = release_at


@dataclass(frozen=True)
class Outcome:
    changed: dict  # field -> (before, after)
    slots_updated: int
    slots_removed: int
    slots_kept: int  # released and held: they keep their places
    slots_made: int


def own_office(supervisor: User) -> Office | None:
    """The supervisor's own office; None for an account without one."""
    if supervisor.office_id is None:
        return None
    return db.session.scalar(select(Office).where(Office.id == supervisor.office_id))


def current(office: Office) -> Settings:
    return Settings(**{name: getattr(office, name) for name in FIELDS})


@dataclass(frozen=True)
class Entry:
    change: Change
    by: str  # who made it: a name, or "" for a command


def history(office: Office, limit: int = 20) -> list[Entry]:
    """The office's latest setting and stock changes, newest first, with who made them."""
    rows = db.session.execute(
        select(Change, User.full_name)
        .outerjoin(User, User.id == Change.actor_id)
        .where(Change.office_id == office.id, Change.entity.in_((ENTITY, STOCK)))
        .order_by(Change.at.desc(), Change.id.desc())
        .limit(limit)
    ).all()
    return [Entry(change, name or "") for change, name in rows]


def _problem(new: Settings) -> str | None:
    if not new.opening_days or set(new.opening_days) - set("0123456"):
        return "no_opening_day"
    if not 0 <= new.first_slot_hour <= new.last_slot_hour <= 23:
        return "hours"
    if any(not 0 <= places <= MAX_PER_HOUR for places in new.capacity_per_lane.values()):
        return "places"
    if new.regular_per_hour + new.express_per_hour == 0:
        return "no_bookable_lane"
    weights = (new.call_weight_priority, new.call_weight_express, new.call_weight_regular)
    if any(not 0 <= weight <= 9 for weight in weights) or not any(weights):
        return "weights"
    if new.release_kind not in quota.RELEASE_KINDS:
        return "release"
    if not (0 <= new.release_weekday <= 6 and 0 <= new.release_hour <= 23):
        return "release"
    if not 0 <= new.release_minute <= 59:
        return "release"
    return None


def _release_of(settings: Settings, zone: str, off: frozenset[date]):
    """A function of a local day: when its slots open under `settings`."""

    def opens(day: date) -> datetime:
        return quota.release_moment(
            day,
            settings.release_weekday,
            settings.release_hour,
            zone,
            kind=settings.release_kind,
            minute=settings.release_minute,
            days_off=off,
        )

    return opens


def change(supervisor: User, new: Settings) -> Outcome:
    """Change the supervisor's own office's settings and apply them to its future slots, in one
    transaction; SettingsRefused (nothing kept) when they cannot apply."""
    problem = _problem(new)
    if problem:
        raise SettingsRefused(problem)
    moment = clock.now()
    office_id = supervisor.office_id
    slots = list(
        db.session.scalars(
            locking(
                select(Slot)
                .where(Slot.office_id == office_id, Slot.starts_at > moment)
                .order_by(Slot.id)
            )
        )
    )
    office = db.session.scalar(locking(select(Office).where(Office.id == office_id)))
    if office is None:
        db.session.rollback()
        raise LookupError(office_id)
    old = current(office)
    zone = ZoneInfo(office.timezone)
    old_off = booking.release_days_off(office, old.release_kind)
    old_opens = _release_of(old, office.timezone, old_off)
    new_opens = _release_of(
        new, office.timezone, booking.release_days_off(office, new.release_kind)
    )
    if any(getattr(old, name) != getattr(new, name) for name in RELEASE_FIELDS):
        first_closed = quota.first_unreleased_day(
            moment,
            old.release_weekday,
            old.release_hour,
            office.timezone,
            kind=old.release_kind,
            minute=old.release_minute,
            days_off=old_off,
        )
        opens = new_opens(first_closed)
        if opens <= moment:
            db.session.rollback()
            raise SettingsRefused("release_past", release_at=opens)

    held = (
        dict(
            db.session.execute(
                select(Hold.slot_id, func.count(Hold.id))
                .where(
                    Hold.slot_id.in_([slot.id for slot in slots]), booking.live_hold_filter(moment)
                )
                .group_by(Hold.slot_id)
            ).all()
        )
        if slots
        else {}
    )
    ever_held = (
        set(
            db.session.scalars(
                select(Hold.slot_id).where(Hold.slot_id.in_([slot.id for slot in slots])).distinct()
            )
        )
        if slots
        else set()
    )

    overbooked, updates, removals, kept = [], {}, [], 0
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        live = held.get(slot.id, 0)
        released = old_opens(local.date()) <= moment
        if released and live:
            kept += 1
            continue
        still_open = str(local.weekday()) in new.opening_days and (
            new.first_slot_hour <= local.hour <= new.last_slot_hour
        )
        target = new.capacity_per_lane.get(slot.lane, 0) if still_open else 0
        if live > target:
            overbooked.append(Overbooked(slot.starts_at, slot.lane, live, target))
        elif target == 0 and slot.id not in ever_held:
            removals.append(slot.id)
        elif slot.capacity != target:
            updates[slot.id] = target
    if overbooked:
        db.session.rollback()
        overbooked.sort(key=lambda item: (item.starts_at, item.lane))
        raise SettingsRefused("below_booked", overbooked=tuple(overbooked))

    for slot_id, capacity in updates.items():
        db.session.execute(update(Slot).where(Slot.id == slot_id).values(capacity=capacity))
    if removals:
        db.session.execute(delete(Slot).where(Slot.id.in_(removals)))
    for name in FIELDS:
        setattr(office, name, getattr(new, name))
    db.session.flush()
    made = offices.ensure_slots(office, clock.today(office.timezone), office.slot_window_days)
    changed = {
        name: (getattr(old, name), getattr(new, name))
        for name in FIELDS
        if getattr(old, name) != getattr(new, name)
    }
    if changed:
        changes.record(
            supervisor.id,
            ENTITY,
            office.id,
            "settings_changed",
            before=asdict(old),
            after=asdict(new),
            office_id=office.id,
        )
    db.session.commit()
    return Outcome(changed, len(updates), len(removals), kept, made)


def deliver(supervisor: User, count: int) -> int:
    """Add a delivery of `count` e-passport blanks to the office's stock; the new stock."""
    return _move_stock(supervisor, count, "delivered")


def write_off(supervisor: User, count: int) -> int:
    """Take `count` spoiled or missing blanks off the stock, never below zero; the new stock."""
    return _move_stock(supervisor, -count, "written_off")


def _move_stock(supervisor: User, by: int, action: str) -> int:
    if not 0 < abs(by) <= MAX_DELIVERY:
        raise SettingsRefused("stock_count")
    office = db.session.scalar(locking(select(Office).where(Office.id == supervisor.office_id)))
    if office is None:
        db.session.rollback()
        raise LookupError(supervisor.office_id)
    if not office.issues_epassport:
        db.session.rollback()
        raise SettingsRefused("no_epassport")
    before = office.epassport_stock
    if before + by < 0:
        db.session.rollback()
        raise SettingsRefused("stock_below_zero")
    # A compare-and-set beside the lock: a print that takes a blank is never lost.
    result = db.session.execute(
        update(Office)
        .where(Office.id == office.id, Office.epassport_stock + by >= 0)
        .values(epassport_stock=Office.epassport_stock + by)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise SettingsRefused("stock_below_zero")
    after = db.session.scalar(select(Office.epassport_stock).where(Office.id == office.id))
    changes.record(
        supervisor.id,
        STOCK,
        office.id,
        action,
        before={"epassport_stock": before},
        after={"epassport_stock": after},
        office_id=office.id,
    )
    db.session.commit()
    return after
