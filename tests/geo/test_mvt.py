"""The plain-Python MVT encoder, checked with an independent decoder (PyPI mapbox-vector-tile)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, shape

from tinhso.geo import mvt

VINH_YEN = "08707"


def decode(data: bytes) -> dict[str, Any]:
    # Raw grid coordinates, y down, as they are in the tile.
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True, "geojson": False})


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the x and y of the XYZ tile of zoom ``z`` that contains a lon/lat point."""
    count = 1 << z
    x = int((lon + 180.0) / 360.0 * count)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * count)
    return x, y


def shoelace(ring: list[list[int]]) -> float:
    return (
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def test_tile_bounds_cover_the_world_at_zoom_0() -> None:
    assert mvt.tile_bounds(0, 0, 0) == pytest.approx(
        (
            -mvt.MERCATOR_HALF_SIDE,
            -mvt.MERCATOR_HALF_SIDE,
            mvt.MERCATOR_HALF_SIDE,
            mvt.MERCATOR_HALF_SIDE,
        )
    )


@pytest.mark.parametrize(("z", "x", "y"), [(-1, 0, 0), (25, 0, 0), (2, 4, 0), (2, 0, -1)])
def test_tile_bounds_reject_addresses(z: int, x: int, y: int) -> None:
    with pytest.raises(mvt.TileError):
        mvt.tile_bounds(z, x, y)


def test_point_and_properties_round_trip() -> None:
    min_x, min_y, max_x, max_y = mvt.tile_bounds(1, 1, 0)
    centre = Point((min_x + max_x) / 2, (min_y + max_y) / 2)
    properties = {
        "ten": "Phường Vĩnh Yên",
        "so": 3,
        "am": -2,
        "ty_le": 1.5,
        "co": True,
        "rong": None,
    }

    data = mvt.encode_tile([mvt.Layer("diem", [mvt.Feature(centre, properties, id=7)])], 1, 1, 0)

    [feature] = decode(data)["diem"]["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [2048, 2048]}
    assert feature["properties"] == {
        "ten": "Phường Vĩnh Yên",
        "so": 3,
        "am": -2,
        "ty_le": 1.5,
        "co": True,
    }
    assert feature["id"] == 7


def test_line_is_clipped_to_the_buffer() -> None:
    min_x, min_y, max_x, max_y = mvt.tile_bounds(3, 4, 3)
    width = max_x - min_x
    line = LineString([(min_x - width, (min_y + max_y) / 2), (max_x + width, (min_y + max_y) / 2)])

    data = mvt.encode_tile([mvt.Layer("duong", [mvt.Feature(line)])], 3, 4, 3)

    [feature] = decode(data)["duong"]["features"]
    xs = [x for x, _y in feature["geometry"]["coordinates"]]
    assert feature["geometry"]["type"] == "LineString"
    assert (min(xs), max(xs)) == (-mvt.BUFFER, mvt.EXTENT + mvt.BUFFER)


def test_feature_outside_the_tile_is_left_out() -> None:
    min_x, min_y, _max_x, _max_y = mvt.tile_bounds(3, 4, 3)
    far_away = Point(min_x - 1_000_000, min_y - 1_000_000)

    assert mvt.encode_tile([mvt.Layer("diem", [mvt.Feature(far_away)])], 3, 4, 3) == b""


def test_polygon_rings_follow_the_winding_rule() -> None:
    min_x, min_y, max_x, max_y = mvt.tile_bounds(2, 1, 1)
    step = (max_x - min_x) / 8
    outer = [
        (min_x + step, min_y + step),
        (max_x - step, min_y + step),
        (max_x - step, max_y - step),
        (min_x + step, max_y - step),
    ]
    hole = [
        (min_x + 3 * step, min_y + 3 * step),
        (min_x + 5 * step, min_y + 3 * step),
        (min_x + 5 * step, min_y + 5 * step),
        (min_x + 3 * step, min_y + 5 * step),
    ]
    # Given with the winding the specification does not want, to show the encoder fixes it.
    polygon = Polygon(outer[::-1], [hole[::-1]])

    data = mvt.encode_tile([mvt.Layer("vung", [mvt.Feature(polygon)])], 2, 1, 1)

    [feature] = decode(data)["vung"]["features"]
    exterior, interior = feature["geometry"]["coordinates"]
    assert feature["geometry"]["type"] == "Polygon"
    assert shoelace(exterior[:-1]) > 0
    assert shoelace(interior[:-1]) < 0
    assert shoelace(exterior[:-1]) == pytest.approx(3072 * 3072, rel=0.01)


def test_real_commune_keeps_its_shape(shared_data: Path) -> None:
    collection = json.loads(
        (shared_data / "boundaries" / "phutho_wards_2025_vietnam3dmap.geojson").read_text("utf-8")
    )
    [commune] = [f for f in collection["features"] if f["properties"]["ward_code"] == VINH_YEN]
    lonlat = shape(commune["geometry"])
    mercator = mvt.lonlat_to_mercator(lonlat)
    z = 12
    x, y = tile_of(lonlat.centroid.x, lonlat.centroid.y, z)
    bounds = mvt.tile_bounds(z, x, y)
    expected = shapely.clip_by_rect(
        mvt.to_tile_grid(mercator, bounds, mvt.EXTENT),
        -mvt.BUFFER, -mvt.BUFFER, mvt.EXTENT + mvt.BUFFER, mvt.EXTENT + mvt.BUFFER,
    )  # fmt: skip

    data = mvt.encode_tile(
        [mvt.Layer("xa", [mvt.Feature(mercator, {"ma": VINH_YEN, "ten": commune["properties"]["name"]})])],
        z, x, y,
    )  # fmt: skip

    [feature] = decode(data)["xa"]["features"]
    decoded = shape(feature["geometry"])
    assert feature["properties"]["ma"] == VINH_YEN
    assert decoded.is_valid
    # Snapping to the 4,096-unit grid and simplifying by one unit move the area by little.
    assert decoded.area == pytest.approx(expected.area, rel=0.01)
    assert decoded.symmetric_difference(expected).area < 0.01 * expected.area
