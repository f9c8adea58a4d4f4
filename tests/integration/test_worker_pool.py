"""`flask worker`: the pool of RQ worker processes, run as an operator runs it, on this run's
Redis and database.

Mail has a worker of its own: a burst of mail waits for it while a NIK check goes straight to a
worker of the checks.
"""

import os
import signal
import subprocess
import sys
import time

from rq import Queue, Worker

from tests.integration.test_verification import current, draft, save_personal
from webapp.jobs import redis_connection

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLOW_MAIL_SECONDS = 5


def start_pool(app, tmp_path, *options: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DEMO_MODE": "1",  # the in-process stand-in registry
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "INSTANCE_PATH": app.instance_path,
    }
    environment.pop("WORKERS", None)
    with open(tmp_path / "pool.log", "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *options],
            env=environment,
            cwd=ROOT,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def registered_queues(app) -> list[list[str]]:
    with app.app_context():
        return sorted(w.queue_names() for w in Worker.all(connection=redis_connection()))


def waiting_mail(app) -> int:
    with app.app_context():
        return Queue("mail", connection=redis_connection()).count


def test_a_burst_of_mail_never_delays_a_nik_check_and_sigterm_stops_the_pool(
    make_app, redis, tmp_path
):
    app = make_app(REDIS_URL=redis)
    pool = start_pool(app, tmp_path, "--workers", "2")
    try:
        until(lambda: len(registered_queues(app)) == 3, what="three workers")
        assert registered_queues(app) == [
            ["mail"],
            ["verification", "default"],
            ["verification", "default"],
        ]
        with app.app_context():
            mail = Queue("mail", connection=redis_connection())
            for _ in range(5):
                mail.enqueue("time.sleep", SLOW_MAIL_SECONDS)
        until(lambda: waiting_mail(app) == 4, what="the mail worker to take the first mail")

        client, public_id = draft(app)
        assert save_personal(client, public_id).status_code == 302
        until(lambda: current(app).nik_status == "verified", what="the NIK check")
        assert waiting_mail(app) >= 3  # the check went past the mail still waiting

        pool.send_signal(signal.SIGTERM)
        assert pool.wait(timeout=60) == 0  # after the mail being sent, at most
        assert registered_queues(app) == []
    finally:
        if pool.poll() is None:
            os.killpg(pool.pid, signal.SIGKILL)
            pool.wait()


def test_in_burst_mode_the_pool_runs_what_is_queued_and_stops(make_app, redis, tmp_path):
    app = make_app(REDIS_URL=redis)
    client, public_id = draft(app)
    save_personal(client, public_id)
    assert current(app).nik_status == "pending"

    pool = start_pool(app, tmp_path, "--burst", "--workers", "1")
    try:
        assert pool.wait(timeout=120) == 0
    finally:
        if pool.poll() is None:
            os.killpg(pool.pid, signal.SIGKILL)
            pool.wait()
    assert current(app).nik_status == "verified"
    assert [name for name in os.listdir(app.config["MAIL_DIR"]) if name.endswith(".eml")]
