"""NIK verification with the real RQ worker pool and Redis: time to the verified result, and job
rate.

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

How it runs (bench/harness.py): a dedicated PostgreSQL database (mpaspor_bench_verify, dropped
and recreated, then dropped at the end; BENCH_DATABASE_URL overrides) is migrated and seeded with
one verified user per application, each with a draft whose service and passport steps are done.
Redis db 14 (only that one; BENCH_REDIS_URL names another) is flushed before and after. The
stand-in registry runs in threads of this process with HTTP keep-alive, as a real registry
would, answering after 0.1 s and knowing the demo residents plus one generated resident per
application (a NIK may be in only one active application, so each application types its own).
gunicorn (BENCH_WORKERS, 2 sync workers) serves the app and `flask worker` runs the jobs: the
command's default pool (webapp/jobs/pool.py), one worker per core on the verification and
default queues plus one on mail. BENCH_CLIENTS (8) client threads each take the next
application, log in as its owner beforehand, and measure it; so at most 8 checks are in flight.

How to read it: the load is a closed loop, so the latency settles near clients / (verifications
per second) once the workers are the bottleneck; the job rate phase shows that capacity
directly. A worker runs one job at a time, and each check waits 0.1 s on the registry, so a
worker cannot exceed 10 verification jobs per second; the mail each check sends goes to the
mail worker. The latency phase splits each check's time into its parts: enqueued to started
(waiting for a worker), started to ended (the job), and the rest (the save's request before
the enqueue, and the poll that sees the result: up to BENCH_POLL_SECONDS, plus a request).
Everything (client, stand-in, gunicorn, workers, PostgreSQL, Redis) shares this machine's CPUs.

Settings (environment): BENCH_APPLICATIONS, BENCH_CLIENTS, BENCH_POLL_SECONDS, BENCH_WORKERS,
BENCH_REDIS_URL, BENCH_TIME_LIMIT (300 s: the whole run is abandoned after it). The last three
lines printed are p50_ms, p95_ms and jobs_per_s.
"""

import http.client
import logging
import os
import re
import sys
import threading
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, Retry, Worker  # noqa: E402
from rq.job import Job  # noqa: E402

from bench import harness  # noqa: E402
from webapp.integrations.registry_standin import (  # noqa: E402
    DEMO_RESIDENTS,
    Resident,
    create_standin,
    keep_alive_server,
)
from webapp.jobs.pool import groups  # noqa: E402

REDIS_URL = harness.redis_url(14)
# The pool `flask worker` runs by default (WORKERS, as the command reads it, or one per core).
POOL = groups(int(os.environ.get("WORKERS") or os.cpu_count() or 1))
CHECK_WORKERS = next(group.size for group in POOL if "verification" in group.queues)
APPLICATIONS = harness.setting("BENCH_APPLICATIONS", 200)
CLIENTS = harness.CLIENTS
POLL_SECONDS = harness.setting("BENCH_POLL_SECONDS", 0.1)
REGISTRY_DELAY = 0.1
SETTLE_TIMEOUT = 30.0  # one application that has no result after this is a failure
VERIFY_JOB = "webapp.jobs.verification.verify_nik"
JOB_QUEUES = ("verification", "mail")
HTMX = {"HX-Request": "true"}
DONE_STEPS = {
    "for_self": True,
    "service": "regular",
    "application_type": "new",
    "marital_status": "single",
    "passport_kind": "electronic",
    "validity_years": 10,
}
NOTICE = re.compile(r"\bnotice-(\w+)")


# Data --------------------------------------------------------------------------------------


def seed(bench: harness.Bench, people: list[Resident]) -> list[tuple[str, str]]:
    """One verified user per resident, with a draft up to the personal step."""
    from webapp.extensions import db
    from webapp.models import Application

    with bench.app_context():
        users = harness.verified_users(people, "verify", "+62813")
        db.session.add_all(users)
        db.session.commit()
        drafts = [
            Application(
                account_id=user.id,
                place=1,
                public_id=f"bench{n:011d}",
                status="draft",
                pending_inputs={},
                birth_date=person.birth_date,
                **DONE_STEPS,
            )
            for n, (user, person) in enumerate(zip(users, people, strict=True), 1)
        ]
        db.session.add_all(drafts)
        db.session.commit()
        return [(user.email, draft.public_id) for user, draft in zip(users, drafts, strict=True)]


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


def nik_statuses(bench: harness.Bench) -> dict[str, int]:
    from webapp.extensions import db

    with bench.app_context():
        rows = db.session.execute(
            sa.text("SELECT coalesce(nik_status, 'none'), count(*) FROM applications GROUP BY 1")
        )
        return dict(rows.all())


def start_new_checks(bench: harness.Bench) -> list[tuple[int, int]]:
    """What a changed NIK does: a new version, pending, for every application that has a NIK."""
    from webapp.extensions import db

    with bench.app_context():
        checks = db.session.execute(
            sa.text(
                "UPDATE applications SET nik_check_version = nik_check_version + 1,"
                " nik_status = 'pending', nik_reason = NULL WHERE nik IS NOT NULL"
                " RETURNING id, nik_check_version"
            )
        ).all()
        db.session.commit()
        return [tuple(check) for check in checks]


# Processes ---------------------------------------------------------------------------------


def start_standin(people: list[Resident]):
    """The stand-in registry on a free loopback port, served by threads of this process, with
    keep-alive connections."""
    app = create_standin(residents=(*DEMO_RESIDENTS, *people), delay_seconds=REGISTRY_DELAY)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = keep_alive_server(app, harness.HOST)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for_pool(pool: harness.Process, redis: Redis, timeout: float = 60) -> None:
    """Until every worker of the pool has registered."""
    expected = sum(group.size for group in POOL)
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if pool.popen.poll() is not None:
            raise RuntimeError(f"the RQ worker pool exited with code {pool.popen.returncode}")
        if len(Worker.all(connection=redis)) >= expected:
            return
        time.sleep(0.2)
    raise RuntimeError("the RQ workers did not register in time")


# Client ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float | None  # None unless verified
    state: str  # verified | refused (with the notice's class) | what went wrong
    polls: int = 0
    save_seconds: float | None = None  # the POST of the personal step, which enqueues the check


def fragment_state(fragment: str) -> str:
    """pending while the fragment polls itself (or is empty), else its notice: verified or not."""
    if "every 1s" in fragment or not fragment.strip():
        return "pending"
    notice = NOTICE.search(fragment)
    if notice and notice.group(1) == "success":
        return "verified"
    return f"refused ({notice.group(1) if notice else 'no notice'})"


def wait_for_result(
    client: harness.Client, public_id: str, started: float, saved: float
) -> Outcome:
    give_up = min(harness.DEADLINE, time.monotonic() + SETTLE_TIMEOUT)
    polls = 0
    while time.monotonic() < give_up:
        status, fragment = client.request(
            "GET", f"/applications/{public_id}/nik-status", headers=HTMX
        )
        polls += 1
        state = fragment_state(fragment) if status == 200 else f"status page {status}"
        if state != "pending":
            seconds = time.perf_counter() - started
            return Outcome(seconds if state == "verified" else None, state, polls, saved)
        time.sleep(POLL_SECONDS)
    return Outcome(None, "no result in time", polls, saved)


def measure_one(client: harness.Client, public_id: str, resident: Resident) -> Outcome:
    """Save the personal step (t0), then poll the status fragment until it is settled (t1)."""
    if harness.past_deadline():
        return Outcome(None, "time limit")
    path = f"/applications/{public_id}/personal"
    try:
        status, token = client.csrf_token(path)
        if status != 200 or token is None:
            return Outcome(None, f"personal form answered {status}")
        started = time.perf_counter()
        status, _ = client.request("POST", path, personal_answers(resident, token))
        if status != 302:
            return Outcome(None, f"save answered {status}")
        return wait_for_result(client, public_id, started, time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"connection: {type(error).__name__}")


def run_latency(server: harness.Server, drafts: list[tuple[str, str]], people: list[Resident]):
    """Log every owner in first (not measured), then measure with CLIENTS in flight."""
    clients = server.signed_in([email for email, _ in drafts], CLIENTS)
    work = [(c, public_id, p) for c, (_, public_id), p in zip(clients, drafts, people, strict=True)]
    return harness.for_each(lambda item: measure_one(*item), work, CLIENTS)


def verified_count(outcomes: list[Outcome]) -> int:
    return sum(outcome.seconds is not None for outcome in outcomes)


# Jobs --------------------------------------------------------------------------------------


def finished_jobs(redis: Redis, queue: str) -> list[str]:
    q = Queue(queue, connection=redis)
    return q.finished_job_registry.get_job_ids() + q.failed_job_registry.get_job_ids()


def job_times(redis: Redis, ids: list[str]) -> tuple[list[float], list[float]]:
    """Seconds each job waited in its queue, and seconds it ran."""
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
        harness.check_deadline()
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


def run_jobs(bench: harness.Bench, redis: Redis) -> JobRun:
    before = {q: set(finished_jobs(redis, q)) for q in JOB_QUEUES}
    failed_before = {q: Queue(q, connection=redis).failed_job_registry.count for q in JOB_QUEUES}
    checks = start_new_checks(bench)
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


def p50_p95(seconds: list[float]) -> str:
    return f"{harness.percentile_ms(seconds, 0.5):.0f}/{harness.percentile_ms(seconds, 0.95):.0f}"


def print_settings(workers: int) -> None:
    print(
        f"applications: {APPLICATIONS}   clients: {CLIENTS}   gunicorn workers: {workers}"
        f"   cpus: {os.cpu_count()}"
    )
    print("RQ workers: " + ", ".join(f"{group.size} on {'+'.join(group.queues)}" for group in POOL))
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
        f"{harness.percentile_ms(verified, 0.5):>8.0f}"
        f"{harness.percentile_ms(verified, 0.95):>8.0f}"
        f"{harness.percentile_ms(verified, 1.0):>8.0f}{polls:>10.1f}{len(outcomes) / seconds:>8.2f}"
    )
    for state, count in sorted(failures.items()):
        print(f"  failed: {count} x {state}")
    saves = [o.save_seconds for o in outcomes if o.save_seconds is not None]
    print(
        f"where the time goes, p50/p95 ms: the save's POST {p50_p95(saves)}; verification jobs"
        f" ({len(job_runs)}) enqueued to started {p50_p95(queue_waits)}, started to ended"
        f" {p50_p95(job_runs)}; the rest is the poll that sees the result"
    )


def print_jobs(run: JobRun) -> None:
    print("\nthe pool, a burst of verification jobs (each also enqueues one mail job)")
    print(
        f"jobs: {run.jobs}   seconds: {run.seconds:.1f}   verification jobs/s: "
        f"{run.jobs_per_s:.2f}   all jobs/s (with mail): {2 * run.jobs / run.seconds:.2f}"
    )
    print(
        "job run p50/p95: "
        + ", ".join(f"{q} {p50_p95(runs)} ms" for q, runs in run.run_seconds.items())
        + f"   failed: {run.failed}"
    )
    checks = run.run_seconds["verification"]
    if checks:  # the check workers all busy through the burst
        outside = CHECK_WORKERS * run.seconds / len(checks) - sum(checks) / len(checks)
        print(f"per check outside the job (dequeue, bookkeeping): {outside * 1000:.0f} ms")
    print(
        f"ceiling: one job at a time per worker and {REGISTRY_DELAY * 1000:.0f} ms per registry"
        f" answer, so < {CHECK_WORKERS / REGISTRY_DELAY:.0f} verification jobs/s"
        f" for {CHECK_WORKERS} workers"
    )


def report(result: dict) -> None:
    verified = [o.seconds for o in result["outcomes"] if o.seconds is not None]
    print_settings(result["workers"])
    print_latency(result["outcomes"], result["seconds"], result["waits"], result["runs"])
    print(f"nik_status in the database after the latency phase: {result['statuses']}")
    print_jobs(result["jobs"])
    for name, problems in result["logs"].items():
        harness.print_log(name, problems)
    harness.report(
        {
            "p50_ms": f"{harness.percentile_ms(verified, 0.5):.0f}",
            "p95_ms": f"{harness.percentile_ms(verified, 0.95):.0f}",
            "jobs_per_s": f"{result['jobs'].jobs_per_s:.2f}",
        }
    )


# Run ---------------------------------------------------------------------------------------


def run(bench: harness.Bench, redis: Redis) -> dict:
    """Seed, start the stand-in, gunicorn and the worker pool, measure both phases; always clean
    up. This process enqueues through rq directly: only the server and the pool get REDIS_URL."""
    people = harness.residents(APPLICATIONS)
    drafts = seed(bench, people)
    standin = start_standin(people)
    env = {"REDIS_URL": REDIS_URL, "REGISTRY_URL": f"http://{harness.HOST}:{standin.port}"}
    worker_command = [harness.executable("flask"), "--app", "wsgi", "worker"]
    try:
        with (
            bench.serve(env=env) as server,
            bench.process("worker", worker_command, env) as worker,
        ):
            wait_for_pool(worker, redis)
            outcomes, seconds = run_latency(server, drafts, people)
            # The page can show the result before its job has ended and its mail has run.
            wait_until_done(redis, dict.fromkeys(JOB_QUEUES, 0), verified_count(outcomes))
            waits, runs = job_times(redis, finished_jobs(redis, "verification"))
            statuses = nik_statuses(bench)
            jobs = run_jobs(bench, redis)
    finally:
        standin.shutdown()
    return {
        "workers": server.workers,
        "outcomes": outcomes,
        "seconds": seconds,
        "waits": waits,
        "runs": runs,
        "statuses": statuses,
        "jobs": jobs,
        "logs": {"gunicorn": server.problems, "worker": worker.problems},
    }


def main() -> None:
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    try:
        with harness.Bench("mpaspor_bench_verify") as bench:
            result = run(bench, redis)
    finally:
        redis.flushdb()
    report(result)


if __name__ == "__main__":
    main()
