"""Closing a fully booked day: the supervisor's closure of one office's day with 200 paid
bookings, every applicant offered a place held on the first free slot of the next two weeks and
mailed (issue 14's budget: closure_rebook_s <= 5 s for 200 bookings).

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_closure, dropped
and recreated; BENCH_DATABASE_URL names another), the demo office of Makassar opened every day
from 08.00 to 13.00 with 40 regular places an hour (200 a day) and its slots of the next three
weeks made the one way (offices.ensure_slots). The day three days ahead is filled with
BENCH_BOOKINGS (200) paid bookings, loaded directly. Measured: services.closures.add for the
whole day, as the closures page calls it, with the jobs in-process as in demo mode (no
REDIS_URL): the closure, one transaction per applicant making its offer, and the 200 mails
rendered and written to the instance's mail folder. The figures printed last: bookings,
offers, mails, closure_rebook_s.
"""

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402

BOOKINGS = harness.setting("BENCH_BOOKINGS", 200)
PER_HOUR = 40
FIRST_HOUR, LAST_HOUR = 8, 12


def seed(bench: harness.Bench) -> dict:
    from sqlalchemy import select

    from webapp import clock
    from webapp.extensions import db
    from webapp.models import Bill, Hold, Slot
    from webapp.rules import bills, holds
    from webapp.services import offices

    people = harness.residents(BOOKINGS)
    with bench.app_context():
        office = harness.demo_office("kanim-makassar")
        office.opening_days = "0123456"
        office.first_slot_hour, office.last_slot_hour = FIRST_HOUR, LAST_HOUR
        office.regular_per_hour, office.express_per_hour = PER_HOUR, 0
        db.session.add(office)
        db.session.flush()
        zone = ZoneInfo(office.timezone)
        offices.ensure_slots(office, clock.today(office.timezone), 21)
        day = clock.today(office.timezone) + timedelta(days=3)
        while day in offices.days_off.national(day, day + timedelta(days=1)):
            day += timedelta(days=1)
        first = datetime.combine(day, clock_time(0), zone).astimezone(UTC)
        slots = db.session.scalars(
            select(Slot)
            .where(
                Slot.office_id == office.id,
                Slot.lane == "regular",
                Slot.starts_at >= first,
                Slot.starts_at < first + timedelta(days=1),
            )
            .order_by(Slot.starts_at)
        ).all()
        places = [slot for slot in slots for _ in range(slot.capacity)][:BOOKINGS]
        users = harness.verified_users(people, "closure", "+62815")
        db.session.add_all(users)
        db.session.flush()
        applications = harness.submitted_applications(users, people, office, "closure", "26114")
        db.session.add_all(applications)
        db.session.flush()
        moment = clock.now()
        for application, slot in zip(applications, places, strict=True):
            application.status = "scheduled"
            held = Hold(
                slot_id=slot.id,
                application_id=application.id,
                account_id=application.account_id,
                status=holds.PAID,
                created_at=moment,
                expires_at=moment,
            )
            db.session.add(held)
            db.session.flush()
            db.session.add(
                Bill(
                    hold_id=held.id,
                    application_id=application.id,
                    code=f"9{application.id:014d}",
                    amount=350000,
                    status=bills.PAID,
                    created_at=moment,
                    expires_at=moment + timedelta(hours=2),
                    paid_at=moment,
                )
            )
        supervisor = harness.verified_user(
            "kepala@contoh.id",
            "Kepala Seksi",
            "+62815999999",
            role="supervisor",
            office_id=office.id,
        )
        db.session.add(supervisor)
        db.session.commit()
        return {"supervisor_id": supervisor.id, "day": day, "bookings": len(places)}


def main() -> None:
    with harness.Bench("mpaspor_bench_closure") as bench:
        seeded = seed(bench)
        with bench.app_context():
            from sqlalchemy import func, select

            from webapp.extensions import db
            from webapp.models import User
            from webapp.models.offices import ClosureOffer
            from webapp.services import closures

            supervisor = db.session.get(User, seeded["supervisor_id"])
            started = time.perf_counter()
            closures.add(supervisor, seeded["day"], None, None, "Banjir")
            elapsed = time.perf_counter() - started
            offers = db.session.scalar(
                select(func.count(ClosureOffer.id)).where(ClosureOffer.mailed_at.is_not(None))
            )
            mail_dir = bench.app.config["MAIL_DIR"]
        mails = len(os.listdir(mail_dir)) if os.path.isdir(mail_dir) else 0
    harness.report(
        {
            "bookings": seeded["bookings"],
            "offers": offers,
            "mails": mails,
            "closure_rebook_s": f"{elapsed:.2f}",
        }
    )


if __name__ == "__main__":
    main()
