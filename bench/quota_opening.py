"""Quota opening: many applicants try to hold the same free places at the same instant.

What it measures: BENCH_ATTEMPTS (2,000) hold attempts, each by a different applicant for their
own submitted application, all on ONE regular slot with BENCH_CAPACITY (100) places, sent by
BENCH_CLIENTS (64) client threads released together. Every attempt is one
POST /applications/<id>/hold, timed from just before it is sent until its answer is read.

How it runs: a dedicated PostgreSQL database (mpaspor_bench_quota, dropped and recreated, then
dropped at the end) is migrated and given the Makassar office of the demo data (WITA, quota
released on Friday 09.00), one slot at 09.00 WITA on the first opening day from tomorrow that is
already released (checked with webapp.rules.quota.booking_problem; tomorrow always is unless
today is a Friday before 09.00 WITA), and one verified account per attempt, each with one
submitted application at that office (a verified NIK of its own). Rows are inserted directly.
gunicorn serves the app with BENCH_WORKERS (4) sync workers on loopback, with no REDIS_URL
(so the hold's mail is written in the request, as in the embedded default) and with
RATELIMIT_ENABLED=false: every attempt comes from 127.0.0.1, and the per-address limit of the
hold route (30 per hour) would otherwise refuse nearly all of them before they reach the quota.
Before the clock starts every applicant logs in and fetches a CSRF token from its application's
page. Then each client thread takes its share of applications (about 31) and posts their holds
one after the other, as fast as answers come.

How to read it: "granted" is counted in the DATABASE (holds of the slot with status held) and
must equal the capacity: more would be an oversold slot, fewer a lost place. It is cross-checked
with the answers: a granted attempt is a 302 to /applications/<id> with no error flash; a
refused one a 302 back to the calendar with the flash "That hour was just taken" (read from
the signed session cookie). errors_5xx must be 0. The latency includes the wait in gunicorn's
listen queue: with 64 clients and 4 workers a request waits behind about 15 others, and every
hold waits for the slot's row lock, so p95 is mostly queueing. Client, gunicorn and PostgreSQL
share this machine's CPUs. Bench accounts get a one-iteration PBKDF2 password hash (computed
once) so that logging 2,000 of them in, which is not measured, takes seconds and not minutes.

Settings (environment): BENCH_ATTEMPTS, BENCH_CAPACITY, BENCH_CLIENTS, BENCH_WORKERS,
BENCH_TIME_LIMIT (300 s: the run is abandoned after it). The last six lines printed are
attempts, capacity, granted, errors_5xx, p50_ms and p95_ms.
"""

import http.client
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("BENCH_WORKERS", "4")  # read by bench.wizard_throughput on import

import sqlalchemy as sa  # noqa: E402
from flask_babel import force_locale  # noqa: E402
from itsdangerous import BadSignature  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.verification_latency import (  # noqa: E402
    DEADLINE,
    TIME_LIMIT,
    TimeLimit,
    check_deadline,
    generated_residents,
    log_problems,
    on_alarm,
    percentile_ms,
    verified_users,
)
from bench.wizard_throughput import (  # noqa: E402
    HOST,
    PASSWORD,
    SECRET_KEY,
    WORKERS,
    WSGI_MODULE,
    Client,
    drop_database,
    free_port,
    recreate_database,
    server_environment,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)
from tests.factories import ADULT_ANSWERS  # noqa: E402

DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mpaspor_bench_quota"
ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", "2000"))
CAPACITY = int(os.environ.get("BENCH_CAPACITY", "100"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "64"))
OFFICE_CODE = "kanim-makassar"
SLOT_HOUR = 9  # office time
# The adult answers of tests/factories.py, less who the person is: each resident brings that.
ANSWERS = {
    k: v for k, v in ADULT_ANSWERS.items() if k not in ("nik", "full_name", "birth_date", "sex")
}


# Data --------------------------------------------------------------------------------------


def released_start(office, moment: datetime) -> tuple[datetime, str]:
    """09.00 office time on the first day from tomorrow that can be booked now, preferring the
    office's opening days; with a note saying which day was taken and why."""
    from webapp.rules.quota import booking_problem
    from webapp.rules.working_days import NATIONAL_HOLIDAYS

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
        opening = str(day.weekday()) in office.opening_days and day not in NATIONAL_HOLIDAYS
        if problem is None:
            candidates.append((not opening, offset, starts_at))  # opening days first
    if not candidates:
        raise RuntimeError("no released day in the next three weeks")
    not_opening, offset, starts_at = min(candidates)
    note = "tomorrow" if offset == 1 else f"in {offset} days (tomorrow is not open or released)"
    if not_opening:
        note += ", not an opening day (none released)"
    return starts_at, note


def seed(app) -> dict:
    """Migrate; the office, its one slot, and one verified account per attempt, each with one
    submitted application at that office."""
    from flask_migrate import upgrade

    from webapp.clock import now
    from webapp.extensions import db
    from webapp.models import Application, Office, Slot
    from webapp.services.offices import DEMO_OFFICES

    residents = generated_residents(ATTEMPTS)
    with app.app_context():
        upgrade()
        demo = next(data for data in DEMO_OFFICES if data["code"] == OFFICE_CODE)
        office = Office(**{k: v for k, v in demo.items() if k != "quotas"})
        db.session.add(office)
        db.session.flush()
        starts_at, note = released_start(office, now())
        slot = Slot(office_id=office.id, starts_at=starts_at, lane="regular", capacity=CAPACITY)
        db.session.add(slot)
        # Cheap on purpose: the logins are setup, not what is measured.
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        users = verified_users(residents, "quota", "+62814", password_hash)
        db.session.add_all(users)
        db.session.flush()
        applications = [
            Application(
                account_id=user.id,
                place=1,
                public_id=f"quota{n:011d}",
                number=f"26113{n:011d}",
                status="submitted",
                submitted_at=now(),
                declared_at=now(),
                office_id=office.id,
                nik=resident.nik,
                nik_status="verified",
                nik_checked_at=now(),
                full_name=resident.full_name,
                birth_date=resident.birth_date,
                sex=resident.sex,
                pending_inputs={},
                **ANSWERS,
            )
            for n, (user, resident) in enumerate(zip(users, residents, strict=True), 1)
        ]
        db.session.add_all(applications)
        db.session.commit()
        made = {
            "slot_id": slot.id,
            "starts_at": starts_at,
            "note": note,
            "accounts": [(u.email, a.public_id) for u, a in zip(users, applications, strict=True)],
        }
        db.session.remove()
        db.engine.dispose()
    return made


def database_outcome(engine: sa.Engine, slot_id: int) -> dict:
    with engine.connect() as connection:
        holds = dict(
            connection.execute(
                sa.text("SELECT status, count(*) FROM holds WHERE slot_id = :s GROUP BY status"),
                {"s": slot_id},
            ).all()
        )
        held = connection.scalars(
            sa.text(
                "SELECT a.public_id FROM holds h JOIN applications a ON a.id = h.application_id"
                " WHERE h.slot_id = :s AND h.status = 'held'"
            ),
            {"s": slot_id},
        ).all()
        bills = connection.scalar(sa.text("SELECT count(*) FROM bills"))
        statuses = dict(
            connection.execute(
                sa.text("SELECT status, count(*) FROM applications GROUP BY status")
            ).all()
        )
    return {"holds": holds, "held": set(held), "bills": bills, "statuses": statuses}


# Clients -----------------------------------------------------------------------------------


class RecordingConnection(http.client.HTTPConnection):
    """Keeps the last response, so that its Location header can be read after Client.request."""

    last: http.client.HTTPResponse | None = None

    def getresponse(self, *args, **kwargs):
        self.last = super().getresponse(*args, **kwargs)
        return self.last


class Applicant(Client):
    """One account and its application: cookies, CSRF token, and its own connection."""

    def __init__(self, port: int, email: str, public_id: str):
        super().__init__(port)
        self.connection = RecordingConnection(HOST, port, timeout=30)
        self.email = email
        self.public_id = public_id
        self.token = ""

    def get_ready(self) -> None:
        check_deadline()
        self.log_in(self.email)
        status, token = self.csrf_token(f"/applications/{self.public_id}")
        if status != 200 or not token:
            raise RuntimeError(f"application page of {self.public_id} answered {status}")
        self.token = token


@dataclass
class Attempt:
    applicant: Applicant
    status: int  # 0 when the connection failed, -1 when not sent (time limit)
    location: str
    seconds: float
    outcome: str = ""


def attempt(applicant: Applicant, slot_id: int) -> Attempt:
    if time.monotonic() > DEADLINE:
        return Attempt(applicant, -1, "", 0.0)
    form = {"csrf_token": applicant.token, "slot": str(slot_id)}
    started = time.perf_counter()
    try:
        status, _ = applicant.request("POST", f"/applications/{applicant.public_id}/hold", form)
        location = applicant.connection.last.getheader("Location") or ""
    except (OSError, http.client.HTTPException):
        status, location = 0, ""
    return Attempt(applicant, status, location, time.perf_counter() - started)


def run_attempts(applicants: list[Applicant], slot_id: int) -> tuple[list[Attempt], float]:
    """CLIENTS threads, released together by a barrier, each posting its share in turn."""
    shares = [applicants[i::CLIENTS] for i in range(CLIENTS)]
    results: list[list[Attempt]] = [[] for _ in shares]
    barrier = threading.Barrier(len(shares) + 1)

    def work(share: list[Applicant], out: list[Attempt]) -> None:
        barrier.wait(timeout=60)
        for applicant in share:
            out.append(attempt(applicant, slot_id))

    threads = [
        threading.Thread(target=work, args=(share, out), daemon=True)
        for share, out in zip(shares, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return [a for out in results for a in out], time.monotonic() - started


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
            for category, message in flashes(serializer, item.applicant)
            if category != "success"
        ]
        overview = f"/applications/{item.applicant.public_id}"
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
        elif urlsplit(item.location).path == overview:
            item.outcome = "granted"
        else:
            item.outcome = f"302 to {urlsplit(item.location).path} without a flash"


def flashes(serializer, applicant: Applicant) -> list[tuple[str, str]]:
    """The flash messages waiting in the applicant's session cookie (signed, not encrypted)."""
    value = applicant.cookies.get("session")
    if not value:
        return []
    try:
        return [tuple(pair) for pair in serializer.loads(value).get("_flashes", [])]
    except BadSignature:
        return [("error", "unreadable session cookie")]


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
            f"{outcome:<44}{len(times):>7}{percentile_ms(times, 0.5):>9.0f}"
            f"{percentile_ms(times, 0.95):>9.0f}{percentile_ms(times, 1.0):>9.0f}"
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
    problems = result["log"]
    print(f"gunicorn log: {len(problems)} warning/error lines")
    for line in problems[-10:]:
        print(f"  {line}")
    latencies = [a.seconds for a in attempts if a.status != -1]  # those sent
    print(f"attempts: {len(latencies)}")
    print(f"capacity: {CAPACITY}")
    print(f"granted: {len(held)}")
    print(f"errors_5xx: {sum(a.status >= 500 for a in attempts)}")
    print(f"p50_ms: {percentile_ms(latencies, 0.5):.0f}")
    print(f"p95_ms: {percentile_ms(latencies, 0.95):.0f}")


# Run ---------------------------------------------------------------------------------------


def run(scratch: str, engine: sa.Engine) -> dict:
    """Seed, start gunicorn, get every applicant ready, release the attempts; always stop it."""
    from webapp import create_app

    instance_path = os.path.join(scratch, "instance")
    app = create_app({"INSTANCE_PATH": instance_path})
    data = seed(app)
    env = server_environment(DATABASE_URL, instance_path)  # RATELIMIT_ENABLED=false, no Redis
    log_path = os.path.join(scratch, "gunicorn.log")
    server = None
    try:
        with open(log_path, "w") as log:
            port = free_port()
            server = start_gunicorn(scratch, port, env, log)
            wait_until_up(server, port)
            applicants = [Applicant(port, email, pid) for email, pid in data["accounts"]]
            started = time.monotonic()
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(Applicant.get_ready, applicants))
            ready_seconds = time.monotonic() - started
            check_deadline()
            attempts, seconds = run_attempts(applicants, data["slot_id"])
    finally:
        if server is not None:
            stop_gunicorn(server)
    classify(attempts, app)
    return {
        **data,
        "attempts": attempts,
        "seconds": seconds,
        "ready_seconds": ready_seconds,
        "database": database_outcome(engine, data["slot_id"]),
        "log": log_problems(log_path),
    }


def main() -> None:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(TIME_LIMIT) + 30)  # a backstop: the loops check the deadline themselves
    os.environ.update(DATABASE_URL=DATABASE_URL, SECRET_KEY=SECRET_KEY, DEMO_MODE="1")
    os.environ.pop("REDIS_URL", None)
    recreate_database(DATABASE_URL)
    engine = sa.create_engine(make_url(DATABASE_URL).set(drivername="postgresql+psycopg"))
    try:
        with tempfile.TemporaryDirectory(prefix="mpaspor-bench-quota-") as scratch:
            with open(os.path.join(scratch, "bench_wsgi.py"), "w") as handle:
                handle.write(WSGI_MODULE)
            result = run(scratch, engine)
    except TimeLimit:
        print(f"abandoned: over the time limit of {TIME_LIMIT:g} s", file=sys.stderr)
        raise
    finally:
        signal.alarm(0)
        engine.dispose()
        drop_database(DATABASE_URL)
    print_report(result)


if __name__ == "__main__":
    main()
