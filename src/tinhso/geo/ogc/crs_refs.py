"""The CRSs that OGC API Features serves (Part 2, CRS by reference), as URIs, and reprojection.

Features are stored in WGS 84 longitude/latitude, which is CRS84. Other output CRSs are
computed in Python with :func:`tinhso.geo.crs.transform_many`, which pins VN-2000 to WGS 84 to the
published EPSG:6960 parameters; PostGIS's ``ST_Transform`` would use the ``+towgs84`` string of
its ``spatial_ref_sys`` and land up to half a metre away. No Django here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from tinhso.geo import crs as vn_crs

logger = logging.getLogger(__name__)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class OutputCRS:
    """One CRS offered to clients: its URI, PROJ code, and whether its first axis is northing."""

    uri: str
    code: str
    north_first: bool


def _epsg(code: int, north_first: bool = False) -> OutputCRS:
    return OutputCRS(f"{EPSG_URI}{code}", f"EPSG:{code}", north_first)


# EPSG:4326 is the only one whose axis order (latitude, longitude) differs from CRS84.
SUPPORTED: tuple[OutputCRS, ...] = (
    OutputCRS(CRS84, "OGC:CRS84", False),
    _epsg(4326, north_first=True),
    _epsg(3857),
    _epsg(5897),
    _epsg(9208),
    _epsg(9211),
)
BY_URI = {item.uri: item for item in SUPPORTED}
DEFAULT = SUPPORTED[0]
URIS = [item.uri for item in SUPPORTED]


class UnsupportedCRS(ValueError):
    """A ``crs`` or ``bbox-crs`` value that is not one of :data:`SUPPORTED`."""


class OutsideCRS(ValueError):
    """A bounding box whose coordinates cannot be transformed to longitude and latitude."""


def parse_crs_uri(text: str) -> OutputCRS:
    """Return the supported CRS named by ``text``: a URI, ``[EPSG:n]``-style safe CURIE or ``EPSG:n``.

    Raise UnsupportedCRS for anything else.
    """
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if value in BY_URI:
        return BY_URI[value]
    upper = value.upper()
    if upper in {"OGC:CRS84", "CRS84"}:
        return DEFAULT
    if upper.startswith("EPSG:") and f"{EPSG_URI}{upper[5:]}" in BY_URI:
        return BY_URI[f"{EPSG_URI}{upper[5:]}"]
    raise UnsupportedCRS(text)


def project(geometries: np.ndarray, target: OutputCRS) -> np.ndarray:
    """Reproject an array of WGS 84 lon/lat geometries into ``target``, in its axis order.

    Metric CRSs are rounded to 1 mm and degrees to 1e-7 (about 1 cm).
    """
    if target.code == "OGC:CRS84":
        return geometries
    if target.code == vn_crs.WGS84:
        projected = shapely.transform(geometries, lambda xy: xy[:, ::-1])
        return shapely.transform(projected, lambda xy: np.round(xy, 7))
    # transform_many pins EPSG:6960 and makes WGS 84 -> VN-2000 the exact inverse of the way in.
    projected = np.array(vn_crs.transform_many(list(geometries), vn_crs.WGS84, target.code))
    return shapely.transform(projected, lambda xy: np.round(xy, 3))


def bbox_to_lonlat(bbox: tuple[float, float, float, float], source: OutputCRS) -> BaseGeometry:
    """Return the WGS 84 lon/lat polygon covered by ``bbox``, given in ``source`` and its axis order.

    The edges are densified before reprojection, so a box in a projected CRS keeps its
    curved outline instead of being cut to its four corners.
    """
    x1, y1, x2, y2 = bbox
    if source.north_first:
        x1, y1, x2, y2 = y1, x1, y2, x2
    outline = box(x1, y1, x2, y2)
    if source.code in {"OGC:CRS84", vn_crs.WGS84}:
        return outline
    try:
        dense = shapely.segmentize(outline, max(x2 - x1, y2 - y1) / 32 or 1.0)
        area = shapely.transform(
            dense, vn_crs.transformer(source.code, vn_crs.WGS84).transform, interleaved=False
        )
    except (shapely.errors.GEOSException, ValueError) as error:
        raise OutsideCRS(str(bbox)) from error
    if not np.isfinite(area.bounds).all():
        raise OutsideCRS(str(bbox))
    return area
