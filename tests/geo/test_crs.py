"""CRS helpers: guessing, transforming and legal areas."""

from __future__ import annotations

import pytest
from shapely.geometry import Point, box

from tinhso.geo import crs


def test_guess_lonlat_in_vietnam() -> None:
    guess = crs.guess_crs((105.3, 21.0, 105.8, 21.5))
    assert guess.crs == crs.WGS84
    assert guess.certain is True


def test_guess_vn2000_needs_confirmation() -> None:
    guess = crs.guess_crs((540_000, 2_340_000, 580_000, 2_380_000))
    assert guess.crs == crs.TM3_PHU_THO
    assert guess.certain is False


def test_guess_unknown_range() -> None:
    assert crs.guess_crs((0, 0, 10, 10)).crs is None


def test_transform_round_trip_is_within_a_millimetre() -> None:
    point = Point(105.5856, 21.3079)
    projected = crs.transform(point, crs.WGS84, crs.TM3_VINH_PHUC)
    back = crs.transform(projected, crs.TM3_VINH_PHUC, crs.WGS84)
    assert back.distance(point) < 1e-8


def test_vn2000_tm3_coordinates_are_metric() -> None:
    projected = crs.transform(Point(105.0, 21.3), crs.WGS84, crs.TM3_VINH_PHUC)
    # On the central meridian the easting is the false easting, 500 km, give or take the datum shift.
    assert projected.x == pytest.approx(500_000, abs=200)


def test_area_of_a_square_kilometre() -> None:
    square = crs.transform(box(500_000, 2_350_000, 501_000, 2_351_000), crs.TM3_PHU_THO, crs.WGS84)
    assert crs.area_m2(square, crs.WGS84, crs.TM3_PHU_THO) == pytest.approx(1_000_000, rel=1e-6)


def test_unknown_crs() -> None:
    with pytest.raises(crs.UnknownCRSError):
        crs.parse_crs("EPSG:999999")
