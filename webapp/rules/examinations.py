"""The examination report (BAP) for a lost or damaged passport, and the suspension for negligence
(pure): who needs one, what each kind of incident must state, and when a suspension ends."""

import calendar
from datetime import date, timedelta

LOST = "lost"
DAMAGED = "damaged"
FORCE_MAJEURE = "force_majeure"
INCIDENTS = (LOST, DAMAGED, FORCE_MAJEURE)

# Negligence can suspend issuance for 6 months to 2 years.
SUSPENSION_MIN_MONTHS = 6
SUSPENSION_MAX_MONTHS = 24

# approval_blocker's codes (labels.EXAMINATION_BLOCKERS).
REPORT_MISSING = "report_missing"
FINE_UNPAID = "fine_unpaid"
SUSPENDED = "suspended"


def incident_of(application_type: str | None, replacement_reason: str | None) -> str | None:
    """The incident a replacement is for, when it needs a BAP; None when it needs none."""
    if application_type != "replacement" or replacement_reason not in INCIDENTS:
        return None
    return replacement_reason


def missing_statement(incident: str, police_report: str, kelurahan_letter: str) -> str | None:
    """The document number the report must state for its incident and does not: a loss the
    police report's, force majeure the kelurahan letter's."""
    if incident == LOST and not police_report:
        return "police_report_number"
    if incident == FORCE_MAJEURE and not kelurahan_letter:
        return "kelurahan_letter_number"
    return None


def suspension_ends(start: date, months: int) -> date:
    """The day a suspension of `months` starting on `start` ends (a 31st becomes the month's
    last day)."""
    if not SUSPENSION_MIN_MONTHS <= months <= SUSPENSION_MAX_MONTHS:
        raise ValueError(f"a suspension lasts 6 to 24 months, not {months}")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# How long the fine's billing code stays payable: the applicant may pay it after leaving the
# counter, and the approval waits for it.
FINE_PAYMENT_WINDOW = timedelta(days=7)
