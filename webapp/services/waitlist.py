"""The waitlist for freed places: applicants who asked to be told when a place of their office
and lane comes free after its release's waiting room has closed.

A place freed by an expired hold, a cancel or a reschedule is offered to the first listed entry of
its office and lane: a hold in state "offered" for WAITLIST_OFFER_LIFETIME, and a mail. Accepted,
the place becomes an ordinary unpaid booking with its bill; unanswered, the offer lapses and the
place passes to the next entry. While the release's waiting room still owns the slot its tick
admits the next entry for the place instead, and nothing is offered here.

Locks follow lifecycle's order, with the waitlist entry last: the slot (its places are counted,
so a freed place is offered once), the application, the hold, then the entry, which moves by
compare-and-set.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.jobs import enqueue, enqueue_at
from webapp.models import Application, Hold, Notification, Office, Slot, WaitlistEntry
from webapp.rules import holds, waiting
from webapp.rules.statuses import SUBMITTED
from webapp.services import availability, booking, lifecycle, waiting_room

MAIL = "waitlist_offer"
OFFER_REASON = "freed place offered from the waitlist (entry %s)"
LAPSE_REASON = "waitlist offer not taken in time"
TAKEN_REASON = "waitlist offer taken as a booking"
LEAVE_REASON = "left the waitlist"
ACTIVE = (waiting.LISTED, waiting.OFFERED)


class WaitlistRefused(Exception):
    """Why joining was refused: not_bookable, or already_listed."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def join(application: Application) -> WaitlistEntry:
    """Put a submitted application with its office chosen at the end of its office's list."""
    if application.status != SUBMITTED or application.office_id is None:
        raise WaitlistRefused("not_bookable")
    entry = WaitlistEntry(
        office_id=application.office_id,
        application_id=application.id,
        account_id=application.account_id,
        lane=booking.lane_for(application),
        status=waiting.LISTED,
        created_at=clock.now(),
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # the one active entry per application
        db.session.rollback()
        raise WaitlistRefused("already_listed") from None
    return entry


def entry_of(application: Application) -> WaitlistEntry | None:
    """The application's entry while it is listed or offered a place."""
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.application_id == application.id, WaitlistEntry.status.in_(ACTIVE)
        )
    )


def leave(application: Application) -> bool:
    """Leave the list; an offered place is let go and passes to the next entry."""
    entry = entry_of(application)
    if entry is None:
        return False
    return _end_offer(entry.id, LEAVE_REASON, holds.CANCELLED, actor_id=application.account_id)


def place_freed(slot_id: int) -> bool:
    """Offer a place freed in this slot to the first listed entry of its office and lane, unless
    the release's waiting room still owns it or no place is free; says whether one was offered."""
    moment = clock.now()
    slot = db.session.scalar(lifecycle.locking(select(Slot).where(Slot.id == slot_id)))
    if (
        slot is None
        or slot.starts_at <= moment
        or waiting_room.window_room_for_slot(slot, moment) is not None
        or _taken(slot, moment) >= slot.capacity
    ):
        db.session.rollback()
        return False
    offered = _offer_first(slot, moment)
    if offered is None:
        db.session.rollback()
        return False
    application, entry = offered
    # Told once, in the offer's own transaction (as notifications.notify records it).
    db.session.add(Notification(application_id=application.id, event=MAIL, key=str(entry.id)))
    mail = _mail_context(application, slot, entry)
    entry_id, expires_at = entry.id, entry.offer_expires_at
    db.session.commit()
    enqueue("webapp.jobs.mail.send_account_email", application.account_id, MAIL, **mail)
    enqueue_at(expires_at, "webapp.jobs.waitlist.lapse_offer", entry_id)
    availability.changed(slot)
    return True


def _taken(slot: Slot, moment: datetime) -> int:
    return db.session.scalar(
        select(func.count(Hold.id)).where(Hold.slot_id == slot.id, booking.live_hold_filter(moment))
    )


def _offer_first(slot: Slot, moment: datetime) -> tuple[Application, WaitlistEntry] | None:
    """Hold the place for the first listed entry whose application can still book; entries
    whose application moved on (booked, cancelled) leave the list on the way."""
    candidates = db.session.scalars(
        select(WaitlistEntry.id)
        .where(
            WaitlistEntry.office_id == slot.office_id,
            WaitlistEntry.lane == slot.lane,
            WaitlistEntry.status == waiting.LISTED,
        )
        .order_by(WaitlistEntry.id)
    ).all()
    for entry_id in candidates:
        entry = db.session.get(WaitlistEntry, entry_id)
        application = lifecycle.lock(db.session.get(Application, entry.application_id))
        if application.status != SUBMITTED:
            _move(entry_id, waiting.LISTED, waiting.PASSED)
            continue
        expires_at = moment + waiting.WAITLIST_OFFER_LIFETIME
        if not _move(
            entry_id,
            waiting.LISTED,
            waiting.OFFERED,
            offered_at=moment,
            offer_expires_at=expires_at,
        ):
            continue  # left the list meanwhile
        offer = Hold(
            slot_id=slot.id,
            application_id=application.id,
            account_id=application.account_id,
            status=holds.OFFERED,
            created_at=moment,
            expires_at=expires_at,
        )
        db.session.add(offer)
        db.session.flush()
        entry.offered_hold_id = offer.id
        lifecycle.created(offer, actor_id=None, reason=OFFER_REASON % entry_id)
        return application, entry
    return None


def _move(entry_id: int, source: str, target: str, **values) -> bool:
    """Compare-and-set the entry's status; says whether it was still `source`."""
    moved = db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == source)
        .values(status=target, **values)
        .execution_options(synchronize_session="fetch")
    )
    return moved.rowcount == 1


def _mail_context(application: Application, slot: Slot, entry: WaitlistEntry) -> dict:
    office = db.session.get(Office, slot.office_id)
    return {
        "queue": "mail",
        "application_id": application.public_id,
        "applicant_name": application.full_name,
        "starts_at": slot.starts_at.isoformat(),
        "expires_at": entry.offer_expires_at.isoformat(),
        "office": office.name,
        "zone": office.timezone,
    }


def open_offer(application: Application) -> tuple[WaitlistEntry, Slot] | None:
    """The application's offered place while it may still be accepted."""
    entry = entry_of(application)
    if entry is None or entry.status != waiting.OFFERED or entry.offer_expires_at <= clock.now():
        return None
    return entry, db.session.get(Slot, db.session.get(Hold, entry.offered_hold_id).slot_id)


def accept(application: Application) -> Hold:
    """Take the offered place as an ordinary unpaid booking with its bill (as booking.hold makes
    it), in one transaction; BookingRefused("offer_gone") once the offer lapsed or was left."""
    found = open_offer(application)
    if found is None:
        raise booking.BookingRefused("offer_gone")
    entry, slot = found
    entry_id = entry.id

    def take_offered(application: Application, slot: Slot, moment: datetime) -> None:
        offered = lifecycle.lock(db.session.get(Hold, entry.offered_hold_id))
        if offered.status != holds.OFFERED or offered.expires_at <= moment:
            db.session.rollback()
            raise booking.BookingRefused("offer_gone")
        # The offered place becomes the booking's own: let it go, then reserve counts it free.
        lifecycle.move_hold(
            offered, holds.CANCELLED, actor_id=application.account_id, reason=TAKEN_REASON
        )
        if not _move(entry_id, waiting.OFFERED, waiting.TAKEN):
            db.session.rollback()
            raise booking.BookingRefused("offer_gone")

    held = booking.reserve(
        application, slot.id, actor_id=application.account_id, check=take_offered
    )
    return booking.confirm(application, held)


def lapse_offer(entry_id: int) -> bool:
    """Let an unanswered offer go once its time has passed, and offer the place to the next
    entry; safe to run twice or late."""
    return _end_offer(entry_id, LAPSE_REASON, holds.EXPIRED, actor_id=None)


def _end_offer(entry_id: int, reason: str, hold_target: str, *, actor_id: int | None) -> bool:
    """End an entry: by its applicant (actor_id) at any time, else only once its offer lapsed.
    An offered place is let go and offered to the next entry."""
    moment = clock.now()
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status not in ACTIVE:
        db.session.rollback()
        return False
    if entry.status == waiting.LISTED:
        moved = actor_id is not None and _move(entry_id, waiting.LISTED, waiting.PASSED)
        db.session.commit()
        return moved
    if actor_id is None and entry.offer_expires_at > moment:
        db.session.rollback()
        return False
    offered = db.session.get(Hold, entry.offered_hold_id)
    slot_id = offered.slot_id
    db.session.scalar(lifecycle.locking(select(Slot).where(Slot.id == slot_id)))
    offered = lifecycle.lock(offered)
    if not _move(entry_id, waiting.OFFERED, waiting.PASSED):
        db.session.rollback()
        return False
    if offered.status == holds.OFFERED:
        lifecycle.move_hold(offered, hold_target, actor_id=actor_id, reason=reason)
    db.session.commit()
    place_freed(slot_id)
    return True


def sweep_lapsed(limit: int = 500) -> int:
    """Lapse every offer past its time: the periodic safety net behind the jobs."""
    ids = db.session.scalars(
        select(WaitlistEntry.id)
        .where(
            WaitlistEntry.status == waiting.OFFERED,
            WaitlistEntry.offer_expires_at <= clock.now(),
        )
        .limit(limit)
    ).all()
    db.session.rollback()
    return sum(lapse_offer(entry_id) for entry_id in ids)
