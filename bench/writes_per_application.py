"""Database writes per application: the INSERT, UPDATE and DELETE statements, and the rows they
wrote, of one applicant's whole journey, stage by stage.

What it counts: every statement this process sends to PostgreSQL (a SQLAlchemy
after_cursor_execute listener on the app's engine) that inserts, updates or deletes, and the rows
it reports (the cursor's rowcount), during each stage of one journey: register (the account and
its emailed code), verify email (the code typed), login, start (a draft), the four wizard steps
(service, passport, personal: the NIK verified with the stand-in registry, travel), the uploads
(each required document), submit (documents done, the declaration), choose office, book (an
hour held: hold, bill, mail), pay (the payment channel's signed notice), check-in (the QR
scanned at the office), called and served (at a counter), examination (every document judged,
photo and fingerprints, approved), print (the passport printed), ready for pickup and collect
(handed over to the applicant).

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_writes, dropped
and recreated, then dropped at the end; BENCH_DATABASE_URL overrides), migrated, with the
Makassar office of the demo data open at every hour (in a zone whose hour is not the day's last,
as bench.counter sets it) and an hour released for booking (bench.quota_opening). The applicant's
stages, check-in and calling go over HTTP through the app's test client in this process, as a
browser and the counter's pages send them; the examination, print, ready and collect stages call
the services their pages call (as tests/issuances.py does). There is no REDIS_URL, so jobs (the
NIK check, the travel-ban check, mail) run in the request and their writes are counted where
they happen. Between pay and check-in the booked hour is moved to the current one (not counted):
the day of the appointment comes.

How to read it: rows are what the statements wrote (an UPDATE that matched nothing writes 0);
statements include those writing no row. The staff's own sign-in is setup, not counted. The
last lines printed are writes_per_application (rows) and statements_per_application.
"""

import os
import re
import sys
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from bench import counter, harness, quota_opening  # noqa: E402

EMAIL = "ayu@contoh.id"
OFFICE_CODE = "kanim-makassar"
WEBHOOK_SECRET = "bench-webhook-secret"
WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
REGISTRATION = {
    "full_name": "Siti Rahayu",
    "email": EMAIL,
    "phone": "0812-3456-7890",
    "password": harness.PASSWORD,
    "accept_terms": "y",
}


@dataclass
class Stage:
    name: str
    statements: int = 0
    rows: int = 0
    tables: Counter = field(default_factory=Counter)  # rows per table


class WriteCounter:
    """Counts the engine's writing statements into the stage that runs (none: not counted)."""

    def __init__(self, engine: sa.Engine):
        self.stages: list[Stage] = []
        self._current: Stage | None = None
        sa.event.listen(engine, "after_cursor_execute", self._executed)

    def _executed(self, _connection, cursor, statement, _parameters, _context, _many) -> None:
        found = WRITE.match(statement)
        if self._current is None or found is None:
            return
        rows = max(cursor.rowcount, 0)
        self._current.statements += 1
        self._current.rows += rows
        self._current.tables[found.group(2)] += rows

    @contextmanager
    def stage(self, name: str):
        self._current = Stage(name)
        try:
            yield
        finally:
            self.stages.append(self._current)
            self._current = None


def expect(response, status: int = 302, where: str | None = None):
    """The response, when it is the answer the stage should get (a redirect `where` it is
    given); else the run stops."""
    if response.status_code != status or where not in (None, response.location):
        raise RuntimeError(
            f"{response.request.path} answered {response.status_code} to {response.location}"
        )
    return response


# Setup -------------------------------------------------------------------------------------


def office_and_staff(bench: harness.Bench) -> dict:
    """The office open all day with an hour released for booking, and a counter officer with a
    counter open for every lane."""
    from tests.checkins import zone_where
    from tests.reviews import counter_officer
    from webapp.clock import now
    from webapp.extensions import db
    from webapp.models import Slot

    with bench.app_context():
        office = harness.demo_office(OFFICE_CODE)
        for name, value in counter.OPEN_ALL_DAY.items():
            setattr(office, name, value)
        office.timezone = zone_where(lambda hour: hour < 23)
        db.session.add(office)
        db.session.flush()
        starts_at, _note = quota_opening.released_start(office, now())
        slot = Slot(office_id=office.id, starts_at=starts_at, lane="regular", capacity=10)
        db.session.add(slot)
        db.session.commit()
        officer = counter_officer(office)
        return {"slot_id": slot.id, "officer": officer.email, "zone": office.timezone}


def appointment_day_comes(bench: harness.Bench, slot_id: int, zone: str) -> None:
    """The booked hour moved to the current one: the applicant is at the office on the day."""
    from tests.checkins import hour_start
    from webapp.extensions import db
    from webapp.models import Slot

    with bench.app_context():
        db.session.get(Slot, slot_id).starts_at = hour_start(zone)
        db.session.commit()


# The journey -------------------------------------------------------------------------------


def applicant_stages(bench: harness.Bench, writes: WriteCounter, slot_id: int) -> str:
    """Register to paid, over HTTP: the application's public id."""
    from tests.conftest import Mailbox
    from tests.factories import FORM_ANSWERS, jpeg_bytes
    from tests.html import csrf_token, submit
    from tests.integration.test_wizard import required_codes, upload

    app = bench.app
    client = app.test_client()
    with writes.stage("register"):
        expect(submit(client, "/register", REGISTRATION), where="/verify")
    with writes.stage("verify email"):
        expect(submit(client, "/verify", {"code": Mailbox(app).code_for(EMAIL)}))
    with writes.stage("login"):
        expect(submit(client, "/login", {"email": EMAIL, "password": harness.PASSWORD}))
    with writes.stage("start"):
        token = csrf_token(client.get("/"))
        base = expect(client.post("/applications", data={"csrf_token": token})).location
        base = base.rsplit("/", 1)[0]
    for step, answers in FORM_ANSWERS.items():
        with writes.stage(f"step {step}" + (" (NIK verified)" if step == "personal" else "")):
            expect(submit(client, f"{base}/{step}", answers))
    for code in required_codes(client, base):
        with writes.stage(f"upload {code}"):
            expect(upload(client, base, code, jpeg_bytes()))
    with writes.stage("submit"):
        expect(submit(client, f"{base}/documents", {}), where=f"{base}/review")
        expect(submit(client, f"{base}/review", {"declare_true": "y", "accept_forfeit": "y"}))
    with writes.stage("choose office"):
        office = {"office": OFFICE_CODE}
        expect(submit(client, f"{base}/office", office), where=f"{base}/slots")
    with writes.stage("book (hold)"):
        form = {"csrf_token": csrf_token(client.get(base)), "slot": slot_id, "seen": "submitted"}
        expect(client.post(f"{base}/hold", data=form), where=base)
    with writes.stage("pay (webhook)"):
        expect(pay(bench, client), status=200)
    return base.rsplit("/", 1)[1]


def pay(bench: harness.Bench, client):
    """The payment channel's signed notice for the application's bill."""
    from webapp import clock
    from webapp.extensions import db
    from webapp.integrations.payment_gateway import (
        NOTIFY_PATH,
        SIGNATURE_HEADER,
        Notice,
        encode_notice,
        sign,
    )
    from webapp.models import Bill

    with bench.app.app_context():
        bill = db.session.scalar(sa.select(Bill).order_by(Bill.id.desc()).limit(1))
        body = encode_notice(Notice("BENCH-1", bill.code, bill.amount, clock.now()))
    headers = {SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)}
    return client.post(NOTIFY_PATH, data=body, headers=headers, content_type="application/json")


def office_stages(bench: harness.Bench, writes: WriteCounter, officer: str, public_id: str):
    """Check-in and calling over HTTP, then the counter's decision and the passport's way out
    through the services their pages call."""
    from tests.html import csrf_token
    from tests.reviews import ready_to_approve
    from tests.staff import sign_in_staff
    from webapp import signing
    from webapp.extensions import db
    from webapp.models import Application, Hold, Office, Slot, User, Visit
    from webapp.rules import collection
    from webapp.services import issuance, review

    app = bench.app
    desk = sign_in_staff(app, officer)
    with app.app_context():
        application = db.session.scalar(sa.select(Application).filter_by(public_id=public_id))
        slot = db.session.scalar(
            sa.select(Slot).join(Hold).where(Hold.application_id == application.id)
        )
        office = db.session.get(Office, application.office_id)
        qr = signing.issue_token(application.number, office.code, slot.starts_at)
        application_id = application.id
    token = csrf_token(desk.get("/counter/check-in"))
    with writes.stage("check-in"):
        form = {"csrf_token": token, "scanned": qr, "priority_group": ""}
        answer = expect(desk.post("/counter/check-in", data=form))
        if "visit=" not in answer.location:
            raise RuntimeError(f"the scan led to {answer.location}, not to a number")
    with writes.stage("called and served"):
        expect(desk.post("/counter/call-next", data={"csrf_token": token}))
        with app.app_context():
            visit_id = db.session.scalar(
                sa.select(Visit.id).filter_by(application_id=application_id)
            )
        form = {"csrf_token": token, "visit_id": visit_id}
        expect(desk.post("/counter/start-service", data=form))
    with app.app_context():
        staff = db.session.scalar(sa.select(User).filter_by(email=officer))
        with writes.stage("examination (judged, captured, approved)"):
            ready_to_approve(staff, application_id)
            review.approve(staff, application_id)
        with writes.stage("print"):
            issuance.mark_printed(staff, application_id)
        with writes.stage("ready for pickup"):
            issuance.mark_ready(staff, application_id)
        with writes.stage("collect"):
            issuance.collect(
                staff, application_id, collection.APPLICANT, None, None, None, "KTP", None
            )
        status = db.session.get(Application, application_id).status
    if status != "collected":
        raise RuntimeError(f"the journey ended {status}")


# Report ------------------------------------------------------------------------------------


def report(stages: list[Stage]) -> None:
    header = f"{'stage':<42}{'statements':>11}{'rows':>6}  rows by table"
    print(header)
    print("-" * (len(header) + 30))
    for stage in stages:
        tables = ", ".join(f"{name} {rows}" for name, rows in stage.tables.most_common())
        print(f"{stage.name:<42}{stage.statements:>11}{stage.rows:>6}  {tables}")
    totals: defaultdict = defaultdict(int)
    for stage in stages:
        for name, rows in stage.tables.items():
            totals[name] += rows
    print(
        "\nrows by table, whole journey: "
        + ", ".join(f"{n} {r}" for n, r in sorted(totals.items(), key=lambda kv: -kv[1]))
    )
    harness.report(
        {
            "writes_per_application": sum(stage.rows for stage in stages),
            "statements_per_application": sum(stage.statements for stage in stages),
        }
    )


def main() -> None:
    from webapp.extensions import db
    from webapp.jobs import waiting_rooms

    with harness.Bench("mpaspor_bench_writes") as bench:
        bench.app.config["PAYMENT_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        # The embedded waiting rooms' clock is never started: there is no room in this journey,
        # and its thread would outlive the database.
        bench.app.extensions[waiting_rooms.EMBEDDED] = (None, None)
        setup = office_and_staff(bench)
        with bench.app.app_context():
            writes = WriteCounter(db.engine)
        public_id = applicant_stages(bench, writes, setup["slot_id"])
        appointment_day_comes(bench, setup["slot_id"], setup["zone"])
        office_stages(bench, writes, setup["officer"], public_id)
    report(writes.stages)


if __name__ == "__main__":
    main()
