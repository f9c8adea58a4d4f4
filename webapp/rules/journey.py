"""The application journey: its steps, which questions apply, and where an applicant must go next.

Works on any object with the answers as attributes (the Application model), reading only.
"""

from datetime import date

from webapp.rules import documents, eligibility

STEPS = ("service", "passport", "personal", "travel", "documents", "review")

# Every question each step may ask, in the order the form shows them.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "service": ("for_self", "service", "application_type", "replacement_reason"),
    "passport": ("birth_date", "marital_status", "passport_kind", "validity_years"),
    "personal": (
        "nik",
        "full_name",
        "birth_place",
        "sex",
        "address",
        "occupation",
        "phone",
        "mother_name",
        "father_name",
        "mother_nik",
        "father_nik",
        "name_changed",
        "naturalised",
        "old_passport_number",
        "old_passport_issue_date",
    ),
    "travel": (
        "travel_purpose",
        "destination_country",
        "address_abroad",
        "stay_length",
        "emergency_name",
        "emergency_phone",
    ),
    "documents": (),
    "review": (),
}
OPTIONAL_FIELDS = frozenset({"address_abroad", "name_changed", "naturalised"})
FIELD_STEP = {field: step for step, fields in STEP_FIELDS.items() for field in fields}


def is_adult(answers, today: date) -> bool | None:
    """Adult or child once birth date and marital status are known, else None."""
    if answers.birth_date is None or answers.marital_status is None:
        return None
    return eligibility.is_adult(answers.birth_date, answers.marital_status, today)


def applies(field: str, answers, today: date) -> bool:
    """Whether a question is asked at all, given the earlier answers."""
    if field == "replacement_reason" or field.startswith("old_passport"):
        return answers.application_type == "replacement"
    if field in ("mother_nik", "father_nik"):
        return is_adult(answers, today) is False
    return True


def step_fields(step: str, answers, today: date) -> tuple[str, ...]:
    return tuple(f for f in STEP_FIELDS[step] if applies(f, answers, today))


def missing_fields(step: str, answers, today: date) -> list[str]:
    return [
        field
        for field in step_fields(step, answers, today)
        if field not in OPTIONAL_FIELDS and getattr(answers, field) in (None, "")
    ]


def document_case(answers, today: date) -> documents.Case | None:
    """The documents case, once the answers it depends on are all given."""
    adult = is_adult(answers, today)
    if adult is None or answers.application_type is None or answers.travel_purpose is None:
        return None
    reason = answers.replacement_reason if answers.application_type == "replacement" else None
    return documents.Case(
        application_type=answers.application_type,
        replacement_reason=reason,
        adult=adult,
        purpose=answers.travel_purpose,
        name_changed=bool(answers.name_changed),
        naturalised=bool(answers.naturalised),
    )


def required_documents(answers, today: date) -> tuple[str, ...]:
    case = document_case(answers, today)
    return documents.required_documents(case) if case else ()


def step_complete(step: str, answers, uploaded: set[str], today: date) -> bool:
    if step == "documents":
        required = required_documents(answers, today)
        return bool(required) and set(required) <= uploaded
    if step == "review":
        return answers.declared_at is not None
    return not missing_fields(step, answers, today)


def first_incomplete(answers, uploaded: set[str], today: date) -> str | None:
    for step in STEPS:
        if not step_complete(step, answers, uploaded, today):
            return step
    return None


def reachable(step: str, answers, uploaded: set[str], today: date) -> bool:
    """A step can be opened once every step before it is complete."""
    earlier = STEPS[: STEPS.index(step)]
    return all(step_complete(s, answers, uploaded, today) for s in earlier)


def stale_answers(answers, today: date) -> list[str]:
    """Answers given earlier that no longer apply after a change, to be cleared."""
    stale = [
        field
        for field in FIELD_STEP
        if not applies(field, answers, today) and getattr(answers, field) not in (None, "")
    ]
    adult = is_adult(answers, today)
    if adult is False and answers.validity_years not in (None, 5):
        stale.append("validity_years")  # ten years is for adults only
    return stale
