"""Demo data for demo mode: accounts anyone can log in with (see README), the demo offices, and
today's paid demo booking to check in."""

from flask import current_app
from sqlalchemy import select

from webapp.clock import now, today
from webapp.extensions import db
from webapp.models import User
from webapp.services.accounts import hash_password
from webapp.services.demo_booking import book_for_today
from webapp.services.offices import load_demo_offices

DEMO_PASSWORD = "Paspor-Demo-2026"
DEMO_ACCOUNTS = (
    ("Siti Rahayu", "siti@demo.mpaspor.id", "+6281234567890", "id", "applicant"),
    ("Made Wirawan", "made@demo.mpaspor.id", "+6281398765432", "en", "applicant"),
    ("Admin Sistem", "admin@demo.mpaspor.id", "+6281100000001", "id", "admin"),
)


class DemoModeOnly(Exception):
    """Demo data is refused outside demo mode: its administrator's password is published."""


def load_demo_data() -> list[str]:
    """Create what is missing and report each item; running it twice changes nothing."""
    if not current_app.config["DEMO_MODE"]:
        raise DemoModeOnly(
            "seed-demo exists only in demo mode (DEMO_MODE=1): its accounts have a published "
            "password. Make the first administrator with `flask create-admin`."
        )
    report = []
    for full_name, email, phone, locale, role in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)):
            report.append(f"exists: {email}")
            continue
        db.session.add(
            User(
                full_name=full_name,
                email=email,
                phone=phone,
                password_hash=hash_password(DEMO_PASSWORD),
                locale=locale,
                role=role,
                terms_accepted_at=now(),
                verified_at=now(),
            )
        )
        report.append(f"created: {email} / {DEMO_PASSWORD}")
    db.session.commit()
    return report + load_demo_offices(today()) + book_for_today()
