"""Booking: free places per slot, holding a place with its bill, expiry, reschedule and cancel.

The database keeps the promises: a slot row is locked while its places are counted and one is
taken, so a quota is never oversold; a partial unique index gives an application at most one live
hold. A held place counts only until its expiry instant, whether or not the expiry job has run.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.jobs import enqueue_at
from webapp.models import Application, Bill, Closure, Hold, Office, Slot
from webapp.rules import quota
from webapp.rules.statuses import AWAITING_PAYMENT, CANCELLED, EXPIRED, SCHEDULED, SUBMITTED
from webapp.services import applications, lifecycle
from webapp.services.notifications import notify


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
    """Holds that count against a quota at `moment`: paid, or held and not yet expired."""
    return or_(Hold.status == "paid", and_(Hold.status == "held", Hold.expires_at > moment))


def lane_for(application: Application) -> str:
    return quota.LANE_OF_SERVICE[application.service]


def zone_of(office: Office) -> ZoneInfo:
    return ZoneInfo(office.timezone)


def closed_days(office: Office) -> frozenset[date]:
    return frozenset(db.session.scalars(select(Closure.day).where(Closure.office_id == office.id)))


def slots_between(office: Office, lane: str, start: datetime, end: datetime) -> list[SlotView]:
    """Every slot of a lane in [start, end) with its free places, in one query."""
    moment = clock.now()
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
    closed = closed_days(office)
    return [
        SlotView(slot, max(0, slot.capacity - used), _problem(office, slot, moment, closed))
        for slot, used in rows
    ]


def month_of(office: Office, lane: str, year: int, month: int) -> dict[date, list[SlotView]]:
    """The month's slots by local day, for the calendar."""
    zone = ZoneInfo(office.timezone)
    first = datetime(year, month, 1, tzinfo=zone)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    days: dict[date, list[SlotView]] = {}
    for view in slots_between(office, lane, first, following):
        days.setdefault(view.slot.starts_at.astimezone(zone).date(), []).append(view)
    return days


def _problem(office: Office, slot: Slot, moment: datetime, closed: frozenset[date]) -> str | None:
    return quota.booking_problem(
        slot.starts_at,
        now=moment,
        zone=office.timezone,
        release_weekday=office.release_weekday,
        release_hour=office.release_hour,
        closed_days=closed,
    )


def hold(application: Application, slot_id: int) -> Hold:
    """Take a place for a submitted application and bill it, in one transaction."""
    if application.status != SUBMITTED or application.office_id is None:
        raise BookingRefused("not_bookable")
    moment = clock.now()
    slot = _locked_bookable_slot(application, slot_id, moment)
    _check_account_limit(application.account_id, moment)
    _expire_stale_holds(application.id, moment)
    _check_free(slot, moment)
    new_hold = Hold(
        slot_id=slot.id,
        application_id=application.id,
        account_id=application.account_id,
        status="held",
        created_at=moment,
        expires_at=moment + quota.HOLD_LIFETIME,
    )
    db.session.add(new_hold)
    db.session.flush()
    bill = Bill(
        hold_id=new_hold.id,
        application_id=application.id,
        code=quota.new_billing_code(),
        amount=applications.quote(application).total,
        created_at=moment,
        expires_at=new_hold.expires_at,
    )
    db.session.add(bill)
    lifecycle.transition(application, AWAITING_PAYMENT, actor_id=application.account_id)
    try:
        db.session.commit()
    except IntegrityError:  # a second click or tab holding at the same instant
        db.session.rollback()
        raise BookingRefused("already_held") from None
    notify(
        application,
        "hold_created",
        bill.code,
        code=bill.code,
        amount=bill.amount,
        expires_at=bill.expires_at.isoformat(),
    )
    schedule_expiry(new_hold)
    return new_hold


def _locked_bookable_slot(application: Application, slot_id: int, moment: datetime) -> Slot:
    slot = db.session.scalar(select(Slot).where(Slot.id == slot_id).with_for_update())
    if slot is None or slot.office_id != application.office_id:
        raise BookingRefused("not_bookable")
    if slot.lane != lane_for(application):
        raise BookingRefused("wrong_lane")
    office = db.session.get(Office, slot.office_id)
    problem = _problem(office, slot, moment, closed_days(office))
    if problem:
        raise BookingRefused(problem)
    return slot


def _check_account_limit(account_id: int, moment: datetime) -> None:
    live = db.session.scalar(
        select(func.count(Hold.id)).where(Hold.account_id == account_id, live_hold_filter(moment))
    )
    if live >= quota.MAX_LIVE_HOLDS_PER_ACCOUNT:
        raise BookingRefused("too_many_holds")


def _expire_stale_holds(application_id: int, moment: datetime) -> None:
    """A hold past its time no longer blocks a new one for the same application."""
    db.session.execute(
        update(Hold)
        .where(
            Hold.application_id == application_id,
            Hold.status == "held",
            Hold.expires_at <= moment,
        )
        .values(status="expired", ended_at=moment)
    )


def _check_free(slot: Slot, moment: datetime) -> None:
    taken = db.session.scalar(
        select(func.count(Hold.id)).where(Hold.slot_id == slot.id, live_hold_filter(moment))
    )
    if taken >= slot.capacity:
        raise BookingRefused("full")


def live_hold(application: Application) -> Hold | None:
    return db.session.scalar(
        select(Hold)
        .where(Hold.application_id == application.id, Hold.status.in_(("held", "paid")))
        .order_by(Hold.id.desc())
    )


def schedule_expiry(held: Hold) -> None:
    """Queue the expiry for the deadline; correctness does not depend on it running on time."""
    enqueue_at(held.expires_at, "webapp.jobs.booking.expire_hold", held.id)


def expire(hold_id: int) -> bool:
    """Mark an unpaid hold past its deadline expired, and its application; safe to run twice."""
    moment = clock.now()
    held = db.session.scalar(select(Hold).where(Hold.id == hold_id).with_for_update())
    if held is None or held.status != "held" or held.expires_at > moment:
        db.session.rollback()
        return False
    held.status, held.ended_at = "expired", moment
    application = db.session.get(Application, held.application_id)
    if application.status == AWAITING_PAYMENT:
        lifecycle.transition(application, EXPIRED, actor_id=None, reason="unpaid for two hours")
    db.session.commit()
    notify(application, "hold_expired", held.bill.code)
    return True


def sweep_expired(limit: int = 500) -> int:
    """Expire every unpaid hold past its deadline: the periodic safety net behind the jobs."""
    ids = db.session.scalars(
        select(Hold.id).where(Hold.status == "held", Hold.expires_at <= clock.now()).limit(limit)
    ).all()
    return sum(expire(hold_id) for hold_id in ids)


def can_move(application: Application) -> bool:
    """Whether the applicant may still move the appointment: once, up to the day before."""
    current = live_hold(application)
    if application.status != SCHEDULED or current is None or application.rescheduled_at:
        return False
    office = db.session.get(Office, application.office_id)
    return quota.can_reschedule(current.slot.starts_at, now=clock.now(), zone=office.timezone)


def reschedule(application: Application, slot_id: int) -> Hold:
    """Move a paid booking to another slot once, up to the day before the appointment."""
    current = live_hold(application)
    if application.status != SCHEDULED or current is None or current.status != "paid":
        raise BookingRefused("not_bookable")
    if not can_move(application):
        raise BookingRefused("no_reschedule")
    moment = clock.now()
    slot = _locked_bookable_slot(application, slot_id, moment)
    _check_free(slot, moment)
    lifecycle.record(
        application,
        actor_id=application.account_id,
        reason=f"rescheduled from {current.slot.starts_at.isoformat()} to "
        f"{slot.starts_at.isoformat()}",
    )
    current.slot_id = slot.id
    application.rescheduled_at = moment
    db.session.commit()
    notify(application, "rescheduled", str(slot.id), starts_at=slot.starts_at.isoformat())
    return current


def cancel(application: Application) -> bool:
    """Cancel by the applicant: the place returns to the quota, the fee is forfeited.

    The hold, then the application, are locked in the order a payment locks them, so that a
    cancel and a payment arriving together are applied one after the other.
    """
    current = db.session.scalar(
        select(Hold)
        .where(Hold.application_id == application.id, Hold.status.in_(("held", "paid")))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    db.session.scalar(
        select(Application)
        .where(Application.id == application.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if application.status not in (AWAITING_PAYMENT, SCHEDULED):
        db.session.rollback()  # it expired or ended meanwhile: nothing left to cancel
        return False
    if current is not None:
        current.status, current.ended_at = "cancelled", clock.now()
    lifecycle.transition(
        application, CANCELLED, actor_id=application.account_id, reason="cancelled by applicant"
    )
    db.session.commit()
    return True


def choose_office(application: Application, office: Office) -> None:
    application.office_id = office.id
    db.session.commit()


@dataclass(frozen=True)
class AccountActivity:
    account_id: int
    email: str
    holds: int
    expired: int
    cancelled: int


def busiest_accounts(limit: int = 20) -> list[AccountActivity]:
    """Accounts by how many holds they let expire or cancelled: what a scalper leaves behind."""
    from webapp.models import User

    expired = func.count(Hold.id).filter(Hold.status == "expired")
    cancelled = func.count(Hold.id).filter(Hold.status == "cancelled")
    rows = db.session.execute(
        select(Hold.account_id, User.email, func.count(Hold.id), expired, cancelled)
        .join(User, User.id == Hold.account_id)
        .group_by(Hold.account_id, User.email)
        .order_by((expired + cancelled).desc(), func.count(Hold.id).desc())
        .limit(limit)
    ).all()
    return [AccountActivity(*row) for row in rows]
