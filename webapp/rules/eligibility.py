"""Who counts as an adult, plausible birth dates, and which passport validities may be chosen."""

from datetime import date

# As on the KTP: belum kawin, kawin, cerai hidup, cerai mati.
MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
ADULT_AGE = 17
MAX_AGE = 130

PASSPORT_KINDS = ("ordinary", "electronic")
VALIDITY_YEARS = (5, 10)
# Permenkumham 18/2022 art. 2A: ten-year passports are for adults only.
_VALIDITIES = {True: (5, 10), False: (5,)}


def age_on(birth_date: date, today: date) -> int:
    """Completed years on `today`.

    Someone born on 29 February completes a year on 1 March in common years, so they are never
    treated as older than they are.
    """
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def is_adult(birth_date: date, marital_status: str, today: date) -> bool:
    """Adult: 17 or older, or ever married (a divorced or widowed 16-year-old stays adult)."""
    if marital_status not in MARITAL_STATUSES:
        raise ValueError(f"unknown marital status: {marital_status!r}")
    return marital_status != "single" or age_on(birth_date, today) >= ADULT_AGE


def birth_date_problem(birth_date: date, today: date) -> str | None:
    """Why a birth date is implausible: "future", "too_old" (over MAX_AGE); None when fine."""
    if birth_date > today:
        return "future"
    if age_on(birth_date, today) > MAX_AGE:
        return "too_old"
    return None


def allowed_validities(adult: bool) -> tuple[int, ...]:
    return _VALIDITIES[adult]


def validity_problem(validity_years: int, adult: bool) -> str | None:
    """Why a validity is refused: "unknown_validity", "child_ten_years"; None when allowed."""
    if validity_years not in VALIDITY_YEARS:
        return "unknown_validity"
    if validity_years not in allowed_validities(adult):
        return "child_ten_years"
    return None


def adult_by_answers(
    birth_date: date | None, marital_status: str | None, today: date
) -> bool | None:
    """Adult or child as far as the answers tell; None while they tell nothing yet.

    A missing or implausible birth date (in the future, over MAX_AGE) decides nothing: its own
    error comes first, and no child rule (5 years only, the parents' data) follows from it.
    """
    if birth_date is None or marital_status not in MARITAL_STATUSES:
        return None
    if birth_date_problem(birth_date, today):
        return None
    return is_adult(birth_date, marital_status, today)
