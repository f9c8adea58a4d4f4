"""Hot paths: the CPU each one costs the server and the database per request, and its latency
at light load, on PostgreSQL under gunicorn.

What it measures, path by path (each request as the browser or the channel sends it):
- landing: GET / without an account;
- login: a sign-in, GET /login then its POST with a real (scrypt) password hash, counted as one;
- room_status: the waiting page's poll of its line, GET /waiting-room/<room>/<token>/status as
  htmx sends it, from a board of 1,000 entries the way the room's clock publishes it;
- step: one wizard step, GET /applications/<id>/service then its POST (bench.wizard_throughput);
- calendar: the month calendar fragment as htmx asks for it (bench.availability_throughput);
- upload: a photo of a document as the phone sends it (1,500 × 2,000 JPEG), POST
  /applications/<id>/documents/ktp, judged, stored and its thumbnail made (the quality check it
  queues is not run);
- hold: POST /applications/<id>/hold taking an hour, every one granted (bench.quota_opening);
- webhook: the payment channel's signed notice, POST /payments/notify, paying each held bill;
- checkin: a member of staff's QR scan, POST /counter/check-in, and the answer fragment it
  redirects to (bench.counter): two requests per scan;
- receipt: the applicant's A4 receipt, GET /applications/<id>/receipt.pdf (bench.receipt_pdf's
  approved applications).
For each: CPU milliseconds per request of the server (the gunicorn master and workers' user +
system time from /proc, before and after the phase, harness.cpu_seconds) and of PostgreSQL (the
backends serving the bench's database, from pg_stat_activity, the same way: the shared server
processes, WAL writer, checkpointer, are left out), and the wall p50/p95 per request.

How it runs (bench/harness.py): each group of paths has a database of its own (mpaspor_bench_hot_
<group>, dropped and recreated, then dropped at the end), loaded by the benches' own
preparation functions; gunicorn serves it with BENCH_WORKERS (2) sync workers, with Redis (db 11,
flushed; BENCH_REDIS_URL names another) as production has it: the availability cache, and mail
queued for a worker rather than written in the request (the queued jobs are not run, so their
cost is not in these figures). BENCH_CLIENTS (2) client threads keep the load light. A path
repeated on the same data (landing, step, calendar, receipt) runs BENCH_WARMUP_SECONDS (2), then
BENCH_SECONDS (10); a path that uses up its data (hold, webhook, checkin) takes BENCH_ITEMS (200)
items after BENCH_WARMUP_ITEMS (10) untimed ones.

How to read it: CPU time hardly moves with the machine's other load; wall time does, since the
clients, gunicorn and PostgreSQL share the cores with whatever else runs. A backend that ends
during a phase takes its CPU with it ("lost backends", which should be 0: the workers keep their
connections). The last lines printed are <path>_cpu_ms for each path, then <path>_db_cpu_ms.
"""

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import cycle

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("BENCH_TIME_LIMIT", "900")  # five servers, one after the other

import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402

from bench import (  # noqa: E402
    availability_throughput,
    counter,
    harness,
    quota_opening,
    receipt_pdf,
    two_servers,
    wizard_throughput,
)

WORKERS = harness.setting("BENCH_WORKERS", 2)
CLIENTS = harness.setting("BENCH_CLIENTS", 2)
ITEMS = harness.setting("BENCH_ITEMS", 200)
WARMUP_ITEMS = harness.setting("BENCH_WARMUP_ITEMS", 10)
REDIS_URL = harness.redis_url(11)
WEBHOOK_SECRET = "bench-webhook-secret"
PATHS = (
    "landing",
    "login",
    "room_status",
    "step",
    "calendar",
    "upload",
    "hold",
    "webhook",
    "checkin",
    "receipt",
)


@dataclass
class Cost:
    """What one path's measured phase cost: requests, CPU seconds, latencies."""

    path: str
    requests: int
    errors: int
    server_cpu: float
    db_cpu: float
    latencies: list[float]
    lost_backends: int

    def per_request_ms(self, seconds: float) -> float:
        return 1000 * seconds / max(self.requests, 1)


def backend_cpu(url: str) -> dict[int, float]:
    return {pid: harness.cpu_seconds([pid]) for pid in harness.database_backends(url)}


def metered(path: str, server: harness.Server, url: str, run: Callable[[], list]) -> Cost:
    """Run the phase, reading the server's and the database's CPU time around it. `run` returns
    the phase's tallies, whose requests and errors are the phase's."""
    database_before = backend_cpu(url)
    server_before = harness.cpu_seconds(server.pids())
    tallies = run()
    server_cpu = harness.cpu_seconds(server.pids()) - server_before
    database_after = backend_cpu(url)
    return Cost(
        path,
        requests=sum(t.requests for t in tallies),
        errors=sum(t.errors for t in tallies),
        server_cpu=server_cpu,
        db_cpu=sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_after.items()),
        latencies=[value for t in tallies for value in t.latencies],
        lost_backends=len(database_before.keys() - database_after.keys()),
    )


def repeated(path: str, server: harness.Server, url: str, unit, sessions: list) -> Cost:
    """A path repeated on the same data: warm-up, then SECONDS measured."""
    harness.for_duration("warm-up", unit, sessions, harness.WARMUP_SECONDS)
    return metered(
        path,
        server,
        url,
        lambda: harness.for_duration(path, unit, sessions, harness.SECONDS).tallies,
    )


def used_up(path: str, server: harness.Server, url: str, work, sessions: list, items: list) -> Cost:
    """A path that uses up its items, shared among the sessions (one thread each): WARMUP_ITEMS
    untimed, then the rest measured. work(session, tally, item) sends the item's requests."""

    def run(chunk: list) -> list[harness.Tally]:
        tallies = [harness.Tally() for _ in sessions]
        shares = [
            (session, tally, chunk[n :: len(sessions)])
            for n, (session, tally) in enumerate(zip(sessions, tallies, strict=True))
        ]
        harness.for_each(
            lambda share: [work(*share[:2], item) for item in share[2]], shares, len(shares)
        )
        return tallies

    run(items[:WARMUP_ITEMS])
    return metered(path, server, url, lambda: run(items[WARMUP_ITEMS:]))


def serve(bench: harness.Bench):
    """gunicorn on the bench's database, with Redis (emptied) and the webhook's secret."""
    Redis.from_url(REDIS_URL).flushdb()
    env = {"REDIS_URL": REDIS_URL, "PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET}
    return bench.serve(workers=WORKERS, env=env)


# Paths -------------------------------------------------------------------------------------


def landing(client: harness.Client, tally: harness.Tally, _argument) -> None:
    tally.timed(lambda: client.request("GET", "/"))


def login(client: harness.Client, tally: harness.Tally, email: str) -> None:
    """A new browser signs in: the page (for its token) and the POST, timed as one."""
    client.cookies.clear()
    status, token = client.csrf_token("/login")
    form = {"csrf_token": token, "email": email, "password": harness.PASSWORD}
    status, _ = tally.timed(lambda: client.request("POST", "/login", form))
    if status != 302:
        tally.errors += 1


def real_password_hashes(bench: harness.Bench, emails: list[str]) -> None:
    """The accounts' hashes as registration makes them (the bench's own are one iteration)."""
    from webapp.extensions import db
    from webapp.models import User
    from webapp.services.accounts import hash_password

    with bench.app_context():
        hashed = hash_password(harness.PASSWORD)
        db.session.execute(
            sa.update(User).where(User.email.in_(emails)).values(password_hash=hashed)
        )
        db.session.commit()


def room_status(client: harness.Client, tally: harness.Tally, paths: Iterator[str]) -> None:
    """The next entry's poll of the client's share, round and round."""
    path = next(paths)
    status, _ = tally.timed(lambda: client.request("GET", path, headers={"HX-Request": "true"}))
    if status == 200 and "room-status" not in client.body.decode():
        tally.errors += 1


ROOM_ID, ROOM_ENTRIES = 1, 1000


def published_board(bench: harness.Bench) -> list[str]:
    """A drawn room's board in the servers' Redis, as the clock publishes it: the entries'
    status paths, each waiting behind the 120 admitted."""
    from webapp import clock
    from webapp.services import room_board

    tokens = [f"bench-entry-{n:010d}" for n in range(1, ROOM_ENTRIES + 1)]
    with bench.app_context() as app:
        app.config["REDIS_URL"] = REDIS_URL  # the board the servers read, not this process's
        summary = {
            "state": "drawn",
            "release_at": clock.now().isoformat(),
            "admitted_through": 120,
            "entries": ROOM_ENTRIES,
            "per_minute": 12.0,
            "commitment": "0" * 64,
        }
        room_board.publish_room(ROOM_ID, summary)
        lines = {token: {"position": n, "status": "waiting"} for n, token in enumerate(tokens, 1)}
        room_board.publish_entries(ROOM_ID, lines)
        app.config["REDIS_URL"] = None
    return [f"/waiting-room/{ROOM_ID}/{token}/status?seen=waiting&lang=id" for token in tokens]


def landing_and_step() -> list[Cost]:
    with harness.Bench("mpaspor_bench_hot_wizard") as bench:
        everyone = wizard_throughput.prepare_data(bench)
        accounts, signing_in = everyone[:CLIENTS], everyone[CLIENTS : 2 * CLIENTS]
        real_password_hashes(bench, [email for email, _ in signing_in])
        with serve(bench) as server:
            polls = published_board(bench)
            clients = server.signed_in([email for email, _ in accounts], CLIENTS)
            anonymous = [(server.client(), None) for _ in range(CLIENTS)]
            new_browsers = [(server.client(), email) for email, _ in signing_in]
            pollers = [(server.client(), cycle(polls[n::CLIENTS])) for n in range(CLIENTS)]
            steps = list(zip(clients, [public_id for _, public_id in accounts], strict=True))
            costs = [
                repeated("landing", server, bench.url, landing, anonymous),
                repeated("login", server, bench.url, login, new_browsers),
                repeated("room_status", server, bench.url, room_status, pollers),
                repeated("step", server, bench.url, wizard_throughput.step_unit, steps),
            ]
    harness.print_log("gunicorn (landing, login, room status, step)", server.problems)
    return costs


def calendar() -> list[Cost]:
    with harness.Bench("mpaspor_bench_hot_calendar") as bench:
        data = availability_throughput.seed(bench)
        accounts = data["accounts"][:CLIENTS]
        with serve(bench) as server:
            clients = server.signed_in([email for email, _ in accounts], CLIENTS)
            sessions = [
                (client, availability_throughput.calendar_path(public_id, data["day"]))
                for client, (_, public_id) in zip(clients, accounts, strict=True)
            ]
            cost = repeated(
                "calendar", server, bench.url, availability_throughput.calendar_unit, sessions
            )
    harness.print_log("gunicorn (calendar)", server.problems)
    return [cost]


def hold(_session, tally: harness.Tally, item: tuple) -> None:
    """Take the hour; a refusal (a redirect elsewhere than the application) is an error."""
    applicant, slot_id = item

    def send() -> tuple[int, str]:
        status, _ = applicant.client.request(*quota_opening.hold_request(applicant, slot_id))
        refused = status == 302 and not quota_opening.granted(applicant)
        return (409 if refused else status), ""

    tally.timed(send)


def webhook(client: harness.Client, tally: harness.Tally, body: bytes) -> None:
    """The channel's signed notice; any outcome but "applied" is an error."""
    from webapp.integrations.payment_gateway import NOTIFY_PATH, SIGNATURE_HEADER, sign

    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, WEBHOOK_SECRET)}
    status, answer = tally.timed(
        lambda: client.request("POST", NOTIFY_PATH, headers=headers, raw=body)
    )
    if harness.ok(status) and '"applied"' not in answer:
        tally.errors += 1


def upload(client: harness.Client, tally: harness.Tally, form: tuple[str, str, bytes]) -> None:
    """The photo again, replacing the last: a 302 back to the step is its success."""
    path, token, photo = form
    fields, files = {"csrf_token": token}, {"file": ("ktp.jpg", photo)}
    status, _ = tally.timed(lambda: client.request("POST", path, fields, files=files))
    if status != 302:
        tally.errors += 1


def uploaders(server: harness.Server, accounts: list[tuple[str, str]]) -> list:
    """Signed-in clients at their documents step, each with its upload's path and token."""
    from tests.factories import jpeg_bytes

    photo = jpeg_bytes(width=1500, height=2000)
    clients = server.signed_in([email for email, _ in accounts], CLIENTS)
    sessions = []
    for client, (_, public_id) in zip(clients, accounts, strict=True):
        step = f"/applications/{public_id}/documents"
        _, token = client.csrf_token(step)
        sessions.append((client, (f"{step}/ktp", token, photo)))
    return sessions


def hold_and_webhook() -> list[Cost]:
    items = WARMUP_ITEMS + ITEMS
    with harness.Bench("mpaspor_bench_hot_booking") as bench:
        data = quota_opening.seed(bench, attempts=items, capacity=items)
        photographers = two_servers.seed_uploaders(bench)[:CLIENTS]
        with serve(bench) as server:
            sending = uploaders(server, photographers)
            uploaded = repeated("upload", server, bench.url, upload, sending)
            applicants = harness.for_each(
                lambda account: quota_opening.get_ready(server, account), data["accounts"], CLIENTS
            )[0]
            threads = [None] * CLIENTS
            holds = [(applicant, data["slot_id"]) for applicant in applicants]
            costs = [uploaded, used_up("hold", server, bench.url, hold, threads, holds)]
            channel = [server.client() for _ in range(CLIENTS)]
            notices = signed_notices(bench)
            costs.append(used_up("webhook", server, bench.url, webhook, channel, notices))
    harness.print_log("gunicorn (upload, hold, webhook)", server.problems)
    return costs


def signed_notices(bench: harness.Bench) -> list[bytes]:
    """A notice paying each open bill, as the channel sends it (signed when sent)."""
    from webapp import clock
    from webapp.extensions import db
    from webapp.integrations.payment_gateway import Notice, encode_notice
    from webapp.models import Bill
    from webapp.rules import bills

    with bench.app_context():
        rows = db.session.execute(
            sa.select(Bill.code, Bill.amount).where(Bill.status == bills.OPEN).order_by(Bill.id)
        ).all()
    return [
        encode_notice(Notice(f"BENCH-{n}", code, amount, clock.now()))
        for n, (code, amount) in enumerate(rows, 1)
    ]


def scan(desk: counter.Desk, tally: harness.Tally, token: str) -> None:
    """The scan and the answer fragment it leads to: two requests, timed together."""
    form = {"csrf_token": desk.token, "scanned": token, "priority_group": ""}
    tally.timed(lambda: counter.scan_and_answer(desk.client, harness.Tally(), form))
    tally.requests += 1  # the answer's GET


def checkin() -> list[Cost]:
    with harness.Bench("mpaspor_bench_hot_counter") as bench:
        emails, tokens = counter.seed(bench, people=WARMUP_ITEMS + ITEMS, with_documents=0)
        with serve(bench) as server:
            desks = harness.for_each(
                lambda item: counter.sign_in(server, *item),
                [(email, n) for n, email in enumerate(emails[:CLIENTS], 1)],
                CLIENTS,
            )[0]
            cost = used_up("checkin", server, bench.url, scan, desks, tokens)
    harness.print_log("gunicorn (checkin)", server.problems)
    return [cost]


def download(client: harness.Client, tally: harness.Tally, path: str) -> None:
    status, _ = tally.timed(lambda: client.request("GET", path))
    if status == 200 and client.headers.get("Content-Type") != "application/pdf":
        tally.errors += 1


def receipt() -> list[Cost]:
    with harness.Bench("mpaspor_bench_hot_receipts") as bench:
        with bench.app_context():
            ids, _officer = receipt_pdf.approved_applications(CLIENTS)
            accounts = applicants_of(ids)
        with serve(bench) as server:
            clients = server.signed_in([email for email, _ in accounts], CLIENTS)
            sessions = [
                (client, f"/applications/{public_id}/receipt.pdf")
                for client, (_, public_id) in zip(clients, accounts, strict=True)
            ]
            cost = repeated("receipt", server, bench.url, download, sessions)
    harness.print_log("gunicorn (receipt)", server.problems)
    return [cost]


def applicants_of(application_ids: list[int]) -> list[tuple[str, str]]:
    from webapp.extensions import db
    from webapp.models import Application, User

    rows = db.session.execute(
        sa.select(User.email, Application.public_id)
        .join(Application, Application.account_id == User.id)
        .where(Application.id.in_(application_ids))
        .order_by(Application.id)
    )
    return [tuple(row) for row in rows]


# Report ------------------------------------------------------------------------------------


def print_costs(costs: list[Cost]) -> None:
    print(
        f"gunicorn workers: {WORKERS} (sync, 1 thread)   clients: {CLIENTS}   cpus:"
        f" {os.cpu_count()}   load average (1 min): {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'path':<10}{'requests':>9}{'errors':>8}{'server ms':>11}{'db ms':>8}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'lost backends':>15}"
    )
    print(header)
    print("-" * len(header))
    for cost in costs:
        print(
            f"{cost.path:<10}{cost.requests:>9}{cost.errors:>8}"
            f"{cost.per_request_ms(cost.server_cpu):>11.1f}{cost.per_request_ms(cost.db_cpu):>8.1f}"
            f"{harness.percentile_ms(cost.latencies, 0.5):>8.1f}"
            f"{harness.percentile_ms(cost.latencies, 0.95):>8.1f}{cost.lost_backends:>15}"
        )
    print("server ms, db ms: CPU milliseconds per request; p50, p95: wall milliseconds")


def main() -> None:
    redis = Redis.from_url(REDIS_URL)
    if redis.exists(receipt_pdf.TEST_LEASE):
        raise SystemExit(f"{REDIS_URL} is held by a test run; set BENCH_REDIS_URL to another")
    started = time.monotonic()
    try:
        costs = [*landing_and_step(), *calendar(), *hold_and_webhook(), *checkin(), *receipt()]
    finally:
        redis.flushdb()
    print(f"\nall groups: {time.monotonic() - started:.0f} s")
    print_costs(costs)
    by_path = {cost.path: cost for cost in costs}
    figures = {
        f"{p}_cpu_ms": f"{by_path[p].per_request_ms(by_path[p].server_cpu):.1f}" for p in PATHS
    }
    figures |= {
        f"{p}_db_cpu_ms": f"{by_path[p].per_request_ms(by_path[p].db_cpu):.1f}" for p in PATHS
    }
    harness.report(figures)


if __name__ == "__main__":
    main()
