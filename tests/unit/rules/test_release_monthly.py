"""The monthly release: a month's slots open on the last working day of the month before, at the
office's release time, in its own zone; weekends and the days off given are skipped."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from webapp.rules.quota import (
    MONTHLY,
    booking_problem,
    first_unreleased_day,
    last_working_day,
    next_release,
    release_moment,
)

WITA = "Asia/Makassar"
WIT = "Asia/Jayapura"


def at(*parts, zone=WITA):
    return datetime(*parts, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("month", "days_off", "last"),
    [
        (date(2026, 12, 1), frozenset(), date(2026, 12, 31)),  # a Thursday
        (date(2027, 1, 20), frozenset(), date(2027, 1, 29)),  # the 31st is a Sunday
        (date(2027, 2, 1), frozenset(), date(2027, 2, 26)),  # the 28th is a Sunday
        # Holidays and collective leave at the end of the year are skipped.
        (date(2026, 12, 1), {date(2026, 12, 31), date(2026, 12, 30)}, date(2026, 12, 29)),
        # A day off before the weekend: back to the Thursday.
        (date(2027, 1, 5), {date(2027, 1, 29)}, date(2027, 1, 28)),
    ],
)
def test_last_working_day(month, days_off, last):
    assert last_working_day(month, days_off) == last


@pytest.mark.parametrize(
    ("slot_day", "days_off", "opens"),
    [
        (date(2027, 1, 4), frozenset(), at(2026, 12, 31, 9)),
        (date(2027, 1, 31), frozenset(), at(2026, 12, 31, 9)),
        (date(2027, 2, 1), frozenset(), at(2027, 1, 29, 9)),
        (date(2027, 3, 15), frozenset(), at(2027, 2, 26, 9)),
        (date(2027, 1, 4), {date(2026, 12, 31)}, at(2026, 12, 30, 9)),
    ],
)
def test_a_month_opens_on_the_last_working_day_before_it(slot_day, days_off, opens):
    moment = release_moment(slot_day, 4, 9, WITA, kind=MONTHLY, days_off=days_off)
    assert moment == opens


def test_the_release_time_has_minutes_and_the_office_zone():
    moment = release_moment(date(2027, 1, 4), 4, 9, WIT, kind=MONTHLY, minute=30)
    assert moment == at(2026, 12, 31, 9, 30, zone=WIT)
    assert moment.utcoffset().total_seconds() == 9 * 3600


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        (at(2026, 12, 1, 8), at(2026, 12, 31, 9)),
        (at(2026, 12, 31, 8, 59), at(2026, 12, 31, 9)),
        (at(2026, 12, 31, 9), at(2027, 1, 29, 9)),  # that moment is not "after now"
        (at(2027, 1, 30, 10), at(2027, 2, 26, 9)),  # past January's release
    ],
)
def test_next_monthly_release(now, opens):
    assert next_release(now, 4, 9, WITA, kind=MONTHLY) == opens


def test_next_monthly_release_skips_the_days_off():
    off = {date(2026, 12, 31), date(2026, 12, 30)}
    assert next_release(at(2026, 12, 1), 4, 9, WITA, kind=MONTHLY, days_off=off) == at(
        2026, 12, 29, 9
    )


@pytest.mark.parametrize(
    ("now", "problem"),
    [
        (at(2026, 12, 31, 8, 59), "not_released"),
        (at(2026, 12, 31, 9), None),
        (at(2027, 1, 2, 7), None),
    ],
)
def test_booking_a_january_slot(now, problem):
    slot = at(2027, 1, 4, 10)
    assert (
        booking_problem(
            slot, now=now, zone=WITA, release_weekday=4, release_hour=9, release_kind=MONTHLY
        )
        == problem
    )


def test_february_stays_closed_after_januarys_release():
    assert (
        booking_problem(
            at(2027, 2, 1, 10),
            now=at(2026, 12, 31, 9),
            zone=WITA,
            release_weekday=4,
            release_hour=9,
            release_kind=MONTHLY,
        )
        == "not_released"
    )


@pytest.mark.parametrize(
    ("now", "kind", "first"),
    [
        (at(2026, 12, 15), MONTHLY, date(2027, 1, 1)),
        (at(2026, 12, 31, 9), MONTHLY, date(2027, 2, 1)),
        (at(2026, 12, 2), "weekly", date(2026, 12, 7)),  # Friday 4th opens Monday 7th
        (at(2026, 12, 4, 9), "weekly", date(2026, 12, 14)),
    ],
)
def test_first_unreleased_day(now, kind, first):
    assert first_unreleased_day(now, 4, 9, WITA, kind=kind) == first
