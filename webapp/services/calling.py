"""Counters and calling: a member of staff opens a counter for some lanes, calls the next queue
number, recalls it, sends it to the back when nobody answers, and starts the service.

Every query is scoped to the staff member's office: a visit of another office is not found,
exactly like one that does not exist. Only the counter that called a visit acts on it.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, CounterSession, Office, User, Visit
from webapp.rules import statuses, visits
from webapp.services import arrivals, lifecycle, screening

# A candidate taken by another counter between choosing it and moving it: try the next one.
CALL_ATTEMPTS = 5


class CallingRefused(Exception):
    """Refused for a reason people are told (labels.CALLING_PROBLEMS); nothing was written."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code, self.values = code, values


class NothingToCall(CallingRefused):
    def __init__(self):
        super().__init__("nobody_waiting")


class VisitNotFound(LookupError):
    """No such visit at the staff member's office."""


@dataclass(frozen=True)
class Desk:
    """What a counter shows: its session, the number it is dealing with, who is waiting."""

    session: CounterSession
    current: Visit | None
    waiting: dict[str, int]  # per lane the counter serves


def today_at(office: Office) -> date:
    """The office's day: visits are numbered and called per day in the office's zone."""
    return clock.today(office.timezone)


def current_session(staff: User) -> CounterSession | None:
    return db.session.scalar(
        select(CounterSession).where(
            CounterSession.staff_id == staff.id,
            CounterSession.office_id == staff.office_id,
            CounterSession.closed_at.is_(None),
        )
    )


def open_counter(staff: User, counter_number: int, lanes: list[str]) -> CounterSession:
    """Open the counter for the lanes; the database refuses a second open session of the same
    counter, or of the same staff member, even when two try at once."""
    chosen = ",".join(lane for lane in visits.LANES if lane in lanes)
    if not chosen:
        raise CallingRefused("no_lanes")
    session = CounterSession(
        office_id=staff.office_id, staff_id=staff.id, counter_number=counter_number, lanes=chosen
    )
    db.session.add(session)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if current_session(staff) is not None:
            raise CallingRefused("already_open") from None
        raise CallingRefused("counter_taken", counter=counter_number) from None
    return session


def close_counter(staff: User) -> None:
    db.session.execute(
        update(CounterSession)
        .where(
            CounterSession.staff_id == staff.id,
            CounterSession.office_id == staff.office_id,
            CounterSession.closed_at.is_(None),
        )
        .values(closed_at=clock.now())
    )
    db.session.commit()


def desk(staff: User) -> Desk | None:
    """The staff member's counter as it is now, or None when none is open."""
    session = current_session(staff)
    if session is None:
        return None
    office = db.session.get(Office, staff.office_id)
    day = today_at(office)
    current = _at_counter(office.id, day, session.counter_number)
    waiting = waiting_per_lane(office.id, day)
    return Desk(session, current, {lane: waiting.get(lane, 0) for lane in session.lane_list})


def _at_counter(office_id: int, day: date, counter_number: int) -> Visit | None:
    """The number a counter is dealing with: called to it, or in service there."""
    return db.session.scalar(
        select(Visit)
        .where(
            Visit.office_id == office_id,
            Visit.day == day,
            Visit.counter_number == counter_number,
            Visit.status.in_((visits.CALLED, visits.SERVING)),
        )
        .order_by(Visit.called_at.desc(), Visit.id.desc())
        .limit(1)
    )


def waiting_per_lane(office_id: int, day: date) -> dict[str, int]:
    rows = db.session.execute(
        select(Visit.lane, func.count(Visit.id))
        .where(Visit.office_id == office_id, Visit.day == day, Visit.status == visits.WAITING)
        .group_by(Visit.lane)
    )
    return dict(rows.all())


def _calls_per_lane(office_id: int, day: date) -> dict[str, int]:
    """How many of the day's numbers each lane has had called so far, at any counter."""
    rows = db.session.execute(
        select(Visit.lane, func.count(Visit.id))
        .where(Visit.office_id == office_id, Visit.day == day, Visit.called_at.is_not(None))
        .group_by(Visit.lane)
    )
    return dict(rows.all())


def _session_of(staff: User) -> CounterSession:
    session = current_session(staff)
    if session is None:
        raise CallingRefused("no_counter")
    return session


def call_next(staff: User) -> Visit:
    """Call the next number to the staff member's counter: from the lane furthest behind its
    share of the day's calls, the first in line (on time before late before sent back, then by
    arrival). Two counters calling at once never get the same visit.

    A number still called to the counter is dealt with first (recall, not present or start
    service); one in service there is finished by calling the next. The counter's session is
    locked first, so that a double press calls one number."""
    for _attempt in range(CALL_ATTEMPTS):
        session = lifecycle.lock(_session_of(staff))
        office = db.session.get(Office, staff.office_id)
        day = today_at(office)
        _finish_current(staff, session, office.id, day)
        waiting = waiting_per_lane(office.id, day)
        lanes = [lane for lane in session.lane_list if waiting.get(lane)]
        order = visits.calling_order(office.call_weights, _calls_per_lane(office.id, day), lanes)
        visit = _first_free(office.id, day, order)
        if visit is None:
            db.session.rollback()
            raise NothingToCall()
        try:
            lifecycle.move_visit(
                visit,
                visits.CALLED,
                actor_id=staff.id,
                counter_number=session.counter_number,
                called_at=clock.now(),
                called_by=staff.id,
                calls=visit.calls + 1,
            )
        except lifecycle.TransitionRefused:
            continue  # another counter took it first; the transaction was rolled back
        db.session.commit()
        return visit
    raise NothingToCall()


def _finish_current(staff: User, session: CounterSession, office_id: int, day: date) -> None:
    current = _at_counter(office_id, day, session.counter_number)
    if current is None:
        return
    lifecycle.lock(current)
    if current.status == visits.CALLED:
        db.session.rollback()
        raise CallingRefused("still_called", ticket=current.ticket)
    lifecycle.move_visit(
        current, visits.DONE, actor_id=staff.id, counter_number=session.counter_number
    )


def _first_free(office_id: int, day: date, lanes: list[str]) -> Visit | None:
    """The first waiting visit of the first lane that has one nobody else is taking, locked."""
    for lane in lanes:
        visit = db.session.scalar(
            lifecycle.skipping_locked(
                select(Visit)
                .where(
                    Visit.office_id == office_id,
                    Visit.day == day,
                    Visit.lane == lane,
                    Visit.status == visits.WAITING,
                )
                .order_by(Visit.rank, Visit.queued_at, Visit.id)
                .limit(1)
            )
        )
        if visit is not None:
            return visit
    return None


def _called_here(staff: User, visit_id: int) -> tuple[CounterSession, Visit]:
    """The visit, locked, as called to the staff member's counter; refused otherwise."""
    session = _session_of(staff)
    visit = _visit_of_office(staff, visit_id)
    lifecycle.lock(visit)
    _refuse_unless_called_here(visit, session)
    return session, visit


def _visit_of_office(staff: User, visit_id: int) -> Visit:
    visit = arrivals.visit_at_office(staff.office_id, visit_id)
    if visit is None:
        db.session.rollback()
        raise VisitNotFound(visit_id)
    return visit


def _refuse_unless_called_here(visit: Visit, session: CounterSession) -> None:
    problem = None
    at_a_counter = visit.status in (visits.CALLED, visits.SERVING)
    if at_a_counter and visit.counter_number != session.counter_number:
        problem = "other_counter"
    elif visit.status == visits.SERVING:
        problem = "already_serving"
    elif visit.status != visits.CALLED:
        problem = "not_called"
    if problem:
        db.session.rollback()
        raise CallingRefused(problem, ticket=visit.ticket)


def recall(staff: User, visit_id: int) -> Visit:
    """Call the same number again to the same counter."""
    session, visit = _called_here(staff, visit_id)
    lifecycle.move_visit(
        visit,
        visits.CALLED,
        actor_id=staff.id,
        counter_number=session.counter_number,
        called_at=clock.now(),
        calls=visit.calls + 1,
    )
    db.session.commit()
    return visit


def not_present(staff: User, visit_id: int) -> Visit:
    """Nobody answered: the first time the number goes to the back of its lane, the second time
    it is marked absent."""
    session, visit = _called_here(staff, visit_id)
    if visit.sent_back:
        lifecycle.move_visit(
            visit, visits.ABSENT, actor_id=staff.id, counter_number=session.counter_number
        )
    else:
        lifecycle.move_visit(
            visit,
            visits.WAITING,
            actor_id=staff.id,
            counter_number=session.counter_number,
            rank=visits.SENT_BACK,
            queued_at=clock.now(),
            sent_back=True,
        )
    db.session.commit()
    return visit


def start_service(staff: User, visit_id: int) -> Visit:
    """The applicant is at the counter: the visit is served and the application goes into
    review, in one transaction (the application locked before the visit); then the travel-ban
    list is asked about the applicant."""
    session = _session_of(staff)
    visit = _visit_of_office(staff, visit_id)
    application = lifecycle.lock(db.session.get(Application, visit.application_id))
    lifecycle.lock(visit)
    _refuse_unless_called_here(visit, session)
    if application.status != statuses.CHECKED_IN:
        db.session.rollback()
        raise CallingRefused("not_called", ticket=visit.ticket)
    lifecycle.transition(
        application,
        statuses.IN_REVIEW,
        actor_id=staff.id,
        counter_number=session.counter_number,
    )
    lifecycle.move_visit(
        visit,
        visits.SERVING,
        actor_id=staff.id,
        counter_number=session.counter_number,
        served_at=clock.now(),
    )
    db.session.commit()
    screening.start_check(application.id, actor_id=staff.id)
    return visit
