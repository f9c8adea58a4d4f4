"""Demo data for demo mode: accounts anyone can sign in with (see README), the demo offices,
the office staff of two of them, whose second factor is a published demo secret, today's paid
demo bookings to check in, and a missed booking and an old ready passport for the sweeps."""

import pyotp
from flask import current_app
from sqlalchemy import select

from webapp.clock import now, today
from webapp.extensions import db
from webapp.models import Office, User
from webapp.rules import roles
from webapp.services import staff_auth
from webapp.services.accounts import hash_password, normalise_email
from webapp.services.demo_booking import book_endings, book_for_today, open_demo_room
from webapp.services.offices import TRAINING_OFFICE, load_demo_offices, load_training_office

DEMO_PASSWORD = "Paspor-Demo-2026"
# The second factor of every demo account that needs one; published in the README, so that an
# authenticator app can be set up with it too. Demo mode only, like the password.
DEMO_TOTP_SECRET = "MPASPORDEMOSTAFFWIBWITAWITQRCODE"
# (full name, email, phone, language, role, office code)
DEMO_ACCOUNTS = (
    ("Siti Rahayu", "siti@demo.mpaspor.id", "+6281234567890", "id", roles.APPLICANT, None),
    ("Made Wirawan", "made@demo.mpaspor.id", "+6281398765432", "en", roles.APPLICANT, None),
    # Applicants of today's demo bookings at the training office (demo_booking.DEMO_BOOKINGS).
    ("Budi Santoso", "budi@demo.mpaspor.id", "+6281311112222", "id", roles.APPLICANT, None),
    ("Hendra Wijaya", "hendra@demo.mpaspor.id", "+6281333334444", "id", roles.APPLICANT, None),
    ("Ahmad Ma'ruf", "ahmad@demo.mpaspor.id", "+6281355556666", "id", roles.APPLICANT, None),
    # Applicants of the applications the sweeps end (demo_booking.book_endings).
    ("Rina Kusuma", "rina@demo.mpaspor.id", "+6281377778888", "id", roles.APPLICANT, None),
    ("Yohanes Wenda", "yohanes@demo.mpaspor.id", "+6281399990000", "id", roles.APPLICANT, None),
    ("Admin Sistem", "admin@demo.mpaspor.id", "+6281100000001", "id", roles.ADMINISTRATOR, None),
    ("Andi Pratama", "petugas.makassar@demo.mpaspor.id", "", "id", roles.STAFF, "kanim-makassar"),
    (
        "Nurul Hidayah",
        "supervisor.makassar@demo.mpaspor.id",
        "",
        "id",
        roles.SUPERVISOR,
        "kanim-makassar",
    ),
    (
        "Dewi Lestari",
        "petugas.latihan@demo.mpaspor.id",
        "",
        "en",
        roles.STAFF,
        TRAINING_OFFICE,
    ),
    (
        "Bambang Wijaya",
        "supervisor.latihan@demo.mpaspor.id",
        "",
        "id",
        roles.SUPERVISOR,
        TRAINING_OFFICE,
    ),
)


class DemoModeOnly(Exception):
    """Demo data is refused outside demo mode: its passwords and second factor are published."""


def _demo_mode_only(what: str) -> None:
    if not current_app.config["DEMO_MODE"]:
        raise DemoModeOnly(
            f"{what} exists only in demo mode (DEMO_MODE=1): its accounts have a published "
            "password and second factor. Make the first administrator with `flask create-admin`."
        )


def load_demo_data() -> list[str]:
    """Create what is missing and report each item; running it twice changes nothing."""
    _demo_mode_only("seed-demo")
    load_training_office()  # first, with the demo offices: staff belong to an office
    report = load_demo_offices(today())
    for full_name, email, phone, locale, role, office_code in DEMO_ACCOUNTS:
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is not None:
            if roles.needs_second_factor(role) and existing.totp_secret is None:
                # Seeded before demo accounts had a second factor: given the published one.
                staff_auth.enrolled(existing, DEMO_TOTP_SECRET)
                report.append(f"second factor: {email}")
            else:
                report.append(f"exists: {email}")
            continue
        office_id = office_code and db.session.scalar(
            select(Office.id).where(Office.code == office_code)
        )
        user = User(
            full_name=full_name,
            email=email,
            phone=phone,
            password_hash=hash_password(DEMO_PASSWORD),
            locale=locale,
            role=role,
            office_id=office_id,
            terms_accepted_at=now(),
            verified_at=now(),
        )
        if roles.needs_second_factor(role):
            staff_auth.enrolled(user, DEMO_TOTP_SECRET)
        db.session.add(user)
        if office_id:
            db.session.flush()
            staff_auth.record(user.id, staff_auth.CREATED, detail=f"{role} of {office_code}")
        report.append(f"created: {email} / {DEMO_PASSWORD}")
    db.session.commit()
    return report + book_for_today() + book_endings() + open_demo_room()


def current_demo_code(email: str) -> str:
    """The code a demo account's authenticator shows now (`flask demo-totp`)."""
    _demo_mode_only("demo-totp")
    email = normalise_email(email)
    if email not in {
        account[1] for account in DEMO_ACCOUNTS if roles.needs_second_factor(account[4])
    }:
        raise DemoModeOnly(f"{email} is not a demo account with a second factor.")
    return pyotp.TOTP(DEMO_TOTP_SECRET).at(now())
