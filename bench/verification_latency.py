"""NIK verification with a real RQ worker and Redis: time to the verified result, and job rate.

What it measures:

1. Latency: for each of BENCH_APPLICATIONS (200) applications, the time from just before the
   personal step is POSTed (NIK, name, birth date: the save enqueues the registry check) until
   GET /applications/<id>/nik-status (sent as htmx sends it) shows a settled, verified result.
   The fragment is polled every BENCH_POLL_SECONDS (0.1) rather than the browser's 1 s, so the
   figure is the system's latency, not the browser's polling interval. p50, p95 and max.
2. Job rate: with the latency phase over and nothing stopped, every application's check is
   started again (a new version, as a changed NIK would) and one verification job per
   application is enqueued at once; jobs_per_s = verification jobs / time until they and the
   notification mails they enqueue have all finished.

How it runs: a dedicated PostgreSQL database (mpaspor_bench_verify, dropped and recreated, then
dropped at the end) is migrated and seeded with one verified user per application, each with a
draft whose service and passport steps are done. Redis db 14 (only that one) is flushed before
and after. The stand-in registry runs in a thread of this process, answering after 0.1 s and
knowing the demo residents plus one generated resident per application (a NIK may be in only
one active application, so each application types its own). gunicorn (BENCH_WORKERS, 2 sync
workers) serves the app and ONE `flask worker` process runs the jobs (queues mail,
verification, default, in that order). BENCH_CLIENTS (8) client threads each take the next
application, log in as its owner beforehand, and measure it; so at most 8 checks are in flight.

How to read it: the load is a closed loop, so with one worker the latency settles near
clients / (verifications per second); the job rate phase shows that capacity directly. One
worker runs one job at a time, in a forked work horse, and each check waits 0.1 s on the
registry, so one worker cannot exceed 10 verification jobs per second, and each verification
also costs a mail job on the same worker. Everything (client, stand-in, gunicorn, worker,
PostgreSQL, Redis) shares this machine's CPUs.

Settings (environment): BENCH_APPLICATIONS, BENCH_CLIENTS, BENCH_POLL_SECONDS,
BENCH_TIME_LIMIT (300 s: the whole run is abandoned after it). The last three lines printed are
p50_ms, p95_ms and jobs_per_s.
"""

import http.client
import logging
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, Retry, Worker  # noqa: E402
from rq.job import Job  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.wizard_throughput import (  # noqa: E402
    HOST,
    PASSWORD,
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
from webapp.integrations.registry_standin import (  # noqa: E402
    DEMO_RESIDENTS,
    Resident,
    create_standin,
)

DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mpaspor_bench_verify"
REDIS_URL = "redis://127.0.0.1:6379/14"
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "200"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
POLL_SECONDS = float(os.environ.get("BENCH_POLL_SECONDS", "0.1"))
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "300"))
REGISTRY_DELAY = 0.1
SETTLE_TIMEOUT = 30.0  # one application that has no result after this is a failure
VERIFY_JOB = "webapp.jobs.verification.verify_nik"
JOB_QUEUES = ("verification", "mail")
DONE_STEPS = {
    "for_self": True,
    "service": "regular",
    "application_type": "new",
    "marital_status": "single",
    "passport_kind": "electronic",
    "validity_years": 10,
}
GIVEN_NAMES = {"M": ("Agus", "Bambang", "Eko", "Hendra"), "F": ("Dewi", "Putri", "Sri", "Wulan")}
FAMILY_NAMES = ("Lestari", "Wijaya", "Saputra", "Kusuma", "Hidayat")
NOTICE = re.compile(r"\bnotice-(\w+)")
DEADLINE = time.monotonic() + TIME_LIMIT


class TimeLimit(Exception):
    """The run went past BENCH_TIME_LIMIT."""


def verified_users(residents, prefix: str, phone_prefix: str, password_hash: str) -> list:
    """One verified account per resident: prefix1@contoh.id, prefix2@contoh.id, ..."""
    from webapp.clock import now
    from webapp.models import User

    return [
        User(
            full_name=resident.full_name,
            email=f"{prefix}{n}@contoh.id",
            phone=f"{phone_prefix}{n:08d}",
            password_hash=password_hash,
            locale="id",
            terms_accepted_at=now(),
            verified_at=now(),
        )
        for n, resident in enumerate(residents, 1)
    ]


def check_deadline() -> None:
    if time.monotonic() > DEADLINE:
        raise TimeLimit(f"over the time limit of {TIME_LIMIT:g} s")


# Data --------------------------------------------------------------------------------------


def generated_residents(count: int) -> list[Resident]:
    """Structurally valid residents of Surabaya (35.78.02): NIK date digits agree, serial > 0."""
    residents = []
    for n in range(count):
        sex = "F" if n % 2 else "M"
        born = date(1960, 1, 1) + timedelta(days=(n * 73) % (40 * 365))
        day = born.day + (40 if sex == "F" else 0)
        name = f"{GIVEN_NAMES[sex][n % 4]} {FAMILY_NAMES[n % 5]}"
        nik = f"357802{day:02d}{born:%m%y}{n + 1:04d}"
        residents.append(Resident(nik, name, "Surabaya", born, sex, "Siti Aminah"))
    return residents


def seed(app, residents: list[Resident]) -> list[tuple[str, str]]:
    """Migrate; one verified user per resident, with a draft up to the personal step."""
    from flask_migrate import upgrade

    from webapp.extensions import db
    from webapp.models import Application
    from webapp.services import accounts

    with app.app_context():
        upgrade()
        password_hash = accounts.hash_password(PASSWORD)  # slow on purpose: hash once
        users = verified_users(residents, "verify", "+62813", password_hash)
        db.session.add_all(users)
        db.session.commit()
        drafts = [
            Application(
                account_id=user.id,
                place=1,
                public_id=f"bench{n:011d}",
                status="draft",
                pending_inputs={},
                birth_date=resident.birth_date,
                **DONE_STEPS,
            )
            for n, (user, resident) in enumerate(zip(users, residents, strict=True), 1)
        ]
        db.session.add_all(drafts)
        db.session.commit()
        made = [(user.email, draft.public_id) for user, draft in zip(users, drafts, strict=True)]
        db.session.remove()
        db.engine.dispose()
    return made


def personal_answers(resident: Resident, token: str) -> dict:
    return {
        "nik": resident.nik,
        "full_name": resident.full_name,
        "birth_place": resident.birth_place,
        "sex": resident.sex,
        "address": "Jl. Pahlawan 10, Surabaya",
        "occupation": "Karyawan swasta",
        "phone": "0812 3456 7890",
        "mother_name": resident.mother_name,
        "father_name": "Slamet Riyadi",
        "csrf_token": token,
    }


def nik_statuses(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT coalesce(nik_status, 'none'), count(*) FROM applications GROUP BY 1")
        )
        return dict(rows.all())


def start_new_checks(engine: sa.Engine) -> list[tuple[int, int]]:
    """What a changed NIK does: a new version, pending, for every application that has a NIK."""
    with engine.begin() as connection:
        return connection.execute(
            sa.text(
                "UPDATE applications SET nik_check_version = nik_check_version + 1,"
                " nik_status = 'pending', nik_reason = NULL WHERE nik IS NOT NULL"
                " RETURNING id, nik_check_version"
            )
        ).all()


# Processes ---------------------------------------------------------------------------------


def start_standin(residents: list[Resident]):
    """The stand-in registry on a free loopback port, served by threads of this process."""
    app = create_standin(residents=(*DEMO_RESIDENTS, *residents), delay_seconds=REGISTRY_DELAY)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = make_server(HOST, 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_worker(env: dict, log) -> subprocess.Popen:
    command = [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "worker"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_worker(worker: subprocess.Popen, redis: Redis, timeout: float = 30) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if worker.poll() is not None:
            raise RuntimeError(f"the RQ worker exited with code {worker.returncode}")
        if Worker.all(connection=redis):
            return
        time.sleep(0.2)
    raise RuntimeError("the RQ worker did not register in time")


def stop_process(process: subprocess.Popen | None) -> None:
    if process is not None:
        stop_gunicorn(process)  # terminate, then kill after a timeout: any process will do


# Client ------------------------------------------------------------------------------------


class HtmxConnection(http.client.HTTPConnection):
    """A connection that adds extra_headers to every request (HX-Request while polling)."""

    extra_headers: dict[str, str] = {}

    def request(self, method, url, body=None, headers=None, **kwargs):
        super().request(method, url, body, {**(headers or {}), **self.extra_headers}, **kwargs)


class Browser(Client):
    def __init__(self, port: int):
        super().__init__(port)
        self.connection = HtmxConnection(HOST, port, timeout=30)

    def htmx_get(self, path: str) -> tuple[int, str]:
        self.connection.extra_headers = {"HX-Request": "true"}
        try:
            return self.request("GET", path)
        finally:
            self.connection.extra_headers = {}


@dataclass
class Outcome:
    seconds: float | None  # None unless verified
    state: str  # verified | refused (with the notice's class) | what went wrong
    polls: int = 0


def fragment_state(fragment: str) -> str:
    """pending while the fragment polls itself (or is empty), else its notice: verified or not."""
    if "every 1s" in fragment or not fragment.strip():
        return "pending"
    notice = NOTICE.search(fragment)
    if notice and notice.group(1) == "success":
        return "verified"
    return f"refused ({notice.group(1) if notice else 'no notice'})"


def wait_for_result(browser: Browser, public_id: str, started: float) -> Outcome:
    give_up = min(DEADLINE, time.monotonic() + SETTLE_TIMEOUT)
    polls = 0
    while time.monotonic() < give_up:
        status, fragment = browser.htmx_get(f"/applications/{public_id}/nik-status")
        polls += 1
        state = fragment_state(fragment) if status == 200 else f"status page {status}"
        if state != "pending":
            seconds = time.perf_counter() - started
            return Outcome(seconds if state == "verified" else None, state, polls)
        time.sleep(POLL_SECONDS)
    return Outcome(None, "no result in time", polls)


def measure_one(browser: Browser, public_id: str, resident: Resident) -> Outcome:
    """Save the personal step (t0), then poll the status fragment until it is settled (t1)."""
    if time.monotonic() > DEADLINE:
        return Outcome(None, "time limit")
    path = f"/applications/{public_id}/personal"
    try:
        status, token = browser.csrf_token(path)
        if status != 200 or token is None:
            return Outcome(None, f"personal form answered {status}")
        started = time.perf_counter()
        status, _ = browser.request("POST", path, personal_answers(resident, token))
        if status != 302:
            return Outcome(None, f"save answered {status}")
        return wait_for_result(browser, public_id, started)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"connection: {type(error).__name__}")


def logged_in(port: int, email: str) -> Browser:
    check_deadline()
    browser = Browser(port)
    browser.log_in(email)
    return browser


def run_latency(port: int, drafts: list[tuple[str, str]], residents: list[Resident]):
    """Log every owner in first (scrypt is slow), then measure with CLIENTS in flight."""
    with ThreadPoolExecutor(CLIENTS) as pool:
        browsers = list(pool.map(lambda draft: logged_in(port, draft[0]), drafts))
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(
            pool.map(measure_one, browsers, [public_id for _, public_id in drafts], residents)
        )
    return outcomes, time.monotonic() - started


def verified_count(outcomes: list[Outcome]) -> int:
    return sum(outcome.seconds is not None for outcome in outcomes)


# Jobs --------------------------------------------------------------------------------------


def finished_jobs(redis: Redis, queue: str) -> list[str]:
    q = Queue(queue, connection=redis)
    return q.finished_job_registry.get_job_ids() + q.failed_job_registry.get_job_ids()


def job_times(redis: Redis, ids: list[str]) -> tuple[list[float], list[float]]:
    """Seconds each job waited in its queue, and seconds it ran (fork included)."""
    waits, runs = [], []
    for job in Job.fetch_many(ids, connection=redis):
        if job and job.enqueued_at and job.started_at and job.ended_at:
            waits.append((job.started_at - job.enqueued_at).total_seconds())
            runs.append((job.ended_at - job.started_at).total_seconds())
    return waits, runs


def wait_until_done(redis: Redis, baseline: dict[str, int], expected: int) -> None:
    """Until `expected` more jobs finished (or failed) on each of the verification and mail
    queues; each new check's mail is enqueued before its verification job ends."""
    while True:
        check_deadline()
        counts = {q: len(finished_jobs(redis, q)) - baseline[q] for q in JOB_QUEUES}
        if all(count >= expected for count in counts.values()):
            return
        time.sleep(0.02)


@dataclass
class JobRun:
    jobs: int
    seconds: float
    failed: dict[str, int]
    run_seconds: dict[str, list[float]]  # per queue

    @property
    def jobs_per_s(self) -> float:
        return self.jobs / self.seconds


def run_jobs(engine: sa.Engine, redis: Redis) -> JobRun:
    before = {q: set(finished_jobs(redis, q)) for q in JOB_QUEUES}
    failed_before = {q: Queue(q, connection=redis).failed_job_registry.count for q in JOB_QUEUES}
    checks = start_new_checks(engine)
    queue = Queue("verification", connection=redis)
    retry = Retry(max=3, interval=[10, 60, 300])  # as webapp.jobs.enqueue asks
    started = time.monotonic()
    for application_id, version in checks:
        queue.enqueue(VERIFY_JOB, application_id, version, job_timeout=30, retry=retry)
    wait_until_done(redis, {q: len(ids) for q, ids in before.items()}, len(checks))
    seconds = time.monotonic() - started
    failed = {
        q: Queue(q, connection=redis).failed_job_registry.count - failed_before[q]
        for q in JOB_QUEUES
    }
    runs = {
        q: job_times(redis, [i for i in finished_jobs(redis, q) if i not in before[q]])[1]
        for q in JOB_QUEUES
    }
    return JobRun(len(checks), seconds, failed, runs)


# Report ------------------------------------------------------------------------------------


def percentile_ms(values: list[float], quantile: float) -> float:
    """Nearest rank: the smallest value with at least `quantile` of the values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(quantile * len(ordered))))
    return 1000 * ordered[rank - 1]


def log_problems(path: str) -> list[str]:
    with open(path) as handle:
        lines = handle.read().splitlines()
    flagged = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")
    return [line for line in lines if any(word in line for word in flagged)]


def print_settings() -> None:
    print(
        f"applications: {APPLICATIONS}   clients: {CLIENTS}   gunicorn workers: {WORKERS}"
        f"   RQ workers: 1   cpus: {os.cpu_count()}"
    )
    print(
        f"registry delay: {REGISTRY_DELAY * 1000:.0f} ms   poll every: {POLL_SECONDS * 1000:.0f} ms"
        f"   (a browser polls every 1 s)"
    )


def print_latency(outcomes: list[Outcome], seconds: float, queue_waits, job_runs) -> None:
    verified = [o.seconds for o in outcomes if o.seconds is not None]
    failures: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.seconds is None:
            failures[outcome.state] = failures.get(outcome.state, 0) + 1
    polls = sum(o.polls for o in outcomes) / max(1, len(outcomes))
    print("\nsave -> verified on the page")
    header = f"{'count':>6}{'verified':>9}{'failed':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
    print(header + f"{'polls/app':>10}{'apps/s':>8}")
    print("-" * (len(header) + 18))
    print(
        f"{len(outcomes):>6}{len(verified):>9}{len(outcomes) - len(verified):>7}"
        f"{percentile_ms(verified, 0.5):>8.0f}{percentile_ms(verified, 0.95):>8.0f}"
        f"{percentile_ms(verified, 1.0):>8.0f}{polls:>10.1f}{len(outcomes) / seconds:>8.2f}"
    )
    for state, count in sorted(failures.items()):
        print(f"  failed: {count} x {state}")
    print(
        f"verification jobs in this phase: {len(job_runs)}; enqueued to started p50/p95 "
        f"{percentile_ms(queue_waits, 0.5):.0f}/{percentile_ms(queue_waits, 0.95):.0f} ms, "
        f"run p50/p95 {percentile_ms(job_runs, 0.5):.0f}/{percentile_ms(job_runs, 0.95):.0f} ms"
    )


def print_jobs(run: JobRun) -> None:
    print("\none worker, a burst of verification jobs (each also enqueues one mail job)")
    print(
        f"jobs: {run.jobs}   seconds: {run.seconds:.1f}   verification jobs/s: "
        f"{run.jobs_per_s:.2f}   all jobs/s (with mail): {2 * run.jobs / run.seconds:.2f}"
    )
    print(
        "job run in the work horse p50/p95: "
        + ", ".join(
            f"{q} {percentile_ms(runs, 0.5):.0f}/{percentile_ms(runs, 0.95):.0f} ms"
            for q, runs in run.run_seconds.items()
        )
        + f"   failed: {run.failed}"
    )
    all_runs = [seconds for runs in run.run_seconds.values() for seconds in runs]
    if all_runs:
        outside = run.seconds / len(all_runs) - sum(all_runs) / len(all_runs)
        print(f"per job outside the horse (fork, dequeue, bookkeeping): {outside * 1000:.0f} ms")
    print(
        f"ceiling: one job at a time and {REGISTRY_DELAY * 1000:.0f} ms per registry answer,"
        f" so < {1 / REGISTRY_DELAY:.0f} verification jobs/s per worker"
    )


def print_logs(name: str, problems: list[str]) -> None:
    print(f"{name} log: {len(problems)} warning/error lines")
    for line in problems[-10:]:
        print(f"  {line}")


# Run ---------------------------------------------------------------------------------------


def on_alarm(_signum, _frame) -> None:
    raise TimeLimit(f"over the time limit of {TIME_LIMIT:g} s")


def environment(instance_path: str, registry_port: int) -> dict:
    env = server_environment(DATABASE_URL, instance_path)
    env.update(REDIS_URL=REDIS_URL, REGISTRY_URL=f"http://{HOST}:{registry_port}")
    return env


def run(scratch: str, redis: Redis, engine: sa.Engine) -> dict:
    """Seed, start the stand-in, gunicorn and one worker, measure both phases; always clean up."""
    from webapp import create_app

    instance_path = os.path.join(scratch, "instance")
    residents = generated_residents(APPLICATIONS)
    drafts = seed(create_app({"INSTANCE_PATH": instance_path}), residents)
    standin = start_standin(residents)
    env = environment(instance_path, standin.port)
    server = worker = None
    logs = {name: os.path.join(scratch, f"{name}.log") for name in ("gunicorn", "worker")}
    try:
        with open(logs["gunicorn"], "w") as server_log, open(logs["worker"], "w") as worker_log:
            port = free_port()
            server = start_gunicorn(scratch, port, env, server_log)
            worker = start_worker(env, worker_log)
            wait_until_up(server, port)
            wait_for_worker(worker, redis)
            outcomes, seconds = run_latency(port, drafts, residents)
            # The page can show the result before its job has ended and its mail has run.
            wait_until_done(redis, dict.fromkeys(JOB_QUEUES, 0), verified_count(outcomes))
            verify_ids = finished_jobs(redis, "verification")
            waits, runs = job_times(redis, verify_ids)
            statuses = nik_statuses(engine)
            jobs = run_jobs(engine, redis)
    finally:
        stop_process(worker)
        stop_process(server)
        standin.shutdown()
    return {
        "outcomes": outcomes,
        "seconds": seconds,
        "waits": waits,
        "runs": runs,
        "statuses": statuses,
        "jobs": jobs,
        "logs": {name: log_problems(path) for name, path in logs.items()},
    }


def main() -> None:
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(TIME_LIMIT) + 30)  # a backstop: the loops check DEADLINE themselves
    os.environ.update(DATABASE_URL=DATABASE_URL, SECRET_KEY="bench-secret-key")
    os.environ.update(DEMO_MODE="1")
    os.environ.pop("REDIS_URL", None)  # this process enqueues through rq directly
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    recreate_database(DATABASE_URL)
    engine = sa.create_engine(make_url(DATABASE_URL).set(drivername="postgresql+psycopg"))
    try:
        with tempfile.TemporaryDirectory(prefix="mpaspor-bench-verify-") as scratch:
            with open(os.path.join(scratch, "bench_wsgi.py"), "w") as handle:
                handle.write(WSGI_MODULE)
            result = run(scratch, redis, engine)
    finally:
        signal.alarm(0)
        engine.dispose()
        drop_database(DATABASE_URL)
        redis.flushdb()
    report(result)


def report(result: dict) -> None:
    verified = [o.seconds for o in result["outcomes"] if o.seconds is not None]
    print_settings()
    print_latency(result["outcomes"], result["seconds"], result["waits"], result["runs"])
    print(f"nik_status in the database after the latency phase: {result['statuses']}")
    print_jobs(result["jobs"])
    for name, problems in result["logs"].items():
        print_logs(name, problems)
    print(f"p50_ms: {percentile_ms(verified, 0.5):.0f}")
    print(f"p95_ms: {percentile_ms(verified, 0.95):.0f}")
    print(f"jobs_per_s: {result['jobs'].jobs_per_s:.2f}")


if __name__ == "__main__":
    main()
