"""TileJSON 3.0.0 of a layer and the MapLibre style (version 8) of the layers a reader may read.

The style loads nothing from another host: no basemap, no glyphs and no sprite, so it has no
text labels. Every source is one of our TileJSON URLs, and colours and sizes come from
``Layer.style`` after a check, because a single bad value would make MapLibre reject the style.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Max, Min
from django.utils.translation import gettext as _

from tinhso.geo import builtin
from tinhso.geo.models import GeometryKind, Layer, LayerKind, MapFeature

logger = logging.getLogger(__name__)

TILEJSON_VERSION = "3.0.0"
# Used when neither the layer nor the boundaries layer has a feature yet: about the former Vĩnh Phúc.
DEFAULT_BOUNDS = (105.10, 21.10, 105.80, 21.60)
DEFAULT_COLOR = "#3182bd"
BACKGROUND_COLOR = "#f4f3ef"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")

FIELD_TYPES = {
    "string": "String",
    "integer": "Number",
    "number": "Number",
    "boolean": "Boolean",
    "date": "String",
}


def layer_bounds(layer: Layer) -> tuple[float, float, float, float]:
    """Return the lon/lat box of the layer's features, else of the boundaries layer, else a default."""
    for features in (
        MapFeature.objects.filter(layer=layer),
        MapFeature.objects.filter(layer__slug=builtin.BOUNDARIES),
    ):
        box = features.aggregate(
            west=Min("min_x"), south=Min("min_y"), east=Max("max_x"), north=Max("max_y")
        )
        if box["west"] is not None:
            return (box["west"], box["south"], box["east"], box["north"])
    return DEFAULT_BOUNDS


def fitting_zoom(bounds: tuple[float, float, float, float], layer: Layer) -> int:
    """Return the zoom at which ``bounds`` fills about one 512-pixel view, within the layer's zooms."""
    west, _south, east, _north = bounds
    span = max(east - west, 1e-6)
    zoom = math.floor(math.log2(360.0 / span))
    return max(layer.min_zoom, min(layer.max_zoom, zoom))


def vector_fields(layer: Layer, include_personal: bool) -> dict[str, str]:
    """Return the attributes the reader gets in the tiles, by name, with their MVT value type."""
    fields = {"id": "Number"}
    for attribute in layer.schema:
        name = attribute.get("name")
        if not name or (attribute.get("personal") and not include_personal):
            continue
        fields[name] = FIELD_TYPES.get(attribute.get("type", "string"), "String")
    return fields


def attribution(layer: Layer) -> str:
    if layer.kind == LayerKind.BASE:
        return _("© OpenStreetMap contributors")
    if layer.owner is not None:
        return str(layer.owner)
    return _("Provincial digital map")


def tilejson(
    layer: Layer, tiles_url: str, include_personal: bool, bounds: tuple[float, float, float, float]
) -> dict[str, Any]:
    """Return the TileJSON 3.0.0 document of ``layer``; ``tiles_url`` is the absolute template."""
    west, south, east, north = bounds
    description = layer.display_description
    return {
        "tilejson": TILEJSON_VERSION,
        "name": layer.display_name,
        "description": description,
        "version": f"1.0.{layer.version}",
        "attribution": attribution(layer),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": layer.min_zoom,
        "maxzoom": layer.max_zoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, fitting_zoom(bounds, layer)],
        "vector_layers": [
            {
                "id": layer.slug,
                "description": description or layer.display_name,
                "minzoom": layer.min_zoom,
                "maxzoom": layer.max_zoom,
                "fields": vector_fields(layer, include_personal),
            }
        ],
    }


# --- Style ---------------------------------------------------------------------------------


def _color(value: Any, default: str) -> str:
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else default


def _number(value: Any, default: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return default
    return float(min(high, max(low, value)))


def style_layers(layer: Layer) -> list[dict[str, Any]]:
    """Return the MapLibre style layers that draw ``layer``: circles, lines, or fill and outline."""
    style = layer.style if isinstance(layer.style, dict) else {}
    color = _color(style.get("color"), DEFAULT_COLOR)
    fill = _color(style.get("fill"), color)
    width = _number(style.get("width"), 1.5, 0.0, 20.0)
    radius = _number(style.get("radius"), 4.0, 0.5, 30.0)
    opacity = _number(style.get("opacity"), 0.3, 0.0, 1.0)
    common = {
        "source": layer.slug,
        "source-layer": layer.slug,
        "minzoom": layer.min_zoom,
        "maxzoom": layer.max_zoom + 1,
        "metadata": {"tinhso:layer": layer.slug},
    }
    kind = layer.geometry_type

    drawn: list[dict[str, Any]] = []
    if kind in {GeometryKind.POLYGON, GeometryKind.GEOMETRY}:
        drawn.append(
            {
                "id": f"{layer.slug}-fill",
                "type": "fill",
                **common,
                "filter": ["==", "$type", "Polygon"],
                "paint": {"fill-color": fill, "fill-opacity": opacity},
            }
        )
    if kind in {GeometryKind.POLYGON, GeometryKind.LINESTRING, GeometryKind.GEOMETRY}:
        drawn.append(
            {
                "id": f"{layer.slug}-line",
                "type": "line",
                **common,
                "filter": ["in", "$type", "LineString", "Polygon"],
                "paint": {"line-color": color, "line-width": width},
            }
        )
    if kind in {GeometryKind.POINT, GeometryKind.GEOMETRY}:
        drawn.append(
            {
                "id": f"{layer.slug}-circle",
                "type": "circle",
                **common,
                "filter": ["==", "$type", "Point"],
                "paint": {
                    "circle-color": color,
                    "circle-radius": radius,
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                },
            }
        )
    return drawn


def style(
    layers: Iterable[Layer],
    tilejson_url: dict[str, str],
    bounds: tuple[float, float, float, float],
) -> dict[str, Any]:
    """Return the MapLibre style of ``layers``; ``tilejson_url`` maps each slug to its absolute URL."""
    west, south, east, north = bounds
    sources: dict[str, Any] = {}
    drawn: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": BACKGROUND_COLOR}}
    ]
    catalogue = []
    for layer in layers:
        sources[layer.slug] = {"type": "vector", "url": tilejson_url[layer.slug]}
        drawn += style_layers(layer)
        catalogue.append(
            {
                "id": layer.slug,
                "name": layer.display_name,
                "group": layer.group,
                "geometry_type": layer.geometry_type,
                "time_aware": layer.kind == LayerKind.BOUNDARIES,
            }
        )
    return {
        "version": 8,
        "name": _("Provincial digital map"),
        "metadata": {"tinhso:layers": catalogue},
        "center": [(west + east) / 2, (south + north) / 2],
        "zoom": 9,
        "sources": sources,
        "layers": drawn,
    }
