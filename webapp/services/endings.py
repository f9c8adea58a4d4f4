"""Applications that end by the clock: a booked applicant who never came (no_show, the fee is
forfeited) and a passport nobody collected within 30 days of being ready (uncollected, the
passport is cancelled), with the reminder to collect it on day 23.

Each sweep first reads the candidates without a lock, then decides each application in a
transaction of its own under its lock (lifecycle's order: the application, then its hold), on
what it finds there now: a sweep that runs twice, late, or at the same instant as another sweep
or a check-in moves an application once or not at all. The move is audited with its reason, and
the applicant is mailed once (notifications.notify: the event's key makes a replay send nothing).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Hold, Issuance, Notification, Office, Slot
from webapp.rules import endings, holds, statuses
from webapp.rules.collection import COLLECTION_PERIOD, REMINDER_AFTER
from webapp.services import booking, closures, lifecycle, notifications

NO_SHOW_REASON = "not checked in on the appointment day {day} (office time): fee forfeited"
UNCOLLECTED_REASON = "not collected within 30 days of being ready: passport cancelled"


def sweep_no_shows(limit: int = 500) -> int:
    """Scheduled applications whose appointment day has ended in office time without a
    check-in become no-shows; says how many."""
    moment = clock.now()
    # A day ends at most 24 hours after its appointment's start plus the widest zone offset;
    # every appointment that has started is a candidate, each decided in its office's zone.
    candidates = db.session.scalars(
        select(Application.id)
        .join(Hold, Hold.application_id == Application.id)
        .join(Slot, Slot.id == Hold.slot_id)
        .where(
            Application.status == statuses.SCHEDULED,
            Hold.status == holds.PAID,
            Slot.starts_at < moment,
            # An appointment a closure took is no no-show while its special reschedule waits.
            ~closures.waiting_for_choice(Hold.id),
        )
        .order_by(Slot.starts_at, Application.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read: each decision is its own transaction
    return sum(_no_show(application_id) for application_id in candidates)


def _no_show(application_id: int) -> bool:
    application = lifecycle.lock(db.session.get(Application, application_id))
    held = booking.live_hold(application, locked=True)
    if application.status != statuses.SCHEDULED or held is None or held.status != holds.PAID:
        db.session.rollback()  # checked in, cancelled or already swept meanwhile
        return False
    slot = held.slot
    office = db.session.get(Office, slot.office_id)
    if clock.now() < endings.appointment_day_ends(slot.starts_at, office.timezone):
        db.session.rollback()  # the day has not ended at the office yet
        return False
    day = slot.starts_at.astimezone(ZoneInfo(office.timezone)).date()
    lifecycle.transition(
        application,
        statuses.NO_SHOW,
        actor_id=None,
        reason=NO_SHOW_REASON.format(day=day.isoformat()),
    )
    db.session.commit()
    notifications.notify(
        application,
        "no_show",
        str(held.id),
        starts_at=slot.starts_at.isoformat(),
        office=office.name,
        zone=office.timezone,
    )
    return True


@dataclass(frozen=True)
class CollectionSweep:
    uncollected: int  # applications moved to uncollected
    reminded: int  # reminders mailed on day 23


def sweep_uncollected(limit: int = 500) -> CollectionSweep:
    """Passports ready for 30 days become uncollected; those ready for 23 days are reminded,
    once."""
    moment = clock.now()
    reminded = (
        select(Notification.id)
        .where(
            Notification.application_id == Application.id,
            Notification.event == "collection_reminder",
        )
        .exists()
    )
    candidates = db.session.scalars(
        select(Application.id)
        .join(Issuance, Issuance.application_id == Application.id)
        .where(
            Application.status == statuses.READY_FOR_PICKUP,
            Issuance.ready_since.is_not(None),
            Issuance.ready_since <= moment - REMINDER_AFTER,
            # Reminded already: a candidate again only once its 30 days are over.
            or_(~reminded, Issuance.ready_since <= moment - COLLECTION_PERIOD),
        )
        .order_by(Issuance.ready_since, Application.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    uncollected = reminded = 0
    for application_id in candidates:
        outcome = _uncollected(application_id)
        uncollected += outcome == "uncollected"
        reminded += outcome == "reminded"
    return CollectionSweep(uncollected, reminded)


def _uncollected(application_id: int) -> str | None:
    application = lifecycle.lock(db.session.get(Application, application_id))
    issuance = db.session.get(Issuance, application_id)
    if application.status != statuses.READY_FOR_PICKUP or issuance.ready_since is None:
        db.session.rollback()  # collected or already swept meanwhile
        return None
    office = db.session.get(Office, application.office_id)
    moment = clock.now()
    ready_since = issuance.ready_since
    context = {
        "office": office.name,
        "zone": office.timezone,
        "ready_since_at": ready_since.isoformat(),
        "collect_until_at": endings.collection_ends(ready_since).isoformat(),
    }
    if moment >= endings.collection_ends(ready_since):
        lifecycle.transition(
            application, statuses.UNCOLLECTED, actor_id=None, reason=UNCOLLECTED_REASON
        )
        db.session.commit()
        notifications.notify(application, "uncollected", ready_since.isoformat(), **context)
        return "uncollected"
    if moment >= endings.reminder_due(ready_since):
        # Told while the lock shows it still waiting: notify's commit ends this transaction.
        told = notifications.notify(
            application, "collection_reminder", ready_since.isoformat(), **context
        )
        return "reminded" if told else None
    db.session.rollback()
    return None
