"""Availability throughput: the month calendar fragment against a bare Flask route, and its size.

What it measures:

1. Requests per second for the availability fragment, GET /applications/<id>/slots?month=...
   &day=... sent as htmx sends it (HX-Request: true, HX-Target: calendar), so the answer is the
   calendar region alone: the month grid with each day's free places and the chosen day's
   hourly slots with their forms. It is compared with a bare route (GET /bare, a short string)
   added to the same app on the same gunicorn server, in the same run: bare, availability, bare
   again, the two bare figures averaged to balance warm-up and drift.
2. The fragment's size gzipped at level 6 (budget 6 KB), for the measured request and, for
   comparison, for every month of the slot window with its first day that has slots.

How it runs: a dedicated PostgreSQL database (mpaspor_bench_availability, dropped and
recreated, then dropped at the end) is migrated and loaded with the demo offices and their 60
days of hourly slots (webapp.services.offices.load_demo_offices), then given one verified account
per user (bench.wizard_throughput.USERS), each with a submitted application at kanim-makassar
(WITA, regular lane). The chosen day is the first day with a slot that can be booked now, and
the month is that day's: what an applicant sees first. gunicorn (BENCH_WORKERS, 2 sync workers)
serves the app on loopback with rate limits off and no REDIS_URL; BENCH_CLIENTS (8) client
threads, each logged in as its own applicant beforehand, repeat the request for BENCH_SECONDS
(10) per phase after BENCH_WARMUP_SECONDS (2) of warm-up.

How to read it: ratio = availability_rps / bare_rps (the goal is 0.5 or more). The bare route
still passes through the app's request hooks, so it is the floor of the framework cost, not of
the server. The client shares the machine: "client cpu" is its share of one core, and a value
near 100% means a figure is bounded by the client rather than the server. "errors" counts
answers other than 2xx/3xx and fragments without the day's slot list.

Settings (environment): BENCH_WORKERS, BENCH_CLIENTS, BENCH_SECONDS, BENCH_WARMUP_SECONDS,
BENCH_TIME_LIMIT (300 s backstop). The last four lines printed are availability_rps, bare_rps,
ratio and fragment_gz_bytes.
"""

import gzip
import os
import signal
import sys
import tempfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.verification_latency import (  # noqa: E402
    TIME_LIMIT,
    Browser,
    generated_residents,
    log_problems,
    on_alarm,
    verified_users,
)
from bench.wizard_throughput import (  # noqa: E402
    CLIENTS,
    PASSWORD,
    SECONDS,
    SECRET_KEY,
    USERS,
    WARMUP_SECONDS,
    WSGI_MODULE,
    Client,
    Tally,
    bare_unit,
    drop_database,
    free_port,
    print_table,
    recreate_database,
    run_phase,
    server_environment,
    start_gunicorn,
    stop_gunicorn,
    wait_until_up,
)
from tests.factories import ADULT_ANSWERS  # noqa: E402

DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mpaspor_bench_availability"
OFFICE_CODE = "kanim-makassar"
LANE = "regular"
FRAGMENT_BUDGET = 6 * 1024
HTMX_CALENDAR = {"HX-Request": "true", "HX-Target": "calendar"}
DAY_LIST = 'id="day-slots"'
# The adult answers of tests/factories.py, less who the person is: each resident brings that.
ANSWERS = {
    k: v for k, v in ADULT_ANSWERS.items() if k not in ("nik", "full_name", "birth_date", "sex")
}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


# Data --------------------------------------------------------------------------------------


def seed(app) -> dict:
    """Migrate; the demo offices with their slots; one applicant per user at kanim-makassar.
    Also finds the day to show and the first day with slots of every month in the window."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from webapp import clock
    from webapp.extensions import db
    from webapp.models import Application, Office
    from webapp.services import accounts, booking
    from webapp.services.offices import load_demo_offices

    residents = generated_residents(USERS)
    with app.app_context():
        upgrade()
        load_demo_offices(clock.today())
        office = db.session.scalar(select(Office).where(Office.code == OFFICE_CODE))
        password_hash = accounts.hash_password(PASSWORD)  # slow on purpose: hash once
        users = verified_users(residents, "calendar", "+62815", password_hash)
        db.session.add_all(users)
        db.session.flush()
        applications = [
            Application(
                account_id=user.id,
                place=1,
                public_id=f"calendar{n:08d}",
                number=f"26114{n:011d}",
                status="submitted",
                submitted_at=clock.now(),
                declared_at=clock.now(),
                office_id=office.id,
                nik=resident.nik,
                nik_status="verified",
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

        zone = ZoneInfo(office.timezone)
        start = datetime.combine(clock.now().astimezone(zone).date(), datetime.min.time(), zone)
        views = booking.slots_between(office, LANE, start, start + timedelta(days=62))
        days = [view.slot.starts_at.astimezone(zone).date() for view in views]
        bookable = [d for d, v in zip(days, views, strict=True) if v.problem is None and v.free]
        first_of_month: dict[date, date] = {}
        for day in days:
            first_of_month.setdefault(day.replace(day=1), day)
        made = {
            "accounts": [(u.email, a.public_id) for u, a in zip(users, applications, strict=True)],
            "day": bookable[0] if bookable else days[0],
            "bookable": bool(bookable),
            "first_of_month": first_of_month,
            "slots": len(views),
            "released": sum(v.problem is None for v in views),
        }
        db.session.remove()
        db.engine.dispose()
    return made


def calendar_path(public_id: str, day: date) -> str:
    return f"/applications/{public_id}/slots?month={day:%Y-%m}&day={day.isoformat()}"


# Load --------------------------------------------------------------------------------------


def calendar_unit(client: Client, tally: Tally, path: str) -> None:
    """One availability request; a 200 without the day's slot list is an error too."""
    status, page = tally.timed(lambda: client.request("GET", path))
    if status == 200 and DAY_LIST not in page:
        tally.errors += 1


def htmx_browser(port: int, email: str) -> Browser:
    """A logged-in client whose every request then carries the calendar's htmx headers."""
    browser = Browser(port)
    browser.log_in(email)
    browser.connection.extra_headers = HTMX_CALENDAR
    return browser


def fragment_sizes(browser: Browser, public_id: str, data: dict) -> list[dict]:
    """The fragment of the measured request first, then of each month's first day with slots."""
    requests = [("measured", data["day"])]
    requests += [("month", first) for first in data["first_of_month"].values()]
    rows = []
    for kind, day in requests:
        status, page = browser.request("GET", calendar_path(public_id, day))
        body = page.encode()
        rows.append(
            {
                "kind": kind,
                "day": day,
                "status": status,
                "raw": len(body),
                "gz": gz(body),
                "fragment": "<html" not in page and DAY_LIST in page,
                "forms": page.count('name="slot"'),
            }
        )
    return rows


def measure(port: int, accounts: list[tuple[str, str]], data: dict) -> tuple[list, list]:
    browsers = [htmx_browser(port, email) for email, _ in accounts[:CLIENTS]]
    sizes = fragment_sizes(browsers[0], accounts[0][1], data)
    if not sizes[0]["fragment"] or sizes[0]["status"] != 200:
        raise RuntimeError(f"the calendar answered {sizes[0]['status']} without the fragment")
    calendar = [
        (browser, calendar_path(public_id, data["day"]))
        for browser, (_, public_id) in zip(browsers, accounts, strict=False)
    ]
    bare = [(Client(port), "") for _ in range(CLIENTS)]
    run_phase("warm-up", bare_unit, bare, WARMUP_SECONDS)
    run_phase("warm-up", calendar_unit, calendar, WARMUP_SECONDS)
    phases = [
        run_phase("bare", bare_unit, bare, SECONDS),
        run_phase("calendar", calendar_unit, calendar, SECONDS),
        run_phase("bare", bare_unit, bare, SECONDS),
    ]
    return phases, sizes


# Report ------------------------------------------------------------------------------------


def print_sizes(sizes: list[dict], data: dict) -> None:
    shown = "a bookable day" if data["bookable"] else "NO bookable day: the first day with slots"
    print(
        f"\n{OFFICE_CODE}, {LANE} lane: {data['slots']} slots in the window, {data['released']}"
        f" released; measured day {data['day']:%a %d %b %Y} ({shown})"
    )
    header = f"{'fragment (gzip -6)':<24}{'status':>7}{'raw':>8}{'gzip':>7}{'forms':>7}  budget"
    print(header)
    print("-" * (len(header) + 6))
    for row in sizes:
        label = f"{row['kind']} {row['day']:%Y-%m-%d}"
        verdict = "ok" if row["gz"] <= FRAGMENT_BUDGET else "OVER"
        if not row["fragment"]:
            verdict += " (not the fragment)"
        print(
            f"{label:<24}{row['status']:>7}{row['raw']:>8}{row['gz']:>7}{row['forms']:>7}"
            f"  {FRAGMENT_BUDGET} {verdict}"
        )
    print("forms: hourly slots with a Choose button (free and released)")


def main() -> None:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(TIME_LIMIT))  # a backstop: every phase has its own duration
    from webapp import create_app

    with tempfile.TemporaryDirectory(prefix="mpaspor-bench-availability-") as scratch:
        instance_path = os.path.join(scratch, "instance")
        with open(os.path.join(scratch, "bench_wsgi.py"), "w") as handle:
            handle.write(WSGI_MODULE)
        env = server_environment(DATABASE_URL, instance_path)  # rate limits off, no Redis
        os.environ.update(DATABASE_URL=DATABASE_URL, SECRET_KEY=SECRET_KEY, DEMO_MODE="1")
        os.environ.pop("REDIS_URL", None)
        log_path = os.path.join(scratch, "gunicorn.log")
        recreate_database(DATABASE_URL)
        server = None
        try:
            data = seed(create_app({"INSTANCE_PATH": instance_path}))
            port = free_port()
            with open(log_path, "w") as log:
                server = start_gunicorn(scratch, port, env, log)
                wait_until_up(server, port)
                phases, sizes = measure(port, data["accounts"], data)
        finally:
            signal.alarm(0)
            if server is not None:
                stop_gunicorn(server)
            drop_database(DATABASE_URL)
        problems = log_problems(log_path)
    bare, calendar, bare_again = phases
    bare_rps = (bare.rps + bare_again.rps) / 2
    print_table(phases, problems)
    print_sizes(sizes, data)
    print(f"availability_rps: {calendar.rps:.1f}")
    print(f"bare_rps: {bare_rps:.1f}")
    print(f"ratio: {calendar.rps / bare_rps:.2f}")
    print(f"fragment_gz_bytes: {sizes[0]['gz']}")


if __name__ == "__main__":
    main()
