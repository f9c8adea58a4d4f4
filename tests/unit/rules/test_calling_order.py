"""The order in which "Call next" tries the lanes: the one furthest behind its weight first."""

import pytest

from webapp.rules.visits import EXPRESS, LANES, PRIORITY, REGULAR, calling_order

WEIGHTS = {PRIORITY: 1, EXPRESS: 1, REGULAR: 2}


@pytest.mark.parametrize(
    ("calls", "lanes", "first"),
    [
        ({}, LANES, PRIORITY),  # nobody called yet: a tie, in the lanes' order
        ({PRIORITY: 1}, LANES, EXPRESS),
        ({PRIORITY: 1, EXPRESS: 1}, LANES, REGULAR),
        ({PRIORITY: 1, EXPRESS: 1, REGULAR: 1}, LANES, REGULAR),  # 1 of 2 is behind 1 of 1
        ({PRIORITY: 1, EXPRESS: 1, REGULAR: 2}, LANES, PRIORITY),
        ({PRIORITY: 5}, (PRIORITY,), PRIORITY),  # the only lane with anyone waiting
        ({}, (EXPRESS, REGULAR), EXPRESS),
    ],
)
def test_the_lane_furthest_below_its_weight_comes_first(calls, lanes, first):
    assert calling_order(WEIGHTS, calls, lanes)[0] == first


def test_a_lane_of_weight_zero_is_called_only_when_no_other_has_anyone():
    weights = {PRIORITY: 0, EXPRESS: 1, REGULAR: 1}
    assert calling_order(weights, {EXPRESS: 40, REGULAR: 40}, LANES) == [
        EXPRESS,
        REGULAR,
        PRIORITY,
    ]
    assert calling_order(weights, {}, (PRIORITY,)) == [PRIORITY]


def test_nobody_waiting_anywhere_means_no_lane():
    assert calling_order(WEIGHTS, {}, ()) == []
