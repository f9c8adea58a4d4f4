"""The counter's review of an application in service: each upload compared with its original,
the capture and the interview recorded, and the decision (approve, incomplete, reject) made
through the state machine, audited with the officer and the counter, and mailed to the applicant.

Every query is scoped to the staff member's office: another office's application is not found,
exactly like one that does not exist. Decisions lock the application first (lifecycle's order)
and act only on the status they find under the lock, so a decision posted twice or from a stale
page is refused, never applied twice.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from webapp import clock, labels, pdf, signing
from webapp.extensions import db
from webapp.models import (
    Application,
    Bill,
    Document,
    DocumentReview,
    Issuance,
    Office,
    Review,
    User,
    Visit,
)
from webapp.rules import bills, decisions, roles, statuses
from webapp.services import (
    applications,
    arrivals,
    calling,
    days_off,
    documents,
    examination,
    lifecycle,
    notifications,
    proof,
    screening,
)

# What else approval waits for, each part's own check: a code (labels.REVIEW_PROBLEMS) or None;
# approval waits until every one is None.
APPROVAL_GATES: tuple = (screening.approval_blocker, examination.approval_blocker)


class ReviewRefused(Exception):
    """Refused for a reason people are told (labels.REVIEW_PROBLEMS); nothing was written."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class NotFound(LookupError):
    """No such application (or visit) at the staff member's office."""


class NotRejected(LookupError):
    """The application was not rejected: it has no proof of rejection."""


@dataclass(frozen=True)
class Item:
    """A required document, its current upload and the judgement of that very upload."""

    code: str
    document: Document | None
    judgement: DocumentReview | None


@dataclass(frozen=True)
class ServiceFile:
    """What the counter's service page shows."""

    visit: Visit
    application: Application
    items: list[Item]
    review: Review
    fee_paid: int | None
    blocker: str | None  # why approval would be refused now, or None


def service_file(staff: User, visit_id: int) -> ServiceFile:
    """The application of a visit of the staff member's office, as the counter reviews it."""
    visit = arrivals.visit_at_office(staff.office_id, visit_id)
    if visit is None:
        raise NotFound(visit_id)
    application = db.session.get(Application, visit.application_id)
    # Read only: an application not reviewed yet shows an empty review, written at its first act.
    review = _existing_review(application) or Review(
        application_id=application.id, owed_documents=[]
    )
    items = _items(application)
    return ServiceFile(
        visit=visit,
        application=application,
        items=items,
        review=review,
        fee_paid=_fee_paid(application),
        blocker=_blocker(application, items, review),
    )


def application_id_of(staff: User, visit_id: int) -> int:
    """The application of a visit of the staff member's office."""
    found = db.session.scalar(
        select(Visit.application_id).where(Visit.id == visit_id, Visit.office_id == staff.office_id)
    )
    if found is None:
        raise NotFound(visit_id)
    return found


def document_of_office(staff: User, document_id: int) -> Document:
    """An upload of an application of the staff member's office, for viewing at the counter."""
    document = db.session.scalar(
        select(Document)
        .join(Application, Application.id == Document.application_id)
        .where(Document.id == document_id, Application.office_id == staff.office_id)
    )
    if document is None:
        raise NotFound(document_id)
    return document


def judge(staff: User, application_id: int, code: str, matches: bool, reason: str) -> None:
    """Record whether the current upload of an item matches the original shown."""
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.IN_REVIEW)
    document = next((d for d in application.documents if d.code == code), None)
    if document is None:
        _refuse("unknown_document")
    judgement = db.session.scalar(
        select(DocumentReview).filter_by(application_id=application.id, code=code)
    )
    if judgement is None:
        judgement = DocumentReview(application_id=application.id, code=code)
        db.session.add(judgement)
    judgement.storage_key = document.storage_key
    judgement.matches = matches
    judgement.reason = None if matches else reason
    judgement.judged_by, judgement.judged_at = staff.id, clock.now()
    db.session.flush()
    verdict = "matches its original" if matches else f"does not match its original: {reason}"
    lifecycle.recorded("judgement", judgement, actor_id=staff.id, reason=f"{code} {verdict}")
    db.session.commit()


def record_capture(staff: User, application_id: int, photo_ref: str, fingerprints_ref: str):
    """Photo and fingerprints were taken at the capture station: only its references are kept."""
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.IN_REVIEW)
    review = _review_of(application)
    review.photo_ref, review.fingerprints_ref = photo_ref, fingerprints_ref
    review.captured_at, review.captured_by = clock.now(), staff.id
    reason = f"photo at {photo_ref}, fingerprints at {fingerprints_ref}"
    lifecycle.recorded("capture", review, actor_id=staff.id, reason=reason)
    db.session.commit()


def save_interview(staff: User, application_id: int, notes: str) -> None:
    """The interview notes: staff-only text."""
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.IN_REVIEW)
    review = _review_of(application)
    review.interview_notes = notes
    # That the notes changed, never what they say: the trail is read beyond the counter.
    lifecycle.recorded("interview", review, actor_id=staff.id, reason="interview notes saved")
    db.session.commit()


def approve(staff: User, application_id: int) -> None:
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.IN_REVIEW)
    review = _review_of(application)
    blocker = _blocker(application, _items(application), review)
    if blocker:
        _refuse(blocker)
    _decided(staff, application, review, statuses.APPROVED, "")
    office = db.session.get(Office, application.office_id)
    issuance = Issuance(
        application_id=application.id,
        collect_from=days_off.collection_date(application, office),
    )
    db.session.add(issuance)
    db.session.commit()
    notifications.notify(
        application,
        "approved",
        str(review.decided_at.timestamp()),
        collect_from=issuance.collect_from.isoformat(),
    )


def mark_incomplete(staff: User, application_id: int, owed: list[str]) -> None:
    """Documents are owed: the applicant has seven days to upload them."""
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.IN_REVIEW)
    required = [code for code, _document in documents.required_items(application)]
    owed = [code for code in required if code in owed]
    if not owed:
        _refuse("nothing_owed")
    review = _review_of(application)
    _decided(staff, application, review, statuses.INCOMPLETE, "owed: " + ",".join(owed))
    review.owed_documents = owed
    review.owed_since = review.decided_at
    review.owed_until = decisions.owed_until(review.decided_at)
    db.session.commit()
    notifications.notify(
        application,
        "incomplete",
        str(review.owed_since.timestamp()),
        owed=owed,
        owed_until_at=review.owed_until.isoformat(),
    )


def reject(
    staff: User,
    application_id: int,
    reason: str,
    note: str,
    *,
    confirmed_by: User | None = None,
) -> None:
    """Reject with a reason of rules/decisions.py and a note; the fee is forfeited. A reason that
    needs a supervisor is valid only when a supervisor of the office confirms it."""
    if reason not in decisions.REJECTION_REASONS:
        raise ReviewRefused("no_reason")
    application = _locked(staff, application_id)
    if reason in decisions.NEEDS_SUPERVISOR and not _supervises(confirmed_by, application):
        _refuse("needs_supervisor")
    if application.status not in (statuses.IN_REVIEW, statuses.INCOMPLETE):
        _refuse("already_decided")
    _rejected(staff, application, reason, note, confirmed_by=confirmed_by)


def returned_documents(staff: User) -> list[tuple[Application, Review, bool]]:
    """The office's incomplete applications, each with whether every owed upload has come."""
    rows = db.session.execute(
        select(Application, Review)
        .join(Review, Review.application_id == Application.id)
        .where(
            Application.office_id == staff.office_id,
            Application.status == statuses.INCOMPLETE,
        )
        .order_by(Review.owed_until, Application.id)
    ).all()
    return [
        (application, review, _all_supplied(application, review)) for application, review in rows
    ]


def resume(staff: User, application_id: int) -> Visit:
    """Every owed document was uploaded: the application goes back into review; its visit."""
    application = _locked(staff, application_id)
    _refuse_unless(application, statuses.INCOMPLETE)
    if not _all_supplied(application, _review_of(application)):
        _refuse("still_owed")
    lifecycle.transition(
        application,
        statuses.IN_REVIEW,
        actor_id=staff.id,
        reason="owed documents supplied",
        counter_number=_counter(staff),
    )
    db.session.commit()
    return db.session.scalar(select(Visit).filter_by(application_id=application.id))


def owed(application: Application) -> Review | None:
    """What an incomplete application owes, for the applicant's page; None otherwise."""
    if application.status != statuses.INCOMPLETE:
        return None
    return _existing_review(application)


def refuse_late_upload(application: Application, code: str) -> None:
    """The upload path's check for an incomplete application: only an owed item, only before
    the deadline."""
    review = owed(application)
    if review is None or code not in review.owed_documents:
        raise ReviewRefused("not_owed")
    if clock.now() >= review.owed_until:
        raise ReviewRefused("past_deadline")


def upload_owed(application: Application, code: str, data: bytes) -> Document:
    """An owed document uploaded by the applicant, through the same path as every upload."""
    refuse_late_upload(application, code)
    return documents.upload(application, code, data)


def rejection_for_applicant(application: Application) -> Review | None:
    """The decision of a rejected application, for its owner (its reason; never the notes)."""
    if application.status != statuses.REJECTED:
        return None
    return _existing_review(application)


def sweep_owed() -> int:
    """Reject the incomplete applications past their deadline with documents still owed."""
    due = db.session.scalars(
        select(Application.id)
        .join(Review, Review.application_id == Application.id)
        .where(Application.status == statuses.INCOMPLETE, Review.owed_until <= clock.now())
        .order_by(Application.id)
    ).all()
    rejected = 0
    for application_id in due:
        application = lifecycle.lock(db.session.get(Application, application_id))
        review = _review_of(application)
        late = application.status == statuses.INCOMPLETE and clock.now() >= review.owed_until
        if not late or _all_supplied(application, review):
            db.session.rollback()
            continue
        _rejected(None, application, decisions.NOT_SUPPLIED, "")
        rejected += 1
    return rejected


def rejection_pdf(application: Application) -> bytes:
    """The proof of rejection in the account's language; NotRejected unless it was rejected."""
    review = rejection_for_applicant(application)
    if review is None or review.rejection_reason is None:
        raise NotRejected(application.id)
    office = db.session.get(Office, application.office_id)
    officer = db.session.get(User, review.decided_by) if review.decided_by else None
    locale = db.session.get(User, application.account_id).locale
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    token = signing.issue_token(
        application.number, office.code, review.decided_at, kind=signing.REJECTION
    )
    qr = proof.qr_code(token)
    with force_locale(locale):
        return pdf.render_pdf(
            "rejection.html",
            application=application,
            review=review,
            office=office,
            officer=officer,
            decided_on=review.decided_at.astimezone(ZoneInfo(office.timezone)).date(),
            locale=locale,
            labels=labels,
            qr_png_data_uri=qr.png_data_uri(border=proof.QR_BORDER, scale=proof.QR_PNG_SCALE),
        )


def _rejected(staff: User | None, application, reason: str, note: str, *, confirmed_by=None):
    """Reject (by the sweep when staff is None), commit, and tell the applicant."""
    review = _review_of(application)
    _decided(staff, application, review, statuses.REJECTED, reason)
    review.rejection_reason, review.rejection_note = reason, note or None
    review.confirmed_by = confirmed_by.id if confirmed_by else None
    db.session.commit()
    notifications.notify(application, "rejected", str(review.decided_at.timestamp()), reason=reason)


def _decided(staff, application, review: Review, target: str, reason: str) -> None:
    counter = _counter(staff) if staff else None
    lifecycle.transition(
        application,
        target,
        actor_id=staff.id if staff else None,
        reason=reason,
        counter_number=counter,
    )
    review.decided_by = staff.id if staff else None
    review.counter_number = counter
    review.decided_at = clock.now()


def _supervises(user: User | None, application: Application) -> bool:
    return (
        user is not None
        and user.role == roles.SUPERVISOR
        and user.office_id == application.office_id
    )


def _counter(staff: User) -> int | None:
    session = calling.current_session(staff)
    return session.counter_number if session else None


def _locked(staff: User, application_id: int) -> Application:
    application = applications.locked_at_office(staff.office_id, application_id)
    if application is None:
        raise NotFound(application_id)
    return application


def _refuse(code: str):
    db.session.rollback()
    raise ReviewRefused(code)


def _refuse_unless(application: Application, status: str) -> None:
    if application.status != status:
        _refuse("already_decided")


def _existing_review(application: Application) -> Review | None:
    return db.session.scalar(select(Review).filter_by(application_id=application.id))


def _review_of(application: Application) -> Review:
    """The application's review, made at the first act on it (the application locked)."""
    review = _existing_review(application)
    if review is None:
        review = Review(application_id=application.id, owed_documents=[])
        db.session.add(review)
        db.session.flush()
    return review


def _items(application: Application) -> list[Item]:
    judged = {
        j.code: j
        for j in db.session.scalars(select(DocumentReview).filter_by(application_id=application.id))
    }
    items = []
    for code, document in documents.required_items(application):
        judgement = judged.get(code)
        current = document is not None and judgement is not None
        items.append(
            Item(
                code,
                document,
                judgement if current and judgement.storage_key == document.storage_key else None,
            )
        )
    return items


def _blocker(application: Application, items: list[Item], review: Review) -> str | None:
    judged = {i.code: (i.judgement.matches if i.judgement else None) for i in items}
    own = decisions.approval_blocker(
        judged, [i.code for i in items], review.captured_at is not None
    )
    return own or next(filter(None, (gate(application) for gate in APPROVAL_GATES)), None)


def _all_supplied(application: Application, review: Review) -> bool:
    uploaded = {d.code: d.uploaded_at for d in application.documents}
    return all(
        code in uploaded and uploaded[code] > review.owed_since for code in review.owed_documents
    )


def _fee_paid(application: Application) -> int | None:
    return db.session.scalar(
        select(Bill.amount).where(Bill.application_id == application.id, Bill.status == bills.PAID)
    )
