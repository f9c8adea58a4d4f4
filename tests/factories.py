"""Build records for tests directly, with realistic Indonesian data."""

import io
import itertools
from datetime import date, datetime

from PIL import Image, ImageDraw
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp.clock import now
from webapp.extensions import db
from webapp.models import Application, Office, Slot, User
from webapp.rules.statuses import FINAL

PASSWORD = "kopi-tubruk-pagi"
# Hashing is deliberately slow; one hash serves every factory-made account.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt")
# The registration form as Siti fills it in; tests change the email they need.
REGISTRATION = {
    "full_name": "Siti Rahayu",
    "phone": "081234567890",
    "password": PASSWORD,
    "accept_terms": "y",
}
_sequence = itertools.count(1)
_nik_serials = itertools.count(1)


def make_user(*, verified: bool = True, locale: str = "id", **fields) -> User:
    n = next(_sequence)
    user = User(
        full_name=fields.pop("full_name", f"Budi Santoso {n}"),
        email=fields.pop("email", f"budi{n}@contoh.id"),
        phone=fields.pop("phone", f"+62812{n:08d}"),
        password_hash=_PASSWORD_HASH,
        locale=locale,
        terms_accepted_at=now(),
        verified_at=now() if verified else None,
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def unique_nik() -> str:
    """A NIK no other of this run's factories gives: a woman born 11-11-1997, with a serial of her
    own."""
    return f"510407511197{next(_nik_serials) % 9999 + 1:04d}"


ADULT_ANSWERS = {
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


def make_application(user: User, **answers) -> Application:
    """A draft with the given answers stored directly (every step of an adult, by default)."""
    values = {**ADULT_ANSWERS, **answers}
    taken = {a.place for a in user_applications(user)}
    place = min(p for p in range(1, 6) if p not in taken)
    application = Application(
        account_id=user.id,
        place=place,
        public_id=f"app{next(_sequence):09d}",
        status="draft",
        pending_inputs={},
        **values,
    )
    db.session.add(application)
    db.session.commit()
    return application


def user_applications(user: User) -> list[Application]:
    return db.session.scalars(
        select(Application).where(
            Application.account_id == user.id, Application.status.notin_(FINAL)
        )
    ).all()


def jpeg_bytes(width: int = 1600, height: int = 1000, colour: str = "white") -> bytes:
    """A sharp photo of a printed document: lines of dark "words" on the paper's colour."""
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    margin, line = width // 20, 12
    for top in range(margin, height - margin, line * 2):
        left = margin
        while left < width - margin:
            word = 12 + (left * 7 + top * 3) % 60
            draw.rectangle([left, top, min(left + word, width - margin), top + line], fill="black")
            left += word + line // 2
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_office(**fields) -> Office:
    """An office in Makassar (WITA) that issues e-passports, with releases on Friday 09.00."""
    values = {
        "code": f"kanim-{next(_sequence)}",
        "kind": "kanim",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Makassar",
        "address": "Jl. Perintis Kemerdekaan Km. 13",
        "city": "Makassar",
        "province": "Sulawesi Selatan",
        "latitude": -5.1136,
        "longitude": 119.5086,
        "timezone": "Asia/Makassar",
        "issues_epassport": True,
        "epassport_stock": 300,
        **fields,
    }
    office = Office(**values)
    db.session.add(office)
    db.session.commit()
    return office


def make_slot(office: Office, starts_at: datetime, lane: str = "regular", capacity: int = 2):
    slot = Slot(office_id=office.id, starts_at=starts_at, lane=lane, capacity=capacity)
    db.session.add(slot)
    db.session.commit()
    return slot


def submitted_application(user: User, office: Office, **answers) -> Application:
    """A submitted application with a verified NIK and its office chosen, ready to book."""
    application = make_application(user, nik_status="verified", **answers)
    application.status = "submitted"
    application.number = f"26112{next(_sequence):011d}"
    application.office_id = office.id
    db.session.commit()
    return application


# The adult's answers as each wizard step posts them (the same person as ADULT_ANSWERS).
FORM_ANSWERS = {
    "service": {"for_self": "yes", "service": "regular", "application_type": "new"},
    "passport": {
        "birth_date-day": "11",
        "birth_date-month": "11",
        "birth_date-year": "1997",
        "marital_status": "single",
        "passport_kind": "electronic",
        "validity_years": "10",
    },
    "personal": {
        "nik": "5104075111970004",
        "full_name": "Siti Rahayu",
        "birth_place": "Denpasar",
        "sex": "F",
        "address": "Jl. Raya Kuta 1",
        "occupation": "Guru",
        "phone": "0812 3456 7890",
        "mother_name": "Ni Made Sari",
        "father_name": "I Wayan Budi",
    },
    "travel": {
        "travel_purpose": "tourism",
        "destination_country": "Jepang",
        "stay_length": "under_1_month",
        "emergency_name": "Kadek Putra",
        "emergency_phone": "0812 9876 5432",
    },
}
