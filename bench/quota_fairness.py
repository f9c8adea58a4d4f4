"""Quota fairness: does speed buy places at a release? Once first come first served, once
through the waiting room.

What it simulates: one office's weekly release of BENCH_PLACES (120) places, spread over twelve
hours of the released week, wanted by BENCH_PEOPLE (600) people and BENCH_BOTS (120) bots, each
an account of its own with a submitted application and a verified NIK.
- People join the waiting room at random moments over the BENCH_LEAD_SECONDS (60) before the
  release (the room's 15 minutes, compressed), watch the status fragment as the page polls it
  (every 5 s), and once admitted look at the calendar, think for 5 to 20 s and hold an hour; an
  hour taken meanwhile costs them 2 to 5 s before they try another.
- Bots join in the last second before the release, poll the fragment every 0.5 s, and hold
  within 100 ms of seeing their turn, trying the next hour at once when one is full.
First come first served (no waiting room; nothing ticks): at the release instant bots post
their holds within 100 ms, people 2 to 10 s later after reloading, then think as above.

How it runs (bench/harness.py): each mode on a fresh PostgreSQL database
(mpaspor_bench_fairness_<mode>), gunicorn with BENCH_WORKERS (4) sync workers and Redis
(BENCH_REDIS_URL, else db 12, flushed first) for the room's board and the availability cache; in
the waiting-room mode `flask waiting-rooms` ticks beside it, as in production. Every actor is a
thread with its own connection, signed in beforehand (not measured). The release is the first
whole minute at least BENCH_LEAD_SECONDS away, set as the office's weekly release.

How to read it: granted places are counted in the database (held holds of the released slots)
and must never exceed the places (`oversold`). bot_share_fcfs is the bots' share of granted
places first come first served; bot_share the same through the room, bot_join_share the bots'
share of the room's entries that joined before the release (bots that arrive after it queue
behind the draw), bot_admitted_share their share of the admitted entries: the draw's luck. Each
is the mean of BENCH_ROUNDS (3) openings through the room, since with 120 places among 720
entries the draw alone moves one opening's bot_share by about 0.03 (one standard deviation). The
goal is bot_share within 0.03 of bot_join_share; what is left between bot_admitted_share and
bot_share is what speed bought among the admitted: the admission margin (admitted beyond the
free places, for those who let theirs lapse) leaves the slowest of them without a place.
p95_ms is over every request through the room; errors_5xx counts every mode.

Settings (environment): BENCH_PEOPLE, BENCH_BOTS, BENCH_PLACES, BENCH_LEAD_SECONDS, BENCH_ROUNDS,
BENCH_WORKERS, BENCH_REDIS_URL, BENCH_TIME_LIMIT (1,800 s for the whole run).
"""

import os
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("BENCH_TIME_LIMIT", "1800")  # four openings of a few minutes each

import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402

from bench import harness, quota_opening  # noqa: E402

PEOPLE = harness.setting("BENCH_PEOPLE", 600)
BOTS = harness.setting("BENCH_BOTS", 120)
PLACES = harness.setting("BENCH_PLACES", 120)
LEAD_SECONDS = harness.setting("BENCH_LEAD_SECONDS", 60)
ROUNDS = harness.setting("BENCH_ROUNDS", 3)  # the draw's luck moves one round's bot_share ±0.03
WORKERS = harness.setting("BENCH_WORKERS", 4)
REDIS = os.environ.get("BENCH_REDIS_URL") or harness.redis_url(12)
OFFICE_CODE = "kanim-makassar"
SLOT_HOURS = range(9, 15)  # six hours on each of two days of the released week
PEOPLE_POLL = 5.0  # the waiting page's htmx poll
BOT_POLL = 0.5
SEEN = re.compile(r"seen=(\w+)")
STATUS_PATH = re.compile(r'hx-get="(/waiting-room/\d+/[\w-]+/status)')


# Data --------------------------------------------------------------------------------------


def release_moment(zone: ZoneInfo) -> datetime:
    """The first whole minute at least LEAD_SECONDS (and the clock's start) ahead, office time."""
    soon = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS + 10)
    return (soon + timedelta(minutes=1)).replace(second=0, microsecond=0).astimezone(zone)


def released_days(office, release_at: datetime) -> list:
    """Two opening days of the week the release opens (the Monday after it, onwards)."""
    from webapp.rules.working_days import national_holidays

    monday = release_at.date() + timedelta(days=7 - release_at.weekday())
    week = [monday + timedelta(days=n) for n in range(7)]
    off = national_holidays([monday.year, (monday + timedelta(days=6)).year])
    days = [day for day in week if str(day.weekday()) in office.opening_days and day not in off]
    return days[:2]


def seed(bench: harness.Bench) -> dict:
    """The office and the accounts, people first, then bots, each with one submitted
    application at the office."""
    from webapp.extensions import db

    residents = harness.residents(PEOPLE + BOTS)
    with bench.app_context():
        office = harness.demo_office(OFFICE_CODE)
        db.session.add(office)
        db.session.flush()
        users = harness.verified_users(residents[:PEOPLE], "person", "+62814")
        users += harness.verified_users(residents[PEOPLE:], "bot", "+62815")
        db.session.add_all(users)
        db.session.flush()
        applications = harness.submitted_applications(users, residents, office, "fair", "26120")
        db.session.add_all(applications)
        db.session.commit()
        return {
            "office_id": office.id,
            "accounts": [
                (user.email, application.public_id)
                for user, application in zip(users, applications, strict=True)
            ],
        }


def schedule_release(bench: harness.Bench, office_id: int, with_room: bool) -> dict:
    """Once everyone is signed in: the office's weekly release a minute or two ahead, the
    slots of the week it opens, PLACES places over twelve hours, and (`with_room`) its waiting
    room, made now as production makes it an hour ahead, so that the clock's start is no
    part of the race."""
    from webapp.extensions import db
    from webapp.models import Office, Slot
    from webapp.services import waiting_room

    with bench.app_context():
        office = db.session.get(Office, office_id)
        zone = ZoneInfo(office.timezone)
        release_at = release_moment(zone)
        office.release_kind = "weekly"
        office.release_weekday = release_at.weekday()
        office.release_hour = release_at.hour
        office.release_minute = release_at.minute
        starts = [
            datetime.combine(day, clock_time(hour), zone)
            for day in released_days(office, release_at)
            for hour in SLOT_HOURS
        ]
        per_slot, extra = divmod(PLACES, len(starts))
        slots = [
            Slot(office_id=office.id, starts_at=at, lane="regular", capacity=per_slot + (n < extra))
            for n, at in enumerate(starts)
        ]
        db.session.add_all(slots)
        db.session.commit()
        if with_room:
            waiting_room.room_for_release(office, release_at)
        return {
            "release_at": release_at.astimezone(UTC),
            "slot_ids": [slot.id for slot in slots],
            "calendar": f"?month={starts[0]:%Y-%m}&day={starts[0].date().isoformat()}",
        }


def outcome(bench: harness.Bench, slot_ids: list[int], release_at: datetime) -> dict:
    from webapp.extensions import db

    with bench.app_context():
        granted = (
            db.session.execute(
                sa.text(
                    "SELECT u.email FROM holds h JOIN users u ON u.id = h.account_id"
                    " WHERE h.slot_id IN :slots AND h.status = 'held'"
                ).bindparams(sa.bindparam("slots", expanding=True)),
                {"slots": slot_ids},
            )
            .scalars()
            .all()
        )
        over = db.session.execute(
            sa.text(
                "SELECT coalesce(sum(greatest(n - capacity, 0)), 0) FROM slots s JOIN"
                " (SELECT slot_id, count(*) n FROM holds WHERE status IN ('held', 'paid')"
                "  GROUP BY slot_id) h ON h.slot_id = s.id"
            )
        ).scalar()
        statuses = dict(
            db.session.execute(
                sa.text("SELECT status, count(*) FROM room_entries GROUP BY status")
            ).all()
        )
        hold_statuses = dict(
            db.session.execute(sa.text("SELECT status, count(*) FROM holds GROUP BY status")).all()
        )
        entries = db.session.execute(
            sa.text(
                "SELECT u.email, e.joined_at < :release, e.admitted_at IS NOT NULL"
                " FROM room_entries e JOIN users u ON u.id = e.account_id"
            ),
            {"release": release_at},
        ).all()
    return {
        "granted": granted,
        "entries_by_status": statuses,
        "holds_by_status": hold_statuses,
        "oversold": int(over),
        "joined": [email for email, before, _ in entries if before],
        "admitted": [email for email, _, admitted in entries if admitted],
    }


def bot_share(emails: list[str]) -> float:
    return sum(email.startswith("bot") for email in emails) / max(len(emails), 1)


# Actors ------------------------------------------------------------------------------------


@dataclass
class Actor:
    """An applicant ready to hold (quota_opening's), person or bot, and what its requests met."""

    applicant: quota_opening.Applicant
    bot: bool
    tally: harness.Tally = field(default_factory=harness.Tally)
    errors_5xx: int = 0

    def call(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        status, text = self.tally.timed(lambda: self.applicant.client.request(method, path, form))
        self.errors_5xx += status >= 500
        return status, text


def get_ready(server: harness.Server, account: tuple[str, str]) -> Actor:
    return Actor(quota_opening.get_ready(server, account), account[0].startswith("bot"))


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def pause(actor: Actor, low: float, high: float) -> None:
    """A person's think time; a bot acts within 100 ms."""
    time.sleep(random.uniform(0, 0.1) if actor.bot else random.uniform(low, high))


def book(actor: Actor, slot_ids: list[int], calendar: str, give_up: float) -> bool:
    """Look at the calendar, think, and hold hours until one is granted or none is left."""
    applicant = actor.applicant
    actor.call("GET", f"/applications/{applicant.public_id}/slots{calendar}")
    pause(actor, 5, 20)
    for slot_id in random.sample(slot_ids, len(slot_ids)):
        if time.monotonic() > give_up:
            return False
        status, _ = actor.call(*quota_opening.hold_request(applicant, slot_id))
        if status == 302 and quota_opening.granted(applicant):
            return True
        pause(actor, 2, 5)
    return False


def first_come(actor: Actor, data: dict, release: float, give_up: float) -> None:
    sleep_until(release + (random.uniform(0, 0.1) if actor.bot else random.uniform(2, 10)))
    book(actor, data["slot_ids"], data["calendar"], give_up)


def through_the_room(actor: Actor, data: dict, release: float, give_up: float) -> None:
    join_at = release - (
        random.uniform(0.1, 1.0) if actor.bot else random.uniform(2, LEAD_SECONDS - 2)
    )
    sleep_until(join_at)
    path = f"/applications/{actor.applicant.public_id}/waiting-room"
    actor.call("POST", path, {"csrf_token": actor.applicant.token})
    found = STATUS_PATH.search(actor.call("GET", path)[1])
    if not found:
        return  # not let in (the room refused): nothing to wait for
    # Asked without the status the page shows, the fragment names the current one (seen=...).
    status_path = re.sub(r"[?&]seen=\w+", "", found.group(1).replace("&amp;", "&"))
    while time.monotonic() < give_up:
        seen = SEEN.search(actor.call("GET", status_path)[1] or "")
        state = seen.group(1) if seen else ""
        if state == "admitted":
            book(actor, data["slot_ids"], data["calendar"], give_up)
            return
        if state in ("sold_out", "lapsed", "used"):
            return
        time.sleep(BOT_POLL if actor.bot else PEOPLE_POLL)


def simulate(mode: str, actors: list[Actor], data: dict) -> None:
    """Every actor on its own thread, the release at its moment on this machine's clock."""
    release = time.monotonic() + (data["release_at"] - datetime.now(UTC)).total_seconds()
    give_up = release + 120
    act = through_the_room if mode == "room" else first_come
    threads = [threading.Thread(target=act, args=(a, data, release, give_up)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Run ---------------------------------------------------------------------------------------


def run(mode: str) -> dict:
    Redis.from_url(REDIS).flushdb()
    env = {"REDIS_URL": REDIS}
    with harness.Bench(f"mpaspor_bench_fairness_{mode}") as bench:
        bench.app.config["REDIS_URL"] = REDIS  # the room's board, where the servers read it
        accounts = seed(bench)
        with bench.serve(workers=WORKERS, env=env) as server:
            actors = harness.for_each(lambda a: get_ready(server, a), accounts["accounts"], 32)[0]
            harness.check_deadline()
            data = schedule_release(bench, accounts["office_id"], with_room=mode == "room")
            if mode == "room":
                clock = [harness.executable("flask"), "waiting-rooms"]
                with bench.process("clock", clock, {**env, "FLASK_APP": "wsgi"}) as ticking:
                    simulate(mode, actors, data)
                harness.print_log("waiting rooms' clock", ticking.problems)
            else:
                simulate(mode, actors, data)
        result = outcome(bench, data["slot_ids"], data["release_at"])
    harness.print_log(f"gunicorn ({mode})", server.problems)
    latencies = [s for actor in actors for s in actor.tally.latencies]
    granted = result["granted"]
    bots = sum(email.startswith("bot") for email in granted)
    print(
        f"{mode}: {len(granted)} of {PLACES} places granted, {bots} to bots;"
        f" bots {bot_share(result['joined']):.3f} of those who joined before the release,"
        f" {bot_share(result['admitted']):.3f} of the admitted;"
        f" {len(latencies)} requests, p95 {harness.percentile_ms(latencies, 0.95):.0f} ms;"
        f" entries {result['entries_by_status']}, holds {result['holds_by_status']}"
    )
    return {
        **result,
        "bot_share": bot_share(granted),
        "latencies": latencies,
        "errors_5xx": sum(actor.errors_5xx for actor in actors),
    }


def main() -> None:
    print(
        f"people: {PEOPLE}   bots: {BOTS}   places: {PLACES}   lead: {LEAD_SECONDS} s"
        f"   rounds through the room: {ROUNDS}   gunicorn workers: {WORKERS}"
        f"   cpus: {os.cpu_count()}"
    )
    fcfs = run("fcfs")
    rounds = [run("room") for _ in range(ROUNDS)]

    def mean(values: list[float]) -> str:
        return f"{sum(values) / len(values):.3f}"

    latencies = [seconds for room in rounds for seconds in room["latencies"]]

    harness.report(
        {
            "bot_share_fcfs": f"{fcfs['bot_share']:.3f}",
            "bot_share": mean([room["bot_share"] for room in rounds]),
            "bot_join_share": mean([bot_share(room["joined"]) for room in rounds]),
            "bot_admitted_share": mean([bot_share(room["admitted"]) for room in rounds]),
            "oversold": fcfs["oversold"] + sum(room["oversold"] for room in rounds),
            "errors_5xx": fcfs["errors_5xx"] + sum(room["errors_5xx"] for room in rounds),
            "p95_ms": f"{harness.percentile_ms(latencies, 0.95):.0f}",
        }
    )


if __name__ == "__main__":
    main()
