"""Check-in at the office's entrance, and the priority walk-in.

What a scanner types (the signed QR token of the proof of application, an application number,
or a NIK typed by hand) names an application, looked for only among the office's own; it is then
judged as it is now, not as the QR says: today in office time, within the check-in window,
scheduled with a paid hold on the slot the token names. Checking in moves it to checked_in and
gives it a visit with the next queue number of its lane, in one transaction.

A priority walk-in (a submitted application, no booking, an applicant in a priority group) takes
a place on today's priority slots with a bill issued on the spot through booking's own
machinery; its visit has a number at once but joins the line only when the bill is paid
(services.arrivals).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from webapp import clock, labels, pdf, signing
from webapp.extensions import db
from webapp.forms.base import without_separators
from webapp.models import Application, Bill, Hold, Office, Slot, User, Visit
from webapp.rules import holds, visits
from webapp.rules.statuses import (
    ACTIVE,
    AWAITING_PAYMENT,
    CANCELLED,
    CHECKED_IN,
    EXPIRED,
    SCHEDULED,
    SUBMITTED,
)
from webapp.services import arrivals, booking, lifecycle, verification

_DIGITS = re.compile(r"[0-9]+")
NUMBER_DIGITS = 16  # an application number, and a NIK
_NOT_PAID = frozenset({SUBMITTED, AWAITING_PAYMENT, EXPIRED})


class CheckInRefused(Exception):
    """Why a check-in or walk-in was refused; code is a key of labels.CHECKIN_PROBLEMS, context
    what the page shows with it (the current appointment, the queue number already given...).
    Nothing was written."""

    def __init__(self, code: str, **context):
        super().__init__(code)
        self.code, self.context = code, context


@dataclass(frozen=True)
class Appointment:
    office_name: str
    starts_at: datetime
    zone: str


@dataclass(frozen=True)
class Arrival:
    """A visit as the check-in page and the queue ticket show it: never a name or NIK."""

    visit_id: int
    ticket: str
    lane: str
    status: str
    checked_in_at: datetime
    office_name: str
    zone: str
    billing_code: str | None  # a walk-in's bill, while unpaid
    amount: int | None
    pay_by: datetime | None


@dataclass(frozen=True)
class _Scan:
    digits: str | None  # an application number or a NIK
    token: dict | None  # the payload of a genuine token


def _read(scanned: str) -> _Scan:
    text = (scanned or "").strip()
    digits = without_separators(text)
    if _DIGITS.fullmatch(digits):
        if len(digits) != NUMBER_DIGITS:
            raise CheckInRefused("bad_number")
        return _Scan(digits, None)
    try:
        return _Scan(None, signing.verify_token(text, signing.public_key()))
    except signing.InvalidToken:
        raise CheckInRefused("invalid_token") from None


def _find(office: Office, scan: _Scan) -> Application | None:
    """The application named, among this office's only; a typed NIK is tried as an application
    number first, then as the NIK of the office's applications, the active one first."""
    number = scan.token["n"] if scan.token else scan.digits
    mine = select(Application).where(Application.office_id == office.id)
    found = db.session.scalar(mine.where(Application.number == number))
    if found is None and scan.digits:
        found = db.session.scalar(
            mine.where(Application.nik == scan.digits)
            .order_by(case((Application.status.in_(ACTIVE), 0), else_=1), Application.id.desc())
            .limit(1)
        )
    return found


def _token_appointment(payload: dict) -> Appointment | None:
    """What a genuine token says: its office (public) and slot; None if the office is unknown."""
    office = db.session.scalar(select(Office).where(Office.code == payload["o"]))
    starts_at = _token_time(payload)
    if office is None or starts_at is None:
        return None
    return Appointment(office.name, starts_at, office.timezone)


def _token_time(payload: dict) -> datetime | None:
    try:
        moment = datetime.fromisoformat(payload["t"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _office_of(staff: User) -> Office:
    return db.session.get(Office, staff.office_id)


def check_in(staff: User, scanned: str, priority_group: str | None = None) -> Visit:
    """Check in the application the scan names, at the staff member's office, now."""
    try:
        return _check_in(staff, scanned, priority_group)
    except CheckInRefused:
        db.session.rollback()  # the application's lock is let go; nothing of it is kept
        raise


def _check_in(staff: User, scanned: str, priority_group: str | None) -> Visit:
    if priority_group not in (None, *visits.PRIORITY_GROUPS):
        raise CheckInRefused("unknown_group")
    office = _office_of(staff)
    scan = _read(scanned)
    found = _find(office, scan)
    if found is None and scan.token and scan.token["o"] != office.code:
        raise CheckInRefused("another_office", appointment=_token_appointment(scan.token))
    if found is None:
        raise CheckInRefused("unknown_number")
    moment = clock.now()
    application = lifecycle.lock(found)
    slot = _admissible(application, office, scan, moment)
    lane = visits.lane_of(booking.lane_for(application), priority_group)
    visit = arrivals.open_visit(
        application,
        day=moment.astimezone(ZoneInfo(office.timezone)).date(),
        lane=lane,
        priority_group=priority_group,
        status=visits.WAITING,
        slot_start=slot.starts_at,
        moment=moment,
        actor_id=staff.id,
    )
    lifecycle.transition(application, CHECKED_IN, actor_id=staff.id)
    return _commit(visit)


def _commit(visit: Visit) -> Visit:
    try:
        db.session.commit()
    except IntegrityError:  # a visit of this application made meanwhile by another way
        db.session.rollback()
        raise CheckInRefused("already_checked_in") from None
    return visit


def _admissible(application: Application, office: Office, scan: _Scan, moment) -> Slot:
    """The slot of the application's paid booking, if it may check in now; else why not."""
    _refuse_unless_status(application, SCHEDULED)
    held = booking.live_hold(application)
    if held is None or held.status != holds.PAID:
        raise CheckInRefused("unpaid")
    slot = held.slot
    appointment = Appointment(office.name, slot.starts_at, office.timezone)
    if scan.token and (scan.token["o"], _token_time(scan.token)) != (office.code, slot.starts_at):
        raise CheckInRefused("moved", appointment=appointment)  # to another hour or office
    problem = visits.checkin_problem(
        slot.starts_at,
        now=moment,
        zone=office.timezone,
        opens_minutes=office.checkin_opens_minutes,
        closes_at_hour=office.closes_at_hour,
    )
    if problem:
        opens_at = slot.starts_at - timedelta(minutes=office.checkin_opens_minutes)
        raise CheckInRefused(problem, appointment=appointment, opens_at=opens_at)
    return slot


def _refuse_unless_status(application: Application, wanted: str) -> None:
    """Refuse an application that is not in the status this way of arriving needs, saying why:
    checked in already (with its number), a walk-in still unpaid, cancelled, not paid..."""
    if application.status == wanted:
        return
    visit = arrivals.visit_of(application)
    if visit is not None and visit.status == visits.UNPAID:
        raise CheckInRefused("walk_in_unpaid", arrival=_arrival(visit))
    if visit is not None and visit.status != visits.VOID:
        raise CheckInRefused("already_checked_in", arrival=_arrival(visit))
    if application.status == CANCELLED:
        raise CheckInRefused("cancelled")
    if application.status == SCHEDULED:
        raise CheckInRefused("booked")
    if application.status in _NOT_PAID:
        raise CheckInRefused("unpaid")
    raise CheckInRefused("not_scheduled", status=application.status)


# The priority walk-in --------------------------------------------------------------------------


def walk_in(staff: User, scanned: str, priority_group: str | None) -> Visit:
    """Give an applicant of a priority group without a booking a place on today's priority slots
    and a bill to pay now; their visit waits, unpaid, with its number."""
    try:
        return _walk_in(staff, scanned, priority_group)
    except CheckInRefused:
        db.session.rollback()
        raise
    except booking.BookingRefused as refused:  # the place was taken, or the booking changed
        code = "no_priority_places" if refused.code == "full" else "not_walk_in"
        raise CheckInRefused(code) from None


def _walk_in(staff: User, scanned: str, priority_group: str | None) -> Visit:
    if priority_group not in visits.PRIORITY_GROUPS:
        raise CheckInRefused("no_priority_group")
    office = _office_of(staff)
    scan = _read(scanned)
    if scan.token:
        raise CheckInRefused("booked")  # a QR proof means a paid booking: check it in
    found = _find(office, scan)
    if found is None:
        raise CheckInRefused("unknown_number")
    _refuse_unless_status(found, SUBMITTED)
    if found.nik_status != verification.VERIFIED:
        raise CheckInRefused("nik_not_verified")
    moment = clock.now()
    slot = _priority_slot(office, moment)
    held = booking.reserve(found, slot.id, actor_id=staff.id, check=_todays_priority_slot)
    visit = arrivals.open_visit(
        found,
        day=moment.astimezone(ZoneInfo(office.timezone)).date(),
        lane=visits.PRIORITY,
        priority_group=priority_group,
        status=visits.UNPAID,
        slot_start=None,
        moment=moment,
        actor_id=staff.id,
    )
    booking.confirm(found, held)
    return visit


def _priority_slot(office: Office, moment: datetime) -> Slot:
    """Today's priority slot with a free place: this hour's, else a later one, else an earlier
    one whose places went unused (the day's quota is the sum of its hours)."""
    zone = ZoneInfo(office.timezone)
    local = moment.astimezone(zone)
    closing = visits.closing_time(local.date(), office.closes_at_hour, office.timezone)
    if moment >= closing:
        raise CheckInRefused("closed")
    this_hour = local.replace(minute=0, second=0, microsecond=0)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    views = booking.slots_between(office, visits.PRIORITY, start, closing)
    free = [view.slot for view in views if view.free]
    free.sort(key=lambda slot: (slot.starts_at < this_hour, slot.starts_at))
    if not free:
        raise CheckInRefused("no_priority_places")
    return free[0]


def _todays_priority_slot(application: Application, slot: Slot, moment: datetime) -> None:
    office = db.session.get(Office, slot.office_id)
    zone = ZoneInfo(office.timezone)
    if (
        slot.office_id != application.office_id
        or slot.lane != visits.PRIORITY
        or slot.starts_at.astimezone(zone).date() != moment.astimezone(zone).date()
    ):
        db.session.rollback()
        raise booking.BookingRefused("not_bookable")


# What the page and the ticket show ---------------------------------------------------------------


def arrival(office_id: int, visit_id: int) -> Arrival | None:
    """A visit of this office as the check-in page shows it; None for any other."""
    visit = arrivals.visit_at_office(office_id, visit_id)
    return None if visit is None else _arrival(visit)


def _arrival(visit: Visit) -> Arrival:
    office = db.session.get(Office, visit.office_id)
    bill = None
    if visit.status == visits.UNPAID:
        bill = db.session.scalar(
            select(Bill)
            .join(Hold, Hold.id == Bill.hold_id)
            .where(Bill.application_id == visit.application_id, Hold.status == holds.HELD)
            .order_by(Bill.id.desc())
        )
    return Arrival(
        visit_id=visit.id,
        ticket=visit.ticket,
        lane=visit.lane,
        status=visit.status,
        checked_in_at=visit.checked_in_at,
        office_name=office.name,
        zone=office.timezone,
        billing_code=bill.code if bill else None,
        amount=bill.amount if bill else None,
        pay_by=bill.expires_at if bill else None,
    )


TICKET_WIDTH_MM = 80  # a thermal roll


def ticket_pdf(office_id: int, visit_id: int, locale: str) -> bytes | None:
    """The queue ticket of a visit of this office, 80 mm wide and as tall as its content."""
    shown = arrival(office_id, visit_id)
    if shown is None or shown.status == visits.VOID:
        return None
    with force_locale(locale):
        return pdf.render_pdf_fitted(
            "queue_ticket.html",
            TICKET_WIDTH_MM,
            arrival=shown,
            locale=locale,
            lane_names=labels.LANES,
        )
