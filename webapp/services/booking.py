"""Booking: free places per slot, holding a place with its bill, expiry, reschedule and cancel.

The database keeps the promises: a slot row is locked while its places are counted and one is
taken, so a quota is never oversold; a partial unique index gives an application at most one live
hold. A held place counts only until its expiry instant, whether or not the expiry job has run.
Every hold, bill and application change goes through webapp.services.lifecycle, whose docstring
has the one lock order followed here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.jobs import enqueue_at
from webapp.models import Application, Bill, Closure, Hold, LeaveDay, Office, Slot, User
from webapp.rules import bills, holds, quota, statuses
from webapp.rules.statuses import (
    AWAITING_PAYMENT,
    CANCELLED,
    EXPIRED,
    SCHEDULED,
    SUBMITTED,
    TRANSITIONS,
)
from webapp.services import (
    applications,
    arrivals,
    availability,
    days_off,
    lifecycle,
    waiting_room,
    waitlist,
)
from webapp.services.notifications import notify

UNPAID_REASON = "unpaid for two hours"
CANCEL_REASON = "cancelled by applicant"


class BookingRefused(Exception):
    """Why a booking was refused; code is a key of labels.BOOKING_PROBLEMS."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    free: int
    problem: str | None  # why it cannot be booked now, if so


def live_hold_filter(moment: datetime):
    """Holds that count against a quota at `moment`: paid, or held (or offered after a closure)
    and not yet released."""
    return or_(
        Hold.status == holds.PAID,
        and_(Hold.status.in_((holds.HELD, holds.OFFERED)), Hold.expires_at > moment),
    )


def lane_for(application: Application) -> str:
    return quota.LANE_OF_SERVICE[application.service]


def zone_of(office: Office) -> ZoneInfo:
    return ZoneInfo(office.timezone)


def closed_days(office: Office) -> frozenset[date]:
    """The office's own whole-day closures and the leave days added nationally, whose slots may
    have been made before they were added: no new booking is taken on them."""
    closures = db.session.scalars(
        select(Closure.day).where(Closure.office_id == office.id, Closure.from_hour.is_(None))
    )
    return frozenset(closures) | frozenset(db.session.scalars(select(LeaveDay.day)))


def closed_hours(office: Office) -> dict[date, list[tuple[int, int]]]:
    """The office's closures of part of a day: the local hours [from, to) of each day."""
    rows = db.session.execute(
        select(Closure.day, Closure.from_hour, Closure.to_hour).where(
            Closure.office_id == office.id, Closure.from_hour.is_not(None)
        )
    )
    hours: dict[date, list[tuple[int, int]]] = {}
    for day, start, end in rows:
        hours.setdefault(day, []).append((start, end))
    return hours


@dataclass(frozen=True)
class Closed:
    """What closes an office's slots: whole days, and hours of some days."""

    days: frozenset[date]
    hours: dict[date, list[tuple[int, int]]]

    def covers(self, starts_at: datetime, zone: str) -> bool:
        local = starts_at.astimezone(ZoneInfo(zone))
        if local.date() in self.days:
            return True
        return any(start <= local.hour < end for start, end in self.hours.get(local.date(), ()))


def closed_of(office: Office) -> Closed:
    return Closed(closed_days(office), closed_hours(office))


def slots_between(office: Office, lane: str, start: datetime, end: datetime) -> list[SlotView]:
    """Every slot of a lane in [start, end) with its free places, in one query."""
    moment = clock.now()
    counts = slot_counts(office, lane, start, end, moment)
    return slot_views(office, counts, moment, closed_of(office), release_days_off(office))


def slot_counts(
    office: Office, lane: str, start: datetime, end: datetime, moment: datetime
) -> list[tuple[Slot, int]]:
    """Every slot of a lane in [start, end) with the places its live holds take at `moment`."""
    taken = (
        select(Hold.slot_id, func.count(Hold.id).label("taken"))
        .where(live_hold_filter(moment))
        .group_by(Hold.slot_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Slot, func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.slot_id == Slot.id)
        .where(
            Slot.office_id == office.id,
            Slot.lane == lane,
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at)
    ).all()
    return [(slot, used) for slot, used in rows]


def slot_views(
    office: Office,
    counts: list[tuple[Slot, int]],
    moment: datetime,
    closed: Closed,
    release_off: frozenset[date],
) -> list[SlotView]:
    """The slots with their free places and what keeps each from being booked at `moment`."""
    return [
        SlotView(
            slot, max(0, slot.capacity - used), _problem(office, slot, moment, closed, release_off)
        )
        for slot, used in counts
    ]


def month_bounds(office: Office, year: int, month: int) -> tuple[datetime, datetime]:
    """The first instant of a local month of the office and of the month after it."""
    zone = ZoneInfo(office.timezone)
    first = datetime(year, month, 1, tzinfo=zone)
    return first, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)


def by_local_day(office: Office, views: list[SlotView]) -> dict[date, list[SlotView]]:
    """Slot views grouped by the office's local day, in their order."""
    zone = ZoneInfo(office.timezone)
    days: dict[date, list[SlotView]] = {}
    for view in views:
        days.setdefault(view.slot.starts_at.astimezone(zone).date(), []).append(view)
    return days


def month_of(office: Office, lane: str, year: int, month: int) -> dict[date, list[SlotView]]:
    """The month's slots by local day, for the calendar."""
    return by_local_day(office, slots_between(office, lane, *month_bounds(office, year, month)))


def release_days_off(office: Office, kind: str | None = None) -> frozenset[date]:
    """The national days off a monthly release skips when it finds the last working day, over
    every month whose slots the office's window may hold; none for a weekly release. `kind`:
    the office's own, unless a release kind about to be set is asked about."""
    if (kind or office.release_kind) != quota.MONTHLY:
        return frozenset()
    today = clock.today(office.timezone)
    start = today.replace(day=1) - timedelta(days=31)
    return frozenset(days_off.national(start, today + timedelta(days=office.slot_window_days + 62)))


def first_unreleased_day(office: Office) -> date:
    """The first local day of this office whose slots are not released yet."""
    return quota.first_unreleased_day(
        clock.now(),
        office.release_weekday,
        office.release_hour,
        office.timezone,
        kind=office.release_kind,
        minute=office.release_minute,
        days_off=release_days_off(office),
    )


def next_release(office: Office) -> datetime:
    """When this office next opens quota, in its own zone."""
    return quota.next_release(
        clock.now(),
        office.release_weekday,
        office.release_hour,
        office.timezone,
        kind=office.release_kind,
        minute=office.release_minute,
        days_off=release_days_off(office),
    )


def _problem(
    office: Office,
    slot: Slot,
    moment: datetime,
    closed: Closed,
    release_off: frozenset[date],
) -> str | None:
    problem = quota.booking_problem(
        slot.starts_at,
        now=moment,
        zone=office.timezone,
        release_weekday=office.release_weekday,
        release_hour=office.release_hour,
        closed_days=closed.days,
        release_kind=office.release_kind,
        release_minute=office.release_minute,
        days_off=release_off,
    )
    if problem in (None, "not_released") and closed.covers(slot.starts_at, office.timezone):
        return "closed"
    return problem


def hold(application: Application, slot_id: int) -> Hold:
    """Take a place for a submitted application and bill it, in one transaction, as the applicant
    books online: a slot of the application's office and lane, open for booking now, within the
    account's limit of live holds."""
    held = reserve(application, slot_id, actor_id=application.account_id, check=_check_online)
    return confirm(application, held)


def reserve(
    application: Application,
    slot_id: int,
    *,
    actor_id: int,
    check: Callable[[Application, Slot, datetime], None],
) -> Hold:
    """The part every booking shares: a place taken with its hold and bill, the application
    awaiting payment; uncommitted, for the caller to add to and then confirm().

    Locks the account, the slot and the application (lifecycle's lock order) before reading
    what decides: a cancel or a second tab that got there first is seen, never overwritten.
    `check` refuses (BookingRefused) a slot this way of booking may not take.
    """
    moment = clock.now()
    _lock_open_account(application.account_id)
    slot = _locked_slot(slot_id)
    if lifecycle.lock(application).status != SUBMITTED:
        raise _refused("not_bookable")
    check(application, slot, moment)
    _check_free(slot, moment)
    deadline = moment + quota.HOLD_LIFETIME
    new_hold = Hold(
        slot_id=slot.id,
        application_id=application.id,
        account_id=application.account_id,
        status=holds.HELD,
        created_at=moment,
        expires_at=deadline + holds.SETTLEMENT_GRACE,
    )
    db.session.add(new_hold)
    db.session.flush()
    bill = Bill(
        hold_id=new_hold.id,
        application_id=application.id,
        code=quota.new_billing_code(),
        amount=applications.quote(application).total,
        status=bills.OPEN,
        created_at=moment,
        expires_at=deadline,
    )
    db.session.add(bill)
    db.session.flush()
    lifecycle.created(new_hold, actor_id=actor_id)
    lifecycle.created(bill, actor_id=actor_id)
    lifecycle.transition(application, AWAITING_PAYMENT, actor_id=actor_id)
    return new_hold


def confirm(application: Application, held: Hold) -> Hold:
    """Commit a reserved place, then send the applicant the billing code and queue its expiry."""
    try:
        db.session.commit()
    except IntegrityError:  # the live-hold index: a hold made meanwhile by another way
        db.session.rollback()
        raise BookingRefused("already_held") from None
    bill, slot = held.bill, held.slot
    availability.changed(slot)
    office = db.session.get(Office, slot.office_id)
    notify(
        application,
        "hold_created",
        bill.code,
        code=bill.code,
        amount=bill.amount,
        expires_at=bill.expires_at.isoformat(),
        starts_at=slot.starts_at.isoformat(),
        office=office.name,
        zone=office.timezone,
    )
    schedule_expiry(held)
    return held


def _check_online(application: Application, slot: Slot, moment: datetime) -> None:
    _check_bookable(application, slot, moment)
    _check_account_limit(application.account_id, moment)
    waiting_room.use_admission(application, slot, moment)


def _refused(code: str) -> BookingRefused:
    """End the transaction (and its locks) before saying no: nothing of it is kept."""
    db.session.rollback()
    return BookingRefused(code)


def _lock_open_account(account_id: int) -> None:
    """Lock the account: its holds are counted, and a closing account books nothing more."""
    account = db.session.scalar(lifecycle.locking(select(User).where(User.id == account_id)))
    if account is None or account.closed_at is not None:
        raise _refused("not_bookable")


def _locked_slot(slot_id: int) -> Slot:
    slot = db.session.scalar(lifecycle.locking(select(Slot).where(Slot.id == slot_id)))
    if slot is None:
        raise _refused("not_bookable")
    return slot


def _check_bookable(application: Application, slot: Slot, moment: datetime) -> None:
    """The slot is the application's office and lane, and open for booking now."""
    if application.office_id is None or slot.office_id != application.office_id:
        raise _refused("not_bookable")
    if slot.lane != lane_for(application):
        raise _refused("wrong_lane")
    office = db.session.get(Office, slot.office_id)
    problem = _problem(office, slot, moment, closed_of(office), release_days_off(office))
    if problem:
        raise _refused(problem)


def _check_account_limit(account_id: int, moment: datetime) -> None:
    """An account holds at most five places at once: the paid place of an application that has
    ended (collected, a no-show, rejected, ...) is not one any more."""
    live = db.session.scalar(
        # Applications, not holds: a closure's offered place is the same booking's.
        select(func.count(func.distinct(Hold.application_id)))
        .join(Application, Application.id == Hold.application_id)
        .where(
            Hold.account_id == account_id,
            live_hold_filter(moment),
            Application.status.not_in(statuses.FINAL),
        )
    )
    if live >= quota.MAX_LIVE_HOLDS_PER_ACCOUNT:
        raise _refused("too_many_holds")


def _check_free(slot: Slot, moment: datetime) -> None:
    taken = db.session.scalar(
        select(func.count(Hold.id)).where(Hold.slot_id == slot.id, live_hold_filter(moment))
    )
    if taken >= slot.capacity:
        raise _refused("full")


def live_hold(application: Application, *, locked: bool = False) -> Hold | None:
    """The application's hold that takes a place, if any (FOR UPDATE when locked)."""
    statement = (
        select(Hold)
        .where(Hold.application_id == application.id, Hold.status.in_(holds.LIVE))
        .order_by(Hold.id.desc())
    )
    if locked:
        statement = lifecycle.locking(statement)
    return db.session.scalar(statement)


def bill_for(application: Application, *, locked: bool = False) -> Bill | None:
    """The application's bill for its fee (not a fine's): it stays with the first hold when the
    appointment moves."""
    statement = (
        select(Bill)
        .where(Bill.application_id == application.id, Bill.purpose == bills.FEE)
        .order_by(Bill.id.desc())
    )
    if locked:
        statement = lifecycle.locking(statement)
    return db.session.scalar(statement)


def schedule_expiry(held: Hold) -> None:
    """Queue the expiry for the deadline; correctness does not depend on it running on time."""
    enqueue_at(held.expires_at, "webapp.jobs.booking.expire_hold", held.id)


def expire(hold_id: int) -> bool:
    """End an unpaid hold whose place is released, void its bill, expire its application.

    Safe to run twice, late, or at the same instant as a payment: whichever locks the
    application first decides, and the other finds it decided.
    """
    moment = clock.now()
    found = db.session.get(Hold, hold_id)
    if found is None:
        return False
    application = lifecycle.lock(db.session.get(Application, found.application_id))
    held = lifecycle.lock(found)
    if held.status != holds.HELD or held.expires_at > moment:
        db.session.rollback()
        return False
    lifecycle.move_hold(held, holds.EXPIRED, actor_id=None, reason=UNPAID_REASON)
    bill = held.bill
    if bill is not None and lifecycle.lock(bill).status == bills.OPEN:
        lifecycle.move_bill(bill, bills.VOID, actor_id=None, reason=UNPAID_REASON)
    if application.status == AWAITING_PAYMENT:
        lifecycle.transition(application, EXPIRED, actor_id=None, reason=UNPAID_REASON)
    arrivals.void_unpaid(application, reason=UNPAID_REASON)
    db.session.commit()
    _freed(held.slot)
    if bill is not None:
        notify(application, "hold_expired", bill.code)
    return True


def sweep_expired(limit: int = 500) -> int:
    """Expire every unpaid hold past its deadline: the periodic safety net behind the jobs."""
    ids = db.session.scalars(
        select(Hold.id)
        .where(Hold.status == holds.HELD, Hold.expires_at <= clock.now())
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read: each expiry is its own transaction
    return sum(expire(hold_id) for hold_id in ids)


def can_move(application: Application) -> bool:
    """Whether the applicant may still move the appointment: once, up to the day before."""
    current = live_hold(application)
    return _may_reschedule(application, current)


def offer(application: Application, slot_id: int) -> SlotView | None:
    """One slot of the application's office and lane as the calendar shows it, for the page that
    says what holding or moving to it does; None for a slot the application cannot have."""
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.office_id != application.office_id:
        return None
    if slot.lane != lane_for(application):
        return SlotView(slot, 0, "wrong_lane")
    office = db.session.get(Office, slot.office_id)
    views = slots_between(office, slot.lane, slot.starts_at, slot.starts_at + timedelta(minutes=1))
    return next((view for view in views if view.slot.id == slot.id), None)


def _may_reschedule(application: Application, current: Hold | None) -> bool:
    if application.status != SCHEDULED or current is None or application.rescheduled_at:
        return False
    office = db.session.get(Office, application.office_id)
    return quota.can_reschedule(current.slot.starts_at, now=clock.now(), zone=office.timezone)


def reschedule(application: Application, slot_id: int) -> Hold:
    """Move a paid booking to another slot once, up to the day before the appointment.

    The old hold ends as "moved" and a new paid hold takes the new place; the bill that was paid
    stays as it is.
    """
    moment = clock.now()
    slot = _locked_slot(slot_id)
    lifecycle.lock(application)
    current = live_hold(application, locked=True)
    if application.status != SCHEDULED or current is None or current.status != holds.PAID:
        raise _refused("not_bookable")
    if not _may_reschedule(application, current):
        raise _refused("no_reschedule")
    _check_bookable(application, slot, moment)
    waiting_room.refuse_in_window(slot, moment)
    _check_free(slot, moment)
    actor = application.account_id
    lifecycle.move_hold(
        current,
        holds.MOVED,
        actor_id=actor,
        reason=f"rescheduled from {current.slot.starts_at.isoformat()} to "
        f"{slot.starts_at.isoformat()}",
    )
    moved = Hold(
        slot_id=slot.id,
        application_id=application.id,
        account_id=application.account_id,
        status=holds.PAID,
        created_at=moment,
        expires_at=moment,
    )
    db.session.add(moved)
    db.session.flush()
    lifecycle.created(moved, actor_id=actor, reason=f"moved from hold {current.id}")
    application.rescheduled_at = moment
    db.session.commit()
    availability.changed(slot)
    _freed(current.slot)
    notify(application, "rescheduled", str(slot.id), starts_at=slot.starts_at.isoformat())
    return moved


# Statuses the applicant (or the closing of the account) may cancel from.
CANCELLABLE = frozenset(status for status, targets in TRANSITIONS.items() if CANCELLED in targets)


def withdraw(
    application: Application, *, actor_id: int, reason: str, expected: str | None = None
) -> str | None:
    """Cancel an application whatever its booking, in the caller's transaction.

    The place returns to the quota, an open bill becomes void (no longer payable), a paid fee is
    forfeited. Locks the application, its hold, then its bill. Says the status it was cancelled
    from, or None when it ended, or left the `expected` status, meanwhile.
    """
    source = lifecycle.lock(application).status
    if source not in CANCELLABLE or expected not in (None, source):
        return None
    held = live_hold(application, locked=True)
    offered = db.session.scalars(  # a closure's offered place, let go with the application
        lifecycle.locking(
            select(Hold).where(Hold.application_id == application.id, Hold.status == holds.OFFERED)
        )
    ).all()
    bill = bill_for(application, locked=True)
    lifecycle.transition(application, CANCELLED, actor_id=actor_id, reason=reason)
    if held is not None:
        lifecycle.move_hold(held, holds.CANCELLED, actor_id=actor_id, reason=reason)
    for place in offered:
        lifecycle.move_hold(place, holds.CANCELLED, actor_id=actor_id, reason=reason)
    if bill is not None and bill.status == bills.OPEN:
        lifecycle.move_bill(bill, bills.VOID, actor_id=actor_id, reason=reason)
    arrivals.void_unpaid(application, reason=reason, actor_id=actor_id)
    return source


def cancel(application: Application, seen: str) -> bool:
    """Cancel by the applicant: the place returns to the quota, the fee is forfeited.

    Only from the status the applicant saw when deciding (seen): a cancel meant for an unpaid
    booking never forfeits a payment that landed meanwhile.
    """
    if not withdraw(
        application, actor_id=application.account_id, reason=CANCEL_REASON, expected=seen
    ):
        db.session.rollback()  # it expired or ended meanwhile: nothing left to cancel
        return False
    db.session.commit()
    _freed(*_slots_held_by(application))
    return True


def _freed(*slots: Slot) -> None:
    """After the commit that freed places in these slots: the calendar shows them, and once
    their release's waiting room is closed they are offered to the waitlist."""
    availability.changed(*slots)
    for slot in slots:
        waitlist.place_freed(slot.id)


def _slots_held_by(application: Application) -> list[Slot]:
    """Every slot the application has held a place in."""
    return db.session.scalars(
        select(Slot)
        .join(Hold, Hold.slot_id == Slot.id)
        .where(Hold.application_id == application.id)
    ).all()


@dataclass(frozen=True)
class PaidAppointment:
    """A scheduled appointment whose fee is forfeited if it is cancelled."""

    application_number: str
    office_name: str
    starts_at: datetime
    zone: str  # the office's, in which the appointment is told
    amount: int


def paid_appointments(account_id: int) -> list[PaidAppointment]:
    """The account's scheduled appointments and the fee paid for each, soonest first."""
    rows = db.session.execute(
        select(Application.number, Office.name, Office.timezone, Slot.starts_at, Bill.amount)
        .join(Hold, Hold.application_id == Application.id)
        .join(Slot, Slot.id == Hold.slot_id)
        .join(Office, Office.id == Slot.office_id)
        .join(Bill, Bill.application_id == Application.id)
        .where(
            Bill.purpose == bills.FEE,
            Application.account_id == account_id,
            Application.status == SCHEDULED,
            Hold.status == holds.PAID,
            Bill.status == bills.PAID,
        )
        .order_by(Slot.starts_at)
    ).all()
    return [
        PaidAppointment(number, name, starts_at, zone, amount)
        for number, name, zone, starts_at, amount in rows
    ]


def choose_office(application: Application, office: Office) -> None:
    application.office_id = office.id
    db.session.commit()


# A closure's special reschedule (services/closures.py): the slot picker of its window. -------


def special_slots(application: Application, start: datetime, end: datetime) -> list[SlotView]:
    """The slots of the application's office and lane in [start, end) that a special
    reschedule may take: free, not closed, not past nor too soon; the weekly release does not
    hold it back (the office grants it)."""
    office = db.session.get(Office, application.office_id)
    return special_slots_of(office, lane_for(application), start, end)


def special_slots_of(office: Office, lane: str, start: datetime, end: datetime) -> list[SlotView]:
    """As special_slots, for a lane of an office."""
    return [
        view
        for view in slots_between(office, lane, start, end)
        if view.free > 0 and view.problem in (None, "not_released")
    ]


def check_special(application: Application, slot: Slot, start: datetime, end: datetime) -> None:
    """Refuse (BookingRefused) a slot a special reschedule may not take; the slot is locked."""
    if application.office_id is None or slot.office_id != application.office_id:
        raise _refused("not_bookable")
    if slot.lane != lane_for(application):
        raise _refused("wrong_lane")
    if not start <= slot.starts_at < end:
        raise _refused("outside_window")
    moment = clock.now()
    office = db.session.get(Office, slot.office_id)
    problem = _problem(office, slot, moment, closed_of(office), release_days_off(office))
    if problem not in (None, "not_released"):
        raise _refused(problem)
    _check_free(slot, moment)


def locked_slot(slot_id: int) -> Slot:
    """The slot locked in its turn (lifecycle's order), or BookingRefused("not_bookable")."""
    return _locked_slot(slot_id)
