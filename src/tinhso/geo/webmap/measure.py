"""Lengths and areas of drawn geometries, measured in a VN-2000 TM-3 zone.

The web map sends a GeoJSON geometry in WGS 84 longitude/latitude, and the result is
computed in the legal plane CRS (a TM-3 zone), as cadastral areas are. Only the error
messages use Django (for their translation).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from tinhso.geo import crs

logger = logging.getLogger(__name__)

# A drawn measurement has a few hundred vertices at most; this bounds the work per request.
MAX_VERTICES = 20_000
MEASURABLE_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
SQUARE_METRES_PER_HECTARE = 10_000.0


class MeasureError(ValueError):
    """A geometry that cannot be measured. The message names the fault and how to fix it."""


@dataclass(frozen=True)
class Measurement:
    """Length (lines) or area and perimeter (polygons) in metres, in the CRS ``crs``."""

    geometry_type: str
    crs: str
    length_m: float | None
    area_m2: float | None
    perimeter_m: float | None

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / SQUARE_METRES_PER_HECTARE


def parse_geometry(value: Any) -> BaseGeometry:
    """Read a GeoJSON geometry (or a Feature holding one) in WGS 84 longitude/latitude.

    Raises :class:`MeasureError` for anything that is not a valid line or polygon inside Vietnam.
    """
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or "type" not in value or "coordinates" not in value:
        raise MeasureError(
            _(
                'The geometry must be a GeoJSON object with "type" and "coordinates", '
                'for example {"type": "Polygon", "coordinates": [[[105.6, 21.3], ...]]}.'
            )
        )
    geometry_type = value["type"]
    if geometry_type not in MEASURABLE_TYPES:
        raise MeasureError(
            _(
                "Cannot measure a %(type)s: draw a line to measure a distance "
                "or a polygon to measure an area."
            )
            % {"type": str(geometry_type)[:40]}
        )
    try:
        geometry = shape(value)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException):
        raise MeasureError(
            _(
                "The coordinates of the %(type)s are malformed: a line needs at least two "
                "[longitude, latitude] positions and a polygon ring at least four, the last "
                "equal to the first."
            )
            % {"type": geometry_type}
        ) from None
    check_coordinates(geometry)
    return geometry


def check_coordinates(geometry: BaseGeometry) -> None:
    """Reject empty, oversized, non-finite, out-of-Vietnam or self-intersecting geometries."""
    if geometry.is_empty:
        raise MeasureError(_("The geometry is empty: draw at least two points."))
    vertices = shapely.get_num_coordinates(geometry)
    if vertices > MAX_VERTICES:
        raise MeasureError(
            _("The geometry has %(count)s vertices; at most %(max)s can be measured.")
            % {"count": vertices, "max": MAX_VERTICES}
        )
    min_x, min_y, max_x, max_y = geometry.bounds
    if not all(math.isfinite(value) for value in (min_x, min_y, max_x, max_y)):
        raise MeasureError(_("The coordinates must be finite numbers."))
    lon_min, lat_min, lon_max, lat_max = crs.VIETNAM_LONLAT_BOUNDS
    if min_x < lon_min or max_x > lon_max or min_y < lat_min or max_y > lat_max:
        raise MeasureError(
            _(
                "The coordinates must be WGS 84 longitude and latitude inside Vietnam "
                "(longitude %(lon_min)s–%(lon_max)s, latitude %(lat_min)s–%(lat_max)s), "
                "longitude first."
            )
            % {"lon_min": lon_min, "lon_max": lon_max, "lat_min": lat_min, "lat_max": lat_max}
        )
    if geometry.geom_type in ("Polygon", "MultiPolygon") and not geometry.is_valid:
        raise MeasureError(
            _("The polygon is not valid (its edges cross each other); redraw it without crossings.")
        )


def measure(geometry: BaseGeometry, plane_crs: str = crs.TM3_PHU_THO) -> Measurement:
    """Measure ``geometry`` (WGS 84) in ``plane_crs``; raises UnknownCRSError for an unknown CRS."""
    projected = crs.transform(geometry, crs.WGS84, plane_crs)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return Measurement(
            geometry_type=geometry.geom_type,
            crs=plane_crs,
            length_m=None,
            area_m2=float(projected.area),
            perimeter_m=float(projected.length),
        )
    return Measurement(
        geometry_type=geometry.geom_type,
        crs=plane_crs,
        length_m=float(projected.length),
        area_m2=None,
        perimeter_m=None,
    )
