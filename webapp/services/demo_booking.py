"""Demo mode: paid bookings for today at the demo training office (open at every hour) for four
demo applicants, each in a slot whose check-in window is open now and with every required
document uploaded, so that check-in and each of the counter's decisions can be tried at once.

It is made the way any booking is (booking.reserve and confirm, paid through the payment
service) without the online rule that a slot must start more than two hours ahead. Loading it
again the same day changes nothing; a demo booking of an earlier day that nobody checked in
ends as a no-show, which frees its applicant's NIK for today's.

Two more demo applicants give the sweeps one application each to end (book_endings): a paid
booking of yesterday nobody checked in, and a passport ready for 31 days.
"""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.i18n import ZONE_ABBREVIATIONS
from webapp.integrations.payment_gateway import Notice
from webapp.models import Application, Hold, Issuance, Office, Review, Slot, User
from webapp.rules import holds, quota, visits, working_days
from webapp.rules.statuses import (
    ACTIVE,
    APPROVED,
    CHECKED_IN,
    IN_REVIEW,
    NO_SHOW,
    PRINTED,
    READY_FOR_PICKUP,
    SCHEDULED,
    SUBMITTED,
)
from webapp.services import (
    applications,
    booking,
    days_off,
    documents,
    lifecycle,
    payments,
    verification,
    waiting_room,
)
from webapp.services.offices import TRAINING_OFFICE

DEMO_OFFICE = TRAINING_OFFICE
NOT_ATTENDED = "demo booking of an earlier day, not attended"
# What every demo applicant answers alike; each booking adds the person as the stand-in
# population registry knows them (README "Demo people").
_COMMON_ANSWERS = {
    "for_self": True,
    "service": "regular",
    "application_type": "new",
    "marital_status": "single",
    "passport_kind": "electronic",
    "validity_years": 10,
    "travel_purpose": "tourism",
    "destination_country": "Jepang",
    "stay_length": "under_1_month",
    "emergency_name": "Kadek Putra",
    "emergency_phone": "+6281298765432",
}


@dataclass(frozen=True)
class DemoBooking:
    """One demo applicant's booking for today, and what the counter does with it (README)."""

    email: str
    story: str
    answers: dict


DEMO_BOOKINGS = (
    DemoBooking(
        "siti@demo.mpaspor.id",
        "approve",
        {
            "birth_date": date(1997, 11, 11),
            "nik": "5104075111970004",
            "full_name": "Siti Rahayu",
            "birth_place": "Denpasar",
            "sex": "F",
            "address": "Jl. Raya Kuta 1, Badung",
            "occupation": "Guru",
            "phone": "+6281234567890",
            "mother_name": "Ni Made Sari",
            "father_name": "I Wayan Budi",
        },
    ),
    DemoBooking(
        "budi@demo.mpaspor.id",
        "mark incomplete, then upload the owed document",
        {
            "birth_date": date(1990, 8, 17),
            "nik": "3174011708900012",
            "full_name": "Budi Santoso",
            "birth_place": "Jakarta",
            "sex": "M",
            "address": "Jl. Tebet Raya 12, Jakarta Selatan",
            "occupation": "Karyawan swasta",
            "phone": "+6281311112222",
            "mother_name": "Sri Wahyuni",
            "father_name": "Slamet Santoso",
        },
    ),
    DemoBooking(
        "hendra@demo.mpaspor.id",
        "travel-ban hit: a supervisor confirms the rejection",
        {
            "birth_date": date(1982, 9, 3),
            "nik": "3175020309820005",
            "full_name": "Hendra Wijaya",
            "birth_place": "Jakarta",
            "sex": "M",
            "address": "Jl. Pemuda 8, Jakarta Timur",
            "occupation": "Wiraswasta",
            "phone": "+6281333334444",
            "mother_name": "Sulastri",
            "father_name": "Hartono Wijaya",
        },
    ),
    DemoBooking(
        "ahmad@demo.mpaspor.id",
        "lost passport: record the BAP, approve once its fine is paid",
        {
            "birth_date": date(1979, 6, 25),
            "nik": "1275012506790003",
            "full_name": "Ahmad Ma'ruf",
            "birth_place": "Medan",
            "sex": "M",
            "address": "Jl. Gatot Subroto 30, Medan",
            "occupation": "Pedagang",
            "phone": "+6281355556666",
            "mother_name": "Siti Aminah",
            "father_name": "Abdul Ma'ruf",
            "application_type": "replacement",
            "replacement_reason": "lost",
        },
    ),
)


def book_for_today() -> list[str]:
    """Make today's demo bookings that are missing; one line for each, what was done or why
    not."""
    office = db.session.scalar(select(Office).where(Office.code == DEMO_OFFICE))
    if office is None:
        return [f"no demo booking: {DEMO_OFFICE} is missing"]
    return [_book_for_today(office, demo) for demo in DEMO_BOOKINGS]


def _book_for_today(office: Office, demo: DemoBooking) -> str:
    applicant = db.session.scalar(select(User).where(User.email == demo.email))
    if applicant is None:
        return f"no demo booking: {demo.email} is missing"
    answers = _COMMON_ANSWERS | demo.answers
    moment = clock.now()
    today = moment.astimezone(ZoneInfo(office.timezone)).date()
    bookings = _paid_bookings(applicant, office)
    for application, slot in bookings:
        if slot.starts_at.astimezone(ZoneInfo(office.timezone)).date() == today:
            return f"exists: demo booking for today, application number {application.number}"
    for application, slot in bookings:
        if slot.starts_at < moment and application.status == SCHEDULED:
            lifecycle.transition(application, NO_SHOW, actor_id=None, reason=NOT_ATTENDED)
    db.session.commit()
    slot = _slot_open_for_check_in(office, moment)
    if slot is None:
        return f"no demo booking: {office.name} has no check-in open now ({_hours(office)})"
    holder = _nik_holder(answers["nik"])
    if holder is not None:
        return (
            f"no demo booking: the NIK of {answers['full_name']} is held by application "
            f"{holder.number or holder.public_id} ({holder.status})"
        )
    application = _submitted(applicant, office, answers)
    held = booking.reserve(application, slot.id, actor_id=applicant.id, check=_today_at(office))
    booking.confirm(application, held)
    notice = Notice(f"DEMO-{application.number}", held.bill.code, held.bill.amount, clock.now())
    payments.apply_notice(notice)
    _upload_documents(application)
    starts = slot.starts_at.astimezone(ZoneInfo(office.timezone))
    zone = ZONE_ABBREVIATIONS[office.timezone]
    return (
        f"created: paid demo booking for today {starts:%H.%M} {zone}, application number "
        f"{application.number}, {answers['full_name']} ({demo.story})"
    )


def _upload_documents(application: Application) -> None:
    """Every required document, as a small generated scan, so the officer has one to compare."""
    for code, _document in documents.required_items(application):
        documents.upload(application, code, _scan(f"{code} - {application.full_name}"))


def _scan(label: str) -> bytes:
    """A picture of a printed page, as large and sharp as the quality check asks (1200 px on
    its long side): its label, then lines of dark "words"."""
    image = Image.new("RGB", (1200, 760), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 30), f"DEMO {label}", fill="black")
    for top in range(80, 700, 24):
        left = 60
        while left < 1100:
            word = 12 + (left * 7 + top * 3) % 60
            draw.rectangle([left, top, min(left + word, 1140), top + 12], fill="black")
            left += word + 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


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


def _submitted(applicant: User, office: Office, answers: dict) -> Application:
    """The demo applicant's own application, complete and submitted, for the demo office."""
    application = applications.start(applicant.id)
    for name, value in answers.items():
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


# Applications that end by the clock (services/endings.py): a missed booking and a passport left
# uncollected, so that `flask sweep-no-shows` and `flask sweep-uncollected` have one each to end.

MISSED_EMAIL = "rina@demo.mpaspor.id"
UNCOLLECTED_EMAIL = "yohanes@demo.mpaspor.id"
UNCOLLECTED_READY_DAYS = 31
DEMO_ENDING = "demo data: a passport ready for 31 days"
_MISSED_ANSWERS = {
    "birth_date": date(1993, 3, 12),
    "nik": "7371015203930007",
    "full_name": "Rina Kusuma",
    "birth_place": "Makassar",
    "sex": "F",
    "address": "Jl. Penghibur 5, Makassar",
    "occupation": "Perawat",
    "phone": "+6281377778888",
    "mother_name": "Hasnah",
    "father_name": "Kusuma Jaya",
}
_UNCOLLECTED_ANSWERS = {
    "birth_date": date(1988, 7, 21),
    "nik": "9471012107880004",
    "full_name": "Yohanes Wenda",
    "birth_place": "Jayapura",
    "sex": "M",
    "address": "Jl. Ahmad Yani 3, Jayapura",
    "occupation": "Nelayan",
    "phone": "+6281399990000",
    "mother_name": "Maria Wenda",
    "father_name": "Petrus Wenda",
}


def book_endings() -> list[str]:
    """At the training office: one paid booking of yesterday nobody checked in, and one passport
    ready for 31 days; made once each, again only after a sweep has ended the previous one."""
    office = db.session.scalar(select(Office).where(Office.code == DEMO_OFFICE))
    if office is None:
        return [f"no demo ending: {DEMO_OFFICE} is missing"]
    return [_missed_booking(office), _uncollected_passport(office)]


def _missed_booking(office: Office) -> str:
    applicant = db.session.scalar(select(User).where(User.email == MISSED_EMAIL))
    if applicant is None:
        return f"no missed demo booking: {MISSED_EMAIL} is missing"
    for application, _slot in _paid_bookings(applicant, office):
        if application.status == SCHEDULED:
            return f"exists: missed demo booking, application number {application.number}"
    holder = _nik_holder(_MISSED_ANSWERS["nik"])
    if holder is not None:
        return f"no missed demo booking: the NIK is held by application {holder.number}"
    zone = ZoneInfo(office.timezone)
    yesterday = clock.now().astimezone(zone).date() - timedelta(days=1)
    slot = _demo_slot(office, datetime.combine(yesterday, time(10), tzinfo=zone))
    application = _paid_for(applicant, office, _MISSED_ANSWERS, slot)
    return (
        f"created: missed demo booking yesterday 10.00 {ZONE_ABBREVIATIONS[office.timezone]}, "
        f"application number {application.number}, Rina Kusuma "
        "(never checked in: `flask sweep-no-shows` makes it a no-show)"
    )


def _uncollected_passport(office: Office) -> str:
    applicant = db.session.scalar(select(User).where(User.email == UNCOLLECTED_EMAIL))
    if applicant is None:
        return f"no uncollected demo passport: {UNCOLLECTED_EMAIL} is missing"
    waiting = db.session.scalar(
        select(Application).where(
            Application.account_id == applicant.id,
            Application.office_id == office.id,
            Application.status == READY_FOR_PICKUP,
        )
    )
    if waiting is not None:
        return f"exists: demo passport ready for collection, application number {waiting.number}"
    holder = _nik_holder(_UNCOLLECTED_ANSWERS["nik"])
    if holder is not None:
        return f"no uncollected demo passport: the NIK is held by application {holder.number}"
    zone = ZoneInfo(office.timezone)
    ready_since = clock.now() - timedelta(days=UNCOLLECTED_READY_DAYS)
    interview_day = ready_since.astimezone(zone).date() - timedelta(days=5)
    slot = _demo_slot(office, datetime.combine(interview_day, time(9), tzinfo=zone))
    application = _paid_for(applicant, office, _UNCOLLECTED_ANSWERS, slot)
    # The office's part, told in the trail as demo data: checked in, reviewed and approved,
    # printed and made ready 31 days ago (the desks' own moves are made at the office).
    for target in (CHECKED_IN, IN_REVIEW, APPROVED):
        lifecycle.transition(application, target, actor_id=None, reason=DEMO_ENDING)
    closed = days_off.of_office(office.id, interview_day, interview_day + timedelta(days=31))
    collect_from = working_days.collection_date(interview_day, application.service, closed)
    decided_at = datetime.combine(interview_day, time(10), tzinfo=zone)
    # Its decision, which the receipt (tanda terima) and its QR code name.
    db.session.add(Review(application_id=application.id, owed_documents=[], decided_at=decided_at))
    db.session.add(Issuance(application_id=application.id, collect_from=collect_from))
    for target in (PRINTED, READY_FOR_PICKUP):
        lifecycle.transition(application, target, actor_id=None, reason=DEMO_ENDING)
    db.session.get(Issuance, application.id).ready_since = ready_since
    db.session.commit()
    return (
        f"created: demo passport ready for {UNCOLLECTED_READY_DAYS} days, application number "
        f"{application.number}, Yohanes Wenda "
        "(never collected: `flask sweep-uncollected` makes it uncollected)"
    )


def _demo_slot(office: Office, starts: datetime) -> Slot:
    """The training office's regular slot at starts (local), made if the window never had it:
    it lies in the past."""
    starts_at = starts.astimezone(UTC)
    slot = db.session.scalar(
        select(Slot).where(
            Slot.office_id == office.id, Slot.starts_at == starts_at, Slot.lane == visits.REGULAR
        )
    )
    if slot is None:
        slot = Slot(
            office_id=office.id,
            starts_at=starts_at,
            lane=visits.REGULAR,
            capacity=max(office.regular_per_hour, 1),
        )
        db.session.add(slot)
        db.session.commit()
    return slot


def _paid_for(applicant: User, office: Office, answers: dict, slot: Slot) -> Application:
    """A submitted demo application holding slot (in the past, so without the online check),
    paid now."""
    application = _submitted(applicant, office, _COMMON_ANSWERS | answers)
    held = booking.reserve(application, slot.id, actor_id=applicant.id, check=_the_office(office))
    booking.confirm(application, held)
    notice = Notice(f"DEMO-{application.number}", held.bill.code, held.bill.amount, clock.now())
    payments.apply_notice(notice)
    return db.session.get(Application, application.id)


def _the_office(office: Office):
    def check(application: Application, slot: Slot, moment: datetime) -> None:
        if slot.office_id != office.id:
            db.session.rollback()
            raise booking.BookingRefused("not_bookable")

    return check


# A waiting room to try (README "Fair quota opening"): a demo office's weekly release moves to a
# few minutes after the seed, and three demo accounts each have an application there, submitted
# with its NIK verified, that may join its room from a phone.
ROOM_OFFICE = "kanim-denpasar"
ROOM_RELEASE_AFTER = timedelta(minutes=10)  # time to sign in on a few phones and join
ROOM_APPLICANTS = (
    ("siti@demo.mpaspor.id", "5171014506990001", "Putu Ayu Rahayu", date(1999, 6, 5), "F"),
    ("made@demo.mpaspor.id", "5171011203950002", "Komang Wirawan", date(1995, 3, 12), "M"),
    ("budi@demo.mpaspor.id", "5171012108880003", "Agus Santoso", date(1988, 8, 21), "M"),
)


def open_demo_room() -> list[str]:
    """Move the room office's release to a few minutes from now and make its room (the seed
    and its commitment); the embedded clock draws it at the release. One line per item."""
    office = db.session.scalar(select(Office).where(Office.code == ROOM_OFFICE))
    if office is None:
        return [f"no demo waiting room: {ROOM_OFFICE} is missing"]
    zone = ZoneInfo(office.timezone)
    release = (clock.now() + ROOM_RELEASE_AFTER).astimezone(zone).replace(second=0, microsecond=0)
    release += timedelta(minutes=1)  # a whole minute, never less than the lead
    office.release_kind = quota.WEEKLY
    office.release_weekday, office.release_hour = release.weekday(), release.hour
    office.release_minute = release.minute
    db.session.commit()
    room = waiting_room.room_for_release(office, release.astimezone(UTC))
    lines = [_room_application(office, *applicant) for applicant in ROOM_APPLICANTS]
    return lines + [
        f"waiting room: {office.name} releases at {release:%H.%M} "
        f"{ZONE_ABBREVIATIONS[office.timezone]} (commitment {room.commitment[:12]}...)"
    ]


def _room_application(office: Office, email: str, nik: str, name: str, born: date, sex: str):
    applicant = db.session.scalar(select(User).where(User.email == email))
    if applicant is None:
        return f"no waiting-room application: {email} is missing"
    if _nik_holder(nik) is None:
        answers = {
            **_COMMON_ANSWERS,
            "for_self": False,
            "nik": nik,
            "full_name": name,
            "birth_date": born,
            "sex": sex,
            "birth_place": "Denpasar",
            "address": "Jl. Gatot Subroto 12, Denpasar",
            "occupation": "Karyawan swasta",
            "phone": applicant.phone,
            "mother_name": "Ni Luh Sari",
            "father_name": "I Made Budi",
        }
        _submitted(applicant, office, answers)
    return f"waiting-room application: {name} of {email}"
