"""Items queries of OGC API Features, run in the database and written out as GeoJSON text.

On PostGIS a page in CRS84 (or EPSG:4326) is built by the database: ``ST_Intersects`` on the
GiST-indexed ``geom`` selects the features, and ``ST_AsGeoJSON`` with the ``properties`` jsonb
makes each feature's text, so Python only joins strings. Other output CRSs need the pinned
VN-2000 transformation of :mod:`tinhso.geo.ogc.crs_refs`, so their geometries are reprojected
in Python, all of a page in one vectorised call. On SQLite the bounding-box columns select
candidates and shapely refines them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform
from shapely.geometry.base import BaseGeometry

from tinhso.geo import storage
from tinhso.geo.models import GeometryKind, Layer, MapFeature
from tinhso.geo.ogc import crs_refs
from tinhso.geo.ogc.params import DateRange, ItemsQuery

logger = logging.getLogger(__name__)

TABLE = MapFeature._meta.db_table


@dataclass(frozen=True)
class Page:
    """One page of features: ``features`` is their GeoJSON text joined by commas."""

    features: str
    ids: list[int]
    number_matched: int

    @property
    def number_returned(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Extent:
    """The bounding box (CRS84) and the validity interval of a layer's features."""

    bbox: tuple[float, float, float, float] | None
    start: str | None
    end: str | None
    has_dates: bool


def filtered(layer: Layer, query: ItemsQuery) -> QuerySet[MapFeature]:
    """Filter the layer's features by date and attributes (the area is applied later)."""
    queryset = MapFeature.objects.filter(layer=layer)
    if query.dates is not None:
        queryset = queryset.filter(_valid_during(query.dates))
    for number, (name, value) in enumerate(sorted(query.properties.items())):
        # A key transform takes the attribute name as data, so a name such as "contains"
        # or "a__b" is never read as a Django lookup.
        alias = f"ogc_filter_{number}"
        queryset = queryset.alias(**{alias: KeyTransform(name, "properties")}).filter(
            **{alias: value}
        )
    return queryset


def _valid_during(dates: DateRange) -> Q:
    """Features whose inclusive validity [valid_from, valid_to] overlaps ``dates``; null is open."""
    condition = Q()
    if dates.end is not None:
        condition &= Q(valid_from__isnull=True) | Q(valid_from__lte=dates.end)
    if dates.start is not None:
        condition &= Q(valid_to__isnull=True) | Q(valid_to__gte=dates.start)
    return condition


def items_page(layer: Layer, query: ItemsQuery, hidden: frozenset[str]) -> Page:
    """Select one page of ``layer``'s features for ``query``, without the ``hidden`` attributes."""
    queryset = filtered(layer, query)
    if storage.is_postgis():
        return _postgis_page(queryset, query, hidden)
    return _sqlite_page(layer, queryset, query, hidden)


def one_feature(
    layer: Layer, feature_id: int, query: ItemsQuery, hidden: frozenset[str]
) -> str | None:
    """Return the GeoJSON text of one feature of ``layer``, or None when there is none."""
    queryset = MapFeature.objects.filter(layer=layer, pk=feature_id)
    page = _write_rows(list(queryset.values_list("id", "geom", "properties")), query.crs, hidden)
    return page[0] if page else None


# --- PostGIS --------------------------------------------------------------------------------


def _postgis_page(
    queryset: QuerySet[MapFeature], query: ItemsQuery, hidden: frozenset[str]
) -> Page:
    if query.area is not None:
        queryset = storage.filter_intersects(queryset, query.area)
    window = queryset.order_by("id")[query.offset : query.offset + query.limit]

    if query.crs.code in {"OGC:CRS84", "EPSG:4326"}:
        documents = list(
            window.annotate(doc=_feature_sql(query.crs, hidden)).values_list("id", "doc")
        )
        ids = [row[0] for row in documents]
        text = ",".join(row[1] for row in documents)
    else:
        rows = list(window.values_list("id", "geom", "properties"))
        ids = [row[0] for row in rows]
        text = ",".join(_write_rows(rows, query.crs, hidden))

    return Page(text, ids, _number_matched(queryset, query, len(ids)))


def _feature_sql(target: crs_refs.OutputCRS, hidden: frozenset[str]) -> RawSQL:
    """SQL text of one GeoJSON Feature; 7 decimals of a degree are about 1 cm."""
    geometry = f'"{TABLE}"."geom"'
    if target.north_first:
        geometry = f"ST_FlipCoordinates({geometry})"
    properties = f'"{TABLE}"."properties"'
    params: list[Any] = []
    if hidden:
        properties = f"({properties} - %s::text[])"
        params.append(sorted(hidden))
    sql = (
        f"""'{{"type":"Feature","id":' || "{TABLE}"."id" || ',"geometry":' || """
        f"""ST_AsGeoJSON({geometry}, 7) || ',"properties":' || {properties}::text || '}}'"""
    )
    # The SQL text contains only constants, and the hidden attribute names travel as a parameter.
    return RawSQL(sql, params)  # noqa: S611


def _number_matched(queryset: QuerySet[MapFeature], query: ItemsQuery, returned: int) -> int:
    """Count the matches, unless the page itself shows the count (a short, non-empty last page)."""
    if returned and returned < query.limit:
        return query.offset + returned
    if not returned and query.offset == 0:
        return 0
    return queryset.count()


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_page(
    layer: Layer, queryset: QuerySet[MapFeature], query: ItemsQuery, hidden: frozenset[str]
) -> Page:
    if query.area is None:
        matched = queryset.count()
        window = queryset.order_by("id")[query.offset : query.offset + query.limit]
        rows = list(window.values_list("id", "geom", "properties"))
    else:
        candidates = storage.filter_bbox(queryset, query.area.bounds).order_by("id")
        ids = _refined_ids(layer, candidates, query.area, query.area_is_box)
        matched = len(ids)
        page_ids = ids[query.offset : query.offset + query.limit]
        rows = list(
            MapFeature.objects.filter(pk__in=page_ids)
            .order_by("id")
            .values_list("id", "geom", "properties")
        )
    documents = _write_rows(rows, query.crs, hidden)
    return Page(",".join(documents), [row[0] for row in rows], matched)


def _refined_ids(
    layer: Layer, candidates: QuerySet[MapFeature], area: BaseGeometry, area_is_box: bool
) -> list[int]:
    """Ids of the bounding-box candidates whose geometry intersects ``area``."""
    if layer.geometry_type == GeometryKind.POINT and area_is_box:
        # A point's bounding box is the point, so the box test was exact.
        return list(candidates.values_list("id", flat=True))
    rows = list(candidates.values_list("id", "geom"))
    if not rows:
        return []
    geometries = np.array([row[1] for row in rows], dtype=object)
    hits = shapely.intersects(geometries, area)
    return [row[0] for row, hit in zip(rows, hits, strict=True) if hit]


# --- Both -----------------------------------------------------------------------------------


def _write_rows(
    rows: list[tuple[int, Any, dict[str, Any]]], target: crs_refs.OutputCRS, hidden: frozenset[str]
) -> list[str]:
    """Write (id, geometry, properties) rows as GeoJSON Feature texts in ``target``."""
    if not rows:
        return []
    geometries = np.array([row[1] for row in rows], dtype=object)
    if target.code == "OGC:CRS84":
        geometries = shapely.transform(geometries, lambda xy: np.round(xy, 7))
    else:
        geometries = crs_refs.project(geometries, target)
    geojson = shapely.to_geojson(geometries)
    documents = []
    for (feature_id, _geometry, properties), geometry_text in zip(rows, geojson, strict=True):
        if hidden:
            properties = {key: value for key, value in properties.items() if key not in hidden}
        documents.append(
            f'{{"type":"Feature","id":{int(feature_id)},"geometry":{geometry_text},'
            f'"properties":{json.dumps(properties, ensure_ascii=False)}}}'
        )
    return documents


def extents(layer_ids: list[int]) -> dict[int, Extent]:
    """Compute the extent of each layer's features from the bounding-box columns and validity dates."""
    rows = (
        MapFeature.objects.filter(layer_id__in=layer_ids)
        .values("layer_id")
        .annotate(
            min_x=Min("min_x"),
            min_y=Min("min_y"),
            max_x=Max("max_x"),
            max_y=Max("max_y"),
            start=Min("valid_from"),
            end=Max("valid_to"),
            open_start=Count("id", filter=Q(valid_from__isnull=True)),
            open_end=Count("id", filter=Q(valid_to__isnull=True)),
            total=Count("id"),
        )
        .order_by()
    )
    result: dict[int, Extent] = {}
    for row in rows:
        has_dates = row["start"] is not None or row["end"] is not None
        start = None if row["open_start"] or row["start"] is None else row["start"].isoformat()
        end = None if row["open_end"] or row["end"] is None else row["end"].isoformat()
        result[row["layer_id"]] = Extent(
            (row["min_x"], row["min_y"], row["max_x"], row["max_y"]),
            f"{start}T00:00:00Z" if start else None,
            f"{end}T23:59:59Z" if end else None,
            has_dates,
        )
    return result
