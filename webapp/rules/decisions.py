"""The officer's decision on an application: the reasons a rejection may give, and the time the
applicant has to supply owed documents (DOMAIN.md, "Office flow")."""

from datetime import datetime, timedelta

TRAVEL_BAN = "travel_ban"
FALSE_DATA = "false_data"
NOT_ORIGINAL = "not_original"
WRONG_TYPE = "wrong_application_type"
NOT_SUPPLIED = "documents_not_supplied"
OTHER = "other"

# In the order the rejection form lists them.
REJECTION_REASONS = (TRAVEL_BAN, FALSE_DATA, NOT_ORIGINAL, WRONG_TYPE, NOT_SUPPLIED, OTHER)
# Only a supervisor of the office may confirm these.
NEEDS_SUPERVISOR = frozenset({TRAVEL_BAN})

OWED_DAYS = 7
NOTE_MAX = 1000
INTERVIEW_MAX = 4000
STATION_REF_MAX = 40


def owed_until(decided_at: datetime) -> datetime:
    """The deadline for documents owed: seven days after the decision."""
    return decided_at + timedelta(days=OWED_DAYS)


def approval_blocker(judged: dict[str, bool | None], required: list[str], captured: bool):
    """The officer's own checks before approval: every required document judged as matching
    its original, photo and fingerprints taken. A code (labels.REVIEW_PROBLEMS) or None."""
    if any(judged.get(code) is None for code in required):
        return "documents_not_judged"
    if not all(judged[code] for code in required):
        return "document_mismatch"
    if not captured:
        return "capture_missing"
    return None
