"""Coordinate reference systems used in Vietnam, and guessing the CRS of a file without one.

No Django here: importers and benchmarks use it directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
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


def parse_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError as error:
        raise UnknownCRSError(text) from error


@lru_cache(maxsize=64)
def transformer(source: str, target: str) -> Transformer:
    """An always-x/y (longitude first) transformer; cached because building one costs ms."""
    return Transformer.from_crs(parse_crs(source), parse_crs(target), always_xy=True)


def transform(geometry: BaseGeometry, source: str, target: str) -> BaseGeometry:
    if parse_crs(source) == parse_crs(target):
        return geometry
    return shapely.transform(geometry, transformer(source, target).transform, interleaved=False)


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
