"""Differences between two versions of a feature, for the edit history.

No Django here. Attributes are compared name by name; geometries are compared in a metric
CRS (the layer's VN-2000 TM-3 zone), so a move reads in metres and a reshape in vertices,
square metres or metres of length.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import affinity
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from tinhso.geo import crs

logger = logging.getLogger(__name__)

# Moves shorter than this (1 cm, the precision of stored coordinates) count as none.
MIN_MOVE_M = 0.01


@dataclass(frozen=True)
class AttributeChange:
    """One attribute whose value differs; ``before`` or ``after`` is None when it was absent."""

    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class GeometryChange:
    """How a geometry changed: centroid move in metres, vertex counts, area and length deltas."""

    moved_m: float
    vertices_before: int
    vertices_after: int
    area_change_m2: float | None
    length_change_m: float | None
    shape_changed: bool

    @property
    def vertices_changed(self) -> bool:
        return self.vertices_before != self.vertices_after


def geometry_of(snapshot: dict[str, Any] | None) -> BaseGeometry | None:
    """The geometry of a GeoJSON Feature snapshot, or None when it has none or it is unreadable."""
    if not snapshot or not snapshot.get("geometry"):
        return None
    try:
        return shape(snapshot["geometry"])
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        logger.warning("Unreadable geometry in an edit snapshot: %s", error)
        return None


def attribute_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[AttributeChange]:
    """Attributes added, removed or changed between two property dicts, in a stable order."""
    old = before or {}
    new = after or {}
    changes = []
    for name in [*old, *(key for key in new if key not in old)]:
        if old.get(name) != new.get(name):
            changes.append(AttributeChange(name, old.get(name), new.get(name)))
    return changes


def geometry_change(
    before: BaseGeometry | None, after: BaseGeometry | None, metric_crs: str
) -> GeometryChange | None:
    """Compare two WGS 84 geometries in ``metric_crs``; None when either is missing or they are equal."""
    if before is None or after is None or before.equals_exact(after, 1e-9):
        return None
    old = crs.transform(before, crs.WGS84, metric_crs)
    new = crs.transform(after, crs.WGS84, metric_crs)
    moved = float(old.centroid.distance(new.centroid))
    # A pure move keeps the shape: shift the old geometry onto the new centroid and compare.
    shifted = affinity.translate(
        old, new.centroid.x - old.centroid.x, new.centroid.y - old.centroid.y
    )
    shape_changed = not shifted.equals_exact(new, 0.01)
    area_change = None
    length_change = None
    if old.geom_type.endswith("Polygon"):
        area_change = float(new.area - old.area)
    elif old.geom_type.endswith("LineString"):
        length_change = float(new.length - old.length)
    return GeometryChange(
        moved_m=moved if moved >= MIN_MOVE_M else 0.0,
        vertices_before=int(shapely.get_num_coordinates(old)),
        vertices_after=int(shapely.get_num_coordinates(new)),
        area_change_m2=area_change,
        length_change_m=length_change,
        shape_changed=shape_changed,
    )
