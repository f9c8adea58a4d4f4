"""The waiting room's draw as a pure function, against a seed worked out by hand with hashlib and
hmac, and the admission count it serves."""

import hashlib
import hmac

import pytest

from webapp.rules.waiting import admissions_wanted, commitment, draw_key, drawn_order

SEED = "00112233445566778899aabbccddeeff" * 2
# hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
COMMITMENT = "4773d12e2371bb935b9a0f5439b4a1c3ad3f2414b86980f8418d1cfabdfadfef"
# hmac.new(bytes.fromhex(SEED), number.encode(), hashlib.sha256).hexdigest()
KEYS = {
    "2611200000000001": "4e42d9599f5cbff0ee69709a5107a2cd7ddc5e3f9721de0ee38f95c9886b3c6e",
    "2611200000000002": "c8ed1d6601a879172ca2611c9fcac101763a9ce5a7eed77e681117728a236886",
    "2611200000000003": "504d7e5f45c1e5f416352f08801b6760143f06ddab9f7e8af983a699c16ecfc8",
}
ORDER = ["2611200000000001", "2611200000000003", "2611200000000002"]


def test_the_commitment_is_the_sha256_of_the_seed_bytes():
    assert commitment(SEED) == COMMITMENT
    assert commitment(SEED) != hashlib.sha256(SEED.encode()).hexdigest()  # bytes, not the text


@pytest.mark.parametrize(("number", "key"), KEYS.items())
def test_each_number_is_keyed_by_hmac_sha256_of_the_seed(number, key):
    assert draw_key(SEED, number) == key


def test_the_order_sorts_the_keys_whatever_order_the_numbers_come_in():
    assert drawn_order(SEED, list(KEYS)) == ORDER
    assert drawn_order(SEED, list(reversed(KEYS))) == ORDER


def test_another_seed_gives_another_order_and_nothing_is_lost():
    other = "ff" * 32
    numbers = [f"26112{n:011d}" for n in range(1, 41)]
    order = drawn_order(other, numbers)
    assert sorted(order) == numbers
    assert order != drawn_order(SEED, numbers)
    expected = sorted(
        numbers,
        key=lambda n: hmac.new(bytes.fromhex(other), n.encode(), hashlib.sha256).digest(),
    )
    assert order == expected


@pytest.mark.parametrize(
    ("free", "outstanding", "wanted"),
    [
        (10, 0, 11),  # ten places and a margin of one
        (3, 0, 4),  # a margin is at least one while a place is free
        (1, 0, 2),
        (0, 0, 0),
        (0, 2, -2),  # nothing free: nobody more
        (10, 11, 0),  # all admitted already
        (5, 6, 0),  # five booked of eleven admitted: those left cover the rest
        (20, 0, 22),
    ],
)
def test_admissions_follow_the_free_places_and_the_margin(free, outstanding, wanted):
    assert admissions_wanted(free, outstanding) == wanted
