"""Two application servers behind one balancer: a quota opening split across both, and every
applicant's round trips crossing from one server to the other.

What it measures: BENCH_ATTEMPTS (1,000 here, half the quota bench's) hold attempts by different
applicants on ONE slot of BENCH_CAPACITY (50) places, as bench/quota_opening.py makes them, but
each applicant signs in on one server chosen at random, takes the CSRF token from its
application's page on another random choice and posts its hold to a third, the posts released
together from BENCH_CLIENTS (64) threads. Beside them, BENCH_UPLOADS (10) applicants each sign
in, read the documents step and upload a photo, each request to a server at random; the photo's
quality check is a job that the worker (beside server B) runs, loading the photo from the
bucket, and its result is polled on a random server; then the photo is fetched from both servers
and compared. Last, one rate limit across both: ten wrong passwords for one email split between
the servers, and the eleventh must be refused (429) whichever server it reaches.

How it runs (bench/harness.py): the quota bench's data (its office, slot and accounts) in a
dedicated PostgreSQL database (mpaspor_bench_two_servers), plus the uploaders' drafts; a Redis
database of its own for the rate limits, the jobs and the availability cache, claimed as a test
run claims one (tests/services.py: the first free one from db 11, or from BENCH_REDIS_URL) and
emptied at the end; an S3-protocol server (moto's, tests/services.py) with one bucket for
the uploads. Two gunicorn servers of BENCH_WORKERS (2) sync workers each, with instance folders
of their own (nothing is shared through the local disk), and one `flask worker` beside B. Demo
mode as every bench (plain HTTP, the in-process stand-in registry, mail written to files; the
session secret is the harness's, the same on both), with REDIS_URL and the bucket set so that
limits, jobs and uploads truly go through the shared services; the test of two servers
(tests/integration/test_two_servers.py) runs them in production mode. Rate limits are on, the
per-address one raised (ADDRESS_RATE_LIMIT) since every client comes from 127.0.0.1: the limits
per account, NIK and email count in Redis across both servers.

How to read it: `granted` is counted in the database and must equal `capacity`; `errors_5xx`
must be 0; `cross_server_failures` counts every round trip that failed where a server had to
honour what the other made: a hold attempt answered otherwise than granted or refused as full
(a refused session or CSRF token shows here), an upload not stored, not checked, or served
differently by the two servers, and the limit not refusing the eleventh try. It must be 0.

Settings (environment): BENCH_ATTEMPTS, BENCH_CAPACITY, BENCH_CLIENTS, BENCH_UPLOADS,
BENCH_WORKERS, BENCH_REDIS_URL, BENCH_TIME_LIMIT (300 s). The last four lines printed are
granted, capacity, errors_5xx and cross_server_failures.
"""

import http.client
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# This bench's scale unless set: half the quota bench's, so that a run stays near two minutes
# on a shared two-core machine while the uploads and their checks go on beside the holds.
os.environ.setdefault("BENCH_ATTEMPTS", "1000")
os.environ.setdefault("BENCH_CAPACITY", "50")


from bench import harness, quota_opening  # noqa: E402
from tests import services  # noqa: E402
from tests.factories import jpeg_bytes  # noqa: E402
from tests.loopback import worker_command  # noqa: E402

FIRST_REDIS_URL = harness.redis_url(11)
UPLOADS = harness.setting("BENCH_UPLOADS", 10)
WORKERS = harness.setting("BENCH_WORKERS", 2)
CLIENTS = quota_opening.CLIENTS
LOGIN_LIMIT = 10  # per email typed, "10 per 15 minutes" (webapp/views/auth.py)
# Seconds for a photo's check to show on the page: the one worker also sends the holds' mail.
CHECKED_WITHIN = 120


# Data --------------------------------------------------------------------------------------


def seed_uploaders(bench: harness.Bench) -> list[tuple[str, str]]:
    """UPLOADS accounts, each with a draft at the documents step (its NIK verified)."""
    from webapp.extensions import db
    from webapp.models import Office

    people = harness.residents(quota_opening.ATTEMPTS + UPLOADS)[quota_opening.ATTEMPTS :]
    with bench.app_context():
        office = db.session.query(Office).one()
        users = harness.verified_users(people, "upload", "+62815")
        db.session.add_all(users)
        db.session.flush()
        drafts = harness.submitted_applications(users, people, office, "upload", "26115")
        for draft in drafts:  # the same applicants, before they submit
            draft.status, draft.number, draft.submitted_at, draft.declared_at = "draft", *[None] * 3
        db.session.add_all(drafts)
        db.session.commit()
        return [(u.email, d.public_id) for u, d in zip(users, drafts, strict=True)]


# The two servers ---------------------------------------------------------------------------


class Pair:
    """Servers A and B: a client of either one at random, or the same browser on either."""

    def __init__(self, servers: list[harness.Server]):
        self.servers = servers

    def port(self) -> int:
        return random.choice(self.servers).port

    def client(self) -> harness.Client:
        return harness.Client(self.port())

    def signed_in(self, email: str) -> harness.Client:
        harness.check_deadline()
        return self.client().sign_in(email)


def claimed_redis() -> services.RedisSpace:
    """A Redis database nobody else uses, as a test run claims one: another run's worker on a
    shared database would take this one's jobs, and its servers' jobs would queue before them."""
    space = services.RedisSpace(FIRST_REDIS_URL)
    if space.claim() is None:
        raise RuntimeError(f"no free Redis database from {FIRST_REDIS_URL} on")
    return space


def cluster_env(redis_url: str, s3_url: str, bucket: str) -> dict:
    return {
        **services.s3_test_environment(os.environ),
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": "true",
        "ADDRESS_RATE_LIMIT": "1000000/minute",  # every client is 127.0.0.1
        "STORAGE_S3_BUCKET": bucket,
        "STORAGE_S3_ENDPOINT_URL": s3_url,
        "STORAGE_S3_REGION": services.S3_TEST_REGION,
        "STORAGE_S3_PREFIX": "uploads/",
    }


# Holds -------------------------------------------------------------------------------------


def get_ready(pair: Pair, account: tuple[str, str]) -> quota_opening.Applicant:
    """Signed in on one server, the token from the application's page on another random
    choice, to be posted to a third."""
    email, public_id = account
    browser = pair.signed_in(email)
    status, token = browser.on(pair.port()).csrf_token(f"/applications/{public_id}")
    if status != 200 or not token:
        raise RuntimeError(f"application page of {public_id} answered {status}")
    return quota_opening.Applicant(browser.on(pair.port()), public_id, token)


def hold_failures(attempts: list[quota_opening.Attempt]) -> int:
    return sum(a.outcome not in ("granted", "refused: full") for a in attempts)


# Uploads and the job that checks them ------------------------------------------------------


def upload_round_trip(pair: Pair, account: tuple[str, str], photo: bytes) -> str:
    """'ok', or what went wrong first."""
    email, public_id = account
    base = f"/applications/{public_id}/documents"
    try:
        browser = pair.signed_in(email)
        status, token = browser.on(pair.port()).csrf_token(base)
        if status != 200 or not token:
            return f"documents step answered {status}"
        uploader = browser.on(pair.port())
        form, files = {"csrf_token": token}, {"file": ("ktp.jpg", photo)}
        status, _ = uploader.request("POST", f"{base}/ktp", form, files=files)
        if status != 302:
            return f"upload answered {status}"
        if not checked(browser, pair, f"{base}/ktp/status"):
            return "the check did not end ok in time"
        return served_alike(browser, pair, f"{base}/ktp/file")
    except (OSError, http.client.HTTPException) as error:
        return f"connection: {type(error).__name__}"


def checked(browser: harness.Client, pair: Pair, path: str) -> bool:
    """Whether the item, polled on either server, ends with its check ok."""
    give_up = min(harness.DEADLINE, time.monotonic() + CHECKED_WITHIN)
    while time.monotonic() < give_up:
        status, item = browser.on(pair.port()).request("GET", path, headers={"HX-Request": "1"})
        if status == 200 and "every 1s" not in item:
            return "tag-ok" in item
        time.sleep(0.2)
    return False


def served_alike(browser: harness.Client, pair: Pair, path: str) -> str:
    bodies = []
    for server in pair.servers:
        on_server = browser.on(server.port)
        status, _ = on_server.request("GET", path)
        if status != 200:
            return f"file answered {status}"
        bodies.append(on_server.body)
    return "ok" if bodies[0] == bodies[1] else "the servers served different files"


# The limit ---------------------------------------------------------------------------------


def limit_round_trip(pair: Pair) -> list[int]:
    """LOGIN_LIMIT wrong passwords for one email, both servers taking some, then one more."""
    browser = pair.client()
    ports = [s.port for s in pair.servers] + [pair.port() for _ in range(LOGIN_LIMIT - 2)]
    random.shuffle(ports)
    answers = []
    for port in [*ports, pair.port()]:
        _, token = browser.on(port).csrf_token("/login")
        form = {"csrf_token": token, "email": "nobody@contoh.id", "password": "bukan-sandinya"}
        answers.append(browser.on(port).request("POST", "/login", form)[0])
    return answers


# Run ---------------------------------------------------------------------------------------


def upload_round_trips(pair: Pair, uploaders: list) -> tuple[list[str], float]:
    photo = jpeg_bytes()
    return harness.for_each(lambda a: upload_round_trip(pair, a, photo), uploaders, 8)


def measure(pair: Pair, data: dict, uploaders: list) -> dict:
    """The uploads go on beside the holds: the single worker's checks take longest."""
    with ThreadPoolExecutor(1) as background:
        uploading = background.submit(upload_round_trips, pair, uploaders)
        started = time.monotonic()
        ready = harness.for_each(lambda a: get_ready(pair, a), data["accounts"], CLIENTS)[0]
        ready_seconds = time.monotonic() - started
        harness.check_deadline()
        attempts, seconds = harness.for_each(
            lambda applicant: quota_opening.attempt(applicant, data["slot_id"]), ready, CLIENTS
        )
        uploads, upload_seconds = uploading.result()
    return {
        "attempts": attempts,
        "seconds": seconds,
        "ready_seconds": ready_seconds,
        "uploads": uploads,
        "upload_seconds": upload_seconds,
        "limit": limit_round_trip(pair),
    }


def run(bench: harness.Bench) -> dict:
    data = quota_opening.seed(bench)
    uploaders = seed_uploaders(bench)
    redis = claimed_redis()
    s3_url, stop_s3 = services.start_s3_server()
    with ExitStack() as stack:
        stack.callback(stop_s3)
        stack.callback(redis.release)
        env = cluster_env(redis.url, s3_url, services.create_bucket(s3_url))
        servers = [
            stack.enter_context(
                bench.serve(
                    WORKERS,
                    {**env, "INSTANCE_PATH": os.path.join(bench.scratch, f"instance-{name}")},
                    name=f"gunicorn-{name}",
                )
            )
            for name in "ab"
        ]
        worker_env = {**env, "INSTANCE_PATH": os.path.join(bench.scratch, "instance-b")}
        worker = stack.enter_context(bench.process("worker", worker_command(), worker_env))
        result = measure(Pair(servers), data, uploaders)
    quota_opening.classify(result["attempts"], bench.app)
    return {
        **data,
        **result,
        "database": quota_opening.database_outcome(bench, data["slot_id"]),
        "logs": {
            "gunicorn A": servers[0].problems,
            "gunicorn B": servers[1].problems,
            "worker": worker.problems,
        },
    }


def report(result: dict) -> None:
    attempts, held = result["attempts"], result["database"]["held"]
    print(
        f"servers: 2 x {WORKERS} gunicorn workers (sync), 1 RQ worker beside B"
        f"   clients: {CLIENTS}   cpus: {os.cpu_count()}"
    )
    print(f"sign-in and tokens beforehand, on random servers: {result['ready_seconds']:.1f} s")
    places = quota_opening.CAPACITY
    print(f"\n{len(attempts)} hold attempts on {places} places: {result['seconds']:.2f} s")
    for outcome, count in Counter(a.outcome for a in attempts).most_common():
        print(f"  {outcome}: {count}")
    granted = {a.applicant.public_id for a in attempts if a.outcome == "granted"}
    agree = "yes" if granted == held else "NO"
    print(f"  held in the database: {len(held)}, the same applications as answered: {agree}")
    uploads = Counter(result["uploads"])
    print(f"\n{len(result['uploads'])} uploads round trips: {result['upload_seconds']:.1f} s")
    for outcome, count in uploads.most_common():
        print(f"  {outcome}: {count}")
    limit = result["limit"]
    print(f"\nlimit of {LOGIN_LIMIT} logins per email across both servers: answers {limit}")
    for name, problems in result["logs"].items():
        harness.print_log(name, problems)
    limit_failed = limit != [422] * LOGIN_LIMIT + [429]
    failures = hold_failures(attempts) + sum(o != "ok" for o in result["uploads"]) + limit_failed
    harness.report(
        {
            "granted": len(held),
            "capacity": quota_opening.CAPACITY,
            "errors_5xx": sum(a.status >= 500 for a in attempts),
            "cross_server_failures": failures,
        }
    )


def main() -> None:
    with harness.Bench("mpaspor_bench_two_servers") as bench:
        result = run(bench)
    report(result)


if __name__ == "__main__":
    main()
