"""The pool of RQ workers that `flask worker` runs, one process each, under one supervisor.

The queues are split between the workers (see `groups`); RQ's WorkerPool gives every worker
the same queues, so this pool chooses each new worker's queues itself, and replaces a worker
that dies with one of the same group.
"""

from collections import Counter
from dataclasses import dataclass

from flask import current_app
from rq import SimpleWorker
from rq.worker_pool import WorkerPool


class AppContextWorker(SimpleWorker):
    """Runs each job in the worker's own process, in an application context of its own.

    RQ's default forks a work horse per job, which then starts with nothing: no database
    connection, no connection to the registry. Here the app, the database pool and the kept-alive
    registry connection last from one job to the next, while each job still gets a fresh
    context, and with it its own database session, as in a horse. A job's timeout still holds
    (SIGALRM); a worker that crashes is replaced by the pool. With a horse per job each check
    took about a second more and each mail 420 ms more (bench/verification_latency.py).
    """

    def execute_job(self, job, queue) -> None:
        with current_app.app_context():
            super().execute_job(job, queue)


@dataclass(frozen=True)
class Group:
    queues: tuple[str, ...]  # in the order a worker takes them
    size: int


def groups(size: int, burst: bool = False) -> tuple[Group, ...]:
    """`size` workers for the NIK and document checks and the other jobs, one for mail.

    The NIK check is what an applicant waits for on the page, so no mail is ever in its way:
    the workers that take checks take no mail, and take other jobs only when no check is
    waiting. Mail has a worker of its own, so that a slow mail server or a burst of mail (each
    check sends one) delays mail alone, and a long job (a batch of receipts) never delays mail.

    In burst mode a worker stops once its own queues are empty: a worker of mail alone could
    stop before a check had queued its mail. There every worker takes every queue, checks
    first, and the last one to stop leaves them all empty.
    """
    if burst:
        return (Group(("verification", "default", "mail"), size + 1),)
    return (Group(("verification", "default"), size), Group(("mail",), 1))


class SplitWorkerPool(WorkerPool):
    def __init__(self, groups: tuple[Group, ...], connection):
        self.groups = groups
        self._group_of: dict[str, Group] = {}  # by worker name
        every_queue = list(dict.fromkeys(q for group in groups for q in group.queues))
        total = sum(group.size for group in groups)
        super().__init__(every_queue, connection, num_workers=total, worker_class=AppContextWorker)

    def get_worker_process(self, name: str, *args, **kwargs):
        group = self._group_of[name] = self._group_short_of_workers()
        self._queue_names = list(group.queues)  # what WorkerPool hands the next worker
        return super().get_worker_process(name, *args, **kwargs)

    def _group_short_of_workers(self) -> Group:
        self._group_of = {n: g for n, g in self._group_of.items() if n in self.worker_dict}
        running = Counter(self._group_of.values())
        return next(group for group in self.groups if running[group] < group.size)
