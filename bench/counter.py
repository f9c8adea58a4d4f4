"""The office's front of house under load: check-in at the entrance, then counters calling.

What it measures: BENCH_PEOPLE (500) applicants with paid bookings for the current hour are
checked in by BENCH_COUNTERS (8) members of staff at once, each scanning the QR token of the
proof of application (POST /counter/check-in, timed from just before it is sent until its
answer is read). Then the same staff open one counter each, serving every lane, and all press
"Call next" at once until the queue is empty: each counter's loop is POST /counter/call-next
(timed), the desk page the redirect leads to (the number called, its visit id), and
POST /counter/start-service for that number, so the next call ends that service. Last, the
waiting-room screen's board (GET /display/<office>/board, Accept-Encoding: gzip) while the
eight counters each have a number in service and the last five calls are listed.

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_counter, dropped
and recreated, then dropped at the end; BENCH_DATABASE_URL overrides) is migrated and given the
Makassar office of the demo data, open every day at every hour (in a zone whose local hour is
not the day's last, so that the run stays within today), with one regular and one express slot
at the current hour. Applicants (one in five express) are inserted directly with submitted
applications and verified NIKs, then take their places through booking's own machinery and pay
through the payment service; staff accounts are enrolled with a known TOTP secret. gunicorn
serves the app with BENCH_WORKERS (2) sync workers on loopback, in demo mode, rate limits off.
Every member of staff signs in once, with password and TOTP code, before the clock starts.

How to read it: each latency includes the wait in gunicorn's listen queue, with 8 clients on 2
workers; the client, gunicorn and PostgreSQL share the machine's cores. "scan -> answer" adds
the GET of the answer fragment the check-in redirects to, as the scan page shows it; "call ->
desk" adds the desk page that shows the number called. duplicate_numbers counts, in the
database after the run, the visits beyond the first sharing an office, day, lane and number,
plus the visits called as "next" more than once or to more than one counter (from the audit
trail); it must be 0. display_bytes is the board's body as sent (gzipped).

Then the service page and the proof of rejection: the first BENCH_WITH_DOCUMENTS (40) applicants
uploaded their four documents (tiny JPEGs, through the upload service) during setup; once every
number is served, the signed-in officers GET each of their visits' service pages BENCH_PAGE_ROUNDS
(5) times, shared among the desks as the check-ins were; then, in this process, BENCH_REJECTED
(5) of those applications are rejected through the review service and their proofs of rejection
rendered BENCH_PDF_RENDERS (30) times in all (the median is the figure).

Settings (environment): BENCH_PEOPLE, BENCH_COUNTERS, BENCH_WORKERS, BENCH_TIME_LIMIT and the
four above. The last six lines printed are checkin_p95_ms, call_next_p95_ms, duplicate_numbers,
display_bytes, service_page_p95_ms and rejection_pdf_ms.
"""

import os
import re
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pyotp  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import harness  # noqa: E402

PEOPLE = harness.setting("BENCH_PEOPLE", 500)
COUNTERS = harness.setting("BENCH_COUNTERS", 8)
# Applicants (the first ones booked, naturalised) who upload their four documents.
WITH_DOCUMENTS = harness.setting("BENCH_WITH_DOCUMENTS", 40)
PAGE_ROUNDS = harness.setting("BENCH_PAGE_ROUNDS", 5)  # GETs of each of their service pages
REJECTED = harness.setting("BENCH_REJECTED", 5)
PDF_RENDERS = harness.setting("BENCH_PDF_RENDERS", 30)
DOCUMENTS = 4
OFFICE_CODE = "kanim-makassar"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
EXPRESS_EVERY = 5  # one applicant in five pays for the express service
HTMX_ANSWER = {"HX-Request": "true", "HX-Target": "scan-answer"}
VISIT_ID = re.compile(r"name=\"visit_id\" value=\"(\d+)\"")
BOARD_LINE = re.compile(r"<li\b")
OPEN_ALL_DAY = {
    "opening_days": "0123456",
    "first_slot_hour": 0,
    "last_slot_hour": 23,
    "regular_per_hour": PEOPLE,
    "express_per_hour": PEOPLE,
}


# Data --------------------------------------------------------------------------------------


def seed(
    bench: harness.Bench, people: int = PEOPLE, with_documents: int = WITH_DOCUMENTS
) -> tuple[list[str], list[str]]:
    """The office, its slots this hour, the staff, and one paid booking per applicant (`people`,
    the first `with_documents` with their documents uploaded): the staff's emails and the
    applicants' QR tokens."""
    from tests.checkins import hour_start, zone_where
    from webapp.extensions import db
    from webapp.models import Slot
    from webapp.services import staff_auth

    with bench.app_context():
        office = harness.demo_office(OFFICE_CODE)
        for name, value in OPEN_ALL_DAY.items():
            setattr(office, name, value)
        office.timezone = zone_where(lambda hour: hour < 23)
        db.session.add(office)
        db.session.flush()
        starts_at = hour_start(office.timezone)
        slots = {
            lane: Slot(office_id=office.id, starts_at=starts_at, lane=lane, capacity=PEOPLE)
            for lane in ("regular", "express")
        }
        db.session.add_all(slots.values())
        staff = [
            harness.verified_user(
                f"loket{n}@contoh.id",
                f"Petugas Loket {n}",
                f"+62816{n:08d}",
                role="staff",
                office_id=office.id,
            )
            for n in range(1, COUNTERS + 1)
        ]
        for member in staff:
            staff_auth.enrolled(member, TOTP_SECRET)
        db.session.add_all(staff)
        db.session.commit()
        slot_ids = {lane: slot.id for lane, slot in slots.items()}
        tokens = book_and_pay(office, slot_ids, people, with_documents)
        return [member.email for member in staff], tokens


def book_and_pay(office, slot_ids: dict[str, int], people: int, with_documents: int) -> list[str]:
    """One applicant per place, each with a paid booking this hour: their QR tokens."""
    from tests.booked import pay
    from webapp import signing
    from webapp.extensions import db
    from webapp.services import booking

    residents = harness.residents(people)
    users = harness.verified_users(residents, "antre", "+62817")
    db.session.add_all(users)
    db.session.flush()
    applications = harness.submitted_applications(users, residents, office, "antre", "26120")
    for n, application in enumerate(applications):
        if n % EXPRESS_EVERY == 0:
            application.service = "express"
    for application in applications[:with_documents]:
        application.naturalised = True  # a fourth document: the naturalisation decree
    db.session.add_all(applications)
    db.session.commit()
    upload_documents(applications[:with_documents])
    tokens = []
    for application in applications:
        harness.check_deadline()
        slot_id = slot_ids[booking.lane_for(application)]
        held = booking.reserve(
            application, slot_id, actor_id=application.account_id, check=lambda *unchecked: None
        )
        booking.confirm(application, held)
        if pay(application.id) != "applied":
            raise RuntimeError(f"the bill of {application.number} was not paid")
        tokens.append(signing.issue_token(application.number, office.code, held.slot.starts_at))
    return tokens


def upload_documents(applications: list) -> None:
    """Every required document of these applications, a tiny JPEG each, as the wizard stores
    it (its quality check runs in-process: no Redis)."""
    from tests.factories import jpeg_bytes
    from webapp.services import documents

    picture = jpeg_bytes(width=320, height=200)
    for application in applications:
        harness.check_deadline()
        items = documents.required_items(application)
        if len(items) != DOCUMENTS:
            raise RuntimeError(f"{application.number} needs {len(items)} documents")
        for code, _document in items:
            documents.upload(application, code, picture)


def database_outcome(bench: harness.Bench) -> dict:
    """What the run left: visits and applications by status, and the numbers issued twice."""
    from webapp.extensions import db

    def value(sql: str) -> int:
        return db.session.scalar(sa.text(sql)) or 0

    def counts(sql: str) -> dict:
        return dict(db.session.execute(sa.text(sql)).all())

    with bench.app_context():
        return {
            "visits": counts("SELECT status, count(*) FROM visits GROUP BY status"),
            "applications": counts("SELECT status, count(*) FROM applications GROUP BY status"),
            "same_number": value(
                "SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM visits"
                " GROUP BY office_id, day, lane, number HAVING count(*) > 1) AS shared"
            ),
            "called_twice": value(
                "SELECT count(*) FROM (SELECT entity_id FROM audit_entries"
                " WHERE entity = 'visit' AND from_status = 'waiting' AND to_status = 'called'"
                " GROUP BY entity_id HAVING count(*) > 1) AS twice"
            ),
            "two_counters": value(
                "SELECT count(*) FROM (SELECT entity_id FROM audit_entries"
                " WHERE entity = 'visit' AND to_status IN ('called', 'serving')"
                " GROUP BY entity_id HAVING count(DISTINCT counter_number) > 1) AS shared"
            ),
        }


# Clients -----------------------------------------------------------------------------------


@dataclass
class Desk:
    """One member of staff: a client signed in with both factors, its CSRF token, its counter."""

    client: harness.Client
    token: str
    counter: int


def sign_in(server: harness.Server, email: str, counter: int) -> Desk:
    """Password, then the authenticator's code (accepted once per time step: once per run)."""
    harness.check_deadline()
    client = server.client().sign_in(email)
    if client.location != "/staff/sign-in/code":
        raise RuntimeError(f"{email}: the login led to {client.location!r}, not the code page")
    client.submit("/staff/sign-in/code", {"code": pyotp.TOTP(TOTP_SECRET).now()})
    status, token = client.csrf_token("/counter/check-in")
    if status != 200 or token is None:
        raise RuntimeError(f"{email}: the check-in page answered {status}")
    return Desk(client, token, counter)


@dataclass
class Timings:
    """One desk's latencies: the measured request alone, and with the page it leads to."""

    request: harness.Tally
    with_page: harness.Tally


def check_in_all(desk: Desk, tokens: list[str]) -> Timings:
    """Scan each token in turn, as a scanner types it, and fetch the answer shown."""
    timings = Timings(harness.Tally(), harness.Tally())
    for token in tokens:
        harness.check_deadline()
        form = {"csrf_token": desk.token, "scanned": token, "priority_group": ""}
        timings.with_page.timed(
            lambda form=form: scan_and_answer(desk.client, timings.request, form)
        )
    return timings


def scan_and_answer(client: harness.Client, tally: harness.Tally, form: dict) -> tuple[int, str]:
    """POST the scan (timed on `tally`); given a number, GET the answer it redirects to."""
    status, _ = tally.timed(lambda: client.request("POST", "/counter/check-in", form))
    answer = urlsplit(client.headers.get("Location", "")) if status == 302 else None
    if answer is None or not answer.query.startswith("visit="):
        return status if status != 302 else 0, ""  # refused: the scan page, or elsewhere
    tally.completed += 1
    return client.request("GET", f"{answer.path}?{answer.query}", headers=HTMX_ANSWER)


def serve_counter(desk: Desk) -> Timings:
    """Open the counter for every lane, then call and start the service of the next number
    until "Call next" finds nobody waiting."""
    from webapp.rules.visits import LANES

    post = desk.client.request
    fields = {"csrf_token": desk.token, "counter_number": desk.counter, "lanes": list(LANES)}
    if post("POST", "/counter/open", fields)[0] != 302:
        raise RuntimeError(f"counter {desk.counter} did not open")
    timings = Timings(harness.Tally(), harness.Tally())
    while True:
        harness.check_deadline()
        status, page = timings.with_page.timed(lambda: call_and_look(desk, timings.request))
        called = VISIT_ID.search(page) if status == 200 else None
        if called is None:
            return timings  # nobody waiting (or the call failed, counted as an error)
        form = {"csrf_token": desk.token, "visit_id": called.group(1)}
        if post("POST", "/counter/start-service", form)[0] == 302:
            timings.request.completed += 1


def documented_visits(bench: harness.Bench) -> list[int]:
    """The visits of the applicants who uploaded their documents, as the counters left them."""
    from webapp.extensions import db
    from webapp.models import Document, Visit

    with bench.app_context():
        return list(
            db.session.scalars(
                sa.select(Visit.id)
                .where(Visit.application_id.in_(sa.select(Document.application_id)))
                .order_by(Visit.id)
            )
        )


def open_service_pages(desk: Desk, visit_ids: list[int]) -> harness.Tally:
    """GET each visit's service page PAGE_ROUNDS times, as the officer reviewing it."""
    tally = harness.Tally()
    for _round in range(PAGE_ROUNDS):
        for visit_id in visit_ids:
            harness.check_deadline()
            status, _ = tally.timed(
                lambda visit_id=visit_id: desk.client.request("GET", f"/counter/service/{visit_id}")
            )
            if status != 200:  # a redirect would time another page
                raise RuntimeError(f"the service page of visit {visit_id} answered {status}")
    return tally


def rejection_renders(bench: harness.Bench, emails: list[str]) -> list[float]:
    """Reject REJECTED of the documented applications in review, then render their proofs of
    rejection PDF_RENDERS times in all, in-process: each render's seconds."""
    from webapp.extensions import db
    from webapp.models import Application, Document, User
    from webapp.rules import decisions, statuses
    from webapp.services import review

    with bench.app_context():
        staff = db.session.scalar(sa.select(User).filter_by(email=emails[0]))
        ids = db.session.scalars(
            sa.select(Application.id)
            .where(
                Application.status == statuses.IN_REVIEW,
                Application.id.in_(sa.select(Document.application_id)),
            )
            .order_by(Application.id)
            .limit(REJECTED)
        ).all()
        if not ids:
            raise RuntimeError("no documented application was in review to reject")
        for application_id in ids:
            review.reject(staff, application_id, decisions.FALSE_DATA, "Data tidak sesuai.")
        seconds = []
        for n in range(PDF_RENDERS):
            harness.check_deadline()
            application = db.session.get(Application, ids[n % len(ids)])
            started = time.perf_counter()
            review.rejection_pdf(application)
            seconds.append(time.perf_counter() - started)
        return seconds


def call_and_look(desk: Desk, tally: harness.Tally) -> tuple[int, str]:
    form = {"csrf_token": desk.token}
    status, _ = tally.timed(lambda: desk.client.request("POST", "/counter/call-next", form))
    if status != 302:
        return status, ""
    return desk.client.request("GET", "/counter/desk")


def board(server: harness.Server, office_code: str) -> tuple[int, int, str, int]:
    """The screen's board as sent gzipped: status, bytes on the wire, encoding, lines shown."""
    client = server.client({"Accept-Encoding": "gzip"})
    status, fragment = client.request("GET", f"/display/{office_code}/board")
    encoding = client.headers.get("Content-Encoding", "identity")
    return status, client.body_bytes, encoding, len(BOARD_LINE.findall(fragment))


# Report ------------------------------------------------------------------------------------


def latencies(timings: list[Timings], which: str) -> list[float]:
    return [value for t in timings for value in getattr(t, which).latencies]


def print_row(name: str, timings: list[Timings], which: str, seconds: float) -> None:
    tallies = [getattr(t, which) for t in timings]
    values = latencies(timings, which)
    errors = sum(t.errors for t in tallies)
    print(
        f"{name:<16}{len(values):>9}{errors:>8}{len(values) / seconds:>8.1f}"
        f"{harness.percentile_ms(values, 0.5):>8.0f}{harness.percentile_ms(values, 0.95):>8.0f}"
        f"{harness.percentile_ms(values, 1.0):>8.0f}"
    )


def report(result: dict) -> None:
    outcome, checkins, calls = result["outcome"], result["checkins"], result["calls"]
    print(
        f"people: {PEOPLE}   counters: {COUNTERS}   gunicorn workers: {result['workers']}"
        f" (sync, 1 thread)   cpus: {os.cpu_count()}"
    )
    header = f"{'phase':<16}{'requests':>9}{'errors':>8}{'req/s':>8}"
    print(header + f"{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    print("-" * (len(header) + 24))
    print_row("check-in", checkins, "request", result["checkin_seconds"])
    print_row("scan -> answer", checkins, "with_page", result["checkin_seconds"])
    print_row("call next", calls, "request", result["calling_seconds"])
    print_row("call -> desk", calls, "with_page", result["calling_seconds"])
    checked_in = sum(t.request.completed for t in checkins)
    served = sum(t.request.completed for t in calls)
    print(
        f"checked in: {checked_in} in {result['checkin_seconds']:.1f} s   called and served:"
        f" {served} in {result['calling_seconds']:.1f} s"
    )
    print(f"visits by status: {outcome['visits']}")
    print(f"applications by status: {outcome['applications']}")
    print(
        f"same number twice: {outcome['same_number']}   called as next twice:"
        f" {outcome['called_twice']}   called to two counters: {outcome['two_counters']}"
    )
    status, size, encoding, lines = result["board"]
    print(f"board: status {status}, {size} bytes ({encoding}), {lines} numbers shown")
    page_values = [value for tally in result["pages"] for value in tally.latencies]
    page_errors = sum(tally.errors for tally in result["pages"])
    print(
        f"service page ({DOCUMENTS} documents): {len(page_values)} GETs, {page_errors} errors,"
        f" p50 {harness.percentile_ms(page_values, 0.5):.0f} ms,"
        f" p95 {harness.percentile_ms(page_values, 0.95):.0f} ms"
        f" in {result['pages_seconds']:.1f} s"
    )
    renders = result["renders"]
    print(
        f"proof of rejection: {len(renders)} renders in-process,"
        f" median {harness.percentile_ms(renders, 0.5):.0f} ms,"
        f" max {harness.percentile_ms(renders, 1.0):.0f} ms"
    )
    harness.print_log("gunicorn", result["problems"])
    duplicates = outcome["same_number"] + outcome["called_twice"] + outcome["two_counters"]
    harness.report(
        {
            "checkin_p95_ms": f"{harness.percentile_ms(latencies(checkins, 'request'), 0.95):.0f}",
            "call_next_p95_ms": f"{harness.percentile_ms(latencies(calls, 'request'), 0.95):.0f}",
            "duplicate_numbers": duplicates,
            "display_bytes": size,
            "service_page_p95_ms": f"{harness.percentile_ms(page_values, 0.95):.0f}",
            "rejection_pdf_ms": f"{harness.percentile_ms(renders, 0.5):.0f}",
        }
    )


# Run ---------------------------------------------------------------------------------------


def run(bench: harness.Bench) -> dict:
    emails, tokens = seed(bench)
    with bench.serve() as server:
        desks = harness.for_each(
            lambda item: sign_in(server, *item),
            [(email, n) for n, email in enumerate(emails, 1)],
            COUNTERS,
        )[0]
        shares = [(desk, tokens[n :: len(desks)]) for n, desk in enumerate(desks)]
        checkins, checkin_seconds = harness.for_each(
            lambda share: check_in_all(*share), shares, len(desks)
        )
        calls, calling_seconds = harness.for_each(serve_counter, desks, len(desks))
        shown = board(server, OFFICE_CODE)
        visit_ids = documented_visits(bench)
        shares = [(desk, visit_ids[n :: len(desks)]) for n, desk in enumerate(desks)]
        pages, pages_seconds = harness.for_each(
            lambda share: open_service_pages(*share), shares, len(desks)
        )
    return {
        "workers": server.workers,
        "checkins": checkins,
        "checkin_seconds": checkin_seconds,
        "calls": calls,
        "calling_seconds": calling_seconds,
        "board": shown,
        "pages": pages,
        "pages_seconds": pages_seconds,
        "outcome": database_outcome(bench),
        "renders": rejection_renders(bench, emails),
        "problems": server.problems,
    }


def main() -> None:
    with harness.Bench("mpaspor_bench_counter") as bench:
        result = run(bench)
    report(result)


if __name__ == "__main__":
    main()
