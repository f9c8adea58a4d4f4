from math import pi

import pytest

from webapp.rules.geo import EARTH_RADIUS_KM, ZONE_NAMES, distance_km

MONAS = (-6.1754, 106.8272)
TUGU_PAHLAWAN = (-7.2458, 112.7378)
LOSARI = (-5.1437, 119.4077)


def test_jakarta_to_surabaya():
    assert distance_km(*MONAS, *TUGU_PAHLAWAN) == pytest.approx(663, abs=5)


def test_jakarta_to_makassar():
    assert distance_km(*MONAS, *LOSARI) == pytest.approx(1403, abs=10)


def test_symmetric():
    assert distance_km(*MONAS, *LOSARI) == pytest.approx(distance_km(*LOSARI, *MONAS))


def test_zero_distance():
    assert distance_km(*MONAS, *MONAS) == 0.0


def test_antipodes():
    half_circumference = pi * EARTH_RADIUS_KM
    assert half_circumference == pytest.approx(20015, abs=1)
    assert distance_km(-6.2, 106.8, 6.2, -73.2) == pytest.approx(half_circumference)
    assert distance_km(90, 0, -90, 0) == pytest.approx(half_circumference)


def test_across_the_antimeridian():
    # One degree of longitude on the equator, either side of 180 degrees.
    assert distance_km(0, 179.5, 0, -179.5) == pytest.approx(111.2, abs=0.1)


def test_zone_names():
    assert ZONE_NAMES == {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
