"""Spatial storage gives the same answers on SQLite and PostGIS (the suite runs on both)."""

from __future__ import annotations

import pytest
from django.db import connection
from shapely.geometry import MultiPolygon, Point, box

from tinhso.core.models import Unit
from tinhso.geo import storage
from tinhso.geo.models import Boundary

pytestmark = pytest.mark.django_db


def _store(code: str, polygon: MultiPolygon) -> Boundary:
    boundary = Boundary(unit=Unit.objects.current().get(code=code, level=3))
    storage.set_geometry(boundary, polygon)
    boundary.save()
    return boundary


@pytest.fixture
def three_boxes() -> dict[str, Boundary]:
    return {
        "a": _store("08707", MultiPolygon([box(105.0, 21.0, 105.1, 21.1)])),
        "b": _store("08716", MultiPolygon([box(105.2, 21.0, 105.3, 21.1)])),
        # An L shape whose bounding box covers the gap between a and b but whose area does not.
        "c": _store(
            "08740",
            MultiPolygon([box(105.0, 21.3, 105.4, 21.4), box(105.35, 21.0, 105.4, 21.3)]),
        ),
    }


def test_geometry_round_trip(three_boxes: dict[str, Boundary]) -> None:
    stored = Boundary.objects.get(pk=three_boxes["c"].pk)
    assert stored.geom.equals(three_boxes["c"].geom)
    assert stored.geom.geom_type == "MultiPolygon"


def test_bbox_columns(three_boxes: dict[str, Boundary]) -> None:
    stored = Boundary.objects.get(pk=three_boxes["a"].pk)
    assert (stored.min_x, stored.min_y, stored.max_x, stored.max_y) == pytest.approx(
        (105.0, 21.0, 105.1, 21.1)
    )


def test_filter_bbox(three_boxes: dict[str, Boundary]) -> None:
    found = storage.filter_bbox(Boundary.objects.all(), (105.05, 21.05, 105.25, 21.06))
    # c's bounding box overlaps too: a bbox filter is coarse by contract.
    assert {b.unit.code for b in found} == {"08707", "08716", "08740"}


def test_filter_intersects_refines_the_bbox(three_boxes: dict[str, Boundary]) -> None:
    # Inside c's bounding box but outside c itself.
    probe = Point(105.15, 21.2).buffer(0.01)
    found = storage.filter_intersects(Boundary.objects.all(), probe)
    assert list(found) == []


def test_filter_intersects_hits(three_boxes: dict[str, Boundary]) -> None:
    probe = box(105.09, 21.05, 105.21, 21.06)
    found = storage.filter_intersects(Boundary.objects.all(), probe)
    assert {b.unit.code for b in found} == {"08707", "08716"}


def test_postgis_column_is_typed_and_indexed(three_boxes: dict[str, Boundary]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostGIS-only check of the column type and GiST index")
    with connection.cursor() as cursor:
        cursor.execute("SELECT GeometryType(geom), ST_SRID(geom) FROM geo_boundary LIMIT 1")
        assert cursor.fetchone() == ("MULTIPOLYGON", 4326)
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'geo_boundary' AND indexdef LIKE '%gist%'"
        )
        assert cursor.fetchone() is not None


def test_feature_rounds_coordinates() -> None:
    result = storage.feature(Point(105.123456789, 21.987654321), {"name": "x"}, feature_id=1)
    assert result["geometry"]["coordinates"] == (105.1234568, 21.9876543)
    assert result["id"] == 1
