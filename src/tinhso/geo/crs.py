"""Coordinate reference systems used in Vietnam, and guessing the CRS of a file without one.

No Django here: importers and benchmarks use it directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from pyproj.transformer import TransformerGroup
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
WEB_MERCATOR = "EPSG:3857"
VN2000_GEOGRAPHIC = "EPSG:4756"
# VN-2000 TM-3 zones of the provinces merged into Phú Thọ, by central meridian.
TM3_VINH_PHUC = "EPSG:5897"  # 105°00′
TM3_PHU_THO = "EPSG:9208"  # 104°45′
TM3_HOA_BINH = "EPSG:9211"  # 106°00′
TM3_ZONES = {
    TM3_VINH_PHUC: "Vĩnh Phúc (105°00′)",
    TM3_PHU_THO: "Phú Thọ (104°45′)",
    TM3_HOA_BINH: "Hòa Bình (106°00′)",
}

# The published 7-parameter Helmert transformation from VN-2000 to WGS 84 (coordinate frame
# rotation). PROJ 9.5 also lists EPSG:5194, an older parameter set, and left to itself it
# picks between the two per point. The common "+towgs84=" string with the same numbers is
# read as a position-vector rotation, so its rotations have the wrong sign (about 0.5 m off).
VN2000_TO_WGS84 = "EPSG:6960"

# Mainland Vietnam and its islands, generously.
VIETNAM_LONLAT_BOUNDS = (101.0, 7.0, 118.0, 24.0)
# Eastings and northings of VN-2000 TM-3 zones over northern Vietnam.
VN2000_TM3_BOUNDS = (200_000.0, 1_900_000.0, 800_000.0, 2_700_000.0)


class UnknownCRSError(ValueError):
    """A CRS string that PROJ does not know."""


@dataclass(frozen=True)
class CRSGuess:
    """The CRS suggested for data without one, and how sure the suggestion is."""

    crs: str | None
    certain: bool
    reason: str


@lru_cache(maxsize=64)
def parse_crs(text: str) -> CRS:
    """Parse a CRS string; cached, because PROJ takes a millisecond or more per parse."""
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise UnknownCRSError(text) from error


@lru_cache(maxsize=64)
def transformer(source: str, target: str) -> Transformer:
    """Build an always-x/y (longitude first) transformer; cached because building one costs ms.

    Between VN-2000 and another datum the operation is pinned to EPSG:6960
    (:data:`VN2000_TO_WGS84`); other pairs get PROJ's choice.
    """
    source_crs, target_crs = parse_crs(source), parse_crs(target)
    if _is_vn2000(source_crs) != _is_vn2000(target_crs):
        return pinned_transformer(source_crs, target_crs, VN2000_TO_WGS84)
    return Transformer.from_crs(source_crs, target_crs, always_xy=True)


def pinned_transformer(source: CRS, target: CRS, operation: str) -> Transformer:
    """Return the transformer from ``source`` to ``target`` whose steps include ``operation``.

    Raises UnknownCRSError when PROJ offers no such operation between the two CRSs.
    """
    group = TransformerGroup(source, target, always_xy=True)
    for candidate in group.transformers:
        if uses_operation(candidate, operation):
            return candidate
    raise UnknownCRSError(f"no operation through {operation} from {source.name} to {target.name}")


def operation_codes(transformer: Transformer) -> list[str]:
    """List the ids of the steps of a transformer's operation, in order.

    PROJ names a step run backwards with the authority ``INVERSE(EPSG)``, so the inverse of
    EPSG:6960 is listed as ``INVERSE(EPSG):6960``.
    """
    description = transformer.to_json_dict()
    steps = description.get("steps") or [description]
    codes = []
    for step in steps:
        identifier = step.get("id") or {}
        if identifier:
            codes.append(f"{identifier['authority']}:{identifier['code']}")
    return codes


def uses_operation(transformer: Transformer, operation: str) -> bool:
    """Tell whether ``operation`` ("EPSG:6960") is a step of the transformer, either way round."""
    authority, _sep, code = operation.partition(":")
    return any(
        step in (operation, f"INVERSE({authority}):{code}") for step in operation_codes(transformer)
    )


def _is_vn2000(crs: CRS) -> bool:
    # PROJ names the datum "Vietnam 2000"; ESRI .prj files write "D_Vietnam_2000".
    geodetic = crs.geodetic_crs
    if geodetic is None or geodetic.datum is None:
        return False
    return geodetic.datum.name.lower().replace("_", " ").endswith("vietnam 2000")


def transform(geometry: BaseGeometry, source: str, target: str) -> BaseGeometry:
    return shapely.transform(geometry, _coordinate_function(source, target), interleaved=False)


def transform_many(
    geometries: list[BaseGeometry | None], source: str, target: str
) -> list[BaseGeometry | None]:
    """Transform many geometries in one call to PROJ, which is much faster than one by one."""
    array = np.array(geometries, dtype=object)
    moved = shapely.transform(array, _coordinate_function(source, target), interleaved=False)
    return list(moved)


@lru_cache(maxsize=64)
def _coordinate_function(
    source: str, target: str
) -> Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], tuple[Any, Any]]:
    source_crs, target_crs = parse_crs(source), parse_crs(target)
    if source_crs == target_crs:
        return lambda xs, ys: (xs, ys)
    if _is_vn2000(target_crs) and not _is_vn2000(source_crs):
        return _into_vn2000(source, target)
    return transformer(source, target).transform


def _into_vn2000(
    source: str, target: str
) -> Callable[[np.ndarray[Any, Any], np.ndarray[Any, Any]], tuple[Any, Any]]:
    """Build the transformation into VN-2000 as the exact inverse of the one out of it.

    In 2D, PROJ runs the Helmert step at ellipsoidal height 0 in both directions, so a
    VN-2000 point sent to WGS 84 and back moves by up to about 1 mm (the height the first
    step produces is dropped). One correction step, ``2 p0 - inverse(forward(p0))``, cancels
    that drift, so coordinates stored in WGS 84 come back to the surveyed VN-2000 values.
    """
    inverse = transformer(source, target)
    forward = transformer(target, source)

    def apply(xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> tuple[Any, Any]:
        x0, y0 = inverse.transform(xs, ys)
        x1, y1 = inverse.transform(*forward.transform(x0, y0))
        return 2 * np.asarray(x0) - x1, 2 * np.asarray(y0) - y1

    return apply


def area_m2(geometry: BaseGeometry, crs: str = WGS84, area_crs: str = TM3_PHU_THO) -> float:
    """Area in square metres of ``geometry`` (given in ``crs``) measured in ``area_crs``.

    Legal areas in Vietnam are measured in the VN-2000 TM-3 zone of the province.
    """
    return float(transform(geometry, crs, area_crs).area)


def guess_crs(
    bounds: tuple[float, float, float, float], province_zone: str = TM3_PHU_THO
) -> CRSGuess:
    """Suggest a CRS from the coordinate ranges of data that declares none.

    Longitude/latitude inside Vietnam is taken as WGS 84. Metric coordinates in the range
    of VN-2000 TM-3 get the province's zone as a suggestion that the user must confirm,
    because the zones overlap in range and only the central meridian tells them apart.
    """
    min_x, min_y, max_x, max_y = bounds
    lon_min, lat_min, lon_max, lat_max = VIETNAM_LONLAT_BOUNDS
    if lon_min <= min_x and max_x <= lon_max and lat_min <= min_y and max_y <= lat_max:
        return CRSGuess(WGS84, certain=True, reason="longitude/latitude within Vietnam")
    e_min, n_min, e_max, n_max = VN2000_TM3_BOUNDS
    if e_min <= min_x and max_x <= e_max and n_min <= min_y and max_y <= n_max:
        return CRSGuess(
            province_zone, certain=False, reason="metric coordinates in the range of VN-2000 TM-3"
        )
    return CRSGuess(None, certain=False, reason="coordinates match no CRS used in Vietnam")


def vn2000_axis_order(first: tuple[float, float], second: tuple[float, float]) -> str | None:
    """Tell which of two coordinate columns is the easting, from their (min, max) ranges.

    Vietnamese surveyors write X for the northing and Y for the easting, the reverse of GIS
    software. Over northern Vietnam a TM-3 northing is above 1,900 km and an easting is
    within 200–800 km, so the ranges never overlap. Returns "easting-first" or
    "northing-first", or None when the ranges fit neither order.
    """
    e_min, n_min, e_max, n_max = VN2000_TM3_BOUNDS

    def within(span: tuple[float, float], low: float, high: float) -> bool:
        return low <= span[0] and span[1] <= high

    if within(first, e_min, e_max) and within(second, n_min, n_max):
        return "easting-first"
    if within(first, n_min, n_max) and within(second, e_min, e_max):
        return "northing-first"
    return None


def lonlat_axis_order(first: tuple[float, float], second: tuple[float, float]) -> str | None:
    """Tell whether two columns of degrees are (longitude, latitude) or the reverse, in Vietnam."""
    lon_min, lat_min, lon_max, lat_max = VIETNAM_LONLAT_BOUNDS

    def within(span: tuple[float, float], low: float, high: float) -> bool:
        return low <= span[0] and span[1] <= high

    if within(first, lon_min, lon_max) and within(second, lat_min, lat_max):
        return "lon-first"
    if within(first, lat_min, lat_max) and within(second, lon_min, lon_max):
        return "lat-first"
    return None


# Translations (metres) of the two published VN-2000 to WGS 84 parameter sets, EPSG:6960
# and EPSG:5194; a "+towgs84" with either of them marks a VN-2000 CRS written by hand.
VN2000_TRANSLATIONS = ((-191.904, -39.303, -111.450), (-192.873, -39.382, -111.202))
_CONVERSION_PARAMETERS = (8801, 8802, 8805, 8806, 8807)  # lat_0, lon_0, k, x_0, y_0


def recognize_vn2000(text: str) -> str | None:
    """Return the EPSG code of a VN-2000 projected CRS given in another form, else None.

    Agencies' .prj files often describe a TM-3 zone as Transverse Mercator on the WGS 84
    ellipsoid with a "+towgs84" (or TOWGS84[...]) datum shift, or with the ESRI datum name
    D_Vietnam_2000. PROJ would then apply the shift with the opposite rotation signs, so the
    importer reads such a CRS as the EPSG zone with the same projection parameters, to
    which the EPSG:6960 transformation applies.
    """
    parsed: CRS | None = parse_crs(text)
    translation: tuple[float, ...] | None = None
    if parsed is not None and parsed.is_bound and parsed.coordinate_operation is not None:
        shift = {param.code: param.value for param in parsed.coordinate_operation.params}
        translation = tuple(float(shift.get(code, 0.0)) for code in ("8605", "8606", "8607"))
        parsed = parsed.source_crs
    if parsed is None or not parsed.is_projected or parsed.coordinate_operation is None:
        return None
    crs = parsed
    datum_matches = _is_vn2000(crs) or (
        translation is not None
        and any(
            all(abs(a - b) < 1.0 for a, b in zip(translation, known, strict=True))
            for known in VN2000_TRANSLATIONS
        )
    )
    if not datum_matches or crs.ellipsoid is None or crs.ellipsoid.name != "WGS 84":
        return None
    wanted = _conversion_parameters(crs)
    for code, parameters in _vn2000_projected_crs():
        if all(abs(a - b) < 1e-9 for a, b in zip(wanted, parameters, strict=True)):
            return code
    return None


def _conversion_parameters(crs: CRS) -> tuple[float, ...]:
    operation = crs.coordinate_operation
    params = operation.params if operation is not None else []
    values = {int(param.code): param.value for param in params if param.code}
    return tuple(float(values.get(code, float("nan"))) for code in _CONVERSION_PARAMETERS)


@lru_cache(maxsize=1)
def _vn2000_projected_crs() -> list[tuple[str, tuple[float, ...]]]:
    """List the EPSG VN-2000 projected CRSs (TM-3 zones, UTM 48N/49N) with their parameters."""
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    found = []
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        if info.name.startswith("VN-2000 /") and not info.deprecated:
            code = f"EPSG:{info.code}"
            found.append((code, _conversion_parameters(CRS(code))))
    return found
