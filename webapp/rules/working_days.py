"""Working days at immigration offices and the passport collection date."""

from collections.abc import Collection
from datetime import date, timedelta

# National public holidays and joint leave days (cuti bersama) as published each year in the
# SKB of the Ministers of Religious Affairs, Manpower and Administrative Reform (SKB 3 Menteri),
# including later amendments. Islamic dates may still move after the sidang isbat; offices add
# their own closures on top of these.
_SKB_DAYS: dict[int, tuple[tuple[int, int], ...]] = {
    2025: (
        (1, 1),  # New Year
        (1, 27),  # Isra Mi'raj
        (1, 28),  # cuti bersama, Chinese New Year
        (1, 29),  # Chinese New Year
        (3, 28),  # cuti bersama, Nyepi
        (3, 29),  # Nyepi
        (3, 31),  # Idul Fitri
        (4, 1),  # Idul Fitri
        (4, 2),  # cuti bersama, Idul Fitri
        (4, 3),  # cuti bersama, Idul Fitri
        (4, 4),  # cuti bersama, Idul Fitri
        (4, 7),  # cuti bersama, Idul Fitri
        (4, 18),  # Good Friday
        (4, 20),  # Easter Sunday
        (5, 1),  # Labour Day
        (5, 12),  # Vesak
        (5, 13),  # cuti bersama, Vesak
        (5, 29),  # Ascension of Jesus
        (5, 30),  # cuti bersama, Ascension
        (6, 1),  # Pancasila Day
        (6, 6),  # Idul Adha
        (6, 9),  # cuti bersama, Idul Adha
        (6, 27),  # Islamic New Year
        (8, 17),  # Independence Day
        (8, 18),  # cuti bersama, 80th Independence Day (amendment of August 2025)
        (9, 5),  # Maulid
        (12, 25),  # Christmas
        (12, 26),  # cuti bersama, Christmas
    ),
    2026: (
        (1, 1),  # New Year
        (1, 16),  # Isra Mi'raj
        (2, 16),  # cuti bersama, Chinese New Year
        (2, 17),  # Chinese New Year
        (3, 18),  # cuti bersama, Nyepi
        (3, 19),  # Nyepi
        (3, 20),  # cuti bersama, Idul Fitri
        (3, 21),  # Idul Fitri
        (3, 22),  # Idul Fitri
        (3, 23),  # cuti bersama, Idul Fitri
        (3, 24),  # cuti bersama, Idul Fitri
        (4, 3),  # Good Friday
        (4, 5),  # Easter Sunday
        (5, 1),  # Labour Day
        (5, 14),  # Ascension of Jesus
        (5, 15),  # cuti bersama, Ascension
        (5, 27),  # Idul Adha
        (5, 28),  # cuti bersama, Idul Adha
        (5, 31),  # Vesak
        (6, 1),  # Pancasila Day
        (6, 16),  # Islamic New Year
        (8, 17),  # Independence Day
        (8, 25),  # Maulid
        (12, 24),  # cuti bersama, Christmas
        (12, 25),  # Christmas
    ),
    2027: (
        (1, 1),  # New Year
        (1, 5),  # Isra Mi'raj 1448
        (2, 5),  # cuti bersama, Chinese New Year
        (2, 6),  # Chinese New Year
        (3, 8),  # Nyepi
        (3, 9),  # cuti bersama, Idul Fitri
        (3, 10),  # Idul Fitri
        (3, 11),  # Idul Fitri
        (3, 12),  # cuti bersama, Idul Fitri
        (3, 15),  # cuti bersama, Idul Fitri
        (3, 25),  # cuti bersama, Good Friday
        (3, 26),  # Good Friday
        (3, 28),  # Easter Sunday
        (5, 1),  # Labour Day
        (5, 6),  # Ascension of Jesus
        (5, 17),  # Idul Adha
        (5, 18),  # cuti bersama, Idul Adha
        (5, 19),  # cuti bersama, Vesak
        (5, 20),  # Vesak
        (6, 1),  # Pancasila Day
        (6, 6),  # Islamic New Year
        (8, 15),  # Maulid
        (8, 17),  # Independence Day
        (12, 24),  # cuti bersama, Christmas
        (12, 25),  # Christmas
        (12, 26),  # Isra Mi'raj 1449 (the Hijri year is shorter, so it falls twice)
    ),
}

NATIONAL_HOLIDAYS: frozenset[date] = frozenset(
    date(year, month, day) for year, days in _SKB_DAYS.items() for month, day in days
)

# "About 4 working days after the interview" for regular service; express is the same day.
COLLECTION_WORKING_DAYS = {"regular": 4, "express": 0}


def is_working_day(day: date, holidays: Collection[date] = NATIONAL_HOLIDAYS) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: date, count: int, holidays: Collection[date] = NATIONAL_HOLIDAYS
) -> date:
    """The `count`-th working day after `start` (`start` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    for _ in range(count):
        day += timedelta(days=1)
        while not is_working_day(day, holidays):
            day += timedelta(days=1)
    return day


def collection_date(
    interview_day: date, service: str, holidays: Collection[date] = NATIONAL_HOLIDAYS
) -> date:
    try:
        count = COLLECTION_WORKING_DAYS[service]
    except KeyError:
        raise ValueError(f"unknown service: {service!r}") from None
    return add_working_days(interview_day, count, holidays)
