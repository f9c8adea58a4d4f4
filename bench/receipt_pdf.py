"""Receipt PDF: one receipt's render time and size on A4 and on the 80 mm roll (goals 50 ms and
60 KB each), and a batch of 200 receipts end to end on a real RQ worker (goal 10 s).

What it measures:
- `a4_median_ms`, `roll_median_ms`: webapp.services.receipts.receipt_pdf(application, paper,
  "id") in this process, without a server: reading the receipt (issuance, review, office), the
  Ed25519-signed token and its QR code, and the WeasyPrint rendering (on the roll, a page then cut
  to be as tall as its content). BENCH_WARMUPS (3) renders not timed, then
  BENCH_RUNS (30) timed ones per paper; medians by the harness's nearest rank.
- `a4_bytes`, `roll_bytes`: the median size of those PDFs.
- `batch_200_s`: from the batch being made (receipts.start_batch) and its job enqueued on Redis,
  to the batch being done with its PDF in storage, for BENCH_BATCH (200) receipts on A4, run by
  ONE `flask worker` process (a forked work horse per job, as in production); the roll batch is
  timed as well (shown in the table). Without Redis `batch_200_s` says "no redis".

How it runs (bench/harness.py): a throw-away PostgreSQL database (BENCH_DATABASE_URL names
another), migrated; the Makassar office of the demo data, one officer, and BENCH_BATCH approved
applications of accounts of their own, each with its review decided now and its collection date,
loaded directly. Redis is database 13 of the local server (BENCH_REDIS_URL names another), which
the bench empties before and after, and refuses to touch while a test run holds it. The scratch
instance folder (signing key, the batch PDFs) is shared with the worker.

How to read it: one render uses one core; the worker renders one receipt at a time, so the batch
is about BENCH_BATCH single renders plus writing one PDF of BENCH_BATCH pages. Both papers take
one layout pass (the roll's page is cut where its content ends). The sizes vary
by a few bytes (the token carries the time it was issued). The machine's other work slows the
wall-clock figures: the table adds each render's CPU time, and the load average around a batch.
"""

import io
import os
import sys
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pypdf import PdfReader  # noqa: E402
from redis import Redis  # noqa: E402
from redis.exceptions import RedisError  # noqa: E402
from rq import Queue, Worker  # noqa: E402

from bench import harness  # noqa: E402
from webapp import clock  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Application, Issuance, PrintBatch, Review  # noqa: E402
from webapp.services import receipts  # noqa: E402

RUNS = harness.setting("BENCH_RUNS", 30)
WARMUPS = harness.setting("BENCH_WARMUPS", 3)
BATCH = harness.setting("BENCH_BATCH", 200)
REDIS_URL = harness.redis_url(13)
TIME_BUDGET_MS = 50
SIZE_BUDGET = 60 * 1024
BATCH_BUDGET_S = 10
BATCH_TIMEOUT_S = 240
TEST_LEASE = "mpaspor-tests:lease"  # tests/services.py: a test run holds this database


def approved_applications(count: int) -> tuple[list[int], int]:
    """`count` approved applications at the Makassar office, and its officer's id."""
    office = harness.demo_office("kanim-makassar")
    db.session.add(office)
    db.session.flush()
    officer = harness.verified_user(
        "loket1@contoh.id", "Petugas 1", "+62816000001", role="staff", office_id=office.id
    )
    people = harness.residents(count)
    users = harness.verified_users(people, "pemohon", "+62817")
    db.session.add_all([officer, *users])
    db.session.flush()
    applications = harness.submitted_applications(users, people, office, "rcpt", "26120")
    db.session.add_all(applications)
    db.session.flush()
    decided = clock.now() - timedelta(minutes=5)
    collect_from = clock.today(office.timezone) + timedelta(days=6)
    for application in applications:
        application.status = "approved"
        db.session.add(
            Review(application_id=application.id, decided_by=officer.id, decided_at=decided)
        )
        db.session.add(Issuance(application_id=application.id, collect_from=collect_from))
    db.session.commit()
    return [a.id for a in applications], officer.id


def timed(render) -> tuple[float, float, bytes]:
    """Wall-clock and CPU seconds of one render (CPU: this process's, unaffected by other
    processes competing for the cores), and its result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = render()
    return time.perf_counter() - started, time.process_time() - cpu, result


def measure_paper(application: Application, paper: str) -> dict:
    def render() -> bytes:
        return receipts.receipt_pdf(application, paper, "id")

    first = [timed(render)[0] for _ in range(max(1, WARMUPS))]
    seconds, cpu_seconds, sizes = [], [], []
    for _ in range(RUNS):
        harness.check_deadline()
        elapsed, cpu, document = timed(render)
        seconds.append(elapsed)
        cpu_seconds.append(cpu)
        sizes.append(len(document))
    page = PdfReader(io.BytesIO(document)).pages[0]
    return {
        "first_ms": 1000 * first[0],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "sizes": sizes,
        "page_mm": (
            float(page.mediabox.width) * 25.4 / 72,
            float(page.mediabox.height) * 25.4 / 72,
        ),
    }


def redis_or_none() -> Redis | None:
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        redis.ping()
    except RedisError:
        return None
    if redis.exists(TEST_LEASE):
        raise SystemExit(f"{REDIS_URL} is held by a test run; set BENCH_REDIS_URL to another")
    return redis


def wait_for_worker(worker: harness.Process, redis: Redis, timeout: float = 60) -> None:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if worker.popen.poll() is not None:
            raise RuntimeError(f"the RQ worker exited with code {worker.popen.returncode}")
        if Worker.all(connection=redis):
            return
        time.sleep(0.2)
    raise RuntimeError("the RQ worker did not register in time")


def run_batch(redis: Redis, officer_id: int, ids: list[int], paper: str, worker_pid: int) -> dict:
    """One batch end to end: made, enqueued, rendered by the worker, done. Seconds and pages."""
    from webapp.models import User

    officer = db.session.get(User, officer_id)
    cpu_before = harness.cpu_seconds([worker_pid])
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    batch = receipts.start_batch(officer, ids, paper)
    Queue("default", connection=redis).enqueue(
        "webapp.jobs.receipts.render_batch", batch.id, job_timeout=receipts.BATCH_JOB_TIMEOUT
    )
    give_up = started + BATCH_TIMEOUT_S
    while True:
        harness.check_deadline()
        db.session.expire_all()
        found = db.session.get(PrintBatch, batch.id)
        db.session.rollback()
        if found.status in ("done", "failed") or time.monotonic() > give_up:
            break
        time.sleep(0.05)
    seconds = time.monotonic() - started
    if found.status != "done":
        raise RuntimeError(f"batch {batch.id} ended {found.status}: {found.error}")
    document = receipts.batch_pdf(found.office_id, found.id)
    return {
        "seconds": seconds,
        "pages": len(PdfReader(io.BytesIO(document)).pages),
        "bytes": len(document),
        "load": (load_before, os.getloadavg()[0]),
        "worker_cpu": harness.cpu_seconds([worker_pid]) - cpu_before,
    }


def measure(bench: harness.Bench, redis: Redis | None) -> dict:
    results = {}
    with bench.app_context(), bench.app.test_request_context():
        ids, officer_id = approved_applications(BATCH)
        application = db.session.get(Application, ids[0])
        for paper in ("a4", "roll"):
            results[paper] = measure_paper(application, paper)
    if redis is None:
        return results
    worker_command = [harness.executable("flask"), "--app", "wsgi", "worker"]
    with bench.process("worker", worker_command, {"REDIS_URL": REDIS_URL}) as worker:
        wait_for_worker(worker, redis)
        with bench.app_context():
            for paper in ("a4", "roll"):
                results[f"batch_{paper}"] = run_batch(
                    redis, officer_id, ids, paper, worker.popen.pid
                )
    results["worker_problems"] = worker.problems
    return results


def report(results: dict) -> None:
    print(f"receipt_pdf, in-process: {WARMUPS} warm-ups, then {RUNS} timed renders per paper")
    header = (
        f"{'paper':<7}{'first ms':>9}{'median ms':>10}{'p95 ms':>8}{'max ms':>8}{'cpu ms':>8}"
        f"{'bytes':>8}"
        f"{'page mm':>14}  budgets {TIME_BUDGET_MS} ms, {SIZE_BUDGET} B"
    )
    print(header)
    print("-" * len(header))
    medians, sizes = {}, {}
    for paper in ("a4", "roll"):
        result = results[paper]
        median = harness.percentile_ms(result["seconds"], 0.5)
        size = int(harness.percentile(result["sizes"], 0.5))
        width, height = result["page_mm"]
        verdict = (
            f"{'ok' if median <= TIME_BUDGET_MS else 'OVER'} / "
            f"{'ok' if size <= SIZE_BUDGET else 'OVER'}"
        )
        print(
            f"{paper:<7}{result['first_ms']:>9.0f}{median:>10.1f}"
            f"{harness.percentile_ms(result['seconds'], 0.95):>8.1f}"
            f"{harness.percentile_ms(result['seconds'], 1.0):>8.1f}"
            f"{harness.percentile_ms(result['cpu_seconds'], 0.5):>8.1f}{size:>8}"
            f"{f'{width:.0f} x {height:.0f}':>14}  {verdict}"
        )
        medians[paper], sizes[paper] = median, size
    if "batch_a4" in results:
        print(f"\nbatch of {BATCH} on one RQ worker, end to end (made, queued, rendered, stored)")
        for paper in ("a4", "roll"):
            run = results[f"batch_{paper}"]
            verdict = "ok" if run["seconds"] <= BATCH_BUDGET_S else "OVER"
            print(
                f"{paper:<7}{run['seconds']:>8.2f} s{run['pages']:>6} pages{run['bytes']:>10} B"
                f"  worker cpu {run['worker_cpu']:.2f} s"
                f"  load {run['load'][0]:.1f}-{run['load'][1]:.1f}"
                f"  budget {BATCH_BUDGET_S} s: {verdict}"
            )
        harness.print_log("worker", results["worker_problems"])
        batch = f"{results['batch_a4']['seconds']:.2f}"
    else:
        print(f"\nno Redis at {REDIS_URL}: the batch on a worker was not measured")
        batch = "no redis"
    print(f"cpus: {os.cpu_count()}   load average (1 min) now: {os.getloadavg()[0]:.1f}")
    print("cpu ms: this process's CPU time per render, whatever else competes for the cores")
    harness.report(
        {
            "a4_median_ms": f"{medians['a4']:.1f}",
            "roll_median_ms": f"{medians['roll']:.1f}",
            "a4_bytes": sizes["a4"],
            "roll_bytes": sizes["roll"],
            "batch_200_s": batch,
        }
    )


def main() -> None:
    redis = redis_or_none()
    if redis is not None:
        redis.flushdb()
    try:
        with harness.Bench("mpaspor_bench_receipts") as bench:
            results = measure(bench, redis)
    finally:
        if redis is not None:
            redis.flushdb()
    report(results)


if __name__ == "__main__":
    main()
