"""Closures of an office for a day or part of a day, and the special reschedule they offer.

A supervisor closes hours of the own office (`add`): refused when it overlaps another closure
(named) or lies in the past, under the office's row lock, so that two posts of the same closure
make one. Its slots stop being bookable at once (booking.closed_of) and no new slots are made
there (offices.ensure_slots).

Closing cancels nothing. Every booking on a closed slot (paid, or awaiting payment while its
bill may be paid) gets an offer (models.ClosureOffer), one per closure and application, made by
a job (`make_offers`) in one transaction per applicant and mailed once ("closure_reschedule"):
a place held on the first free slot of its lane in the next two weeks, an `offered` hold that
counts against the quota for 48 hours. The applicant accepts it, or chooses another free slot
of the window; neither uses up the one reschedule (applications.rescheduled_at is not touched).

Unanswered after 48 hours, the offered place is released to others (it stops counting at its
expiry whatever the release job does) and the application keeps its paid appointment at the
closed time, with the need to choose: the special reschedule stays open to any free slot of the
next two weeks from then until the applicant chooses, and the no-show sweep passes the closed
appointment by meanwhile (waiting_for_choice).

Locks follow lifecycle's order: the office row (adding), then per applicant: the offered slot,
the application, the closed hold, the offered hold, the bill.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from webapp import clock
from webapp.extensions import db
from webapp.jobs import enqueue, enqueue_at
from webapp.models import Application, Bill, Hold, Notification, Office, Slot, User
from webapp.models.offices import Closure, ClosureOffer
from webapp.rules import holds
from webapp.rules.statuses import AWAITING_PAYMENT, SCHEDULED
from webapp.services import booking, changes, lifecycle
from webapp.services.booking import BookingRefused
from webapp.services.notifications import notify

OFFER_REASON = "special reschedule after closure %s"
RELEASE_REASON = "special reschedule not accepted in 48 hours"
MAIL = "closure_reschedule"
# Online lanes: the priority lane is walk-in, its people are at the office already.
LANES = ("regular", "express")


class ClosureRefused(Exception):
    """Why a closure was refused; code is a key of labels.CLOSURE_PROBLEMS; other is the
    closure it overlaps."""

    def __init__(self, code: str, other: Closure | None = None):
        super().__init__(code)
        self.code, self.other = code, other


@dataclass(frozen=True)
class ClosureSummary:
    closure: Closure
    affected: int
    moved: int
    to_choose: int


def _bounds(closure: Closure, zone: str) -> tuple[datetime, datetime]:
    start, end = closure.span()
    local = ZoneInfo(zone)
    first = datetime.combine(closure.day, time(0), local) + timedelta(hours=start)
    return first.astimezone(UTC), (first + timedelta(hours=end - start)).astimezone(UTC)


def coming(office_id: int) -> list[ClosureSummary]:
    """The office's closures from today on, each with its offers counted."""
    office = db.session.get(Office, office_id)
    today = clock.today(office.timezone)
    closures = db.session.scalars(
        select(Closure)
        .where(Closure.office_id == office_id, Closure.day >= today)
        .order_by(Closure.day, Closure.from_hour)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        select(ClosureOffer.closure_id, ClosureOffer.status, func.count(ClosureOffer.id))
        .where(ClosureOffer.closure_id.in_([closure.id for closure in closures]))
        .group_by(ClosureOffer.closure_id, ClosureOffer.status)
    )
    for closure_id, status, count in rows:
        counts.setdefault(closure_id, {})[status] = count
    summaries = []
    for closure in closures:
        of = counts.get(closure.id, {})
        summaries.append(
            ClosureSummary(
                closure,
                affected=sum(of.values()),
                moved=of.get(holds.OFFER_ACCEPTED, 0),
                to_choose=of.get(holds.OFFER_OPEN, 0) + of.get(holds.OFFER_RELEASED, 0),
            )
        )
    return summaries


def add(
    supervisor: User, day: date, from_hour: int | None, to_hour: int | None, reason: str
) -> Closure:
    """Close the supervisor's office for a day (no hours) or from hour to hour, local time,
    then queue the offers to the bookings it closes."""
    office = db.session.scalar(
        lifecycle.locking(select(Office).where(Office.id == supervisor.office_id))
    )
    if office is None:
        raise LookupError(supervisor.office_id)
    if (from_hour is None) != (to_hour is None) or (
        from_hour is not None and not 0 <= from_hour < to_hour <= 24
    ):
        db.session.rollback()
        raise ClosureRefused("hours")
    local_now = clock.now().astimezone(ZoneInfo(office.timezone))
    if day < local_now.date() or (
        day == local_now.date() and from_hour is not None and from_hour < local_now.hour
    ):
        db.session.rollback()
        raise ClosureRefused("past")
    wanted = (0, 24) if from_hour is None else (from_hour, to_hour)
    for other in db.session.scalars(
        select(Closure).where(Closure.office_id == office.id, Closure.day == day)
    ):
        start, end = other.span()
        if start < wanted[1] and wanted[0] < end:
            db.session.expunge(other)
            db.session.rollback()
            raise ClosureRefused("overlap", other)
    closure = Closure(
        office_id=office.id,
        day=day,
        from_hour=from_hour,
        to_hour=to_hour,
        reason=reason,
        created_by=supervisor.id,
    )
    db.session.add(closure)
    db.session.flush()
    changes.record(
        supervisor.id,
        "closure",
        closure.id,
        "created",
        after={"day": day, "from_hour": from_hour, "to_hour": to_hour, "reason": reason},
        office_id=office.id,
    )
    db.session.commit()
    enqueue("webapp.jobs.closures.make_offers", closure.id, timeout=600)
    return closure


def affected(closure: Closure) -> list[int]:
    """The holds on the closure's slots that keep a place: paid, or held while payable."""
    office = db.session.get(Office, closure.office_id)
    start, end = _bounds(closure, office.timezone)
    moment = clock.now()
    return list(
        db.session.scalars(
            select(Hold.id)
            .join(Slot, Slot.id == Hold.slot_id)
            .where(
                Slot.office_id == office.id,
                Slot.starts_at >= start,
                Slot.starts_at < end,
                Slot.lane.in_(LANES),
                (Hold.status == holds.PAID)
                | ((Hold.status == holds.HELD) & (Hold.expires_at > moment)),
            )
            .order_by(Hold.created_at, Hold.id)
        )
    )


def make_offers(closure_id: int) -> int:
    """Offer a special reschedule to every booking the closure took that has none yet, one
    transaction per applicant, and mail each once. Safe to run twice or at once: an offer that
    exists is skipped (and mailed if its mail was not sent). Returns the offers made."""
    closure = db.session.get(Closure, closure_id)
    if closure is None:
        return 0
    office = db.session.get(Office, closure.office_id)
    hold_ids = affected(closure)
    done = set(
        db.session.scalars(
            select(ClosureOffer.closed_hold_id).where(ClosureOffer.closure_id == closure_id)
        )
    )
    moment = clock.now()
    # The window's free slots of each lane, read once: each offer then takes the first that
    # still has a place once locked, and moves on when it is full.
    candidates = {
        lane: [
            view.slot.id
            for view in booking.special_slots_of(office, lane, moment, moment + holds.OFFER_WINDOW)
        ]
        for lane in LANES
    }
    closed_slots = {
        hold_id: (lane, starts_at)
        for hold_id, lane, starts_at in db.session.execute(
            select(Hold.id, Slot.lane, Slot.starts_at)
            .join(Slot, Slot.id == Hold.slot_id)
            .where(Hold.id.in_(hold_ids))
        )
    }
    told = {"office": office.name, "zone": office.timezone, "reason": closure.reason}
    db.session.rollback()
    made = 0
    for hold_id in hold_ids:
        if hold_id in done:
            continue
        lane, closed_at = closed_slots[hold_id]
        if _offer_one(closure_id, hold_id, candidates[lane], closed_at=closed_at, **told):
            made += 1
    _mail_all(closure_id)
    return made


def _first_free(candidates: list[int]) -> Slot | None:
    """The first candidate slot with a place free once locked; full ones are dropped."""
    while candidates:
        slot = db.session.scalar(lifecycle.locking(select(Slot).where(Slot.id == candidates[0])))
        if slot is not None and _free(slot) > 0:
            return slot
        candidates.pop(0)
    return None


def _free(slot: Slot) -> int:
    taken = db.session.scalar(
        select(func.count(Hold.id)).where(
            Hold.slot_id == slot.id, booking.live_hold_filter(clock.now())
        )
    )
    return slot.capacity - taken


def _offer_one(closure_id: int, hold_id: int, candidates: list[int], **told) -> bool:
    """Offer one booking its place, in one transaction, and queue its mail (told: what the
    mail says of the closure)."""
    moment = clock.now()
    closed = db.session.get(Hold, hold_id)
    application = db.session.get(Application, closed.application_id)
    offered_slot = _first_free(candidates)
    lifecycle.lock(application)
    lifecycle.lock(closed)
    live = closed.status == holds.PAID or (
        closed.status == holds.HELD and closed.expires_at > moment
    )
    if not live or application.status not in (SCHEDULED, AWAITING_PAYMENT):
        db.session.rollback()
        return False
    expires_at = moment + holds.OFFER_LIFETIME
    if closed.status == holds.HELD:  # an unpaid booking's offer lasts as long as its bill
        expires_at = min(expires_at, closed.expires_at)
    offered = None
    if offered_slot is not None:
        offered = Hold(
            slot_id=offered_slot.id,
            application_id=application.id,
            account_id=application.account_id,
            status=holds.OFFERED,
            created_at=moment,
            expires_at=expires_at,
        )
        db.session.add(offered)
        db.session.flush()
        lifecycle.created(offered, actor_id=None, reason=OFFER_REASON % closure_id)
    offer = ClosureOffer(
        closure_id=closure_id,
        application_id=application.id,
        closed_hold_id=closed.id,
        offered_hold_id=offered.id if offered else None,
        status=holds.OFFER_OPEN,
        created_at=moment,
        expires_at=expires_at,
        mailed_at=moment,
    )
    db.session.add(offer)
    # What the mail needs, read before the commit expires the rows.
    who = (application.account_id, application.public_id, application.full_name)
    offered_at = offered_slot.starts_at if offered_slot is not None else None
    try:
        db.session.flush()
        # Told once, in the offer's own transaction (as notifications.notify records it).
        offer_id = offer.id
        db.session.add(Notification(application_id=application.id, event=MAIL, key=str(offer_id)))
        db.session.commit()
    except IntegrityError:  # made meanwhile by another run of the job
        db.session.rollback()
        return False
    _send(who, offer_id, expires_at=expires_at, offered_at=offered_at, **told)
    if offered_at is not None:
        enqueue_at(expires_at, "webapp.jobs.closures.release_offer", offer_id)
    return True


def _send(who: tuple[int, str, str], offer_id: int, **context) -> None:
    """Queue the offer's mail to (account id, application public id, applicant's name); its
    Notification row is written."""
    account_id, public_id, full_name = who
    values = {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in context.items()
        if value is not None
    }
    enqueue(
        "webapp.jobs.mail.send_account_email",
        account_id,
        MAIL,
        queue="mail",
        application_id=public_id,
        applicant_name=full_name,
        **values,
    )


def _mail_all(closure_id: int) -> None:
    """Mail every offer of the closure not mailed yet (notify sends each event once), then
    mark them mailed."""
    closed_slot, offered_hold, offered_slot = aliased(Slot), aliased(Hold), aliased(Slot)
    closed_hold = aliased(Hold)
    rows = db.session.execute(
        select(
            ClosureOffer.id,
            ClosureOffer.expires_at,
            Application,
            closed_slot.starts_at,
            offered_slot.starts_at,
            Office.name,
            Office.timezone,
            Closure.reason,
        )
        .join(Application, Application.id == ClosureOffer.application_id)
        .join(Closure, Closure.id == ClosureOffer.closure_id)
        .join(Office, Office.id == Closure.office_id)
        .join(closed_hold, closed_hold.id == ClosureOffer.closed_hold_id)
        .join(closed_slot, closed_slot.id == closed_hold.slot_id)
        .outerjoin(offered_hold, offered_hold.id == ClosureOffer.offered_hold_id)
        .outerjoin(offered_slot, offered_slot.id == offered_hold.slot_id)
        .where(ClosureOffer.closure_id == closure_id, ClosureOffer.mailed_at.is_(None))
        .order_by(ClosureOffer.id)
    ).all()
    mailed = []
    for offer_id, expires_at, application, closed_at, offered_at, office, zone, reason in rows:
        context = {
            "closed_at": closed_at.isoformat(),
            "expires_at": expires_at.isoformat(),
            "office": office,
            "zone": zone,
            "reason": reason,
        }
        if offered_at is not None:
            context["offered_at"] = offered_at.isoformat()
        notify(application, MAIL, str(offer_id), **context)
        mailed.append(offer_id)
    if mailed:
        db.session.execute(
            update(ClosureOffer)
            .where(ClosureOffer.id.in_(mailed), ClosureOffer.mailed_at.is_(None))
            .values(mailed_at=clock.now())
        )
    db.session.commit()


def waiting_for_choice(hold_id):
    """A condition on a hold id (a column): the hold is a closed appointment whose special
    reschedule is still to be taken."""
    return (
        select(ClosureOffer.id)
        .where(
            ClosureOffer.closed_hold_id == hold_id,
            ClosureOffer.status.in_((holds.OFFER_OPEN, holds.OFFER_RELEASED)),
        )
        .exists()
    )


@dataclass(frozen=True)
class Offer:
    """What the application page shows of an open offer."""

    offer: ClosureOffer
    closed_slot: Slot
    offered_slot: Slot | None  # None once released, or when the window had no free place
    office: Office
    window_end: datetime


def open_offer(application: Application) -> Offer | None:
    """The application's offer it may still act on: its appointment is still the closed one."""
    if application.status not in (SCHEDULED, AWAITING_PAYMENT):
        return None
    offer = db.session.scalar(
        select(ClosureOffer)
        .where(
            ClosureOffer.application_id == application.id,
            ClosureOffer.status.in_((holds.OFFER_OPEN, holds.OFFER_RELEASED)),
        )
        .order_by(ClosureOffer.id.desc())
    )
    if offer is None:
        return None
    closed = db.session.get(Hold, offer.closed_hold_id)
    moment = clock.now()
    if closed.status not in holds.LIVE:
        return None
    offered = db.session.get(Hold, offer.offered_hold_id) if offer.offered_hold_id else None
    if offered is not None and (offered.status != holds.OFFERED or offered.expires_at <= moment):
        offered = None
    return Offer(
        offer,
        closed.slot,
        offered.slot if offered else None,
        db.session.get(Office, application.office_id),
        _window_end(offer, moment),
    )


def _window_end(offer: ClosureOffer, moment: datetime) -> datetime:
    """Two weeks from the offer while its place is held; two weeks from now once released."""
    if offer.status == holds.OFFER_OPEN and offer.expires_at > moment:
        return offer.created_at + holds.OFFER_WINDOW
    return moment + holds.OFFER_WINDOW


def choices(application: Application) -> list[booking.SlotView]:
    """The free slots the application's open offer may move to."""
    found = open_offer(application)
    if found is None:
        return []
    return booking.special_slots(application, clock.now(), found.window_end)


def accept(application: Application) -> Hold:
    """Take the offered place as the appointment."""
    found = open_offer(application)
    if found is None or found.offered_slot is None:
        db.session.rollback()
        raise BookingRefused("no_offer")
    return _move(application, found.offer.id, found.offered_slot.id)


def choose(application: Application, slot_id: int) -> Hold:
    """Move the appointment to another free slot of the offer's window instead."""
    found = open_offer(application)
    if found is None:
        db.session.rollback()
        raise BookingRefused("no_offer")
    return _move(application, found.offer.id, slot_id)


def _move(application: Application, offer_id: int, slot_id: int) -> Hold:
    moment = clock.now()
    slot = booking.locked_slot(slot_id)
    lifecycle.lock(application)
    offer = db.session.get(ClosureOffer, offer_id)
    closed = lifecycle.lock(db.session.get(Hold, offer.closed_hold_id))
    offered = db.session.get(Hold, offer.offered_hold_id) if offer.offered_hold_id else None
    if offered is not None:
        lifecycle.lock(offered)
    db.session.refresh(offer)
    if (
        offer.status not in (holds.OFFER_OPEN, holds.OFFER_RELEASED)
        or application.status not in (SCHEDULED, AWAITING_PAYMENT)
        or closed.status not in holds.LIVE
    ):
        db.session.rollback()
        raise BookingRefused("no_offer")
    window_end = _window_end(offer, moment)
    takes_offered = (
        offered is not None
        and offered.slot_id == slot.id
        and offered.status == holds.OFFERED
        and offered.expires_at > moment
    )
    actor = application.account_id
    if offered is not None and offered.status == holds.OFFERED and not takes_offered:
        # Let the held place go first, so that it is not counted against the chosen slot.
        ends = holds.EXPIRED if offered.expires_at <= moment else holds.CANCELLED
        lifecycle.move_hold(offered, ends, actor_id=actor, reason="another slot chosen")
        db.session.flush()
    if not takes_offered:
        booking.check_special(application, slot, moment, window_end)
    target = closed.status  # paid stays paid; an unpaid booking stays payable
    lifecycle.move_hold(
        closed,
        holds.MOVED,
        actor_id=actor,
        reason=f"special reschedule from {closed.slot.starts_at.isoformat()} to "
        f"{slot.starts_at.isoformat()}",
    )
    db.session.flush()
    if takes_offered:
        lifecycle.move_hold(offered, target, actor_id=actor, reason="offer accepted")
        offered.expires_at = closed.expires_at if target == holds.HELD else moment
        new_hold = offered
    else:
        new_hold = Hold(
            slot_id=slot.id,
            application_id=application.id,
            account_id=application.account_id,
            status=target,
            created_at=moment,
            expires_at=closed.expires_at if target == holds.HELD else moment,
        )
        db.session.add(new_hold)
        db.session.flush()
        lifecycle.created(new_hold, actor_id=actor, reason=f"moved from hold {closed.id}")
    if target == holds.HELD:  # the open bill follows its place
        bill = db.session.scalar(lifecycle.locking(select(Bill).where(Bill.hold_id == closed.id)))
        if bill is not None:
            bill.hold_id = new_hold.id
    offer.status = holds.OFFER_ACCEPTED
    offer.decided_at = moment
    db.session.commit()
    notify(application, "rescheduled", str(slot.id), starts_at=slot.starts_at.isoformat())
    return new_hold


def release(offer_id: int) -> bool:
    """Let an unanswered offer's place go once its 48 hours have passed; safe to run twice."""
    moment = clock.now()
    offer = db.session.get(ClosureOffer, offer_id)
    if offer is None:
        return False
    application = lifecycle.lock(db.session.get(Application, offer.application_id))
    offered = db.session.get(Hold, offer.offered_hold_id) if offer.offered_hold_id else None
    if offered is not None:
        lifecycle.lock(offered)
    db.session.refresh(offer)
    if offer.status != holds.OFFER_OPEN or offer.expires_at > moment:
        db.session.rollback()
        return False
    if offered is not None and offered.status == holds.OFFERED:
        lifecycle.move_hold(offered, holds.EXPIRED, actor_id=None, reason=RELEASE_REASON)
    ended = application.status not in (SCHEDULED, AWAITING_PAYMENT)
    offer.status = holds.OFFER_ENDED if ended else holds.OFFER_RELEASED
    offer.decided_at = moment
    db.session.commit()
    return True


def sweep_released(limit: int = 500) -> int:
    """Release every offer past its 48 hours: the periodic safety net behind the jobs."""
    ids = db.session.scalars(
        select(ClosureOffer.id)
        .where(ClosureOffer.status == holds.OFFER_OPEN, ClosureOffer.expires_at <= clock.now())
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(release(offer_id) for offer_id in ids)
