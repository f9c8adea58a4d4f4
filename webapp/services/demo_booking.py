"""Demo mode: a paid booking for today at the demo training office (open at every hour) for the
demo applicant, in a slot whose check-in window is open now, so that check-in can be tried at
once with its QR.

It is made the way any booking is (booking.reserve and confirm, paid through the payment
service) without the online rule that a slot must start more than two hours ahead. Loading it
again the same day changes nothing; a demo booking of an earlier day that nobody checked in
ends as a no-show, which frees the demo applicant's NIK for today's.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.i18n import ZONE_ABBREVIATIONS
from webapp.integrations.payment_gateway import Notice
from webapp.models import Application, Hold, Office, Slot, User
from webapp.rules import holds, visits
from webapp.rules.statuses import ACTIVE, NO_SHOW, SCHEDULED, SUBMITTED
from webapp.services import applications, booking, lifecycle, payments, verification
from webapp.services.offices import TRAINING_OFFICE

DEMO_OFFICE = TRAINING_OFFICE
DEMO_APPLICANT = "siti@demo.mpaspor.id"
NOT_ATTENDED = "demo booking of an earlier day, not attended"
# Siti Rahayu as the stand-in population registry knows her (README).
DEMO_ANSWERS = {
    "for_self": True,
    "service": "regular",
    "application_type": "new",
    "birth_date": date(1997, 11, 11),
    "marital_status": "single",
    "passport_kind": "electronic",
    "validity_years": 10,
    "nik": "5104075111970004",
    "full_name": "Siti Rahayu",
    "birth_place": "Denpasar",
    "sex": "F",
    "address": "Jl. Raya Kuta 1, Badung",
    "occupation": "Guru",
    "phone": "+6281234567890",
    "mother_name": "Ni Made Sari",
    "father_name": "I Wayan Budi",
    "travel_purpose": "tourism",
    "destination_country": "Jepang",
    "stay_length": "under_1_month",
    "emergency_name": "Kadek Putra",
    "emergency_phone": "+6281298765432",
}


def book_for_today() -> list[str]:
    """Make today's demo booking if there is none; report what was done, or why not."""
    office = db.session.scalar(select(Office).where(Office.code == DEMO_OFFICE))
    applicant = db.session.scalar(select(User).where(User.email == DEMO_APPLICANT))
    if office is None or applicant is None:
        return [f"no demo booking: {DEMO_OFFICE} or {DEMO_APPLICANT} is missing"]
    moment = clock.now()
    today = moment.astimezone(ZoneInfo(office.timezone)).date()
    bookings = _paid_bookings(applicant, office)
    for application, slot in bookings:
        if slot.starts_at.astimezone(ZoneInfo(office.timezone)).date() == today:
            return [f"exists: demo booking for today, application number {application.number}"]
    for application, slot in bookings:
        if slot.starts_at < moment and application.status == SCHEDULED:
            lifecycle.transition(application, NO_SHOW, actor_id=None, reason=NOT_ATTENDED)
    db.session.commit()
    slot = _slot_open_for_check_in(office, moment)
    if slot is None:
        return [f"no demo booking: {office.name} has no check-in open now ({_hours(office)})"]
    holder = _nik_holder(DEMO_ANSWERS["nik"])
    if holder is not None:
        return [
            f"no demo booking: the NIK of {DEMO_ANSWERS['full_name']} is held by application "
            f"{holder.number or holder.public_id} ({holder.status})"
        ]
    application = _submitted(applicant, office)
    held = booking.reserve(application, slot.id, actor_id=applicant.id, check=_today_at(office))
    booking.confirm(application, held)
    notice = Notice(f"DEMO-{application.number}", held.bill.code, held.bill.amount, clock.now())
    payments.apply_notice(notice)
    starts = slot.starts_at.astimezone(ZoneInfo(office.timezone))
    zone = ZONE_ABBREVIATIONS[office.timezone]
    return [
        f"created: paid demo booking for today {starts:%H.%M} {zone} at {office.name}, "
        f"application number {application.number} (check it in at /counter/check-in)"
    ]


def _paid_bookings(applicant: User, office: Office) -> list[tuple[Application, Slot]]:
    return db.session.execute(
        select(Application, Slot)
        .join(Hold, Hold.application_id == Application.id)
        .join(Slot, Slot.id == Hold.slot_id)
        .where(
            Application.account_id == applicant.id,
            Application.office_id == office.id,
            Hold.status == holds.PAID,
        )
        .order_by(Slot.starts_at)
    ).all()


def _slot_open_for_check_in(office: Office, moment: datetime) -> Slot | None:
    """Today's regular slot nearest to now whose check-in window is open."""
    zone = ZoneInfo(office.timezone)
    start = moment.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    views = booking.slots_between(office, visits.REGULAR, start, start + timedelta(days=1))
    open_now = [
        view.slot
        for view in views
        if view.free
        and not visits.checkin_problem(
            view.slot.starts_at,
            now=moment,
            zone=office.timezone,
            opens_minutes=office.checkin_opens_minutes,
            closes_at_hour=office.closes_at_hour,
        )
    ]
    return min(open_now, key=lambda slot: abs(slot.starts_at - moment), default=None)


def _hours(office: Office) -> str:
    opens = office.first_slot_hour * 60 - office.checkin_opens_minutes
    return (
        f"check-in from {opens // 60:02d}.{opens % 60:02d} to {office.closes_at_hour:02d}.00 "
        f"{ZONE_ABBREVIATIONS[office.timezone]} on its opening days; "
        "run seed-demo again then"
    )


def _nik_holder(nik: str) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.nik == nik,
            Application.nik_status == verification.VERIFIED,
            Application.status.in_(ACTIVE),
        )
    )


def _submitted(applicant: User, office: Office) -> Application:
    """The demo applicant's own application, complete and submitted, for the demo office."""
    application = applications.start(applicant.id)
    for name, value in DEMO_ANSWERS.items():
        setattr(application, name, value)
    moment = clock.now()
    application.nik_status = verification.VERIFIED
    application.nik_checked_at = moment
    application.declared_at = application.submitted_at = moment
    application.number = applications.new_number()
    application.office_id = office.id
    lifecycle.transition(application, SUBMITTED, actor_id=applicant.id, reason="demo booking")
    db.session.commit()
    return application


def _today_at(office: Office):
    """The one check of a demo booking: the slot is the demo office's, today."""

    def check(application: Application, slot: Slot, moment: datetime) -> None:
        zone = ZoneInfo(office.timezone)
        same_day = slot.starts_at.astimezone(zone).date() == moment.astimezone(zone).date()
        if slot.office_id != office.id or not same_day:
            db.session.rollback()
            raise booking.BookingRefused("not_bookable")

    return check
