"""The hold and bill machines, move by move, and when a bank's paid-at time counts."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from webapp.rules import bills, holds

HOLD_MOVES = {
    (holds.HELD, holds.PAID),
    (holds.HELD, holds.EXPIRED),
    (holds.HELD, holds.CANCELLED),
    (holds.PAID, holds.CANCELLED),
    (holds.PAID, holds.MOVED),
    # A closure's special reschedule: an unpaid booking moved to its offered place, and the
    # offered place accepted (paid, or held while its bill may be paid), released or let go.
    (holds.HELD, holds.MOVED),
    (holds.OFFERED, holds.PAID),
    (holds.OFFERED, holds.HELD),
    (holds.OFFERED, holds.EXPIRED),
    (holds.OFFERED, holds.CANCELLED),
}
BILL_MOVES = {
    (bills.OPEN, bills.PAID),
    (bills.OPEN, bills.VOID),
    (bills.OPEN, bills.REFUND_REVIEW),
    (bills.VOID, bills.REFUND_REVIEW),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(holds.STATES, repeat=2)))
def test_hold_moves(current, target):
    assert holds.can_move(current, target) == ((current, target) in HOLD_MOVES)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(bills.STATES, repeat=2)))
def test_bill_moves(current, target):
    assert bills.can_move(current, target) == ((current, target) in BILL_MOVES)


def test_only_held_and_paid_holds_take_a_place():
    assert set(holds.LIVE) == {holds.HELD, holds.PAID}
    # Only a closure's offered place becomes held again (an unpaid booking accepting it).
    assert [state for state in holds.STATES if holds.can_move(state, holds.HELD)] == [holds.OFFERED]


def test_unknown_states_move_nowhere():
    assert not holds.can_move("unpaid", holds.PAID)
    assert not bills.can_move("unpaid", bills.PAID)


NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("paid_at", "problem"),
    [
        (NOW, None),
        (NOW - timedelta(days=3), None),  # a retry days later still says when it was paid
        (NOW + bills.PAID_AT_TOLERANCE, None),  # a bank clock a little ahead of ours
        (NOW + bills.PAID_AT_TOLERANCE + timedelta(seconds=1), "future"),
        (NOW + timedelta(hours=1), "future"),
        (NOW.replace(tzinfo=None), "no_zone"),
    ],
)
def test_paid_at_problem(paid_at, problem):
    assert bills.paid_at_problem(paid_at, now=NOW) == problem


DEADLINE = NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("paid_at", "in_time"),
    [
        (NOW + timedelta(hours=1, minutes=59), True),  # whenever its notice arrives
        (DEADLINE, True),
        (DEADLINE + timedelta(seconds=1), False),
    ],
)
def test_paid_in_time_is_judged_by_the_paid_at_time(paid_at, in_time):
    assert bills.paid_in_time(paid_at, DEADLINE) == in_time
