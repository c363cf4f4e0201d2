"""Parsing and checking the query parameters of OGC API Features requests.

Every problem raises :class:`ParameterError` naming the parameter, so the view returns 400
with a message that states what was wrong and what the parameter accepts.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from tinhso.geo.ogc import crs_refs

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
# Longer values are rejected before any parsing; no valid value comes near this.
MAX_VALUE_LENGTH = 500
MAX_INTEGER = 2**53

# Parameters every resource accepts: output format and language.
COMMON_PARAMETERS = frozenset({"f", "lang"})
ITEMS_PARAMETERS = COMMON_PARAMETERS | {"bbox", "bbox-crs", "datetime", "limit", "offset", "crs"}
ITEM_PARAMETERS = COMMON_PARAMETERS | {"crs"}
FORMATS = ("json", "html")


class ParameterError(ValueError):
    """An invalid query parameter: ``parameter`` is its name, ``message`` states what to send."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class DateRange:
    """Inclusive dates; None on a side means open. Instants have ``start == end``."""

    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class ItemsQuery:
    """A checked items request. ``area`` is in WGS 84 lon/lat; ``area_is_box`` when it is a plain box."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    area: BaseGeometry | None = None
    area_is_box: bool = True
    dates: DateRange | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    crs: crs_refs.OutputCRS = crs_refs.DEFAULT
    bbox_crs: crs_refs.OutputCRS = crs_refs.DEFAULT


def check_values(query: Mapping[str, str]) -> None:
    """Reject overlong values and NUL characters, which no database column can store."""
    for name, value in query.items():
        if len(name) > 100 or len(value) > MAX_VALUE_LENGTH:
            raise ParameterError(
                name[:100],
                _("The value of the parameter %(name)s is longer than %(max)s characters.")
                % {"name": name[:100], "max": MAX_VALUE_LENGTH},
            )
        if "\x00" in name or "\x00" in value:
            raise ParameterError(
                name.replace("\x00", ""),
                _("The parameter %(name)s contains a NUL character.")
                % {"name": name.replace("\x00", "")},
            )


def reject_unknown(query: Mapping[str, str], allowed: frozenset[str] | set[str]) -> None:
    """Raise for the first parameter name that is not in ``allowed``."""
    for name in query:
        if name not in allowed:
            raise ParameterError(
                name,
                _("Unknown parameter %(name)s. Accepted parameters: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(sorted(allowed))},
            )


def parse_format(query: Mapping[str, str]) -> str:
    value = query.get("f", "json").strip().lower() or "json"
    if value not in FORMATS:
        raise ParameterError(
            "f", _("Unknown format %(value)s; use f=json or f=html.") % {"value": value}
        )
    return value


def parse_crs(query: Mapping[str, str], name: str) -> crs_refs.OutputCRS:
    text = query.get(name)
    if text is None or not text.strip():
        return crs_refs.DEFAULT
    try:
        return crs_refs.parse_crs_uri(text)
    except crs_refs.UnsupportedCRS:
        raise ParameterError(
            name,
            _("The CRS %(value)s is not supported. Supported: %(supported)s.")
            % {"value": text, "supported": ", ".join(crs_refs.URIS)},
        ) from None


def parse_limit(query: Mapping[str, str]) -> int:
    """Items per page; values above the maximum are lowered to it, as Part 1 requires."""
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    value = _integer("limit", text)
    if value < 1:
        raise ParameterError(
            "limit",
            _("The parameter limit must be a whole number from 1 to %(max)s; got %(value)s.")
            % {"max": MAX_LIMIT, "value": text},
        )
    return min(value, MAX_LIMIT)


def parse_offset(query: Mapping[str, str]) -> int:
    text = query.get("offset")
    if text is None:
        return 0
    value = _integer("offset", text)
    if value < 0:
        raise ParameterError(
            "offset",
            _("The parameter offset must be a whole number of 0 or more; got %(value)s.")
            % {"value": text},
        )
    return value


def _integer(name: str, text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ParameterError(
            name,
            _("The parameter %(name)s must be a whole number; got %(value)s.")
            % {"name": name, "value": text},
        ) from None
    # Databases store 64-bit integers at most; JSON numbers are exact up to 2**53.
    if abs(value) > MAX_INTEGER:
        raise ParameterError(
            name,
            _("The parameter %(name)s must lie between -%(max)s and %(max)s; got %(value)s.")
            % {"name": name, "max": MAX_INTEGER, "value": text},
        )
    return value


def parse_bbox(text: str, bbox_crs: crs_refs.OutputCRS) -> tuple[float, float, float, float]:
    """Four numbers (or six with heights, which are ignored) in the axis order of ``bbox_crs``."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) not in {4, 6}:
        raise ParameterError(
            "bbox",
            _(
                "The parameter bbox needs 4 numbers separated by commas "
                "(minimum x, minimum y, maximum x, maximum y); got %(count)s."
            )
            % {"count": len(parts)},
        )
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise ParameterError(
            "bbox",
            _("The parameter bbox must contain numbers only; got %(value)s.") % {"value": text},
        ) from None
    if not all(math.isfinite(number) for number in numbers):
        raise ParameterError("bbox", _("The parameter bbox must contain finite numbers."))
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    min_x, min_y, max_x, max_y = numbers
    if min_x > max_x or min_y > max_y:
        raise ParameterError(
            "bbox",
            _("In bbox the minimum of each axis must not exceed its maximum; got %(value)s.")
            % {"value": text},
        )
    if bbox_crs.code in {"OGC:CRS84", "EPSG:4326"}:
        lat_min, lat_max = (min_x, max_x) if bbox_crs.north_first else (min_y, max_y)
        if lat_min < -90 or lat_max > 90:
            raise ParameterError(
                "bbox",
                _("The latitudes in bbox must lie between -90 and 90; got %(value)s.")
                % {"value": text},
            )
    return min_x, min_y, max_x, max_y


def parse_datetime(text: str) -> DateRange | None:
    """Parse an instant or an interval ``start/end``, either side open with ``..`` or empty.

    Date-times are reduced to their date in the platform's time zone, because features are
    valid over whole days. Returns None for a fully open interval, which filters nothing.
    """
    value = text.strip()
    if "/" not in value:
        instant = _date("datetime", value)
        return DateRange(instant, instant)
    start_text, _slash, end_text = value.partition("/")
    start = None if start_text.strip() in {"", ".."} else _date("datetime", start_text)
    end = None if end_text.strip() in {"", ".."} else _date("datetime", end_text)
    if start is not None and end is not None and start > end:
        raise ParameterError(
            "datetime",
            _("The interval in datetime ends before it starts: %(value)s.") % {"value": text},
        )
    if start is None and end is None:
        return None
    return DateRange(start, end)


def _date(name: str, text: str) -> dt.date:
    value = text.strip()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            name,
            _(
                "The parameter %(name)s must be a date or date-time as in RFC 3339 "
                "(2025-07-01 or 2025-07-01T08:00:00Z), or an interval such as "
                "2024-01-01/2025-06-30 or ../2025-06-30; got %(value)s."
            )
            % {"name": name, "value": text},
        ) from None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.date()


def parse_property_value(name: str, kind: str, text: str) -> Any:
    """Convert a filter value to the attribute's schema type, so it compares equal to stored values."""
    value = text.strip() if kind != "string" else text
    if kind == "integer":
        return _integer(name, value)
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ParameterError(
                name,
                _("The parameter %(name)s must be a number; got %(value)s.")
                % {"name": name, "value": text},
            )
        return number
    if kind == "boolean":
        if value.lower() not in {"true", "false"}:
            raise ParameterError(
                name,
                _("The parameter %(name)s must be true or false; got %(value)s.")
                % {"name": name, "value": text},
            )
        return value.lower() == "true"
    return value
