"""Arrivals at an office: the visit an application gets when it checks in, with the next queue
number of its office, day and lane, and what becomes of a priority walk-in's unpaid visit when
its bill is paid (it joins the line) or ends unpaid (it is void).

A queue number is taken by one atomic increment of the (office, day, lane) row of
queue_sequences, created first if missing by an insert that does nothing when another request
created it meanwhile. The row stays locked by the increment until the transaction ends, so the
numbers of a lane are consecutive in the order check-ins commit, and a check-in that is rolled
back gives its number back.
"""

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.extensions import db
from webapp.models import Application, QueueSequence, Visit
from webapp.rules import visits
from webapp.rules.statuses import CHECKED_IN
from webapp.services import lifecycle

_INSERT = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def visit_at_office(office_id: int, visit_id: int) -> Visit | None:
    """A visit of this office; None for any other office's, exactly as for one that does not
    exist."""
    return db.session.scalar(
        select(Visit).where(Visit.id == visit_id, Visit.office_id == office_id)
    )


def next_number(office_id: int, day: date, lane: str) -> int:
    """The next queue number of the office's lane on its local day, in the caller's
    transaction."""
    sequence = QueueSequence.__table__
    key = {"office_id": office_id, "day": day, "lane": lane}
    insert = _INSERT[db.session.get_bind().dialect.name]
    db.session.execute(insert(sequence).values(**key, last_number=0).on_conflict_do_nothing())
    return db.session.execute(
        update(sequence)
        .where(*(sequence.c[name] == value for name, value in key.items()))
        .values(last_number=sequence.c.last_number + 1)
        .returning(sequence.c.last_number)
    ).scalar_one()


def open_visit(
    application: Application,
    *,
    day: date,
    lane: str,
    priority_group: str | None,
    status: str,
    slot_start: datetime | None,
    moment: datetime,
    actor_id: int,
) -> Visit:
    """A new visit with its queue number and its place in the line (rules/visits.py), audited;
    in the caller's transaction."""
    rank, queued_at = visits.place_in_line(slot_start, moment)
    visit = Visit(
        application_id=application.id,
        office_id=application.office_id,
        day=day,
        lane=lane,
        number=next_number(application.office_id, day, lane),
        priority_group=priority_group,
        status=status,
        rank=rank,
        queued_at=queued_at,
        checked_in_at=moment,
        checked_in_by=actor_id,
    )
    db.session.add(visit)
    db.session.flush()
    lifecycle.created(visit, actor_id=actor_id)
    return visit


def visit_of(application: Application, *, locked: bool = False) -> Visit | None:
    statement = select(Visit).where(Visit.application_id == application.id)
    if locked:
        statement = lifecycle.locking(statement)
    return db.session.scalar(statement)


def admit_paid(application: Application, *, paid_at: datetime, reason: str) -> None:
    """A walk-in's bill was just paid (the application is scheduled, locked by the caller): it is
    checked in and its visit joins the line, queued at the paid time. Nothing for a booking."""
    visit = visit_of(application, locked=True)
    if visit is None or visit.status != visits.UNPAID:
        return
    rank, queued_at = visits.place_in_line(None, paid_at)
    lifecycle.transition(application, CHECKED_IN, actor_id=None, reason=reason)
    lifecycle.move_visit(
        visit, visits.WAITING, actor_id=None, reason=reason, rank=rank, queued_at=queued_at
    )


def void_unpaid(application: Application, *, reason: str, actor_id: int | None = None) -> None:
    """A walk-in's bill ended unpaid (expired, cancelled): its number is never called."""
    visit = visit_of(application, locked=True)
    if visit is not None and visit.status == visits.UNPAID:
        lifecycle.move_visit(visit, visits.VOID, actor_id=actor_id, reason=reason)
