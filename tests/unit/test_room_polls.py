"""How often the waiting page asks for its line: soon when the turn may have come, seldom when it
cannot have, never when nothing is left to wait for; and spread so a room does not ask at once."""

import pytest

from webapp.rules.waiting import (
    ADMITTED,
    LAPSED,
    POLL_CEILING_SECONDS,
    POLL_FLOOR_SECONDS,
    SOLD_OUT,
    USED,
    WAITING,
    poll_seconds,
    spread_of,
)


@pytest.mark.parametrize("status", [USED, LAPSED, SOLD_OUT])
def test_nothing_left_to_wait_for_asks_no_more(status):
    assert poll_seconds(status, 0, None, 0.5) is None


def test_before_the_draw_the_page_asks_when_it_is_drawn_and_at_least_every_minute():
    assert poll_seconds(WAITING, 600, None, 0.0) == POLL_CEILING_SECONDS
    assert poll_seconds(WAITING, 20, None, 0.0) == 20
    assert poll_seconds(WAITING, 20, None, 1.0) == 30  # spread over the ten seconds after it
    assert poll_seconds(WAITING, 1, None, 0.0) == POLL_FLOOR_SECONDS


def test_after_the_draw_the_page_asks_four_times_before_the_turn_is_expected():
    assert poll_seconds(WAITING, 0, 0, 0.0) == POLL_FLOOR_SECONDS  # next in line
    assert poll_seconds(WAITING, 0, 2, 0.0) == 30
    assert poll_seconds(WAITING, -5, 45, 0.0) == POLL_CEILING_SECONDS  # far back
    assert poll_seconds(WAITING, 0, None, 0.0) == 3 * POLL_FLOOR_SECONDS  # no rate known yet


def test_an_admitted_page_asks_seldom_as_only_a_lapse_or_a_booking_can_change_it():
    assert poll_seconds(ADMITTED, 0, None, 0.0) == POLL_CEILING_SECONDS


def test_each_entry_keeps_its_own_place_in_the_spread():
    spreads = [spread_of(f"token-{n:04d}-abcdefghijk") for n in range(1000)]
    assert spread_of("token-0001-abcdefghijk") == spreads[1]  # the same every time
    assert all(0 <= spread <= 1 for spread in spreads)
    # Roughly even: each tenth of the spread holds about a tenth of the entries.
    tenths = [sum(int(s * 10) == k for s in spreads) for k in range(10)]
    assert min(tenths) > 60 and max(tenths) < 140
