"""The examination report (BAP) of a lost or damaged passport, its fine and the fine's billing
code, and the suspension for negligence, as the officer at the counter records them; what the
decision waits for; what the applicant is shown.

Every query is scoped to the staff member's office: another office's application is not found,
exactly like one that does not exist.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.extensions import db
from webapp.models import Application, Bill, Examination, Office, Suspension, User, Visit
from webapp.rules import bills, examinations, fees, quota, statuses, visits
from webapp.services import applications, fee_tables, lifecycle
from webapp.services.notifications import notify


class ExaminationRefused(Exception):
    """Refused for a reason people are told (labels.EXAMINATION_PROBLEMS); nothing was written."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class ApplicationNotFound(LookupError):
    """No such application at the staff member's office."""


@dataclass(frozen=True)
class Report:
    """What the officer states in the BAP."""

    account: str
    happened_on: date
    happened_where: str
    police_report_number: str = ""
    kelurahan_letter_number: str = ""


@dataclass(frozen=True)
class Panel:
    """The BAP as the counter shows it, for an application that needs one."""

    application_id: int
    incident: str
    report: Examination | None
    bill: Bill | None
    suspension: Suspension | None
    blocker: str | None
    serving_visit_id: int | None  # the counter's service page to come back to

    @property
    def fine_needs_new_code(self) -> bool:
        """The fine's code can no longer be paid: the officer may give a new one."""
        bill = self.bill
        expired = bill is not None and bill.status == bills.OPEN and clock.now() >= bill.expires_at
        return bill is not None and (expired or bill.status in (bills.VOID, bills.REFUND_REVIEW))


@dataclass(frozen=True)
class ApplicantView:
    """What the applicant sees of it on their application."""

    fine: int
    bill: Bill | None
    suspension: Suspension | None
    zone: str  # the office's, in which the deadline is told


def _office(application: Application) -> Office:
    return db.session.get(Office, application.office_id)


def _office_today(application: Application) -> date:
    return clock.today(_office(application).timezone)


def _locked_at_office(staff: User, application_id: int) -> Application:
    """The application of the staff member's office, locked, at the counter (in review)."""
    application = applications.locked_at_office(staff.office_id, application_id)
    if application is None:
        raise ApplicationNotFound(application_id)
    if (
        examinations.incident_of(application.application_type, application.replacement_reason)
        is None
    ):
        _refuse("not_needed")
    if application.status != statuses.IN_REVIEW:
        _refuse("not_in_review")
    return application


def _refuse(code: str):
    db.session.rollback()
    raise ExaminationRefused(code)


def _report_of(application_id: int) -> Examination | None:
    return db.session.scalar(
        select(Examination).where(Examination.application_id == application_id)
    )


def _suspension_of(application_id: int) -> Suspension | None:
    return db.session.scalar(select(Suspension).where(Suspension.application_id == application_id))


def record_report(staff: User, application_id: int, report: Report) -> Examination:
    """Record the BAP and, when the fine is not zero, bill it with a new billing code (mailed to
    the applicant). Once per application: a second report, even posted at once, is refused."""
    application = _locked_at_office(staff, application_id)
    incident = application.replacement_reason
    if _report_of(application.id) is not None:
        _refuse("already_recorded")
    missing = examinations.missing_statement(
        incident, report.police_report_number, report.kelurahan_letter_number
    )
    if missing:
        _refuse(missing)
    today = _office_today(application)
    if report.happened_on > today:
        _refuse("future_date")
    fine = fees.fine(fee_tables.in_force(today), incident)
    bill = _fine_bill(application, fine, staff) if fine else None
    examination = Examination(
        application_id=application.id,
        office_id=staff.office_id,
        officer_id=staff.id,
        incident=incident,
        account=report.account,
        happened_on=report.happened_on,
        happened_where=report.happened_where,
        police_report_number=report.police_report_number or None,
        kelurahan_letter_number=report.kelurahan_letter_number or None,
        fine=fine,
        bill_id=bill.id if bill else None,
    )
    db.session.add(examination)
    _commit_recorded("examination", examination, staff, "already_recorded", f"fine {fine}")
    if bill is not None:
        _tell_fine_billed(application, bill)
    return examination


def reissue_fine(staff: User, application_id: int) -> Bill:
    """A new billing code for a fine whose code can no longer be paid (its week ran out, or
    money came too late and is being refunded); the old code is made void first if it was still
    open. Mailed to the applicant like the first."""
    application = _locked_at_office(staff, application_id)
    report = _report_of(application.id)
    if report is None or report.bill_id is None:
        _refuse("no_fine")
    old = lifecycle.lock(db.session.get(Bill, report.bill_id))
    if old.status == bills.PAID:
        _refuse("fine_paid")
    if old.status == bills.OPEN:
        if clock.now() < old.expires_at:
            _refuse("fine_still_payable")
        lifecycle.move_bill(old, bills.VOID, actor_id=staff.id, reason="expired unpaid, reissued")
    bill = _fine_bill(application, report.fine, staff)
    report.bill_id = bill.id
    db.session.commit()
    _tell_fine_billed(application, bill)
    return bill


def _tell_fine_billed(application: Application, bill: Bill) -> None:
    notify(
        application,
        "fine_billed",
        bill.code,
        code=bill.code,
        amount=bill.amount,
        expires_at=bill.expires_at.isoformat(),
        zone=_office(application).timezone,
    )


def _fine_bill(application: Application, fine: int, staff: User) -> Bill:
    moment = clock.now()
    bill = Bill(
        application_id=application.id,
        purpose=bills.FINE,
        code=quota.new_billing_code(),
        amount=fine,
        status=bills.OPEN,
        created_at=moment,
        expires_at=moment + examinations.FINE_PAYMENT_WINDOW,
    )
    db.session.add(bill)
    db.session.flush()
    lifecycle.created(bill, actor_id=staff.id, reason="fine")
    return bill


def _commit_recorded(entity: str, row, staff: User, taken: str, reason: str) -> None:
    """Audit and commit a new record; the unique index refuses a second one made at once."""
    try:
        db.session.flush()
    except IntegrityError:
        _refuse(taken)
    lifecycle.recorded(entity, row, actor_id=staff.id, reason=reason)
    db.session.commit()


def record_suspension(staff: User, application_id: int, months: int, reason: str) -> Suspension:
    """Suspend issuance for negligence, from today (office time) for 6 to 24 months. It needs
    the BAP that found the negligence; force majeure is nobody's negligence."""
    application = _locked_at_office(staff, application_id)
    if application.replacement_reason == examinations.FORCE_MAJEURE:
        _refuse("force_majeure")
    if _report_of(application.id) is None:
        _refuse(examinations.REPORT_MISSING)
    if _suspension_of(application.id) is not None:
        _refuse("already_suspended")
    today = _office_today(application)
    try:
        ends_on = examinations.suspension_ends(today, months)
    except ValueError:
        _refuse("bad_months")
    suspension = Suspension(
        application_id=application.id,
        office_id=staff.office_id,
        officer_id=staff.id,
        months=months,
        starts_on=today,
        ends_on=ends_on,
        reason=reason,
    )
    db.session.add(suspension)
    _commit_recorded("suspension", suspension, staff, "already_suspended", f"{months} months")
    return suspension


def approval_blocker(application: Application) -> str | None:
    """Why the application may not be approved yet: its BAP is required and missing, its fine
    is unpaid (a zero fine has no bill), or issuance is suspended; None when nothing here stops
    it."""
    if (
        examinations.incident_of(application.application_type, application.replacement_reason)
        is None
    ):
        return None
    report = _report_of(application.id)
    if report is None:
        return examinations.REPORT_MISSING
    if report.bill_id is not None and db.session.get(Bill, report.bill_id).status != bills.PAID:
        return examinations.FINE_UNPAID
    suspension = _suspension_of(application.id)
    if suspension is not None and suspension.ends_on >= _office_today(application):
        return examinations.SUSPENDED
    return None


def panel(application: Application) -> Panel | None:
    """The counter's BAP panel; None for an application that needs no BAP."""
    incident = examinations.incident_of(
        application.application_type, application.replacement_reason
    )
    if incident is None:
        return None
    report = _report_of(application.id)
    serving = db.session.scalar(
        select(Visit.id).where(
            Visit.application_id == application.id, Visit.status == visits.SERVING
        )
    )
    return Panel(
        application_id=application.id,
        incident=incident,
        report=report,
        bill=_bill_of(report),
        suspension=_suspension_of(application.id),
        blocker=approval_blocker(application),
        serving_visit_id=serving,
    )


def for_office(staff: User, application_id: int) -> Panel | None:
    """The panel of an application of the staff member's office (None when it needs no BAP);
    not found for any other."""
    application = db.session.scalar(
        select(Application).where(
            Application.id == application_id, Application.office_id == staff.office_id
        )
    )
    if application is None:
        raise ApplicationNotFound(application_id)
    return panel(application)


def for_applicant(application: Application) -> ApplicantView | None:
    """The fine, its billing code and any suspension, once the BAP is recorded."""
    report = _report_of(application.id)
    if report is None:
        return None
    suspension = _suspension_of(application.id)
    return ApplicantView(report.fine, _bill_of(report), suspension, _office(application).timezone)


def _bill_of(report: Examination | None) -> Bill | None:
    if report is None or report.bill_id is None:
        return None
    return db.session.get(Bill, report.bill_id)
