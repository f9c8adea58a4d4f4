"""The audit trail read back: an application's history, ready to show, in office time.

Queries are scoped by who asks: an applicant's by the account in the query itself, so another
account's application has no history to show; an administrator's by application number.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webapp import labels
from webapp.extensions import db
from webapp.i18n import clock_time, long_date, zone_abbreviation
from webapp.models import Application, AuditEntry, Handover, Issuance, Office, User, Visit
from webapp.rules import endings, roles, statuses

DEFAULT_ZONE = "Asia/Jakarta"  # before an office is chosen
_MOVE = re.compile(r"from (\S+) to (\S+)")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    when: str  # 24 November 2026, 09.00 WITA: in the office's zone
    what: str  # what happened, in the reader's language
    detail: str | None  # the old and new appointment of a move
    reason: str | None  # as recorded, in English: for administrators
    actor: str  # who did it: the applicant, the system, an officer


@dataclass(frozen=True)
class Trail:
    application: Application
    entries: list[HistoryEntry]


# What the applicant's own history leaves out: a travel-ban hit is not told before a supervisor
# has confirmed the rejection (the rejection then says why), and clear answers are kept from
# them too, so that a missing line tells nothing either.
STAFF_ONLY = frozenset({"screening"})


def for_owner(account_id: int, application_id: int) -> list[HistoryEntry]:
    """The history of an application of this account; empty for anyone else's."""
    application = db.session.scalar(
        select(Application).where(
            Application.id == application_id, Application.account_id == account_id
        )
    )
    return _history(application, hidden=STAFF_ONLY) if application else []


def for_number(number: str) -> Trail | None:
    """Any application's trail by its number, for administrators."""
    application = db.session.scalar(select(Application).where(Application.number == number))
    return Trail(application, _history(application)) if application else None


def _history(application: Application, hidden: frozenset[str] = frozenset()) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.application_id == application.id, AuditEntry.entity.not_in(hidden))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    zone = office_zone(application)
    context = _Context(
        application,
        zone,
        _tickets(application),
        _officers(rows),
        db.session.get(Issuance, application.id),
        db.session.get(Handover, application.id),
    )
    return [_entry(row, context) for row in rows]


@dataclass(frozen=True)
class _Context:
    """What reading a trail needs beyond its rows: its visit's number and its officers."""

    application: Application
    zone: str
    tickets: dict[int, str]  # visit id -> A007
    officers: dict[int, str]  # account id -> name, for the staff who acted
    issuance: Issuance | None = None  # after approval: the collection date, ready since when
    handover: Handover | None = None  # who collected the passport


def _tickets(application: Application) -> dict[int, str]:
    found = db.session.scalars(select(Visit).where(Visit.application_id == application.id))
    return {visit.id: visit.ticket for visit in found}


def _officers(rows: list[AuditEntry]) -> dict[int, str]:
    ids = {row.actor_id for row in rows if row.actor_id is not None}
    if not ids:
        return {}
    found = db.session.execute(
        select(User.id, User.full_name).where(User.id.in_(ids), User.role.in_(roles.OFFICE_ROLES))
    )
    return dict(found.all())


def office_zone(application: Application) -> str:
    office = db.session.get(Office, application.office_id) if application.office_id else None
    return office.timezone if office else DEFAULT_ZONE


def moment(value: datetime, zone: str) -> str:
    return f"{long_date(value, zone)}, {clock_time(value, zone)}"


def _entry(row: AuditEntry, context: _Context) -> HistoryEntry:
    return HistoryEntry(
        at=row.at,
        when=moment(row.at, context.zone),
        what=_what(row, context),
        detail=_move_detail(row.reason, context.zone) if _is_move(row) else _after(row, context),
        reason=row.reason,
        actor=_actor(row, context),
    )


def _is_move(row: AuditEntry) -> bool:
    moved_hold = row.entity == "hold" and row.to_status == "moved"
    same_status = row.entity == "application" and row.from_status == row.to_status
    return moved_hold or (same_status and (row.reason or "").startswith("rescheduled"))


def _what(row: AuditEntry, context: _Context) -> str:
    if _is_move(row):
        return str(labels.HOLD_HISTORY["moved"])
    if row.entity == "visit":
        return _visit_what(row, context.tickets)
    if row.entity == "application" and row.to_status in labels.APPLICATION_HISTORY:
        return _after_approval_what(row.to_status, context)
    if row.entity in labels.RECORD_HISTORY:
        return str(labels.RECORD_HISTORY[row.entity])
    if row.entity == "application" and row.to_status == statuses.CHECKED_IN:
        return str(labels.ARRIVED)
    names = {
        "hold": labels.HOLD_HISTORY,
        "bill": labels.BILL_HISTORY,
        "screening": labels.SCREENING_HISTORY,
    }.get(row.entity)
    if names is None:
        names = labels.STATUSES
    return str(names.get(row.to_status, row.to_status))


def _move_detail(reason: str | None, zone: str) -> str | None:
    found = _MOVE.search(reason or "")
    if not found:
        return None
    try:
        old, new = (datetime.fromisoformat(value) for value in found.groups())
    except ValueError:
        return None
    if old.tzinfo is None or new.tzinfo is None:
        return None
    return _("From %(old)s to %(new)s", old=moment(old, zone), new=moment(new, zone))


def _visit_what(row: AuditEntry, tickets: dict[int, str]) -> str:
    said = labels.VISIT_HISTORY.get((row.from_status, row.to_status))
    if said is None:
        return row.to_status
    return str(said) % {"ticket": tickets.get(row.entity_id, ""), "counter": row.counter_number}


def _actor(row: AuditEntry, context: _Context) -> str:
    if row.actor_id is None:
        return _("System")
    if row.actor_id == context.application.account_id:
        return _("Applicant")
    if row.actor_id in context.officers:
        return _("Officer (%(name)s)", name=context.officers[row.actor_id])
    return _("Staff account %(id)s", id=row.actor_id)


# After approval: the collection date, its place and hours, who collected, and the ends.


def _after_approval_what(status: str, context: _Context) -> str:
    said = labels.APPLICATION_HISTORY[status]
    if status == statuses.APPROVED:
        if context.issuance is None:
            return str(labels.STATUSES[status])
        return str(said) % {"date": long_date(context.issuance.collect_from)}
    return str(said)


def _after(row: AuditEntry, context: _Context) -> str | None:
    """The detail of a move after approval: where and until when a ready passport waits, who
    collected it."""
    if row.entity != "application":
        return None
    if row.to_status == statuses.READY_FOR_PICKUP:
        return _collection_place(context)
    if row.to_status == statuses.COLLECTED and context.handover is not None:
        handover = context.handover
        return str(labels.COLLECTED_BY[handover.collector]) % {"name": handover.collector_name}
    return None


def _collection_place(context: _Context) -> str | None:
    office_id = context.application.office_id
    office = db.session.get(Office, office_id) if office_id else None
    if office is None or context.issuance is None or context.issuance.ready_since is None:
        return None
    ready_since = context.issuance.ready_since
    # From the collection date the receipt gave, or from the day it was ready if that is later.
    ready_day = ready_since.astimezone(ZoneInfo(context.zone)).date()
    return str(labels.COLLECTION_PLACE) % {
        "office": office.name,
        "address": office.address,
        "hours": office_hours(office),
        "from": long_date(max(context.issuance.collect_from, ready_day)),
        "until": long_date(endings.collection_ends(ready_since), context.zone),
    }


def office_hours(office: Office) -> str:
    """08.00-15.00 WITA (08:00-15:00 in English): from the first slot to closing, office time."""
    separator = "." if str(get_locale()) == "id" else ":"
    opens, closes = office.first_slot_hour, office.closes_at_hour
    return (
        f"{opens:02d}{separator}00\u2013{closes:02d}{separator}00 "
        f"{zone_abbreviation(office.timezone)}"
    )
