"""VN-2000 to WGS 84 through the published EPSG:6960 transformation, in the province's zones."""

from __future__ import annotations

import pytest
from pyproj import CRS, Transformer
from shapely.geometry import Point

from tinhso.geo import crs

ZONES = [crs.TM3_VINH_PHUC, crs.TM3_PHU_THO, crs.TM3_HOA_BINH]
# Eastings and northings over the former Vĩnh Phúc, Phú Thọ and Hòa Bình.
SURVEY_POINTS = [(560_000.0, 2_350_000.0), (500_000.0, 2_300_000.0), (450_000.0, 2_250_000.0)]
# The EPSG:6960 parameters as a "+towgs84" string: PROJ reads it as a position-vector
# rotation, the opposite sign convention of EPSG:6960's coordinate frame rotation.
TOWGS84_SHORTCUT = (
    "+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,"
    "0.252906278 +units=m +no_defs"
)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("easting", "northing"), SURVEY_POINTS)
def test_round_trip_within_a_millimetre(zone: str, easting: float, northing: float) -> None:
    surveyed = Point(easting, northing)
    lonlat = crs.transform(surveyed, zone, crs.WGS84)
    back = crs.transform(lonlat, crs.WGS84, zone)
    assert back.distance(surveyed) < 0.001


@pytest.mark.parametrize("zone", ZONES)
def test_operation_is_epsg_6960_both_ways(zone: str) -> None:
    forward = crs.transformer(zone, crs.WGS84)
    inverse = crs.transformer(crs.WGS84, zone)
    assert "EPSG:6960" in crs.operation_codes(forward)
    assert "INVERSE(EPSG):6960" in crs.operation_codes(inverse)
    assert "VN-2000 to WGS 84 (2)" in forward.description
    assert "EPSG:5194" not in crs.operation_codes(forward)


def test_proj_alone_offers_two_operations() -> None:
    """PROJ 9.5 lists EPSG:6960 and the older EPSG:5194, so the platform must pin one of them."""
    from pyproj.transformer import TransformerGroup

    group = TransformerGroup(crs.TM3_VINH_PHUC, crs.WGS84, always_xy=True)
    codes = {code for t in group.transformers for code in crs.operation_codes(t)}
    assert {"EPSG:6960", "EPSG:5194"} <= codes


def test_geographic_vn2000_also_pinned() -> None:
    assert crs.uses_operation(crs.transformer(crs.VN2000_GEOGRAPHIC, crs.WGS84), "EPSG:6960")


def test_towgs84_shortcut_is_off_by_decimetres() -> None:
    """The "+towgs84" string with the EPSG:6960 numbers lands elsewhere, because of the sign convention."""
    shortcut = Transformer.from_crs(CRS.from_proj4(TOWGS84_SHORTCUT), crs.WGS84, always_xy=True)
    surveyed = Point(560_000.0, 2_350_000.0)
    pinned = crs.transform(surveyed, crs.TM3_VINH_PHUC, crs.WGS84)
    lon, lat = shortcut.transform(surveyed.x, surveyed.y)
    off_metres = crs.transform(Point(lon, lat), crs.WGS84, crs.TM3_VINH_PHUC).distance(surveyed)
    assert off_metres > 0.1
    assert pinned.distance(Point(lon, lat)) > 1e-6


def test_tm3_zones_have_their_central_meridians() -> None:
    meridians = {
        zone: CRS(zone).to_json_dict()["conversion"]["parameters"][1]["value"] for zone in ZONES
    }
    assert meridians == {crs.TM3_VINH_PHUC: 105.0, crs.TM3_PHU_THO: 104.75, crs.TM3_HOA_BINH: 106.0}


def test_transform_between_zones_needs_no_datum_shift() -> None:
    codes = crs.operation_codes(crs.transformer(crs.TM3_VINH_PHUC, crs.TM3_PHU_THO))
    assert not any("6960" in code for code in codes)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((2_350_000.0, 2_360_000.0), (560_000.0, 570_000.0), "northing-first"),
        ((560_000.0, 570_000.0), (2_350_000.0, 2_360_000.0), "easting-first"),
        ((105.5, 105.7), (21.2, 21.4), None),
    ],
)
def test_vn2000_axis_order(
    first: tuple[float, float], second: tuple[float, float], expected: str | None
) -> None:
    assert crs.vn2000_axis_order(first, second) == expected


def test_lonlat_axis_order_swapped() -> None:
    assert crs.lonlat_axis_order((21.2, 21.4), (105.5, 105.7)) == "lat-first"
    assert crs.lonlat_axis_order((105.5, 105.7), (21.2, 21.4)) == "lon-first"


def test_guess_uses_province_zone() -> None:
    guess = crs.guess_crs((540_000, 2_340_000, 580_000, 2_380_000), province_zone=crs.TM3_VINH_PHUC)
    assert guess.crs == crs.TM3_VINH_PHUC
    assert guess.certain is False
