"""The OpenAPI 3.0 definition of the OGC API Features endpoints, for the layers a reader may read.

Each readable layer gets its own items path, listing its attributes as filter parameters,
so the definition describes exactly what this reader is served.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from tinhso.geo.models import Layer
from tinhso.geo.ogc import crs_refs, documents, params

logger = logging.getLogger(__name__)

OPENAPI_VERSION = "3.0.3"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _response(description: str, media_type: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {media_type: {"schema": {"type": "object"}}},
        },
        "400": {"$ref": "#/components/responses/Error"},
        "401": {"$ref": "#/components/responses/Error"},
        "404": {"$ref": "#/components/responses/Error"},
        "429": {"$ref": "#/components/responses/Error"},
    }


def _parameters() -> dict[str, Any]:
    return {
        "f": {
            "name": "f",
            "in": "query",
            "description": _("Output format."),
            "schema": {"type": "string", "enum": list(params.FORMATS), "default": "json"},
        },
        "lang": {
            "name": "lang",
            "in": "query",
            "description": _("Language of titles, descriptions and messages."),
            "schema": {"type": "string", "enum": ["vi", "en"]},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "description": _(
                "Bounding box: minimum x, minimum y, maximum x, maximum y (in bbox-crs)."
            ),
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        },
        "bbox-crs": {
            "name": "bbox-crs",
            "in": "query",
            "description": _("CRS of bbox; CRS84 when absent."),
            "schema": {"type": "string", "format": "uri", "enum": list(crs_refs.URIS)},
        },
        "crs": {
            "name": "crs",
            "in": "query",
            "description": _("CRS of the returned coordinates; CRS84 when absent."),
            "schema": {"type": "string", "format": "uri", "enum": list(crs_refs.URIS)},
        },
        "datetime": {
            "name": "datetime",
            "in": "query",
            "description": _(
                "Date or interval (RFC 3339), for example 2025-07-01 or ../2025-06-30; "
                "features valid on that date or during that interval."
            ),
            "schema": {"type": "string"},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "description": _("Maximum number of features in the page."),
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": params.MAX_LIMIT,
                "default": params.DEFAULT_LIMIT,
            },
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "description": _("Number of features to skip."),
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "schema": {"type": "integer"},
        },
    }


def _items_operation(layer: Layer, hidden: frozenset[str]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        _ref(name)
        for name in ("bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "f", "lang")
    ]
    for name, kind in documents.filter_attributes(layer, hidden).items():
        parameters.append(
            {
                "name": name,
                "in": "query",
                "description": _("Exact value of the attribute %(name)s.") % {"name": name},
                "schema": documents.SCHEMA_TYPES.get(kind, {"type": "string"}),
            }
        )
    return {
        "summary": layer.display_name,
        "operationId": f"getFeatures-{layer.slug}",
        "tags": [layer.slug],
        "parameters": parameters,
        "responses": _response(_("Features of the layer."), documents.GEOJSON),
    }


def definition(
    base: str, layers: list[Layer], hidden_of: dict[int, frozenset[str]]
) -> dict[str, Any]:
    """Build the OpenAPI document for ``layers``; ``hidden_of`` maps a layer id to its hidden attributes."""
    common = [_ref("f"), _ref("lang")]
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "summary": _("Landing page"),
                "operationId": "getLandingPage",
                "parameters": common,
                "responses": _response(_("Landing page"), documents.JSON),
            }
        },
        "/conformance": {
            "get": {
                "summary": _("Conformance classes"),
                "operationId": "getConformance",
                "parameters": common,
                "responses": _response(_("Conformance classes"), documents.JSON),
            }
        },
        "/api": {
            "get": {
                "summary": _("API definition (OpenAPI 3.0)"),
                "operationId": "getApi",
                "responses": _response(_("API definition (OpenAPI 3.0)"), documents.OPENAPI),
            }
        },
        "/collections": {
            "get": {
                "summary": _("Map layers (collections)"),
                "operationId": "getCollections",
                "parameters": common,
                "responses": _response(_("Map layers (collections)"), documents.JSON),
            }
        },
    }
    for layer in layers:
        hidden = hidden_of.get(layer.pk, frozenset())
        prefix = f"/collections/{layer.slug}"
        paths[prefix] = {
            "get": {
                "summary": layer.display_name,
                "operationId": f"describeCollection-{layer.slug}",
                "tags": [layer.slug],
                "parameters": common,
                "responses": _response(_("This collection"), documents.JSON),
            }
        }
        paths[f"{prefix}/items"] = {"get": _items_operation(layer, hidden)}
        paths[f"{prefix}/items/{{featureId}}"] = {
            "get": {
                "summary": layer.display_name,
                "operationId": f"getFeature-{layer.slug}",
                "tags": [layer.slug],
                "parameters": [_ref("featureId"), _ref("crs"), *common],
                "responses": _response(_("One feature."), documents.GEOJSON),
            }
        }
        paths[f"{prefix}/queryables"] = {
            "get": {
                "summary": _("Attributes of this layer"),
                "operationId": f"getQueryables-{layer.slug}",
                "tags": [layer.slug],
                "parameters": common,
                "responses": _response(_("Attributes of this layer"), documents.SCHEMA),
            }
        }

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": _("Provincial digital map: OGC API Features"),
            "version": "1.0",
            "description": _(
                "Administrative boundaries are public. Other layers need an API key with "
                "geo:read or the layer's scope layer:ID, sent as Authorization: Bearer KEY; "
                "a layer the reader may not read is answered with 404."
            ),
            "license": {"name": "AGPL-3.0", "url": "https://www.gnu.org/licenses/agpl-3.0.html"},
        },
        "servers": [{"url": base.rstrip("/")}],
        "paths": paths,
        "components": {
            "parameters": _parameters(),
            "responses": {
                "Error": {
                    "description": _("Error with a code and a description."),
                    "content": {
                        documents.JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["code", "description"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "description": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
        "tags": [{"name": layer.slug, "description": layer.display_name} for layer in layers],
    }
