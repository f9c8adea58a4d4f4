"""Working days at immigration offices and the passport collection date.

National holidays and the collective leave days (cuti bersama) of the SKB of three ministers come
from the `holidays` package's Indonesian calendar, which is kept up to date as the decrees are
published; days it does not know yet are added by administrators (models.LeaveDay), and offices
add their own closures. Both arrive here as the `closed` days a caller passes in.
"""

from collections.abc import Collection, Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

# "About 4 working days after the interview" for regular service; express is the same day.
COLLECTION_WORKING_DAYS = {"regular": 4, "express": 0}


@lru_cache(maxsize=16)
def _national_holidays_of(year: int) -> frozenset[date]:
    calendar = holidays.Indonesia(years=year, categories=(holidays.PUBLIC, holidays.GOVERNMENT))
    return frozenset(calendar)


def national_holidays(years: Iterable[int]) -> frozenset[date]:
    """Public holidays and collective leave days of the given years."""
    return frozenset().union(*(_national_holidays_of(year) for year in years))


def is_working_day(day: date, closed: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in closed


def add_working_days(start: date, count: int, closed: Collection[date]) -> date:
    """The `count`-th working day after `start` (`start` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    for _ in range(count):
        day += timedelta(days=1)
        while not is_working_day(day, closed):
            day += timedelta(days=1)
    return day


def collection_date(interview_day: date, service: str, closed: Collection[date]) -> date:
    """The day the passport may be collected after an interview on interview_day. `closed` must
    cover at least the month after it."""
    try:
        count = COLLECTION_WORKING_DAYS[service]
    except KeyError:
        raise ValueError(f"unknown service: {service!r}") from None
    return add_working_days(interview_day, count, closed)
