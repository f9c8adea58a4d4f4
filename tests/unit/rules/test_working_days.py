from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.rules.working_days import (
    COLLECTION_WORKING_DAYS,
    add_working_days,
    collection_date,
    is_working_day,
    national_holidays,
)

# The holidays package's calendar of the years the decrees of the SKB 3 Menteri cover.
NATIONAL_HOLIDAYS = national_holidays(range(2025, 2028))


@pytest.mark.parametrize(
    "holiday",
    [
        # 2025
        date(2025, 1, 1),  # New Year
        date(2025, 1, 27),  # Isra Mi'raj
        date(2025, 1, 29),  # Chinese New Year
        date(2025, 3, 29),  # Nyepi
        date(2025, 3, 31),  # Idul Fitri
        date(2025, 4, 1),  # Idul Fitri, second day
        date(2025, 4, 7),  # cuti bersama, Idul Fitri
        date(2025, 4, 18),  # Good Friday
        date(2025, 4, 20),  # Easter Sunday
        date(2025, 5, 1),  # Labour Day
        date(2025, 5, 12),  # Vesak
        date(2025, 5, 29),  # Ascension
        date(2025, 6, 1),  # Pancasila Day
        date(2025, 6, 6),  # Idul Adha
        date(2025, 6, 27),  # Islamic New Year
        date(2025, 8, 17),  # Independence Day
        date(2025, 8, 18),  # cuti bersama added in August 2025
        date(2025, 9, 5),  # Maulid
        date(2025, 12, 25),  # Christmas
        # 2026
        date(2026, 1, 1),
        date(2026, 1, 16),
        date(2026, 2, 17),
        date(2026, 3, 19),
        date(2026, 3, 21),
        date(2026, 3, 22),
        date(2026, 3, 24),
        date(2026, 4, 3),
        date(2026, 4, 5),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 27),
        date(2026, 5, 31),
        date(2026, 6, 1),
        date(2026, 6, 16),
        date(2026, 8, 17),
        date(2026, 8, 25),
        date(2026, 12, 25),
        # 2027
        date(2027, 1, 1),
        date(2027, 1, 5),
        date(2027, 2, 6),
        date(2027, 3, 8),
        date(2027, 3, 10),
        date(2027, 3, 11),
        date(2027, 3, 15),
        date(2027, 3, 26),
        date(2027, 3, 28),
        date(2027, 5, 1),
        date(2027, 5, 6),
        date(2027, 5, 17),
        date(2027, 5, 20),
        date(2027, 6, 1),
        date(2027, 6, 6),
        date(2027, 8, 15),
        date(2027, 8, 17),
        date(2027, 12, 25),
    ],
)
def test_national_holidays(holiday):
    assert holiday in NATIONAL_HOLIDAYS
    assert not is_working_day(holiday, NATIONAL_HOLIDAYS)


def test_holiday_count_per_year():
    # Holidays plus cuti bersama; a day that is both is counted once.
    assert Counter(day.year for day in NATIONAL_HOLIDAYS) == {2025: 28, 2026: 25, 2027: 26}


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 3, 20), False),  # Friday, cuti bersama
        (date(2025, 8, 18), False),  # Monday, cuti bersama
        (date(2025, 8, 19), True),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day, NATIONAL_HOLIDAYS) is working


def test_office_closures_can_be_added():
    closures = NATIONAL_HOLIDAYS | {date(2026, 11, 24)}
    assert not is_working_day(date(2026, 11, 24), closures)
    assert add_working_days(date(2026, 11, 23), 1, closures) == date(2026, 11, 25)


@pytest.mark.parametrize(
    ("start", "count", "result"),
    [
        (date(2026, 11, 23), 0, date(2026, 11, 23)),
        (date(2026, 11, 23), 1, date(2026, 11, 24)),
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday to Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday
        (date(2026, 11, 23), 4, date(2026, 11, 27)),
        (date(2026, 11, 24), 4, date(2026, 11, 30)),
        # Nyepi and Idul Fitri 2026: 18-24 March closed
        (date(2026, 3, 17), 4, date(2026, 3, 30)),
        (date(2026, 3, 17), 1, date(2026, 3, 25)),
        # Christmas and New Year
        (date(2026, 12, 23), 4, date(2026, 12, 31)),
        (date(2027, 12, 23), 4, date(2027, 12, 30)),
    ],
)
def test_add_working_days(start, count, result):
    assert add_working_days(start, count, NATIONAL_HOLIDAYS) == result


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 23), -1, NATIONAL_HOLIDAYS)


@settings(database=None, deadline=None)
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)),
    count=st.integers(0, 15),
)
def test_add_working_days_counts_exactly_count_working_days(start, count):
    result = add_working_days(start, count, NATIONAL_HOLIDAYS)
    between = [start + timedelta(days=n) for n in range(1, (result - start).days + 1)]
    assert sum(is_working_day(day, NATIONAL_HOLIDAYS) for day in between) == count
    assert count == 0 or is_working_day(result, NATIONAL_HOLIDAYS)


def test_collection_working_days():
    assert COLLECTION_WORKING_DAYS == {"regular": 4, "express": 0}


@pytest.mark.parametrize(
    ("interview_day", "service", "collection"),
    [
        (date(2026, 11, 24), "regular", date(2026, 11, 30)),
        (date(2026, 11, 24), "express", date(2026, 11, 24)),
        (date(2026, 3, 17), "regular", date(2026, 3, 30)),
        (date(2026, 3, 17), "express", date(2026, 3, 17)),
        # A weekend: Thursday's interview, collected on Wednesday.
        (date(2026, 11, 26), "regular", date(2026, 12, 2)),
        # The turn of a year: New Year's Day and Isra Mi'raj 1448 (5 January 2027) skipped.
        (date(2026, 12, 29), "regular", date(2027, 1, 6)),
    ],
)
def test_collection_date(interview_day, service, collection):
    assert collection_date(interview_day, service, NATIONAL_HOLIDAYS) == collection


def test_collection_date_uses_office_closures():
    closures = NATIONAL_HOLIDAYS | {date(2026, 11, 30)}
    assert collection_date(date(2026, 11, 24), "regular", closures) == date(2026, 12, 1)


def test_unknown_service_is_refused():
    with pytest.raises(ValueError):
        collection_date(date(2026, 11, 24), "priority", NATIONAL_HOLIDAYS)
