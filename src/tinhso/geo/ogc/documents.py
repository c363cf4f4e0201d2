"""The JSON documents of OGC API Features: landing page, conformance, collections, queryables, OpenAPI.

Functions here take the absolute base URL of ``/ogc/`` and return plain dicts; titles and
descriptions come out in the active language.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tinhso.geo.models import GeometryKind, Layer
from tinhso.geo.ogc import crs_refs, params
from tinhso.geo.ogc.queries import Extent

logger = logging.getLogger(__name__)

# The conformance classes whose behaviour this API serves, each checked by a test.
CONFORMANCE_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
# Served by the tiles part of the geo app; the path is fixed there.
TILEJSON_PATH = "/tiles/{collection_id}/tilejson.json"

SCHEMA_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}
# A layer of one family also contains its multi-part form (the boundaries are MultiPolygons).
GEOMETRY_SCHEMAS: dict[str, list[str]] = {
    GeometryKind.POINT: ["Point", "MultiPoint"],
    GeometryKind.LINESTRING: ["LineString", "MultiLineString"],
    GeometryKind.POLYGON: ["Polygon", "MultiPolygon"],
    GeometryKind.GEOMETRY: ["Geometry"],
}


def geometry_schema(geometry_type: str) -> dict[str, Any]:
    """Return the JSON Schema of a layer's geometry, by reference to the GeoJSON schemas."""
    names = GEOMETRY_SCHEMAS.get(geometry_type, GEOMETRY_SCHEMAS[GeometryKind.GEOMETRY])
    references: list[dict[str, Any]] = [
        {"$ref": f"https://geojson.org/schema/{name}.json"} for name in names
    ]
    return references[0] if len(references) == 1 else {"oneOf": references}


def link(href: str, rel: str, media_type: str, title: str = "") -> dict[str, str]:
    result = {"href": href, "rel": rel, "type": media_type}
    if title:
        result["title"] = title
    return result


def landing(base: str) -> dict[str, Any]:
    return {
        "title": _("Provincial digital map: OGC API Features"),
        "description": _(
            "Map layers of the province as GeoJSON: administrative boundaries over time, "
            "OpenStreetMap base layers and thematic layers of the agencies."
        ),
        "links": [
            link(base, "self", JSON, _("This document")),
            link(f"{base}?f=html", "alternate", HTML, _("This document as HTML")),
            link(f"{base}api", "service-desc", OPENAPI, _("API definition (OpenAPI 3.0)")),
            link(f"{base}conformance", "conformance", JSON, _("Conformance classes")),
            link(f"{base}collections", "data", JSON, _("Map layers (collections)")),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE_CLASSES)}


def collection(base: str, layer: Layer, extent: Extent | None) -> dict[str, Any]:
    """Describe one layer as a collection, with its extent and links."""
    href = f"{base}collections/{layer.slug}"
    document: dict[str, Any] = {
        "id": layer.slug,
        "title": layer.display_name,
        "description": layer.display_description,
        "itemType": "feature",
        "crs": list(crs_refs.URIS),
        "storageCrs": crs_refs.CRS84,
        "links": [
            link(href, "self", JSON, _("This collection")),
            link(f"{href}/items", "items", GEOJSON, _("Features of this layer")),
            link(f"{href}/queryables", QUERYABLES_REL, SCHEMA, _("Attributes of this layer")),
            link(
                base.rstrip("/").rsplit("/", 1)[0] + TILEJSON_PATH.format(collection_id=layer.slug),
                "tiles",
                JSON,
                _("Vector tiles of this layer (TileJSON)"),
            ),
        ],
    }
    if extent is not None and extent.bbox is not None:
        document["extent"] = {"spatial": {"bbox": [list(extent.bbox)], "crs": crs_refs.CRS84}}
        if extent.has_dates:
            document["extent"]["temporal"] = {
                "interval": [[extent.start, extent.end]],
                "trs": GREGORIAN,
            }
    return document


def collections(base: str, layers: list[Layer], extents: dict[int, Extent]) -> dict[str, Any]:
    return {
        "links": [link(f"{base}collections", "self", JSON, _("Map layers (collections)"))],
        "crs": list(crs_refs.URIS),
        "collections": [collection(base, layer, extents.get(layer.pk)) for layer in layers],
    }


def attribute_title(field: dict[str, Any]) -> str:
    if (get_language() or "vi").startswith("en") and field.get("label_en"):
        return str(field["label_en"])
    return str(field.get("label") or field["name"])


def queryables(base: str, layer: Layer, hidden: frozenset[str]) -> dict[str, Any]:
    """Describe the attributes a reader may see and filter on as a JSON Schema."""
    properties: dict[str, Any] = {"geometry": geometry_schema(layer.geometry_type)}
    for field in layer.schema:
        if field["name"] in hidden:
            continue
        entry: dict[str, Any] = {
            "title": attribute_title(field),
            **SCHEMA_TYPES.get(field.get("type", ""), {}),
        }
        if field.get("choices"):
            entry["enum"] = list(field["choices"])
        properties[field["name"]] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}collections/{layer.slug}/queryables",
        "type": "object",
        "title": layer.display_name,
        "properties": properties,
        "additionalProperties": False,
    }


def filter_attributes(layer: Layer, hidden: frozenset[str]) -> dict[str, str]:
    """Map the name of each attribute a reader may filter on to its schema type."""
    return {
        field["name"]: str(field.get("type", "string"))
        for field in layer.schema
        if field["name"] not in hidden and field["name"] not in params.ITEMS_PARAMETERS
    }
