"""After approval: the passport printed (an e-passport takes a blank of the office's stock), ready
for pickup (the applicant is mailed), and handed over at the collection desk to the applicant, a
family member on the same Kartu Keluarga or an attorney.

Every query is scoped to the staff member's office: another office's application is not found,
exactly like one that does not exist. Each act locks the application first (lifecycle's order:
the application, then the office's row for its stock) and acts only on the status it finds under
the lock, so a button pressed twice, or at two desks at once, acts once and tells the other why.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock, signing
from webapp.extensions import db
from webapp.forms.base import without_separators
from webapp.models import Application, Handover, Issuance, Office, User
from webapp.rules import collection, nik, statuses
from webapp.rules import endings as endings_rules
from webapp.services import applications, lifecycle, notifications

ELECTRONIC = "electronic"
NUMBER_DIGITS = 16  # an application number
QUEUE_LIMIT = 500  # rows of each list the printing page shows, the oldest collection date first


class NotFound(LookupError):
    """No such application at the staff member's office."""


class IssuanceRefused(Exception):
    """Why printing, readiness, a scan or a handover was refused; code is a key of
    labels.ISSUANCE_PROBLEMS, context what the page shows with it (the current status, the
    handover already made...). Nothing was written."""

    def __init__(self, code: str, **context):
        super().__init__(code)
        self.code, self.context = code, context


@dataclass(frozen=True)
class QueueRow:
    application: Application
    collect_from: object  # date


@dataclass(frozen=True)
class Queue:
    to_print: list[QueueRow]
    to_mark_ready: list[QueueRow]
    epassport_stock: int
    issues_epassport: bool


@dataclass(frozen=True)
class HandoverFile:
    """What the collection desk's handover page shows."""

    application: Application
    issuance: Issuance | None
    handover: Handover | None
    handed_by: str | None  # the name of the officer who handed it over
    office: Office


def _office_of(staff: User) -> Office:
    return db.session.get(Office, staff.office_id)


def _locked(staff: User, application_id: int) -> Application:
    application = applications.locked_at_office(staff.office_id, application_id)
    if application is None:
        raise NotFound(application_id)
    return application


def _refuse(code: str, **context):
    db.session.rollback()  # the application's lock is let go; nothing of the act is kept
    raise IssuanceRefused(code, **context)


# Printing and readiness --------------------------------------------------------------------------


def queue(staff: User) -> Queue:
    """The office's approved applications to print and printed ones to mark ready."""
    office = _office_of(staff)

    def rows(status: str) -> list[QueueRow]:
        found = db.session.execute(
            select(Application, Issuance.collect_from)
            .join(Issuance, Issuance.application_id == Application.id)
            .where(Application.office_id == staff.office_id, Application.status == status)
            .order_by(Issuance.collect_from, Application.number)
            .limit(QUEUE_LIMIT)
        ).all()
        return [QueueRow(application, collect_from) for application, collect_from in found]

    return Queue(
        to_print=rows(statuses.APPROVED),
        to_mark_ready=rows(statuses.PRINTED),
        epassport_stock=office.epassport_stock,
        issues_epassport=office.issues_epassport,
    )


def mark_printed(staff: User, application_id: int) -> str:
    """approved -> printed; an e-passport takes one blank of the office's stock in the same
    transaction, by a compare-and-set that never takes the last blank twice."""
    application = _locked(staff, application_id)
    if application.status != statuses.APPROVED:
        _refuse_by_status(application, statuses.APPROVED)
    reason = "passport printed"
    if application.passport_kind == ELECTRONIC:
        try:
            taken = db.session.execute(
                update(Office)
                .where(Office.id == application.office_id, Office.epassport_stock > 0)
                .values(epassport_stock=Office.epassport_stock - 1)
                .execution_options(synchronize_session=False)
            ).rowcount
        except IntegrityError:  # the stock's CHECK (>= 0), the database's last word
            taken = 0
        if taken != 1:
            _refuse("no_stock")
        left = db.session.scalar(
            select(Office.epassport_stock).where(Office.id == application.office_id)
        )
        reason = f"e-passport printed: one blank taken from the office's stock, {left} left"
    lifecycle.transition(application, statuses.PRINTED, actor_id=staff.id, reason=reason)
    number = application.number
    db.session.commit()
    return number


@dataclass(frozen=True)
class Marked:
    """What became of one application of a selection marked at once."""

    application_id: int
    number: str | None  # None: not found at the office
    refused: IssuanceRefused | None


def mark_selected(staff: User, application_ids: list[int], act) -> list[Marked]:
    """Mark each selected application (act: mark_printed or mark_ready) in its own transaction,
    as if its button were pressed, so that one refused (no blank left, moved meanwhile) holds
    none of the others back."""
    if act not in (mark_printed, mark_ready):
        raise ValueError("not a mark of the printing page")
    outcomes = []
    for application_id in list(dict.fromkeys(application_ids))[:QUEUE_LIMIT]:
        try:
            number = act(staff, application_id)
        except NotFound:
            outcomes.append(Marked(application_id, None, None))
        except IssuanceRefused as refused:
            number = db.session.scalar(
                select(Application.number).where(
                    Application.id == application_id, Application.office_id == staff.office_id
                )
            )
            outcomes.append(Marked(application_id, number, refused))
        else:
            outcomes.append(Marked(application_id, number, None))
    return outcomes


def mark_ready(staff: User, application_id: int) -> str:
    """printed -> ready_for_pickup: its 30 days start now, and the applicant is told where and
    from when to collect it."""
    application = _locked(staff, application_id)
    if application.status != statuses.PRINTED:
        _refuse_by_status(application, statuses.PRINTED)
    issuance = db.session.get(Issuance, application.id)
    if issuance is None:  # approved before collection dates were kept: not for this desk
        _refuse("no_issuance")
    moment = clock.now()
    lifecycle.transition(
        application, statuses.READY_FOR_PICKUP, actor_id=staff.id, reason="ready for pickup"
    )
    issuance.ready_since = moment
    db.session.commit()
    office = db.session.get(Office, application.office_id)
    first_day = max(issuance.collect_from, clock.today(office.timezone))
    opens_at, closes_at = _opening_hours(office, first_day)
    notifications.notify(
        application,
        "ready_for_pickup",
        str(moment.timestamp()),
        opens_at=opens_at.isoformat(),
        closes_at=closes_at.isoformat(),
        collect_by_at=(moment + collection.COLLECTION_PERIOD).isoformat(),
        zone=office.timezone,
        office_name=office.name,
        office_address=office.address,
    )
    return application.number


def _opening_hours(office: Office, day) -> tuple[datetime, datetime]:
    """The office's opening and closing moments on a day (a mail carries the first day the
    passport can be collected as its opening moment, and the hours with it)."""
    zone = ZoneInfo(office.timezone)
    opens = datetime.combine(day, time(office.first_slot_hour), zone)
    closes = datetime.combine(day, time(0), zone) + timedelta(hours=office.closes_at_hour)
    return opens, closes


def _refuse_by_status(application: Application, wanted: str) -> None:
    """Refuse an act that needs `wanted`, saying what the application is now."""
    if wanted == statuses.APPROVED and application.status in (
        statuses.PRINTED,
        statuses.READY_FOR_PICKUP,
        statuses.COLLECTED,
    ):
        _refuse("already_printed", status=application.status)
    if wanted == statuses.PRINTED and application.status in (
        statuses.READY_FOR_PICKUP,
        statuses.COLLECTED,
    ):
        _refuse("already_ready", status=application.status)
    if wanted == statuses.PRINTED and application.status == statuses.APPROVED:
        _refuse("not_printed", status=application.status)
    _refuse("wrong_status", status=application.status)


# The collection desk ---------------------------------------------------------------------------


def find_for_collection(staff: User, scanned: str) -> Application:
    """The application a receipt's QR code or a typed application number names, if its passport
    can be handed over at this desk now; else why not."""
    office = _office_of(staff)
    text = (scanned or "").strip()
    digits = without_separators(text)
    if digits.isascii() and digits.isdigit():
        if len(digits) != NUMBER_DIGITS:
            raise IssuanceRefused("bad_number")
        number = digits
    else:
        try:
            payload = signing.verify_token(text, signing.public_key())
        except signing.InvalidToken:
            raise IssuanceRefused("invalid_token") from None
        if payload.get("k") != signing.RECEIPT:
            raise IssuanceRefused("not_receipt")
        if payload["o"] != office.code:
            elsewhere = db.session.scalar(select(Office.name).where(Office.code == payload["o"]))
            raise IssuanceRefused("another_office", office_name=elsewhere or payload["o"])
        number = payload["n"]
    application = db.session.scalar(
        select(Application).where(Application.office_id == office.id, Application.number == number)
    )
    if application is None:
        raise IssuanceRefused("unknown_number")
    _refuse_unless_ready(application)
    return application


def _refuse_unless_ready(application: Application) -> None:
    if application.status == statuses.READY_FOR_PICKUP:
        # Past its 30 days the passport is cancelled, whether or not the sweep has run yet.
        issuance = db.session.get(Issuance, application.id)
        if issuance.ready_since and clock.now() >= endings_rules.collection_ends(
            issuance.ready_since
        ):
            _refuse("uncollected")
        return
    if application.status == statuses.COLLECTED:
        handover = db.session.get(Handover, application.id)
        _refuse("already_collected", handover=handover, zone=_zone_of(application))
    if application.status == statuses.UNCOLLECTED:
        _refuse("uncollected")
    _refuse("not_ready", status=application.status)


def _zone_of(application: Application) -> str:
    return db.session.scalar(select(Office.timezone).where(Office.id == application.office_id))


def handover_file(staff: User, application_id: int) -> HandoverFile:
    """An application of the staff member's office as the handover page shows it."""
    application = db.session.scalar(
        select(Application).where(
            Application.id == application_id, Application.office_id == staff.office_id
        )
    )
    if application is None:
        raise NotFound(application_id)
    handover = db.session.get(Handover, application.id)
    officer = db.session.get(User, handover.handed_by) if handover else None
    return HandoverFile(
        application=application,
        issuance=db.session.get(Issuance, application.id),
        handover=handover,
        handed_by=officer.full_name if officer else None,
        office=_office_of(staff),
    )


def collect(
    staff: User,
    application_id: int,
    collector: str,
    name: str | None,
    collector_nik: str | None,
    relationship: str | None,
    identity_document: str,
    letter_note: str | None,
) -> Handover:
    """ready_for_pickup -> collected, with the handover recorded: who collected (the applicant,
    a family member on the same KK with their NIK and relationship, or an attorney with their
    NIK and the letter), the ID they showed, and who handed it over."""
    values = _collector_values(
        collector, name, collector_nik, relationship, identity_document, letter_note
    )
    application = _locked(staff, application_id)
    _refuse_unless_ready(application)
    handover = Handover(
        application_id=application.id,
        collector_name=values.pop("collector_name") or application.full_name,
        handed_by=staff.id,
        handed_at=clock.now(),
        **values,
    )
    lifecycle.transition(
        application, statuses.COLLECTED, actor_id=staff.id, reason=_audit_reason(handover)
    )
    db.session.add(handover)
    try:
        db.session.commit()
    except IntegrityError:  # a handover written meanwhile by another desk
        db.session.rollback()
        raise IssuanceRefused("already_collected", handover=None) from None
    notifications.notify(
        application,
        "collected",
        str(handover.handed_at.timestamp()),
        handed_at=handover.handed_at.isoformat(),
        collector=handover.collector,
        collector_name=handover.collector_name,
        zone=_zone_of(application),
    )
    return handover


def _collector_values(collector, name, collector_nik, relationship, identity_document, note):
    """The handover's columns for a collector of this kind; refused when one it needs is
    missing or wrong (the forms say so beside the field first; this is the service's word)."""
    if collector not in collection.COLLECTORS:
        raise IssuanceRefused("unknown_collector")
    name, identity_document = (name or "").strip(), (identity_document or "").strip()
    if not identity_document:
        raise IssuanceRefused("identity_missing")
    values = {
        "collector": collector,
        "collector_name": name or None,
        "identity_document": identity_document[:60],
        "collector_nik": None,
        "relationship": None,
        "letter_note": None,
    }
    if collector == collection.APPLICANT:
        return values
    if not name:
        raise IssuanceRefused("name_missing")
    digits = without_separators(collector_nik or "")
    try:
        nik.parse_nik(digits, clock.today())
    except nik.NikError as error:
        raise IssuanceRefused("bad_nik", problem=error.code) from None
    values["collector_nik"] = digits
    if collector == collection.FAMILY:
        if relationship not in collection.RELATIONSHIPS:
            raise IssuanceRefused("relationship_missing")
        values["relationship"] = relationship
    else:
        note = (note or "").strip()
        if not note:
            raise IssuanceRefused("letter_missing")
        values["letter_note"] = note[:200]
    return values


def _audit_reason(handover: Handover) -> str:
    """What the trail says of a handover: who collected, never their NIK nor the ID's number
    (a KTP's number is the NIK; the trail is read beyond the desk, the handover row keeps them)."""
    if handover.collector == collection.APPLICANT:
        who = f"the applicant, {handover.collector_name}"
    elif handover.collector == collection.FAMILY:
        who = f"a family member on the same KK ({handover.relationship}), {handover.collector_name}"
    else:
        who = f"an attorney, {handover.collector_name}, with a letter of attorney"
    return f"collected by {who}; ID shown and noted"
