"""The day's figures with a year of history: the office day page and the national month page.

PostgreSQL with one year of generated data (bench/report_data.py) for 125 offices: 96
applications per office and working day, about 3.1 million applications with their holds,
visits and some 20 million audit entries, made in SQL. BENCH_SCALE (default 1) scales the
applications per day down for a quick run (0.1: about 310,000).

The days that are over are kept first (reports.roll_up, what the daily cron does), so the
national month reads its kept days. One supervisor and one administrator each sign in once
(password and TOTP) and then GET their page again and again through gunicorn, one request at a
time; the p95 of each is printed.
At full scale the data take minutes: give the run BENCH_TIME_LIMIT=1500.

    python bench/reports.py
    BENCH_SCALE=0.1 python bench/reports.py

Measured on the two-core box (full scale, 3,132,000 applications): generate_s 569,
roll_up_year_s 267, office_day_ms 61, national_month_ms 128, national_month_csv_ms 108.

Prints last:
    applications: ...
    generate_s: ...
    roll_up_year_s: ...     (keeping a year of days once, as `flask roll-up-figures --days 366`)
    office_day_ms: ...      (goal <= 300)
    national_month_ms: ...  (goal <= 300)
    national_month_csv_ms: ...
"""

import os
import sys
import time
from datetime import timedelta

import pyotp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import harness  # noqa: E402
from bench.report_data import generate  # noqa: E402

SCALE = harness.setting("BENCH_SCALE", 1.0)
OFFICES = 125
PER_DAY = max(20, round(96 * SCALE))
REPEATS = int(harness.setting("BENCH_REPEATS", 60))
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def load() -> tuple[int, float, float, str, str]:
    """The history, then a supervisor of office bench-001 and an administrator."""
    from webapp import clock
    from webapp.extensions import db
    from webapp.models import Office
    from webapp.services import reports, staff_auth

    started = time.perf_counter()
    with db.engine.connect() as connection:
        first = clock.today() - timedelta(days=365)
        made = generate(connection, offices=OFFICES, first=first, days=365, per_day=PER_DAY)
    took = time.perf_counter() - started
    started = time.perf_counter()
    last = reports.last_day_to_keep()
    for back in range(366):  # what `flask roll-up-figures --days 366` does once
        reports.roll_up(last - timedelta(days=back))
    kept = time.perf_counter() - started
    office = db.session.scalar(db.select(Office).where(Office.code == "bench-001"))
    supervisor = harness.verified_user(
        "kepala@contoh.id", "Kepala Seksi", "+62817000001", role="supervisor", office_id=office.id
    )
    admin = harness.verified_user("admin@contoh.id", "Administrator", "+62817000002", role="admin")
    for member in (supervisor, admin):
        staff_auth.enrolled(member, TOTP_SECRET)
    db.session.add_all([supervisor, admin])
    db.session.commit()
    day = clock.today(office.timezone) - timedelta(days=7)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    month = (clock.today() - timedelta(days=40)).replace(day=1)
    return made, took, kept, day.isoformat(), month.isoformat()


def signed_in(server: harness.Server, email: str) -> harness.Client:
    client = server.client().sign_in(email)
    if client.location != "/staff/sign-in/code":
        raise RuntimeError(f"{email}: the login led to {client.location!r}")
    client.submit("/staff/sign-in/code", {"code": pyotp.TOTP(TOTP_SECRET).now()})
    return client


def timed_gets(client: harness.Client, path: str) -> list[float]:
    """REPEATS GETs of path after two to warm up: each one's seconds; any error stops the run."""
    seconds = []
    for n in range(REPEATS + 2):
        harness.check_deadline()
        started = time.perf_counter()
        status, body = client.request("GET", path)
        took = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]}")
        if n >= 2:
            seconds.append(took)
    return seconds


def main() -> None:
    with harness.Bench("mpaspor_bench_reports") as bench:
        with bench.app_context():
            made, generate_s, roll_up_s, day, month = load()
        with bench.serve() as server:
            supervisor = signed_in(server, "kepala@contoh.id")
            admin = signed_in(server, "admin@contoh.id")
            office_day = timed_gets(supervisor, f"/supervisor/figures?period=day&date={day}")
            national = timed_gets(admin, f"/admin/figures?period=month&date={month}")
            csv = timed_gets(admin, f"/admin/figures?period=month&date={month}&format=csv")
        harness.print_log("gunicorn", server.problems)
    harness.report(
        {
            "applications": made,
            "generate_s": f"{generate_s:.0f}",
            "roll_up_year_s": f"{roll_up_s:.0f}",
            "office_day_ms": f"{harness.percentile_ms(office_day, 0.95):.0f}",
            "national_month_ms": f"{harness.percentile_ms(national, 0.95):.0f}",
            "national_month_csv_ms": f"{harness.percentile_ms(csv, 0.95):.0f}",
        }
    )


if __name__ == "__main__":
    main()
