"""The job seam: RQ when REDIS_URL is set, in-process otherwise.

Job functions take ids and plain values, run inside an application context and are safe to run
twice. Callers commit their transaction before enqueueing, so a job never sees uncommitted rows.
Jobs are named by their dotted path ("webapp.jobs.mail.send_account_email"), which RQ stores as
it is and the in-process path imports when it runs: services never import a job module, and the
job modules, which call services, make no import circle with them.
"""

import logging
import threading
from datetime import datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

QUEUES = ("mail", "verification", "default")


def redis_connection() -> Redis:
    """One Redis client per application; redis-py pools connections itself."""
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["redis"] = client
    return client


def enqueue(name: str, *args, queue: str = "default", timeout: int = 60, **kwargs) -> None:
    """Run the job `name` (a dotted path) with (*args, **kwargs) on a worker, or here and now in
    the embedded default.

    When Redis cannot be reached the work runs in-process rather than being lost.
    """
    if _queued(name, args, kwargs, queue, timeout):
        return
    _run_here(name, args, kwargs)


def _queued(name: str, args: tuple, kwargs: dict, queue: str, timeout: int) -> bool:
    """Put the job on its RQ queue; False when there is no Redis (or it cannot be reached)."""
    if not current_app.config["REDIS_URL"]:
        return False
    try:
        Queue(queue, connection=redis_connection()).enqueue(
            name,
            *args,
            job_timeout=timeout,
            retry=Retry(max=3, interval=[10, 60, 300]),
            **kwargs,
        )
        return True
    except RedisError:
        log.warning("Redis unreachable; running %s in-process", name)
        return False


def _run_here(name: str, args: tuple, kwargs: dict) -> None:
    try:
        import_string(name)(*args, **kwargs)
    except Exception:  # a failed side job must not fail the request that asked for it
        log.exception("in-process job %s failed", name)


BACKGROUND = "background_jobs"  # app.extensions: the threads started by enqueue_in_background


def enqueue_in_background(name: str, *args, queue: str = "default", timeout: int = 60) -> None:
    """As enqueue, except that in-process the job runs in a thread of its own, with its own
    application context, and the request that asked for it returns at once.

    Only for a job whose progress a page shows while it runs (the batch of receipts): run inside
    the request, the page would appear only once the job had finished, and in demo mode the
    progress bar would never be seen filling. Every other in-process job stays in the request,
    where its effect is there by the time the page that follows is read. The job commits its own
    transactions, as on a worker; tests wait for the threads (app.extensions[BACKGROUND]).
    """
    if _queued(name, args, {}, queue, timeout):
        return
    app = current_app._get_current_object()

    def work() -> None:
        from webapp.extensions import db

        with app.app_context():
            try:
                _run_here(name, args, {})
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"job {name}{args}", daemon=True)
    threads = app.extensions.setdefault(BACKGROUND, [])
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()


def enqueue_at(moment: datetime, name: str, *args, queue: str = "default") -> None:
    """Run the job `name` with (*args) at `moment` on a worker's scheduler. In-process there is
    no scheduler, so callers must not depend on it: a periodic sweep and their own time checks
    cover it."""
    if not current_app.config["REDIS_URL"]:
        return
    try:
        Queue(queue, connection=redis_connection()).enqueue_at(
            moment, name, *args, job_timeout=60, retry=Retry(max=3, interval=[10, 60, 300])
        )
    except RedisError:
        log.warning("Redis unreachable; %s at %s is left to the sweep", name, moment)
