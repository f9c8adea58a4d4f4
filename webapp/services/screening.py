"""The travel-ban check at the counter (daftar pencegahan).

The check starts when the service starts and a job asks the list; the officer is shown only hit,
clear or not checked, and asks again after an outage. An application is approved only once the
list answered clear. A hit's rejection is confirmed by a supervisor of the office.

Every query is scoped to the staff member's office: another office's visit is not found, exactly
like one that does not exist. Every result, new attempt and confirmation is a compare-and-set
through services.lifecycle, audited in the application's trail (entity "screening").
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import clock, jobs
from webapp.extensions import db
from webapp.integrations.travel_ban import HIT, client_from_config
from webapp.models import Application, ScreeningCheck, User, Visit
from webapp.rules import screening, statuses
from webapp.services import lifecycle
from webapp.services.audit import moment, office_zone

CHECK_JOB = "webapp.jobs.screening.check_travel_ban"


class ScreeningNotFound(LookupError):
    """No such visit, or no check of it, at the staff member's office."""


class ScreeningRefused(Exception):
    """Refused for a reason people are told (labels.SCREENING_PROBLEMS); nothing was written."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Panel:
    """What the counter shows of the check: only the result, never a reason."""

    visit_id: int | None
    result: str  # rules.screening.SHOWN: pending | clear | hit | not_checked
    checked_at: str | None  # in office time
    can_check_again: bool


@dataclass(frozen=True)
class Hit:
    """A hit awaiting the supervisor's confirmation."""

    visit_id: int
    ticket: str
    number: str
    full_name: str
    checked_at: str


def _check_of(application_id: int) -> ScreeningCheck | None:
    return db.session.scalar(
        select(ScreeningCheck).where(ScreeningCheck.application_id == application_id)
    )


def start_check(application_id: int, *, actor_id: int | None = None) -> None:
    """Start the check of an application whose service started (committed): a pending check,
    audited, and the job that asks the list. A check already started is left as it is."""
    if _check_of(application_id) is None:
        application = db.session.get(Application, application_id)
        check = ScreeningCheck(
            application_id=application_id,
            office_id=application.office_id,
            status=screening.PENDING,
            requested_by=actor_id,
        )
        db.session.add(check)
        try:
            db.session.flush()
        except IntegrityError:  # started at the same moment by another request
            db.session.rollback()
            return
        lifecycle.created(check, actor_id=actor_id)
        db.session.commit()
    _ask_if_pending(application_id)


def _ask_if_pending(application_id: int) -> None:
    check = _check_of(application_id)
    if check is not None and check.status == screening.PENDING:
        jobs.enqueue(CHECK_JOB, application_id, queue="verification", timeout=30)


def run_check(application_id: int) -> None:
    """Ask the list about a pending check and store its answer. TravelBanUnavailable goes to the
    job, which retries and finally records the outage (record_outage)."""
    check = _check_of(application_id)
    if check is None or check.status != screening.PENDING:
        return  # answered already: a job run twice asks once
    nik = db.session.get(Application, application_id).nik
    db.session.rollback()  # no transaction (on SQLite: the write lock) across the call
    answer = client_from_config(current_app.config).check(nik)
    _record(application_id, screening.HIT if answer == HIT else screening.CLEAR)


def record_outage(application_id: int) -> None:
    """The list gave no usable answer after the last retry: "not checked", the decision waits."""
    _record(application_id, screening.NOT_CHECKED)


def _record(application_id: int, result: str) -> None:
    check = _check_of(application_id)
    if check is None or check.status != screening.PENDING:
        return
    try:
        lifecycle.move_screening(check, result, actor_id=None, checked_at=clock.now())
    except lifecycle.TransitionRefused:
        return  # another answer to the same check was stored first
    db.session.commit()


def approval_blocker(application: Application) -> str | None:
    """Why the application cannot be approved yet (labels.SCREENING_BLOCKERS), or None once the
    list answered clear."""
    status = db.session.scalar(
        select(ScreeningCheck.status).where(ScreeningCheck.application_id == application.id)
    )
    return screening.approval_blocker(status)


def panel(application: Application) -> Panel:
    """The check as the counter shows it; an application never checked shows "not checked"."""
    check = _check_of(application.id)
    visit_id = db.session.scalar(select(Visit.id).where(Visit.application_id == application.id))
    status = check.status if check else screening.NOT_CHECKED
    return Panel(
        visit_id=visit_id,
        result=screening.SHOWN[status],
        checked_at=_when(application, check.checked_at) if check and check.checked_at else None,
        can_check_again=_can_check_again(application, status),
    )


def _can_check_again(application: Application, status: str) -> bool:
    """After an outage, while the application is in review at the counter."""
    return status == screening.NOT_CHECKED and application.status == statuses.IN_REVIEW


def _when(application: Application, at: datetime) -> str:
    return moment(at, office_zone(application))


def _application_at_office(staff: User, visit_id: int) -> Application:
    application = db.session.scalar(
        select(Application)
        .join(Visit, Visit.application_id == Application.id)
        .where(Visit.id == visit_id, Visit.office_id == staff.office_id)
    )
    if application is None:
        db.session.rollback()
        raise ScreeningNotFound(visit_id)
    return application


def panel_for_visit(staff: User, visit_id: int) -> Panel:
    return panel(_application_at_office(staff, visit_id))


def check_again(staff: User, visit_id: int) -> None:
    """Ask the list again after an outage (or for an application in review never checked)."""
    application = _application_at_office(staff, visit_id)
    check = _check_of(application.id)
    status = check.status if check else screening.NOT_CHECKED
    if not _can_check_again(application, status):
        db.session.rollback()
        raise ScreeningRefused("not_needed")
    if check is None:
        db.session.rollback()
        start_check(application.id, actor_id=staff.id)
        return
    try:
        lifecycle.move_screening(check, screening.PENDING, actor_id=staff.id)
    except lifecycle.TransitionRefused:
        raise ScreeningRefused("not_needed") from None  # asked again by someone else just now
    db.session.commit()
    _ask_if_pending(application.id)


def _hits(supervisor: User, *conditions) -> list[Hit]:
    rows = db.session.execute(
        select(ScreeningCheck, Visit, Application)
        .join(Visit, Visit.application_id == ScreeningCheck.application_id)
        .join(Application, Application.id == ScreeningCheck.application_id)
        .where(
            ScreeningCheck.office_id == supervisor.office_id,
            Visit.office_id == supervisor.office_id,
            ScreeningCheck.status == screening.HIT,
            *conditions,
        )
        .order_by(ScreeningCheck.checked_at, ScreeningCheck.id)
    ).all()
    return [
        Hit(
            visit_id=visit.id,
            ticket=visit.ticket,
            number=application.number or "",
            full_name=application.full_name or "",
            checked_at=_when(application, check.checked_at),
        )
        for check, visit, application in rows
    ]


def hits_awaiting(supervisor: User) -> list[Hit]:
    """The office's hits whose rejection nobody has confirmed yet, the oldest first."""
    return _hits(supervisor)


def hit_awaiting(supervisor: User, visit_id: int) -> Hit | None:
    """One of them, by its visit: None when the visit has no hit awaiting confirmation (any
    more); ScreeningNotFound when the office has no such visit."""
    _application_at_office(supervisor, visit_id)
    found = _hits(supervisor, Visit.id == visit_id)
    return found[0] if found else None


def confirm_hit(supervisor: User, visit_id: int, note: str) -> None:
    """The supervisor confirms a hit: the check is marked confirmed and the application rejected
    for the travel ban, with the supervisor's sign-off, in one transaction (the application
    locked before its check). A second confirmation finds no hit and is refused."""
    application = lifecycle.lock(_application_at_office(supervisor, visit_id))
    check = _check_of(application.id)
    if check is not None:
        lifecycle.lock(check)
    if check is None or check.status != screening.HIT:
        db.session.rollback()
        raise ScreeningRefused("no_hit")
    lifecycle.move_screening(
        check,
        screening.CONFIRMED,
        actor_id=supervisor.id,
        confirmed_by=supervisor.id,
        confirmed_at=clock.now(),
    )
    from webapp.services import review  # here: review imports this module for its approval gate

    try:
        review.reject(supervisor, application.id, "travel_ban", note, confirmed_by=supervisor)
    except Exception:
        db.session.rollback()  # the confirmation stands or falls with the rejection
        raise
    db.session.commit()
