"""Mapbox Vector Tile (specification 2.1) encoding in plain Python.

The tile server uses PostGIS's ST_AsMVT on PostgreSQL; this encoder gives the embedded
SQLite default the same tiles. It takes shapely geometries in Web Mercator (EPSG:3857) and
moves them into the tile's integer grid (``extent`` units, y pointing down). Then it clips
them to the tile plus a ``buffer`` and simplifies them by one grid unit, a tolerance that
halves in metres with every zoom level. The protobuf message is written by hand, so no
generated protobuf code is needed. No Django here.
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy
import shapely
from shapely.geometry import LinearRing, LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

logger = logging.getLogger(__name__)

EXTENT = 4096
BUFFER = 64
# Half the side of the Web Mercator square, in metres (EPSG:3857).
MERCATOR_HALF_SIDE = 20037508.342789244
MAX_ZOOM = 24

# Geometry types and commands of the specification.
POINT, LINESTRING, POLYGON = 1, 2, 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7

# Protobuf wire types.
VARINT, LENGTH_DELIMITED = 0, 2


class TileError(ValueError):
    """A tile address outside the tile pyramid."""


@dataclass
class Feature:
    """One feature to encode: a geometry in EPSG:3857, its attributes and an optional id."""

    geometry: BaseGeometry
    properties: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class Layer:
    """A named layer of a tile and its features."""

    name: str
    features: list[Feature]


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (min x, min y, max x, max y) of tile z/x/y in EPSG:3857 metres (XYZ scheme)."""
    if not 0 <= z <= MAX_ZOOM:
        raise TileError(f"zoom {z} is outside 0 to {MAX_ZOOM}")
    count = 1 << z
    if not (0 <= x < count and 0 <= y < count):
        raise TileError(f"tile {z}/{x}/{y} is outside the {count}×{count} tiles of zoom {z}")
    size = 2 * MERCATOR_HALF_SIDE / count
    min_x = -MERCATOR_HALF_SIDE + x * size
    max_y = MERCATOR_HALF_SIDE - y * size
    return min_x, max_y - size, min_x + size, max_y


def tile_bounds_lonlat(
    z: int, x: int, y: int, margin: float = 0.0
) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) in WGS 84 degrees of tile z/x/y grown by ``margin``.

    ``margin`` is a fraction of the tile's side (``BUFFER / EXTENT`` covers the buffer). Web
    Mercator maps x to longitude and y to latitude separately, so the tile is a lon/lat box
    too and clipping in lon/lat before projecting gives the same result as after.
    """
    min_x, min_y, max_x, max_y = tile_bounds(z, x, y)
    grow = (max_x - min_x) * margin
    west, south = mercator_to_lonlat(min_x - grow, min_y - grow)
    east, north = mercator_to_lonlat(max_x + grow, max_y + grow)
    return west, south, east, north


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Return the WGS 84 longitude and latitude of a Web Mercator point, in degrees."""
    longitude = x * 180.0 / MERCATOR_HALF_SIDE
    latitude = math.degrees(
        2.0 * math.atan(math.exp(y * math.pi / MERCATOR_HALF_SIDE)) - math.pi / 2.0
    )
    return longitude, latitude


def pixel_size(z: int, extent: int = EXTENT) -> float:
    """Return one unit of the tile grid at zoom ``z``, in Web Mercator metres."""
    return 2 * MERCATOR_HALF_SIDE / (1 << z) / extent


def encode_tile(
    layers: Iterable[Layer],
    z: int,
    x: int,
    y: int,
    *,
    extent: int = EXTENT,
    buffer: int = BUFFER,
) -> bytes:
    """Return the MVT bytes of tile z/x/y; layers whose features all fall outside it are left out."""
    bounds = tile_bounds(z, x, y)
    tile = bytearray()
    for layer in layers:
        encoded = _encode_layer(layer, bounds, extent, buffer)
        if encoded is not None:
            tile += _field(3, LENGTH_DELIMITED, encoded)
    return bytes(tile)


# --- Geometry -------------------------------------------------------------------------------


def to_tile_grid(
    geometry: BaseGeometry, bounds: tuple[float, float, float, float], extent: int
) -> BaseGeometry:
    """Move a Web Mercator geometry into the tile's grid: origin top left, y down."""
    min_x, min_y, max_x, max_y = bounds
    scale_x = extent / (max_x - min_x)
    scale_y = extent / (max_y - min_y)

    def to_grid(coords: Any) -> Any:
        grid = coords.copy()
        grid[:, 0] = (coords[:, 0] - min_x) * scale_x
        grid[:, 1] = (max_y - coords[:, 1]) * scale_y
        return grid

    return shapely.transform(geometry, to_grid)


def prepare_geometry(
    geometry: BaseGeometry, bounds: tuple[float, float, float, float], extent: int, buffer: int
) -> BaseGeometry | None:
    """Clip, simplify and snap a geometry to the integer grid; return None when nothing is left."""
    if geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return _prepare_point(geometry, bounds, extent, buffer)
    grid = to_tile_grid(geometry, bounds, extent)
    clipped = shapely.clip_by_rect(grid, -buffer, -buffer, extent + buffer, extent + buffer)
    if clipped.is_empty:
        return None
    if clipped.geom_type not in {"Point", "MultiPoint"}:
        clipped = shapely.simplify(clipped, 1.0, preserve_topology=True)
    # Snapping to whole grid units keeps polygons valid, unlike rounding each coordinate.
    snapped = shapely.set_precision(clipped, 1.0)
    if snapped.is_empty:
        return None
    return snapped


def _prepare_point(
    point: Point, bounds: tuple[float, float, float, float], extent: int, buffer: int
) -> Point | None:
    # Plain arithmetic: a tile of points spent a third of its time in the shapely calls above.
    min_x, min_y, max_x, max_y = bounds
    grid_x = (point.x - min_x) * extent / (max_x - min_x)
    grid_y = (max_y - point.y) * extent / (max_y - min_y)
    if not (-buffer <= grid_x <= extent + buffer and -buffer <= grid_y <= extent + buffer):
        return None
    return Point(round(grid_x), round(grid_y))


def _parts(geometry: BaseGeometry) -> Iterator[BaseGeometry]:
    """Yield the single geometries of ``geometry``, collections flattened."""
    if hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _parts(part)
    elif not geometry.is_empty:
        yield geometry


def _geometry_type(geometry: BaseGeometry) -> int | None:
    kinds = {part.geom_type for part in _parts(geometry)}
    if kinds <= {"Point"}:
        return POINT if kinds else None
    if kinds <= {"LineString", "LinearRing"}:
        return LINESTRING
    if kinds <= {"Polygon"}:
        return POLYGON
    # A clipped polygon can collapse into lines on the buffer's edge; the polygons carry it.
    return POLYGON if "Polygon" in kinds else LINESTRING


class _Cursor:
    """The pen of the geometry commands: every parameter is a delta from its last position."""

    def __init__(self) -> None:
        self.x = 0
        self.y = 0
        self.commands: list[int] = []

    def move_to(self, points: list[tuple[int, int]]) -> None:
        self._command(MOVE_TO, points)

    def line_to(self, points: list[tuple[int, int]]) -> None:
        self._command(LINE_TO, points)

    def close_path(self) -> None:
        self.commands.append(_command_integer(CLOSE_PATH, 1))

    def _command(self, command: int, points: list[tuple[int, int]]) -> None:
        self.commands.append(_command_integer(command, len(points)))
        for px, py in points:
            self.commands.append(_zigzag(px - self.x))
            self.commands.append(_zigzag(py - self.y))
            self.x, self.y = px, py


def _integer_points(coords: Iterable[Any]) -> list[tuple[int, int]]:
    """Return whole-number points with consecutive repeats removed."""
    points: list[tuple[int, int]] = []
    for coord in coords:
        point = (round(coord[0]), round(coord[1]))
        if not points or points[-1] != point:
            points.append(point)
    return points


def encode_geometry(geometry: BaseGeometry) -> tuple[int, list[int]] | None:
    """Return the geometry type and command integers of a grid geometry, or None if degenerate."""
    geometry_type = _geometry_type(geometry)
    cursor = _Cursor()
    if geometry_type == POINT:
        points = [(round(p.x), round(p.y)) for p in _parts(geometry) if isinstance(p, Point)]
        cursor.move_to(points)
    elif geometry_type == LINESTRING:
        for line in _parts(geometry):
            if isinstance(line, LineString | LinearRing):
                _encode_line(cursor, line)
    elif geometry_type == POLYGON:
        for polygon in _parts(geometry):
            if isinstance(polygon, Polygon):
                _encode_polygon(cursor, polygon)
    if not cursor.commands:
        return None
    return geometry_type or LINESTRING, cursor.commands


def _encode_line(cursor: _Cursor, line: BaseGeometry) -> None:
    points = _integer_points(line.coords)
    if len(points) < 2:
        return
    cursor.move_to(points[:1])
    cursor.line_to(points[1:])


def _encode_polygon(cursor: _Cursor, polygon: Polygon) -> None:
    # The specification wants a positive shoelace area for exterior rings and a negative one
    # for interior rings, computed on the grid coordinates themselves (y down). shapely's
    # orient(sign=1.0) gives exactly that orientation on the same numbers.
    oriented = orient(polygon, sign=1.0)
    rings = [oriented.exterior, *oriented.interiors]
    for index, ring in enumerate(rings):
        points = _integer_points(ring.coords)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(points) < 3:
            if index == 0:
                return  # an exterior ring that collapsed drops its holes too
            continue
        cursor.move_to(points[:1])
        cursor.line_to(points[1:])
        cursor.close_path()


def _command_integer(command: int, count: int) -> int:
    return (command & 0x7) | (count << 3)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


# --- Protobuf -------------------------------------------------------------------------------


def _encode_varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# Tile coordinates, deltas, tags and lengths are mostly below 2**14, so their encodings are
# looked up, which is faster than computing them in pure Python.
_SMALL_VARINTS = [_encode_varint(value) for value in range(1 << 14)]


def _varint(value: int) -> bytes:
    if 0 <= value < 1 << 14:
        return _SMALL_VARINTS[value]
    return _encode_varint(value)


def _field(number: int, wire_type: int, payload: bytes | int) -> bytes:
    key = _varint((number << 3) | wire_type)
    if isinstance(payload, int):
        return key + _varint(payload)
    return key + _varint(len(payload)) + bytes(payload)


def _packed(number: int, values: list[int]) -> bytes:
    return _field(number, LENGTH_DELIMITED, b"".join(map(_varint, values)))


def _value_message(value: Any) -> bytes:
    """Encode one attribute value as the specification's Value message."""
    if isinstance(value, bool):
        return _field(7, VARINT, int(value))
    if isinstance(value, int):
        if value >= 0:
            return _field(5, VARINT, value)
        return _field(6, VARINT, _zigzag(value))
    if isinstance(value, float):
        return _varint((3 << 3) | 1) + struct.pack("<d", value)
    return _field(1, LENGTH_DELIMITED, str(value).encode("utf-8"))


def _value_key(value: Any) -> tuple[str, Any]:
    # True == 1 and 1.0 == 1 in Python, so the type is part of the key of the values table.
    return (type(value).__name__, value)


def _encode_layer(
    layer: Layer, bounds: tuple[float, float, float, float], extent: int, buffer: int
) -> bytes | None:
    keys: dict[str, int] = {}
    values: dict[tuple[str, Any], int] = {}
    value_messages: list[bytes] = []
    features = bytearray()

    for feature in layer.features:
        prepared = prepare_geometry(feature.geometry, bounds, extent, buffer)
        if prepared is None:
            continue
        encoded = encode_geometry(prepared)
        if encoded is None:
            continue
        geometry_type, commands = encoded

        tags: list[int] = []
        for name, value in feature.properties.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue  # the format has no null; a missing key means no value
            key_index = keys.setdefault(name, len(keys))
            value_key = _value_key(value)
            if value_key not in values:
                values[value_key] = len(value_messages)
                value_messages.append(_value_message(value))
            tags += [key_index, values[value_key]]

        message = bytearray()
        if feature.id is not None and feature.id >= 0:
            message += _field(1, VARINT, feature.id)
        if tags:
            message += _packed(2, tags)
        message += _field(3, VARINT, geometry_type)
        message += _packed(4, commands)
        features += _field(2, LENGTH_DELIMITED, bytes(message))

    if not features:
        return None
    encoded_layer = bytearray(_field(15, VARINT, 2))
    encoded_layer += _field(1, LENGTH_DELIMITED, layer.name.encode("utf-8"))
    encoded_layer += features
    for name in keys:
        encoded_layer += _field(3, LENGTH_DELIMITED, name.encode("utf-8"))
    for value_message in value_messages:
        encoded_layer += _field(4, LENGTH_DELIMITED, value_message)
    encoded_layer += _field(5, VARINT, extent)
    return bytes(encoded_layer)


def lonlat_to_mercator(geometry: BaseGeometry) -> BaseGeometry:
    """Project a WGS 84 lon/lat geometry to Web Mercator, latitudes clamped to ±85.0511°."""
    if geometry.geom_type == "Point" and not geometry.is_empty:
        latitude = min(max(geometry.y, -85.05112878), 85.05112878)
        return Point(
            geometry.x * MERCATOR_HALF_SIDE / 180.0,
            math.log(math.tan((90.0 + latitude) * math.pi / 360.0)) * MERCATOR_HALF_SIDE / math.pi,
        )

    def project(coords: Any) -> Any:
        projected = coords.copy()
        latitude = coords[:, 1].clip(-85.05112878, 85.05112878)
        projected[:, 0] = coords[:, 0] * MERCATOR_HALF_SIDE / 180.0
        projected[:, 1] = _log_tan(latitude) * MERCATOR_HALF_SIDE / math.pi
        return projected

    return shapely.transform(geometry, project)


def _log_tan(latitude: Any) -> Any:
    return numpy.log(numpy.tan((90.0 + latitude) * math.pi / 360.0))
