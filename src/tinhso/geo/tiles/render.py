"""Encoding one layer's tile: one ST_AsMVT statement on PostGIS, the Python encoder on SQLite.

Both paths select the same features (the tile grown by the buffer, the date filter) and give
the same attributes: the feature's stored attributes without the hidden ones, plus ``id``.
Both clip to the tile plus ``mvt.BUFFER`` grid units and simplify lines and polygons by one
grid unit, which is about 9.6 m at zoom 10 and halves with every zoom level.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import shapely
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from tinhso.geo import mvt, storage
from tinhso.geo.models import GeometryKind, Layer, MapFeature

logger = logging.getLogger(__name__)

POSTGIS = "postgis"
PYTHON = "python"

# Tiles encoded per path since the process started. Tests read it to see which path ran and
# whether the cache served a request.
RENDER_COUNTS: Counter[str] = Counter()

MARGIN = mvt.BUFFER / mvt.EXTENT


@dataclass(frozen=True)
class TileQuery:
    """One tile of one layer: its address, the date features must be valid on, hidden attributes."""

    layer: Layer
    z: int
    x: int
    y: int
    date: dt.date | None
    hidden: Collection[str]


def renderer() -> str:
    """Return the path this database uses: ``postgis`` (ST_AsMVT) or ``python``."""
    return POSTGIS if storage.is_postgis() else PYTHON


def render_tile(query: TileQuery) -> bytes:
    """Return the MVT bytes of ``query`` (empty when no feature falls in the tile)."""
    if renderer() == POSTGIS:
        return render_postgis(query)
    return render_python(query)


# --- PostGIS -------------------------------------------------------------------------------

_TILE_SQL = """
SELECT ST_AsMVT(tile.*, %(name)s, %(extent)s, 'geom', 'fid')
FROM (
    SELECT
        f.id AS fid,
        f.id AS id,
        ST_AsMVTGeom({geometry}, box.tile, %(extent)s, %(buffer)s, true) AS geom,
        {attributes} AS attributes
    FROM {table} AS f,
        (SELECT
            ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS tile,
            ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326)
                AS grown
        ) AS box
    WHERE f.layer_id = %(layer)s
        AND f.geom && box.grown
        {date_filter}
) AS tile
"""
# ST_AsMVT leaves out rows whose geometry ST_AsMVTGeom turned into NULL. Filtering them in SQL
# as well raised the planner's cost estimate above jit_above_cost.

# A tile query is small. JIT compilation and a parallel worker each took about 20 ms to start
# (PostgreSQL 15, PostGIS 3.3), several times the whole query for a tile at zoom 12 or 13, so
# both are off for the tile query only. A tile of tens of thousands of points takes longer
# without the parallel worker, but it is encoded once and then served from the cache.
_PLAN_SETTINGS = (
    "SELECT set_config('jit', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true)"
)

# Points go to the grid as they are. Lines and polygons are clipped in lon/lat first (exact,
# see mvt.tile_bounds_lonlat), so only the part in the tile is projected and simplified.
_POINT_GEOMETRY = "ST_Transform(f.geom, 3857)"
_SHAPE_GEOMETRY = (
    "ST_Simplify(ST_Transform(ST_ClipByBox2D(f.geom, box.grown), 3857), %(tolerance)s, true)"
)
# ST_AsMVT writes the keys of a jsonb column as attributes. The stored object goes as it is
# unless attributes are hidden, because building a new object per row (jsonb || jsonb) doubled
# the time of a tile of 30,000 points. An attribute named "id" gives way to the feature id.
_ALL_ATTRIBUTES = "CASE WHEN f.properties ? 'id' THEN f.properties - 'id' ELSE f.properties END"
_VISIBLE_ATTRIBUTES = "f.properties - %(hidden)s::text[]"
_DATE_FILTER = (
    "AND (f.valid_from IS NULL OR f.valid_from <= %(date)s)"
    " AND (f.valid_to IS NULL OR f.valid_to >= %(date)s)"
)


def tile_sql(query: TileQuery) -> tuple[str, dict[str, Any]]:
    """Return the one SQL statement of ``query`` and its parameters."""
    geometry = (
        _POINT_GEOMETRY if query.layer.geometry_type == GeometryKind.POINT else _SHAPE_GEOMETRY
    )
    sql = _TILE_SQL.format(
        geometry=geometry,
        attributes=_VISIBLE_ATTRIBUTES if query.hidden else _ALL_ATTRIBUTES,
        table=connection.ops.quote_name(MapFeature._meta.db_table),
        date_filter=_DATE_FILTER if query.date is not None else "",
    )
    parameters: dict[str, Any] = {
        "name": query.layer.slug,
        "extent": mvt.EXTENT,
        "buffer": mvt.BUFFER,
        "margin": MARGIN,
        "tolerance": mvt.pixel_size(query.z),
        "hidden": sorted({*query.hidden, "id"}),
        "z": query.z,
        "x": query.x,
        "y": query.y,
        "layer": query.layer.pk,
        "date": query.date,
    }
    return sql, parameters


def render_postgis(query: TileQuery) -> bytes:
    sql, parameters = tile_sql(query)
    # set_config(..., true) lasts until the end of the transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PLAN_SETTINGS)
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
    RENDER_COUNTS[POSTGIS] += 1
    if row is None or row[0] is None:
        return b""
    return bytes(row[0])


# --- Python encoder ------------------------------------------------------------------------


def valid_on(features: QuerySet[MapFeature], date: dt.date) -> QuerySet[MapFeature]:
    """Features valid on ``date``: ``valid_from <= date <= valid_to``, a missing bound open."""
    return features.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=date),
        Q(valid_to__isnull=True) | Q(valid_to__gte=date),
    )


def render_python(query: TileQuery) -> bytes:
    """Encode the tile with :mod:`tinhso.geo.mvt` from the features ``storage.filter_bbox`` finds."""
    grown = mvt.tile_bounds_lonlat(query.z, query.x, query.y, MARGIN)
    features = MapFeature.objects.filter(layer_id=query.layer.pk)
    if query.date is not None:
        features = valid_on(features, query.date)
    rows = storage.filter_bbox(features, grown).values_list("id", "geom", "properties")

    hidden = frozenset(query.hidden)
    encoded = []
    for pk, geometry, properties in rows:
        if geometry.geom_type not in {"Point", "MultiPoint"}:
            geometry = shapely.clip_by_rect(geometry, *grown)
            if geometry.is_empty:
                continue
        attributes = {name: value for name, value in properties.items() if name not in hidden}
        attributes["id"] = pk
        encoded.append(mvt.Feature(mvt.lonlat_to_mercator(geometry), attributes, id=pk))

    RENDER_COUNTS[PYTHON] += 1
    return mvt.encode_tile([mvt.Layer(query.layer.slug, encoded)], query.z, query.x, query.y)
