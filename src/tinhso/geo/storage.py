"""Spatial storage operations with the same results on SQLite and PostGIS.

SQLite keeps WKB and four bounding-box columns; a query filters on the box with an
ordinary index and refines with shapely. PostGIS filters with ``&&`` and ``ST_Intersects``
on the GiST-indexed column. Models that use these helpers have ``geom``, ``min_x``,
``min_y``, ``max_x`` and ``max_y`` fields.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import numpy as np
import shapely
from django.db import connection, models
from django.db.models import BooleanField, F, Func, Value
from django.db.models.functions import Cast
from shapely.geometry import box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from tinhso.geo.fields import GeometryField

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)
BBox = tuple[float, float, float, float]


def is_postgis() -> bool:
    return connection.vendor == "postgresql"


def set_geometry(instance: models.Model, geometry: BaseGeometry) -> None:
    """Assign ``geometry`` and its bounding box to ``instance`` (not saved)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    instance.geom = geometry  # type: ignore[attr-defined]
    instance.min_x, instance.min_y = min_x, min_y  # type: ignore[attr-defined]
    instance.max_x, instance.max_y = max_x, max_y  # type: ignore[attr-defined]


class _Intersects(Func):
    function = "ST_Intersects"
    output_field = BooleanField()


class _BoxOverlaps(Func):
    arg_joiner = " && "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _geometry_value(geometry: BaseGeometry, srid: int = 4326) -> Cast:
    hex_ewkb = shapely.to_wkb(shapely.set_srid(geometry, srid), hex=True, include_srid=True)
    return Cast(Value(hex_ewkb), output_field=GeometryField(srid=srid))


def filter_bbox(queryset: models.QuerySet[M], bbox: BBox) -> models.QuerySet[M]:
    """Records whose bounding box overlaps ``bbox`` (min_x, min_y, max_x, max_y), edges included."""
    min_x, min_y, max_x, max_y = bbox
    if is_postgis():
        return queryset.filter(_BoxOverlaps(F("geom"), _geometry_value(box(*bbox))))
    return queryset.filter(min_x__lte=max_x, max_x__gte=min_x, min_y__lte=max_y, max_y__gte=min_y)


def filter_intersects(queryset: models.QuerySet[M], geometry: BaseGeometry) -> models.QuerySet[M]:
    """Records whose geometry intersects ``geometry`` (same CRS as the column)."""
    if is_postgis():
        return queryset.filter(_Intersects(F("geom"), _geometry_value(geometry)))

    candidates = filter_bbox(queryset, geometry.bounds)
    prepared = prep(geometry)
    matching = [
        pk for pk, geom in candidates.values_list("pk", "geom") if prepared.intersects(geom)
    ]
    return queryset.filter(pk__in=matching)


def feature(
    geometry: BaseGeometry | None, properties: dict[str, Any], feature_id: Any = None
) -> dict[str, Any]:
    """A GeoJSON Feature with coordinates rounded to 7 decimals (about 1 cm)."""
    result: dict[str, Any] = {
        "type": "Feature",
        "geometry": None if geometry is None else mapping(round_coordinates(geometry)),
        "properties": properties,
    }
    if feature_id is not None:
        result["id"] = feature_id
    return result


def round_coordinates(geometry: BaseGeometry, decimals: int = 7) -> BaseGeometry:
    """Round coordinates without snapping them together (unlike ``shapely.set_precision``)."""
    return shapely.transform(geometry, lambda coords: np.round(coords, decimals))


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}
