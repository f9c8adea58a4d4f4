from datetime import date

import pytest

from webapp.rules.eligibility import (
    MARITAL_STATUSES,
    PASSPORT_KINDS,
    adult_by_answers,
    age_on,
    allowed_validities,
    birth_date_problem,
    is_adult,
    validity_problem,
)

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("birth_date", "today", "age"),
    [
        (date(2008, 6, 1), date(2025, 6, 1), 17),  # birthday today
        (date(2008, 6, 2), date(2025, 6, 1), 16),  # birthday tomorrow
        (date(2008, 5, 31), date(2025, 6, 1), 17),
        (date(2025, 6, 1), date(2025, 6, 1), 0),
        (date(2024, 12, 31), date(2025, 1, 1), 0),
        (date(1997, 11, 11), date(2025, 11, 10), 27),
        (date(1997, 11, 11), date(2025, 11, 11), 28),
        (date(2008, 2, 29), date(2025, 2, 28), 16),  # common year: not yet on 28 February
        (date(2008, 2, 29), date(2025, 3, 1), 17),
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),  # leap year: on the day itself
        (date(2007, 2, 28), date(2024, 2, 28), 17),
    ],
)
def test_age_on(birth_date, today, age):
    assert age_on(birth_date, today) == age


def test_marital_statuses():
    assert MARITAL_STATUSES == ("single", "married", "divorced", "widowed")


@pytest.mark.parametrize(
    ("birth_date", "marital_status", "adult"),
    [
        (date(2008, 6, 1), "single", True),  # exactly 17 today
        (date(2008, 6, 2), "single", False),  # 17 tomorrow
        (date(1990, 1, 1), "single", True),
        (date(2015, 1, 1), "single", False),
        (date(2009, 1, 1), "married", True),  # married 16-year-old
        (date(2010, 1, 1), "divorced", True),  # ever married stays adult
        (date(2009, 1, 1), "widowed", True),
        (date(1990, 1, 1), "married", True),
    ],
)
def test_is_adult(birth_date, marital_status, adult):
    assert is_adult(birth_date, marital_status, TODAY) is adult


def test_is_adult_refuses_an_unknown_marital_status():
    with pytest.raises(ValueError, match="kawin"):
        is_adult(date(1990, 1, 1), "kawin", TODAY)


@pytest.mark.parametrize(
    ("birth_date", "problem"),
    [
        (date(2025, 6, 2), "future"),
        (date(2030, 1, 1), "future"),
        (date(2025, 6, 1), None),  # born today
        (date(1997, 11, 11), None),
        (date(1895, 6, 1), None),  # exactly 130
        (date(1894, 6, 2), None),  # 130, a day short of 131
        (date(1894, 6, 1), "too_old"),  # 131 today
        (date(1800, 1, 1), "too_old"),
    ],
)
def test_birth_date_problem(birth_date, problem):
    assert birth_date_problem(birth_date, TODAY) == problem


def test_passport_kinds():
    assert PASSPORT_KINDS == ("ordinary", "electronic")


@pytest.mark.parametrize(("adult", "validities"), [(True, (5, 10)), (False, (5,))])
def test_allowed_validities(adult, validities):
    assert allowed_validities(adult) == validities


@pytest.mark.parametrize(
    ("validity_years", "adult", "problem"),
    [
        (5, True, None),
        (10, True, None),
        (5, False, None),
        (10, False, "child_ten_years"),
        (0, True, "unknown_validity"),
        (1, True, "unknown_validity"),
        (7, False, "unknown_validity"),
        (15, True, "unknown_validity"),
    ],
)
def test_validity_problem(validity_years, adult, problem):
    assert validity_problem(validity_years, adult) == problem


@pytest.mark.parametrize(
    ("birth_date", "marital_status", "adult"),
    [
        (date(1990, 1, 1), "single", True),
        (date(2016, 1, 1), "single", False),
        (date(2016, 1, 1), "married", True),
        (date(2090, 1, 1), "single", None),  # in the future: its own error, no child rule
        (date(1890, 1, 1), "single", None),  # over 130: the same
        (None, "single", None),
        (date(2016, 1, 1), None, None),
        (date(2016, 1, 1), "engaged", None),  # not an answer the form offers
    ],
)
def test_only_plausible_answers_make_an_adult_or_a_child(birth_date, marital_status, adult):
    assert adult_by_answers(birth_date, marital_status, TODAY) is adult
