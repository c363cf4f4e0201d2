"""Search over map features and administrative units, ignoring case and diacritics.

Both the stored keys (``MapFeature.search_text``, ``Unit.search_name``) and the query are
folded with :func:`tinhso.text.fold`, so "vinh yen" finds "Phường Vĩnh Yên". A word of the
query matches the start of a word of the name, which keeps "yen" from finding "huyện".
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tinhso.core.models import Unit
from tinhso.geo.models import Boundary, Layer, MapFeature
from tinhso.geo.services.access import Reader, can_see_personal
from tinhso.geo.services.features import feature_label
from tinhso.text import fold

logger = logging.getLogger(__name__)

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
# Matches read per kind (features, units) before ranking and paging.
# NOTE: a query with more matches of one kind is cut in database order before it is ranked,
# so an exact match past the limit can be missed and ``total`` counts the candidates only.
CANDIDATE_LIMIT = 300
BBox = tuple[float, float, float, float]
RankKey = tuple[bool, bool, int]


@dataclass(frozen=True)
class SearchHit:
    """One result: a feature of a layer or an administrative unit, with where to fly to."""

    kind: str
    label: str
    subtitle: str
    bbox: BBox
    layer: str = ""
    feature_id: int | None = None
    unit_code: str = ""

    def as_json(self) -> dict[str, Any]:
        min_x, min_y, max_x, max_y = self.bbox
        return {
            "kind": self.kind,
            "label": self.label,
            "subtitle": self.subtitle,
            "layer": self.layer,
            "feature_id": self.feature_id,
            "unit_code": self.unit_code,
            "bbox": [min_x, min_y, max_x, max_y],
            "center": [(min_x + max_x) / 2, (min_y + max_y) / 2],
        }


def word_filter(field: str, words: list[str]) -> Q:
    """Build the condition that each folded word starts a word of ``field``."""
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})
    return condition


def rank(words: list[str], folded_name: str) -> RankKey:
    """Sort key: the query as a phrase first, then as whole words, then shorter names."""
    padded = f" {folded_name} "
    is_phrase = f" {' '.join(words)} " in padded
    has_whole_words = all(f" {word} " in padded for word in words)
    return (not is_phrase, not has_whole_words, len(folded_name))


def valid_on(queryset: QuerySet[MapFeature], on_date: dt.date) -> QuerySet[MapFeature]:
    return queryset.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on_date),
        Q(valid_to__isnull=True) | Q(valid_to__gte=on_date),
    )


def searchable_layers(layers: list[Layer], reader: Reader) -> list[Layer]:
    """Layers whose search key may be shown: not those labelled by a hidden personal attribute."""
    return [
        layer
        for layer in layers
        if layer.label_field not in layer.personal_attributes or can_see_personal(layer, reader)
    ]


def feature_hits(
    words: list[str], layers: list[Layer], on_date: dt.date
) -> list[tuple[RankKey, SearchHit, int | None]]:
    """Ranked feature matches with the unit each one stands for (to drop duplicate units)."""
    by_id = {layer.pk: layer for layer in layers}
    matches = valid_on(MapFeature.objects.filter(layer_id__in=by_id), on_date).filter(
        word_filter("search_text", words)
    )
    rows = matches.order_by("layer__sort_order", "id").values_list(
        "pk", "layer_id", "properties", "search_text", "unit_id", "min_x", "min_y", "max_x", "max_y"
    )[:CANDIDATE_LIMIT]
    hits: list[tuple[RankKey, SearchHit, int | None]] = []
    for pk, layer_id, properties, search_text, unit_id, *bbox in rows:
        layer = by_id[layer_id]
        hit = SearchHit(
            kind="feature",
            label=feature_label(layer, properties) or search_text,
            subtitle=layer.display_name,
            bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
            layer=layer.slug,
            feature_id=pk,
            unit_code=str(properties.get("ma", "")) if unit_id else "",
        )
        hits.append((rank(words, search_text), hit, unit_id))
    return hits


def unit_hits(
    words: list[str], on_date: dt.date, extent: BBox | None, skip_unit_ids: set[int]
) -> list[tuple[RankKey, SearchHit]]:
    """Ranked units valid on ``on_date`` with an imported boundary or a centre inside ``extent``."""
    units = (
        Unit.objects.valid_on(on_date)
        .filter(word_filter("search_name", words))
        .exclude(pk__in=skip_unit_ids)
        .select_related("parent")
        .order_by("level", "code")
    )
    located = Q(centroid_lon__isnull=False, centroid_lat__isnull=False)
    if extent is not None:
        min_x, min_y, max_x, max_y = extent
        located &= Q(
            centroid_lon__gte=min_x,
            centroid_lon__lte=max_x,
            centroid_lat__gte=min_y,
            centroid_lat__lte=max_y,
        )
    units = units.filter(located | Q(boundary__isnull=False))
    candidates = list(units[:CANDIDATE_LIMIT])
    boxes = {
        unit_id: (min_x, min_y, max_x, max_y)
        for unit_id, min_x, min_y, max_x, max_y in Boundary.objects.filter(
            unit__in=candidates
        ).values_list("unit_id", "min_x", "min_y", "max_x", "max_y")
    }
    hits = []
    for unit in candidates:
        bbox = boxes.get(unit.pk)
        if bbox is None:
            if unit.centroid_lon is None or unit.centroid_lat is None:
                continue
            bbox = (unit.centroid_lon, unit.centroid_lat, unit.centroid_lon, unit.centroid_lat)
        parent = f" · {unit.parent.name}" if unit.parent else ""
        hit = SearchHit(
            kind="unit",
            label=unit.name,
            subtitle=f"{unit.get_type_display().capitalize()} {unit.code}{parent}",
            bbox=bbox,
            unit_code=unit.code,
        )
        hits.append((rank(words, unit.search_name), hit))
    return hits


def search_map(
    query: str,
    layers: list[Layer],
    reader: Reader,
    on_date: dt.date,
    extent: BBox | None = None,
) -> list[SearchHit]:
    """Rank every hit for ``query`` in ``layers`` and among the units. The caller pages them.

    A unit already found as a feature (a commune of the boundaries layer) is listed once.
    Units count only with a centre inside ``extent`` (the province), when one is given.
    """
    words = fold(query[:MAX_QUERY_LENGTH]).split()
    if not words:
        return []
    features = feature_hits(words, searchable_layers(layers, reader), on_date)
    seen_units = {unit_id for _key, _hit, unit_id in features if unit_id is not None}
    ranked = [(key, hit) for key, hit, _unit in features]
    ranked += unit_hits(words, on_date, extent, seen_units)
    ranked.sort(key=lambda item: (item[0], item[1].label))
    return [hit for _key, hit in ranked]
