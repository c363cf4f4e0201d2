"""Fitting an imported geometry to its layer's geometry family, repairing it where safe.

No Django here. A repair never changes what a feature is: it removes repeated vertices,
rebuilds an invalid polygon with ``shapely.make_valid`` (keeping only the parts of the
layer's family), closes a CAD outline into a polygon, or gathers the points of a
collection. Anything else is refused with a reason, and the feature goes to quarantine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import (
    GeometryCollection,
    LinearRing,
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
)
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

FAMILIES = {
    "POINT": (Point, MultiPoint),
    "LINESTRING": (LineString, MultiLineString),
    "POLYGON": (Polygon, MultiPolygon),
}
# A rebuilt polygon that keeps less than this share of the original area is not a repair.
MINIMUM_KEPT_AREA = 0.5


@dataclass
class FittedGeometry:
    """The result of :func:`fit_geometry`.

    ``geometry`` is None when the feature cannot be stored; ``refusal`` then names the
    reason ("wrong_type", "invalid_geometry", "empty_geometry") and ``detail`` the GEOS
    diagnosis. ``repairs`` lists what was changed ("repeated_points", "made_valid",
    "closed_line", "collection"), with ``detail`` for "made_valid". ``reoriented`` is set
    when polygon rings were turned to the GeoJSON order (counter-clockwise outer rings),
    which is a convention, not a repair.
    """

    geometry: BaseGeometry | None
    repairs: list[str] = field(default_factory=list)
    refusal: str = ""
    detail: str = ""
    reoriented: bool = False


def fit_geometry(geometry: BaseGeometry, family: str) -> FittedGeometry:
    """Fit ``geometry`` (2D, any CRS) to ``family`` (POINT, LINESTRING, POLYGON or GEOMETRY)."""
    if geometry is None or geometry.is_empty:
        return FittedGeometry(None, refusal="empty_geometry")
    if not has_finite_coordinates(geometry):
        return FittedGeometry(None, refusal="invalid_geometry", detail="NaN or infinite coordinate")

    result = FittedGeometry(geometry)
    geometry = _to_family(geometry, family, result)
    if geometry is None:
        return result

    try:
        without_repeats = shapely.remove_repeated_points(geometry)
    except shapely.errors.GEOSException as error:
        # A ring of fewer than three distinct vertices has no area left to keep.
        return FittedGeometry(None, refusal="invalid_geometry", detail=str(error)[:200])
    if shapely.get_num_coordinates(without_repeats) < shapely.get_num_coordinates(geometry):
        result.repairs.append("repeated_points")
        geometry = without_repeats

    if not geometry.is_valid:
        geometry = _make_valid(geometry, family, result)
        if geometry is None:
            return result

    if isinstance(geometry, Polygon | MultiPolygon):
        oriented = shapely.orient_polygons(geometry, exterior_cw=False)
        result.reoriented = not oriented.equals_exact(geometry, 0)
        geometry = oriented
    result.geometry = geometry
    return result


def has_finite_coordinates(geometry: BaseGeometry) -> bool:
    return bool(np.isfinite(shapely.get_coordinates(geometry)).all())


def _to_family(geometry: BaseGeometry, family: str, result: FittedGeometry) -> BaseGeometry | None:
    if isinstance(geometry, LinearRing):
        geometry = LineString(geometry.coords)
    if family == "GEOMETRY":
        return geometry
    accepted = FAMILIES[family]
    if isinstance(geometry, accepted):
        return geometry
    if family == "POLYGON" and _is_closed_line(geometry):
        # CAD files draw areas as closed polylines; a closed outline on a polygon layer is
        # the area it encloses.
        result.repairs.append("closed_line")
        return Polygon(geometry.coords)
    if isinstance(geometry, GeometryCollection) and not isinstance(geometry, accepted):
        parts = [part for part in geometry.geoms if isinstance(part, accepted)]
        if parts and len(parts) == len(geometry.geoms):
            result.repairs.append("collection")
            return _multi(parts, family)
    result.geometry = None
    result.refusal = "wrong_type"
    result.detail = geometry.geom_type
    return None


def _is_closed_line(geometry: BaseGeometry) -> bool:
    return (
        isinstance(geometry, LineString)
        and len(geometry.coords) >= 4
        and geometry.coords[0] == geometry.coords[-1]
    )


def _multi(parts: list[BaseGeometry], family: str) -> BaseGeometry:
    flat: list[BaseGeometry] = []
    for part in parts:
        flat.extend(getattr(part, "geoms", [part]))
    if family == "POINT":
        return MultiPoint(flat)
    if family == "LINESTRING":
        return MultiLineString(flat)
    return MultiPolygon(flat)


def _make_valid(geometry: BaseGeometry, family: str, result: FittedGeometry) -> BaseGeometry | None:
    reason = shapely.is_valid_reason(geometry)
    result.detail = reason
    if family == "GEOMETRY":
        repaired = shapely.make_valid(geometry)
        result.repairs.append("made_valid")
        return repaired
    repaired = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    accepted = FAMILIES[family]
    parts = [
        part
        for part in getattr(repaired, "geoms", [repaired])
        if isinstance(part, accepted) and not part.is_empty
    ]
    if not parts:
        result.geometry, result.refusal = None, "invalid_geometry"
        return None
    fixed = parts[0] if len(parts) == 1 else _multi(parts, family)
    if family == "POLYGON" and fixed.area < abs(geometry.area) * MINIMUM_KEPT_AREA:
        result.geometry, result.refusal = None, "invalid_geometry"
        return None
    if not fixed.is_valid:
        result.geometry, result.refusal = None, "invalid_geometry"
        return None
    result.repairs.append("made_valid")
    return fixed
