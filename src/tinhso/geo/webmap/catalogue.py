"""Layer descriptions for the web map and the layer catalogue: names, style, schema, links.

The map page embeds :func:`layer_config` of every readable layer as JSON, so the browser
builds its sources, layers, legend and identify labels without asking the tile server
for a style.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Max, Min
from django.urls import get_script_prefix
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tinhso.geo import crs
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.models import Layer, LayerKind, MapFeature
from tinhso.geo.services.access import Reader, can_see_personal

logger = logging.getLogger(__name__)

DEFAULT_STYLE: dict[str, Any] = {"color": "#3388ff", "width": 1.5, "radius": 5, "opacity": 0.3}
# The tiles stop at this zoom; MapLibre enlarges them beyond it.
TILE_MAX_ZOOM = 14
# Old Vĩnh Phúc and its neighbours, for a map with no boundaries imported yet.
FALLBACK_BOUNDS = (104.8, 20.3, 106.0, 21.9)


def in_english() -> bool:
    return (get_language() or "vi").startswith("en")


def field_label(field: dict[str, Any]) -> str:
    """Return the attribute's label in the active language, else in the other one, else its name."""
    name = str(field.get("name", ""))
    if in_english():
        return str(field.get("label_en") or field.get("label") or name)
    return str(field.get("label") or field.get("label_en") or name)


def layer_style(layer: Layer) -> dict[str, Any]:
    """Return the layer's style with defaults filled in. ``fill`` defaults to the line colour."""
    style = {**DEFAULT_STYLE, **(layer.style or {})}
    style.setdefault("fill", style["color"])
    return style


def tiles_prefix(layer: Layer) -> str:
    return f"{get_script_prefix()}tiles/{layer.slug}"


def tilejson_url(layer: Layer) -> str:
    return f"{tiles_prefix(layer)}/tilejson.json"


def tile_url_template(layer: Layer) -> str:
    return tiles_prefix(layer) + "/{z}/{x}/{y}.pbf"


def collection_url(layer: Layer) -> str:
    return f"{get_script_prefix()}ogc/collections/{layer.slug}"


def is_time_aware(layer: Layer) -> bool:
    """Tell whether the layer's tiles take ``?date=``, as the administrative boundaries do."""
    return layer.slug == BOUNDARIES or layer.kind == LayerKind.BOUNDARIES


def visible_schema(layer: Layer, reader: Reader) -> list[dict[str, Any]]:
    """List the schema fields ``reader`` may see, with labels in the active language."""
    show_personal = can_see_personal(layer, reader)
    return [
        {"name": field["name"], "label": field_label(field), "type": field.get("type", "string")}
        for field in layer.schema
        if field.get("name") and (show_personal or not field.get("personal"))
    ]


def crs_label(code: str) -> str:
    """Name a CRS code for people: "VN-2000 / TM-3 Phú Thọ (104°45′) (EPSG:9208)"."""
    zone = crs.TM3_ZONES.get(code)
    if zone is not None:
        return f"VN-2000 / TM-3 {zone} ({code})"
    try:
        return f"{crs.parse_crs(code).name} ({code})"
    except crs.UnknownCRSError:
        return code


def group_name(layer: Layer) -> str:
    # NOTE: groups are free text entered in Vietnamese and have no English form yet.
    return layer.group or _("Other layers")


def layer_config(layer: Layer, reader: Reader) -> dict[str, Any]:
    """Describe one layer for the map page's script."""
    return {
        "slug": layer.slug,
        "name": layer.display_name,
        "group": group_name(layer),
        "kind": layer.kind,
        "geometry_type": layer.geometry_type,
        "style": layer_style(layer),
        "min_zoom": layer.min_zoom,
        "max_zoom": layer.max_zoom,
        "tile_max_zoom": min(layer.max_zoom, TILE_MAX_ZOOM),
        "label_field": layer.label_field,
        "time_aware": is_time_aware(layer),
        "legal_crs": layer.legal_crs,
        "version": layer.version,
        "tilejson": tilejson_url(layer),
        "tiles": tile_url_template(layer),
        "attributes": visible_schema(layer, reader),
    }


def map_bounds(layers: list[Layer]) -> tuple[float, float, float, float]:
    """Return the extent of the boundaries among ``layers``, else of all their features, else a default."""
    candidates = [layer for layer in layers if is_time_aware(layer)] or layers
    extent = MapFeature.objects.filter(layer__in=candidates).aggregate(
        min_x=Min("min_x"), min_y=Min("min_y"), max_x=Max("max_x"), max_y=Max("max_y")
    )
    if extent["min_x"] is None:
        return FALLBACK_BOUNDS
    return (extent["min_x"], extent["min_y"], extent["max_x"], extent["max_y"])
