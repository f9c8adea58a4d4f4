"""Applications: starting one, saving each step, keeping typed input, submitting, cancelling."""

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from webapp import clock
from webapp.extensions import db
from webapp.forms.base import without_control_characters
from webapp.jobs import enqueue
from webapp.models import Application
from webapp.models.applications import MAX_ACTIVE_PER_ACCOUNT
from webapp.rules import fees, journey
from webapp.rules.statuses import ACTIVE, CANCELLED, DRAFT, SUBMITTED
from webapp.services import documents, drafts, fee_tables, lifecycle, verification

PENDING_VALUE_MAX = 500  # longest raw input kept for a field between visits


class TooManyApplications(Exception):
    """The account already has five active applications."""


class AlreadySubmitted(Exception):
    """Submitted before, by a double click or another tab: nothing more to do."""


class NotVerified(Exception):
    """The NIK is not (yet) verified against the registry."""


class DraftMoved(Exception):
    """Another save came first since the draft was read: merge again with what it saved."""


class AlreadyApplied(Exception):
    """The submission key was applied by a copy of this post that arrived at the same time."""


class NotComplete(Exception):
    def __init__(self, step: str):
        super().__init__(step)
        self.step = step


@dataclass
class StepSaved:
    cleared: list[str] = field(default_factory=list)  # later answers that no longer applied
    removed_documents: list[str] = field(default_factory=list)


def for_owner(account_id: int, public_id: str, with_documents: bool = False) -> Application | None:
    """The application only if this account owns it: others get None, as if it did not exist.
    `with_documents`: its documents read in the same query, for the pages that show them."""
    statement = select(Application).where(
        Application.public_id == public_id, Application.account_id == account_id
    )
    if with_documents:
        statement = statement.options(joinedload(Application.documents))
    return db.session.scalars(statement).unique().one_or_none()


def locked_at_office(office_id: int, application_id: int) -> Application | None:
    """An application of this office, locked in lifecycle's order; None (the transaction ended)
    for another office's, exactly as for one that does not exist."""
    application = db.session.scalar(
        lifecycle.locking(
            select(Application).where(
                Application.id == application_id, Application.office_id == office_id
            )
        )
    )
    if application is None:
        db.session.rollback()
    return application


def list_for_account(account_id: int) -> list[Application]:
    return db.session.scalars(
        select(Application)
        .where(Application.account_id == account_id)
        .order_by(Application.created_at.desc())
    ).all()


def start(account_id: int) -> Application:
    """A new draft in the lowest free place of the account's five; the database has the last word.

    When another request takes the same place at the same instant, try the next free one: every
    lost race means someone else took a place, so five retries settle it.
    """
    for _ in range(MAX_ACTIVE_PER_ACCOUNT + 1):
        free = _free_places(account_id)
        if not free:
            break
        application = Application(
            account_id=account_id,
            place=free[0],
            public_id=secrets.token_urlsafe(9),
            status=DRAFT,
            pending_inputs={},
        )
        db.session.add(application)
        try:
            db.session.commit()
            return application
        except IntegrityError:
            db.session.rollback()
    raise TooManyApplications


def _free_places(account_id: int) -> list[int]:
    taken = set(
        db.session.scalars(
            select(Application.place).where(
                Application.account_id == account_id, Application.status.in_(ACTIVE)
            )
        )
    )
    return [p for p in range(1, MAX_ACTIVE_PER_ACCOUNT + 1) if p not in taken]


def uploaded_codes(application: Application) -> set[str]:
    return {d.code for d in application.documents if d.check_status != "needs_reupload"}


def next_step(application: Application) -> str | None:
    return journey.first_incomplete(application, uploaded_codes(application), clock.today())


def can_open(application: Application, step: str) -> bool:
    return journey.reachable(step, application, uploaded_codes(application), clock.today())


def keep_typed(application: Application, step: str, raw: dict[str, str]) -> None:
    """Remember raw input of a step's fields as typed, valid or not, until the step is saved."""
    known = journey.STEP_FIELDS[step]
    kept = {
        name: without_control_characters(value)[:PENDING_VALUE_MAX]
        for name, value in raw.items()
        if name.split("-")[0] in known and isinstance(value, str)
    }
    application.pending_inputs = {**(application.pending_inputs or {}), **kept}
    db.session.commit()


def save_step(
    application: Application,
    step: str,
    answers: dict,
    *,
    submission: drafts.Submission | None = None,
    read_version: int | None = None,
    reopen: bool = True,
) -> StepSaved:
    """Store a validated step, drop the answers and documents it made obsolete, and say which.

    Under the row lock: the draft must still be at read_version, the version its answers were
    merged against (DraftMoved), and the submission key is applied once (AlreadyApplied).
    `reopen`: whether a submitted application may go back to draft for it (not for a step a
    phone queued before the application was submitted: lifecycle.TransitionRefused).
    """
    _ensure_editable(application, reopen)
    if read_version is not None and application.draft_version != read_version:
        db.session.rollback()
        raise DraftMoved
    drafts.record(application, submission, step)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyApplied from None
    application.draft_version += 1
    before = {name: getattr(application, name) for name in verification.CHECKED_FIELDS}
    for name, value in answers.items():
        setattr(application, name, value)
    today = clock.today()
    saved = StepSaved(cleared=journey.stale_answers(application, today))
    for name in saved.cleared:
        setattr(application, name, None)
    required = set(journey.required_documents(application, today))
    dropped = []
    if journey.document_case(application, today) is not None:
        dropped = [d for d in application.documents if d.code not in required]
    for document in dropped:
        saved.removed_documents.append(document.code)
        application.documents.remove(document)
    application.pending_inputs = {
        name: value
        for name, value in (application.pending_inputs or {}).items()
        if journey.FIELD_STEP.get(name.split("-")[0]) != step
    }
    # A changed NIK is pending again and claims nothing until verified: saving never tells
    # whether a NIK is in use elsewhere.
    version = verification.restart_if_changed(application, before)
    dropped_files = documents.stored_keys(dropped)
    db.session.commit()
    documents.delete_files(dropped_files)  # only now that no row refers to them
    if version is not None:
        request_nik_check(application, version)
    return saved


def request_nik_check(application: Application, version: int) -> None:
    enqueue(
        "webapp.jobs.verification.verify_nik",
        application.id,
        version,
        queue="verification",
        timeout=30,
    )


def check_nik_again(application: Application) -> None:
    """The applicant's retry after the registry could not be reached, or once the NIK may be
    free again."""
    if application.nik_status not in verification.RETRYABLE:
        return
    version = verification.mark_pending(application)
    db.session.commit()
    request_nik_check(application, version)


def _ensure_editable(application: Application, reopen: bool = True) -> None:
    """Only a draft or a submitted application changes; a submitted one reopens as a draft,
    when `reopen` allows.

    The row is locked before its status is read, so that a step saved from a stale tab never
    writes into an application booked or cancelled meanwhile: lifecycle.TransitionRefused.
    """
    status = lifecycle.lock(application).status
    if status == SUBMITTED and reopen:
        lifecycle.transition(
            application, DRAFT, actor_id=application.account_id, reason="changed after submission"
        )
        application.declared_at = None
    elif status != DRAFT:
        db.session.rollback()
        raise lifecycle.TransitionRefused("application", status, DRAFT)


def submit(application: Application) -> None:
    """Declarations accepted on a complete application: it becomes submitted, with its number.

    Submitting again (a double click, the back button, another tab) changes nothing and says so
    (AlreadySubmitted). Two tabs submitting at the same instant: the move is a compare-and-set
    from draft, so one wins and the other is refused (lifecycle.TransitionRefused) with nothing
    of it written.
    """
    if application.status == SUBMITTED:
        raise AlreadySubmitted
    missing = journey.first_incomplete(application, uploaded_codes(application), clock.today())
    if missing not in (None, "review"):
        raise NotComplete(missing)
    if application.nik_status != verification.VERIFIED:
        raise NotVerified
    application.declared_at = clock.now()
    application.submitted_at = clock.now()
    application.number = application.number or new_number()
    lifecycle.transition(application, SUBMITTED, actor_id=application.account_id)
    db.session.commit()


def cancel(application: Application, reason: str = "") -> None:
    """Cancel a draft or submitted application from the status it was read with; a move made
    meanwhile (a booking in another tab) wins, and this one is refused."""
    lifecycle.transition(application, CANCELLED, actor_id=application.account_id, reason=reason)
    db.session.commit()


def new_number() -> str:
    """Sixteen digits: the date, then random digits; unique by constraint."""
    return f"{clock.now():%y%m%d}{secrets.randbelow(10**10):010d}"


def quote(application: Application) -> fees.Quote:
    """The fee for this application as it stands, under the table in force today."""
    return fees.quote(
        fee_tables.in_force(clock.today()),
        kind=application.passport_kind,
        validity_years=application.validity_years,
        express=application.service == "express",
        replacement_reason=application.replacement_reason,
    )
