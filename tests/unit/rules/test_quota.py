"""Quota rules, table by table: release moments, bookability, the day-before rule, codes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.rules.quota import (
    BILLING_CODE_DIGITS,
    booking_problem,
    can_reschedule,
    new_billing_code,
    next_release,
    release_moment,
)

WITA = "Asia/Makassar"


@pytest.mark.parametrize(
    ("slot_day", "weekday", "hour", "opens"),
    [
        (date(2026, 12, 7), 4, 9, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)),  # Monday: Friday before
        (date(2026, 12, 11), 4, 9, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)),  # Friday, same week
        (date(2026, 12, 13), 4, 9, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)),  # Sunday, same week
        (date(2026, 12, 14), 4, 9, datetime(2026, 12, 11, 1, 0, tzinfo=UTC)),  # the next week
        (date(2026, 12, 9), 0, 8, datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),  # Monday a week before
    ],
)
def test_release_moment(slot_day, weekday, hour, opens):
    assert release_moment(slot_day, weekday, hour, WITA) == opens


FRIDAY_9_WITA = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo(WITA))


@pytest.mark.parametrize(
    ("now", "weekday", "hour", "zone", "opens"),
    [
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), 4, 9, WITA, FRIDAY_9_WITA),  # Tuesday
        (datetime(2026, 12, 4, 0, 59, tzinfo=UTC), 4, 9, WITA, FRIDAY_9_WITA),  # 08.59 Friday
        # 09.00 Friday: that release has just happened, the next one is a week on.
        (datetime(2026, 12, 4, 1, 0, tzinfo=UTC), 4, 9, WITA, FRIDAY_9_WITA + timedelta(days=7)),
        (datetime(2026, 12, 5, 12, 0, tzinfo=UTC), 4, 9, WITA, FRIDAY_9_WITA + timedelta(days=7)),
        # 23.30 UTC Thursday is already Friday 07.30 in WITA: today, not a week on.
        (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), 4, 9, WITA, FRIDAY_9_WITA),
        # The same instant in WIB (06.30 Friday) and WIT (08.30 Friday): each in its own zone.
        (
            datetime(2026, 12, 3, 23, 30, tzinfo=UTC),
            4,
            9,
            "Asia/Jakarta",
            datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")),
        ),
        (
            datetime(2026, 12, 4, 0, 30, tzinfo=UTC),
            4,
            9,
            "Asia/Jayapura",
            datetime(2026, 12, 11, 9, 0, tzinfo=ZoneInfo("Asia/Jayapura")),
        ),
        (
            datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
            0,
            8,
            WITA,
            datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo(WITA)),
        ),
        (
            datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
            4,
            9,
            WITA,
            datetime(2027, 1, 1, 9, 0, tzinfo=ZoneInfo(WITA)),
        ),
    ],
)
def test_next_release(now, weekday, hour, zone, opens):
    moment = next_release(now, weekday, hour, zone)
    assert moment == opens and moment.utcoffset() == opens.utcoffset()  # told in office time


@pytest.mark.parametrize("hours", range(0, 24 * 8, 5))
def test_the_next_release_opens_the_first_week_not_yet_open(hours):
    now = datetime(2026, 12, 1, 0, 0, tzinfo=UTC) + timedelta(hours=hours)
    moment = next_release(now, 4, 9, WITA)
    monday = (moment + timedelta(days=3)).date()
    assert release_moment(monday, 4, 9, WITA) == moment > now
    assert release_moment(monday - timedelta(days=7), 4, 9, WITA) <= now


SLOT = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)  # Tuesday 8 December, 09.00 WITA


@pytest.mark.parametrize(
    ("now", "closed", "problem"),
    [
        (datetime(2026, 12, 5, 0, 0, tzinfo=UTC), frozenset(), None),
        (datetime(2026, 12, 4, 0, 59, tzinfo=UTC), frozenset(), "not_released"),  # 08.59 Friday
        (datetime(2026, 12, 4, 1, 0, tzinfo=UTC), frozenset(), None),  # 09.00 Friday: opens
        (datetime(2026, 12, 5, 0, 0, tzinfo=UTC), frozenset({date(2026, 12, 8)}), "closed"),
        (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), frozenset(), "too_soon"),  # 2 hours before
        (datetime(2026, 12, 7, 22, 59, tzinfo=UTC), frozenset(), None),  # 2 h 1 min before
        (datetime(2026, 12, 8, 1, 0, tzinfo=UTC), frozenset(), "past"),
    ],
)
def test_booking_problem(now, closed, problem):
    result = booking_problem(
        SLOT, now=now, zone=WITA, release_weekday=4, release_hour=9, closed_days=closed
    )
    assert result == problem


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (datetime(2026, 12, 7, 15, 59, tzinfo=UTC), True),  # 23.59 WITA the day before
        (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), False),  # 00.00 WITA on the day
        (datetime(2026, 12, 8, 0, 30, tzinfo=UTC), False),
    ],
)
def test_reschedule_only_up_to_the_day_before_in_office_time(now, allowed):
    assert can_reschedule(SLOT, now=now, zone=WITA) is allowed


def test_billing_codes_are_fifteen_digits_never_starting_with_zero():
    codes = {new_billing_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == BILLING_CODE_DIGITS and c.isdigit() and c[0] != "0" for c in codes)
