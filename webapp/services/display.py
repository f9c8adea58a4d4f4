"""The waiting-room screen of an office: the numbers at each open counter and the last ones
called. Queue numbers, lanes and counters only: nothing about the people."""

from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CounterSession, Office, Visit
from webapp.rules import visits
from webapp.services.calling import today_at

RECENT = 5  # how many of the last calls the screen lists


@dataclass(frozen=True)
class Call:
    ticket: str  # A007
    lane: str
    counter: int


@dataclass(frozen=True)
class Board:
    serving: list[Call]  # the number each open counter is dealing with, by counter
    recent: list[Call]  # the last numbers called, the latest first


def _call(visit: Visit) -> Call:
    return Call(visit.ticket, visit.lane, visit.counter_number)


def board(office: Office) -> Board:
    day = today_at(office)
    counters = set(
        db.session.scalars(
            select(CounterSession.counter_number).where(
                CounterSession.office_id == office.id, CounterSession.closed_at.is_(None)
            )
        )
    )
    at_counters = db.session.scalars(
        select(Visit)
        .where(
            Visit.office_id == office.id,
            Visit.day == day,
            Visit.status.in_((visits.CALLED, visits.SERVING)),
            Visit.counter_number.in_(counters),
        )
        .order_by(Visit.called_at.desc(), Visit.id.desc())
    )
    latest: dict[int, Visit] = {}
    for visit in at_counters:
        latest.setdefault(visit.counter_number, visit)
    recent = db.session.scalars(
        select(Visit)
        .where(Visit.office_id == office.id, Visit.day == day, Visit.called_at.is_not(None))
        .order_by(Visit.called_at.desc(), Visit.id.desc())
        .limit(RECENT)
    )
    return Board(
        serving=[_call(latest[counter]) for counter in sorted(latest)],
        recent=[_call(visit) for visit in recent],
    )
