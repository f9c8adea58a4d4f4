"""The check-in window and the place an arrival takes in its lane's line, table by table."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.rules import visits

WITA = "Asia/Makassar"
NINE = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09.00 WITA


@pytest.mark.parametrize(
    "now, expected",
    [
        (NINE - timedelta(minutes=61), "too_early"),
        (NINE - timedelta(minutes=60), None),
        (NINE + timedelta(hours=3), None),
        (NINE + timedelta(hours=5, minutes=59), None),  # 14.59 WITA
        (NINE + timedelta(hours=6), "closed"),  # 15.00 WITA
        (NINE - timedelta(days=1), "another_day"),
        (NINE + timedelta(days=1), "another_day"),
        # 00.30 WITA on 2 December, still 1 December in UTC: the office's day decides
        (datetime(2026, 12, 1, 16, 30, tzinfo=UTC), "another_day"),
    ],
)
def test_the_check_in_window(now, expected):
    problem = visits.checkin_problem(NINE, now=now, zone=WITA, opens_minutes=60, closes_at_hour=15)
    assert problem == expected


def test_an_office_open_until_midnight_closes_at_midnight():
    midnight = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 00.00 WITA on 2 December
    assert visits.closing_time(NINE.date(), 24, WITA) == midnight


@pytest.mark.parametrize(
    "arrived, expected",
    [
        (NINE - timedelta(minutes=30), (visits.ON_TIME, NINE)),
        (NINE + timedelta(minutes=59), (visits.ON_TIME, NINE)),
        (NINE + timedelta(hours=1), (visits.LATE, NINE + timedelta(hours=1))),
    ],
)
def test_on_time_arrivals_wait_in_slot_order_and_late_ones_as_they_came(arrived, expected):
    assert visits.place_in_line(NINE, arrived) == expected


def test_a_walk_in_waits_as_it_came():
    assert visits.place_in_line(None, NINE) == (visits.LATE, NINE)


@pytest.mark.parametrize(
    "service, group, lane",
    [
        ("regular", None, "regular"),
        ("express", None, "express"),
        ("regular", "pregnant", "priority"),
    ],
)
def test_a_priority_group_takes_the_priority_lane(service, group, lane):
    assert visits.lane_of(service, group) == lane
