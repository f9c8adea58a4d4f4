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

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_availability,
dropped and recreated, then dropped at the end; BENCH_DATABASE_URL overrides) is migrated and
loaded with the demo offices and their 60 days of hourly slots
(webapp.services.offices.load_demo_offices), then given one verified account per user
(bench.wizard_throughput.USERS), each with a submitted application at kanim-makassar (WITA,
regular lane). The chosen day is the first day with a slot that can be booked now, and
the month is that day's: what an applicant sees first. gunicorn (BENCH_WORKERS, 2 sync workers)
serves the app on loopback with rate limits off and REDIS_URL on Redis db 13 (flushed first;
BENCH_REDIS_URL names another), which keeps the availability cache; BENCH_CLIENTS (8) client
threads, each logged in as its own applicant beforehand, repeat the request for BENCH_SECONDS
(10) per phase after BENCH_WARMUP_SECONDS (2) of warm-up.

How to read it: availability_ratio = availability_rps / bare_rps (the goal is 0.5 or more). The
calendar's free places come from webapp.services.availability, kept a second in Redis, so that
a warm read counts nothing in the database. The bare route
still passes through the app's request hooks, so it is the floor of the framework cost, not of
the server. The client shares the machine: "client cpu" is its share of one core, and a value
near 100% means a figure is bounded by the client rather than the server. "errors" counts
answers other than 2xx/3xx and fragments without the day's slot list.

Settings (environment): BENCH_WORKERS, BENCH_CLIENTS, BENCH_SECONDS, BENCH_WARMUP_SECONDS,
BENCH_TIME_LIMIT (300 s backstop). The last four lines printed are fragment_gz_bytes,
availability_rps, bare_rps and availability_ratio.
"""

import gzip
import os
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from redis import Redis  # noqa: E402

from bench import harness  # noqa: E402
from bench.wizard_throughput import USERS  # noqa: E402

REDIS_URL = harness.redis_url(13)  # the availability cache, shared by the workers as in production
OFFICE_CODE = "kanim-makassar"
LANE = "regular"
FRAGMENT_BUDGET = 6 * 1024
HTMX_CALENDAR = {"HX-Request": "true", "HX-Target": "calendar"}
DAY_LIST = 'id="day-slots"'
CHOOSE_BUTTON = 'hx-target="#hold-confirmation"'  # an hour's Choose link opens its confirmation


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


# Data --------------------------------------------------------------------------------------


def seed(bench: harness.Bench) -> dict:
    """The demo offices with their slots; one applicant per user at kanim-makassar. Also finds
    the day to show and the first day with slots of every month in the window."""
    from sqlalchemy import select

    from webapp import clock
    from webapp.extensions import db
    from webapp.models import Office
    from webapp.services import booking
    from webapp.services.offices import load_demo_offices

    people = harness.residents(USERS)
    with bench.app_context():
        load_demo_offices(clock.today())
        office = db.session.scalar(select(Office).where(Office.code == OFFICE_CODE))
        users = harness.verified_users(people, "calendar", "+62815")
        db.session.add_all(users)
        db.session.flush()
        applications = harness.submitted_applications(users, people, office, "calendar", "26114")
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
        return {
            "accounts": [(u.email, a.public_id) for u, a in zip(users, applications, strict=True)],
            "day": bookable[0] if bookable else days[0],
            "bookable": bool(bookable),
            "first_of_month": first_of_month,
            "slots": len(views),
            "released": sum(v.problem is None for v in views),
        }


def calendar_path(public_id: str, day: date) -> str:
    return f"/applications/{public_id}/slots?month={day:%Y-%m}&day={day.isoformat()}"


# Load --------------------------------------------------------------------------------------


def calendar_unit(client: harness.Client, tally: harness.Tally, path: str) -> None:
    """One availability request, as htmx sends it; a 200 without the day's slot list is an error
    too."""
    status, page = tally.timed(lambda: client.request("GET", path, headers=HTMX_CALENDAR))
    if status == 200 and DAY_LIST not in page:
        tally.errors += 1


def fragment_sizes(client: harness.Client, public_id: str, data: dict) -> list[dict]:
    """The fragment of the measured request first, then of each month's first day with slots."""
    requests = [("measured", data["day"])]
    requests += [("month", first) for first in data["first_of_month"].values()]
    rows = []
    for kind, day in requests:
        status, page = client.request("GET", calendar_path(public_id, day), headers=HTMX_CALENDAR)
        body = page.encode()
        rows.append(
            {
                "kind": kind,
                "day": day,
                "status": status,
                "raw": len(body),
                "gz": gz(body),
                "fragment": "<html" not in page and DAY_LIST in page,
                "forms": page.count(CHOOSE_BUTTON),
            }
        )
    return rows


def measure(server: harness.Server, data: dict) -> tuple[list, list]:
    accounts = data["accounts"][: harness.CLIENTS]
    clients = server.signed_in([email for email, _ in accounts])
    sizes = fragment_sizes(clients[0], accounts[0][1], data)
    if not sizes[0]["fragment"] or sizes[0]["status"] != 200:
        raise RuntimeError(f"the calendar answered {sizes[0]['status']} without the fragment")
    calendar = [
        (client, calendar_path(public_id, data["day"]))
        for client, (_, public_id) in zip(clients, accounts, strict=True)
    ]
    return harness.against_bare(server, "calendar", calendar_unit, calendar), sizes


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
    with harness.Bench("mpaspor_bench_availability") as bench:
        data = seed(bench)
        Redis.from_url(REDIS_URL).flushdb()
        with bench.serve(env={"REDIS_URL": REDIS_URL}) as server:
            phases, sizes = measure(server, data)
    harness.print_phases(server, phases, USERS)
    harness.print_log("gunicorn", server.problems)
    print_sizes(sizes, data)
    figures = harness.bare_figures("availability", phases)
    harness.report(
        {
            "fragment_gz_bytes": sizes[0]["gz"],
            "availability_rps": figures["availability_rps"],
            "bare_rps": figures["bare_rps"],
            "availability_ratio": figures["ratio"],
        }
    )


if __name__ == "__main__":
    main()
