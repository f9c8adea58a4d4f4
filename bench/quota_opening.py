"""Quota opening: many applicants try to hold the same free places at the same instant.

What it measures: BENCH_ATTEMPTS (2,000) hold attempts, each by a different applicant for their
own submitted application, all on ONE regular slot with BENCH_CAPACITY (100) places, sent by
BENCH_CLIENTS (64) client threads released together. Every attempt is one
POST /applications/<id>/hold as its confirmation posts it (the slot, and the status the
applicant saw), timed from just before it is sent until its answer is read.

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_quota, dropped
and recreated, then dropped at the end; BENCH_DATABASE_URL overrides) is migrated and given the
Makassar office of the demo data (WITA, quota released on Friday 09.00), one slot at 09.00 WITA
on the first opening day from tomorrow that is already released (checked with
webapp.rules.quota.booking_problem; tomorrow always is unless today is a Friday before 09.00
WITA), and one verified account per attempt, each with one submitted application at that
office (a verified NIK of its own). Rows are inserted directly.
gunicorn serves the app with BENCH_WORKERS (4) sync workers on loopback, with no REDIS_URL
(so the hold's mail is written in the request, as in the embedded default) and with
RATELIMIT_ENABLED=false: every attempt comes from 127.0.0.1, and the per-address limit of the
hold route (30 per hour) would otherwise refuse nearly all of them before they reach the quota.
Before the clock starts every applicant logs in and fetches a CSRF token from its application's
page. Then each client thread takes the next application and posts its hold, one after the
other (about 31 each), as fast as answers come.

Then the sustained rate: the applicants refused at the opening post holds for the hour after it
in closed loops of 1, 2, 4... client threads (up to BENCH_CLIENTS), BENCH_RATE_SECONDS (5) each;
that hour gets a place for every BENCH_ATTEMPTS / BENCH_CAPACITY (20) attempts, a refused
applicant goes back to the end of the line and a granted one leaves it, so granted and refused
attempts mix as at the opening. It stops once a step's p95 passes 1 s. holds_per_s is the best
rate of answered attempts (granted or refused) of a step whose p95 stayed within 1 s.

How to read it: "granted" is counted in the DATABASE (holds of the slot with status held) and
must equal the capacity: more would be an oversold slot, fewer a lost place. It is cross-checked
with the answers: a granted attempt is a 302 to /applications/<id> with no error flash; a
refused one a 302 back to the calendar with the flash "That hour was just taken" (read from
the signed session cookie). errors_5xx must be 0. The latency includes the wait in gunicorn's
listen queue: with 64 clients and 4 workers a request waits behind about 15 others, and every
hold waits for the slot's row lock, so p95 is mostly queueing. Client, gunicorn and PostgreSQL
share this machine's CPUs. Bench accounts get the harness's one-iteration PBKDF2 password hash
so that logging 2,000 of them in, which is not measured, takes seconds and not minutes.

Settings (environment): BENCH_ATTEMPTS, BENCH_CAPACITY, BENCH_CLIENTS, BENCH_WORKERS,
BENCH_RATE_SECONDS, BENCH_TIME_LIMIT (300 s: the run is abandoned after it). The last seven
lines printed are attempts, capacity, granted, errors_5xx, p50_ms and p95_ms (the opening's),
and holds_per_s.
"""

import http.client
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from itsdangerous import BadSignature  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import harness  # noqa: E402

ATTEMPTS = harness.setting("BENCH_ATTEMPTS", 2000)
CAPACITY = harness.setting("BENCH_CAPACITY", 100)
CLIENTS = harness.setting("BENCH_CLIENTS", 64)
WORKERS = harness.setting("BENCH_WORKERS", 4)
RATE_SECONDS = harness.setting("BENCH_RATE_SECONDS", 5.0)
RATE_P95_MS = 1000  # the sustained rate is the best whose p95 stays within this
OFFICE_CODE = "kanim-makassar"
SLOT_HOUR = 9  # office time
SEEN_STATUS = "submitted"  # what each applicant's confirmation shows: the application's status


# Data --------------------------------------------------------------------------------------


def released_start(office, moment: datetime) -> tuple[datetime, str]:
    """09.00 office time on the first day from tomorrow that can be booked now, preferring the
    office's opening days; with a note saying which day was taken and why."""
    from webapp.rules.quota import booking_problem
    from webapp.rules.working_days import national_holidays

    zone = ZoneInfo(office.timezone)
    today = moment.astimezone(zone).date()
    candidates = []
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        starts_at = datetime.combine(day, clock_time(SLOT_HOUR), zone)
        problem = booking_problem(
            starts_at,
            now=moment,
            zone=office.timezone,
            release_weekday=office.release_weekday,
            release_hour=office.release_hour,
        )
        opening = str(day.weekday()) in office.opening_days and day not in national_holidays(
            [day.year]
        )
        if problem is None:
            candidates.append((not opening, offset, starts_at))  # opening days first
    if not candidates:
        raise RuntimeError("no released day in the next three weeks")
    not_opening, offset, starts_at = min(candidates)
    note = "tomorrow" if offset == 1 else f"in {offset} days (tomorrow is not open or released)"
    if not_opening:
        note += ", not an opening day (none released)"
    return starts_at, note


def seed(bench: harness.Bench, attempts: int = ATTEMPTS, capacity: int = CAPACITY) -> dict:
    """The office, its one slot of `capacity` places, and one verified account per attempt,
    each with one submitted application at that office."""
    from webapp.clock import now
    from webapp.extensions import db
    from webapp.models import Slot

    people = harness.residents(attempts)
    with bench.app_context():
        office = harness.demo_office(OFFICE_CODE)
        db.session.add(office)
        db.session.flush()
        starts_at, note = released_start(office, now())
        slot = Slot(office_id=office.id, starts_at=starts_at, lane="regular", capacity=capacity)
        # The hour after, for the sustained rate: no places until its attempts add them.
        later = starts_at + timedelta(hours=1)
        after = Slot(office_id=office.id, starts_at=later, lane="regular", capacity=0)
        db.session.add_all([slot, after])
        users = harness.verified_users(people, "quota", "+62814")
        db.session.add_all(users)
        db.session.flush()
        applications = harness.submitted_applications(users, people, office, "quota", "26113")
        db.session.add_all(applications)
        db.session.commit()
        return {
            "slot_id": slot.id,
            "rate_slot_id": after.id,
            "starts_at": starts_at,
            "note": note,
            "accounts": [(u.email, a.public_id) for u, a in zip(users, applications, strict=True)],
        }


def database_outcome(bench: harness.Bench, slot_id: int) -> dict:
    from webapp.extensions import db

    def counts(sql: str) -> dict:
        return dict(db.session.execute(sa.text(sql), {"s": slot_id}).all())

    with bench.app_context():
        held = db.session.scalars(
            sa.text(
                "SELECT a.public_id FROM holds h JOIN applications a ON a.id = h.application_id"
                " WHERE h.slot_id = :s AND h.status = 'held'"
            ),
            {"s": slot_id},
        ).all()
        return {
            "holds": counts(
                "SELECT status, count(*) FROM holds WHERE slot_id = :s GROUP BY status"
            ),
            "held": set(held),
            "bills": db.session.scalar(sa.text("SELECT count(*) FROM bills")),
            "statuses": counts("SELECT status, count(*) FROM applications GROUP BY status"),
        }


# Clients -----------------------------------------------------------------------------------


@dataclass
class Applicant:
    """One account and its application: a client of its own, signed in, and its CSRF token."""

    client: harness.Client
    public_id: str
    token: str


def get_ready(server: harness.Server, account: tuple[str, str]) -> Applicant:
    harness.check_deadline()
    email, public_id = account
    client = server.client().sign_in(email)
    status, token = client.csrf_token(f"/applications/{public_id}")
    if status != 200 or not token:
        raise RuntimeError(f"application page of {public_id} answered {status}")
    return Applicant(client, public_id, token)


@dataclass
class Attempt:
    applicant: Applicant
    status: int  # 0 when the connection failed, -1 when not sent (time limit)
    location: str
    seconds: float
    outcome: str = ""


def hold_request(applicant: Applicant, slot_id: int) -> tuple[str, str, dict]:
    """The hold as the applicant's confirmation posts it: method, path and form."""
    form = {"csrf_token": applicant.token, "slot": str(slot_id), "seen": SEEN_STATUS}
    return "POST", f"/applications/{applicant.public_id}/hold", form


def granted(applicant: Applicant) -> bool:
    """Whether the hold just posted was granted: it leads back to the application."""
    return applicant.client.location == f"/applications/{applicant.public_id}"


def attempt(applicant: Applicant, slot_id: int) -> Attempt:
    if harness.past_deadline():
        return Attempt(applicant, -1, "", 0.0)
    client = applicant.client
    started = time.perf_counter()
    try:
        status, _ = client.request(*hold_request(applicant, slot_id))
        location = client.location
    except (OSError, http.client.HTTPException):
        status, location = 0, ""
    return Attempt(applicant, status, location, time.perf_counter() - started)


def classify(attempts: list[Attempt], app) -> None:
    """Each attempt's outcome from its status, its Location and the flash in its session."""
    from webapp import labels

    serializer = app.session_interface.get_signing_serializer(app)
    problems = {}
    with app.test_request_context():
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                problems.update({str(text): code for code, text in labels.BOOKING_PROBLEMS.items()})
    for item in attempts:
        errors = [
            message
            for category, message in flashes(serializer, item.applicant.client)
            if category != "success"
        ]
        if item.status == -1:
            item.outcome = "not sent (time limit)"
        elif item.status == 0:
            item.outcome = "connection failed"
        elif item.status >= 500:
            item.outcome = f"server error {item.status}"
        elif item.status != 302:
            item.outcome = f"answered {item.status}"
        elif errors:
            item.outcome = "refused: " + ", ".join(problems.get(m, repr(m)) for m in errors)
        elif item.location == f"/applications/{item.applicant.public_id}":
            item.outcome = "granted"
        else:
            item.outcome = f"302 to {item.location} without a flash"


def flashes(serializer, client: harness.Client) -> list[tuple[str, str]]:
    """The flash messages waiting in the client's session cookie (signed, not encrypted)."""
    value = client.cookies.get("session")
    if not value:
        return []
    try:
        return [tuple(pair) for pair in serializer.loads(value).get("_flashes", [])]
    except BadSignature:
        return [("error", "unreadable session cookie")]


# Sustained rate ----------------------------------------------------------------------------


@dataclass
class RateStep:
    clients: int
    phase: harness.Phase

    @property
    def attempts_per_s(self) -> float:
        """Answered attempts, granted or refused, per second."""
        return (self.phase.requests - self.phase.errors) / self.phase.seconds

    @property
    def within_p95(self) -> bool:
        return self.phase.latency_ms(0.95) <= RATE_P95_MS


def sustained_rate(bench: harness.Bench, applicants: list[Applicant], slot_id: int) -> list:
    """Closed loops of 1, 2, 4... client threads (up to CLIENTS), RATE_SECONDS each, until p95
    passes RATE_P95_MS. The applicants still without a place post their holds for the hour after
    the opening's in turn, a refused one going back to the end of the line; that hour gets a
    place for every ATTEMPTS / CAPACITY attempts, so that granted and refused attempts mix as
    at the opening."""
    every = max(1, ATTEMPTS // CAPACITY)
    line = deque(applicants)
    sent = [0]
    taking = threading.Lock()
    engine = sa.create_engine(make_url(bench.url).set(drivername="postgresql+psycopg"))

    def add_place() -> None:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE slots SET capacity = capacity + 1 WHERE id = :s"), {"s": slot_id}
            )

    def unit(_client, tally: harness.Tally, _argument) -> None:
        with taking:
            applicant = line.popleft() if line else None
            sent[0] += applicant is not None
            grows = applicant is not None and sent[0] % every == 0
        if applicant is None:
            time.sleep(0.05)  # everyone has a place: nothing left to attempt
            return
        if grows:
            add_place()
        status, _ = tally.timed(lambda: applicant.client.request(*hold_request(applicant, slot_id)))
        if status == 302 and granted(applicant):
            tally.completed += 1
        else:
            with taking:
                line.append(applicant)

    steps = []
    clients = 1
    while clients <= CLIENTS and not harness.past_deadline():
        phase = harness.for_duration(f"{clients}", unit, [(None, None)] * clients, RATE_SECONDS)
        steps.append(RateStep(clients, phase))
        if not steps[-1].within_p95:
            break
        clients *= 2
    engine.dispose()
    return steps


def print_rate(steps: list[RateStep]) -> None:
    print(
        f"\nsustained: closed loops of rising client threads, {RATE_SECONDS:g} s each, on the"
        f" next hour (a place added every {max(1, ATTEMPTS // CAPACITY)} attempts)"
    )
    header = (
        f"{'clients':>8}{'attempts':>10}{'granted':>9}{'errors':>8}{'attempts/s':>12}"
        f"{'p50 ms':>8}{'p95 ms':>8}"
    )
    print(header)
    print("-" * len(header))
    for step in steps:
        phase = step.phase
        print(
            f"{step.clients:>8}{phase.requests:>10}{sum(t.completed for t in phase.tallies):>9}"
            f"{phase.errors:>8}{step.attempts_per_s:>12.1f}{phase.latency_ms(0.5):>8.0f}"
            f"{phase.latency_ms(0.95):>8.0f}"
        )


# Report ------------------------------------------------------------------------------------


def print_report(result: dict) -> None:
    attempts, seconds, database = result["attempts"], result["seconds"], result["database"]
    print(
        f"attempts: {ATTEMPTS}   places: {CAPACITY}   client threads: {CLIENTS}"
        f"   gunicorn workers: {WORKERS} (sync, 1 thread)   cpus: {os.cpu_count()}"
    )
    print(
        f"slot: {result['starts_at']:%a %d %b %Y %H:%M} WITA, regular lane ({result['note']})"
        f"   rate limits: off (RATELIMIT_ENABLED=false: all clients share 127.0.0.1)"
    )
    print(
        f"login and CSRF tokens beforehand: {result['ready_seconds']:.1f} s (not measured)"
        f"   no REDIS_URL: the hold's mail is written in the request"
    )
    print(
        f"\nall {len(attempts)} attempts released at once: {seconds:.2f} s,"
        f" {len(attempts) / seconds:.0f} attempts/s"
    )
    header = f"{'outcome':<44}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    outcomes = sorted({a.outcome for a in attempts}, key=lambda o: (o != "granted", o))
    for outcome in [*outcomes, "all"]:
        times = [a.seconds for a in attempts if outcome in ("all", a.outcome)]
        print(
            f"{outcome:<44}{len(times):>7}{harness.percentile_ms(times, 0.5):>9.0f}"
            f"{harness.percentile_ms(times, 0.95):>9.0f}{harness.percentile_ms(times, 1.0):>9.0f}"
        )
    answered_granted = {a.applicant.public_id for a in attempts if a.outcome == "granted"}
    held = database["held"]
    print("\nin the database afterwards")
    print(f"  holds of the slot by status: {database['holds']}   bills: {database['bills']}")
    print(f"  applications by status: {database['statuses']}")
    agree = "yes" if answered_granted == held else "NO"
    print(
        f"  held in the database: {len(held)}   granted by the answers: {len(answered_granted)}"
        f"   same applications: {agree}"
    )
    if answered_granted != held:
        print(f"  held but answered otherwise: {sorted(held - answered_granted)[:10]}")
        print(f"  answered granted, not held: {sorted(answered_granted - held)[:10]}")
    oversold = len(held) - CAPACITY
    print(
        "  quota: "
        + (
            "exactly filled"
            if oversold == 0
            else f"{'oversold' if oversold > 0 else 'short'} by {abs(oversold)}"
        )
    )
    print_rate(result["steps"])
    harness.print_log("gunicorn", result["log"])
    latencies = [a.seconds for a in attempts if a.status != -1]  # those sent
    sustained = [step.attempts_per_s for step in result["steps"] if step.within_p95]
    harness.report(
        {
            "attempts": len(latencies),
            "capacity": CAPACITY,
            "granted": len(held),
            "errors_5xx": sum(a.status >= 500 for a in attempts),
            "p50_ms": f"{harness.percentile_ms(latencies, 0.5):.0f}",
            "p95_ms": f"{harness.percentile_ms(latencies, 0.95):.0f}",
            "holds_per_s": f"{max(sustained):.0f}" if sustained else "none within 1 s",
        }
    )


# Run ---------------------------------------------------------------------------------------


def main() -> None:
    with harness.Bench("mpaspor_bench_quota") as bench:
        data = seed(bench)
        with bench.serve(workers=WORKERS) as server:
            started = time.monotonic()
            applicants = harness.for_each(
                lambda account: get_ready(server, account), data["accounts"], CLIENTS
            )[0]
            ready_seconds = time.monotonic() - started
            harness.check_deadline()
            attempts, seconds = harness.for_each(
                lambda applicant: attempt(applicant, data["slot_id"]), applicants, CLIENTS
            )
            # Read before the sustained rate adds its holds, bills and flashes.
            classify(attempts, bench.app)
            database = database_outcome(bench, data["slot_id"])
            refused = [a.applicant for a in attempts if a.outcome.startswith("refused")]
            steps = sustained_rate(bench, refused, data["rate_slot_id"])
    print_report(
        {
            **data,
            "attempts": attempts,
            "seconds": seconds,
            "ready_seconds": ready_seconds,
            "database": database,
            "steps": steps,
            "log": server.problems,
        }
    )


if __name__ == "__main__":
    main()
