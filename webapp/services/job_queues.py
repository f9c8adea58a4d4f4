"""Failed background jobs, for administrators: how many, the last error, and a retry."""

from dataclasses import dataclass

from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry

from webapp.jobs import QUEUES, redis_connection


@dataclass(frozen=True)
class QueueHealth:
    name: str
    waiting: int
    failed: int
    last_error: str | None
    last_job: str | None


def health() -> list[QueueHealth]:
    return [_health(name) for name in QUEUES]


def _health(name: str) -> QueueHealth:
    connection = redis_connection()
    queue = Queue(name, connection=connection)
    registry = FailedJobRegistry(queue=queue)
    job_ids = registry.get_job_ids()
    last_error = last_job = None
    if job_ids:
        job = Job.fetch(job_ids[-1], connection=connection)
        result = job.latest_result()
        lines = ((result.exc_string if result else job.exc_info) or "").strip().splitlines()
        last_job, last_error = job.func_name, (lines[-1] if lines else None)
    return QueueHealth(name, queue.count, len(job_ids), last_error, last_job)


def retry_failed(name: str) -> int:
    """Put every failed job of a queue back on it; returns how many."""
    if name not in QUEUES:
        raise LookupError(name)
    registry = FailedJobRegistry(queue=Queue(name, connection=redis_connection()))
    job_ids = registry.get_job_ids()
    for job_id in job_ids:
        registry.requeue(job_id)
    return len(job_ids)
