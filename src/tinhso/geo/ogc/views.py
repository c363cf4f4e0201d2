"""Views of OGC API Features under ``/ogc/``.

Access rule: the boundaries and other public layers need no key. Any other layer is listed and
served only to readers who may read it (``access.can_read``); for every other reader it does
not exist, so its collection, items, features and queryables return 404, whether a key was sent
or not. The 404 message tells a reader without a key to send ``Authorization: Bearer KEY``. A
key that is invalid, revoked or over its rate limit gets 401 or 429 on every endpoint.

Errors are JSON ``{"code": ..., "description": ...}``; ``f=html`` gives a plain page of the
same document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.access import PUBLIC, policy
from tinhso.core.models import AuditAction
from tinhso.geo.models import Layer
from tinhso.geo.ogc import crs_refs, documents, openapi, params, queries
from tinhso.geo.services import access

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


class NotFound(Exception):
    """A resource the reader cannot see; ``message`` names what was requested."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error(status: int, code: str, description: str) -> HttpResponse:
    body = json.dumps({"code": code, "description": description}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type=documents.JSON)


def ogc_endpoint(view: View) -> View:
    """Wrap a view: public policy, GET only, the reader resolved, and every error as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            response = error(405, "MethodNotAllowed", _("Only GET is supported here."))
            response["Allow"] = "GET, HEAD"
            return response
        try:
            reader = access.reader_for(request)
            params.check_values(request.GET)
            return view(request, reader, *args, **kwargs)
        except access.KeyRejected as rejected:
            code = "TooManyRequests" if rejected.status == 429 else "Unauthorized"
            return error(rejected.status, code, rejected.message)
        except params.ParameterError as problem:
            logger.info("Rejected OGC parameter %s on %s", problem.parameter, request.path)
            return error(400, "InvalidParameterValue", problem.message)
        except NotFound as missing:
            return error(404, "NotFound", missing.message)

    # Machine clients and the public use this API; an administrator's pending TOTP makes
    # the session count as public instead of redirecting to the OTP page.
    return policy(PUBLIC, otp_exempt=True)(wrapper)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("geo_ogc:landing"))


def respond(
    request: HttpRequest,
    document: dict[str, Any],
    output_format: str,
    media_type: str = documents.JSON,
    title: str = "",
) -> HttpResponse:
    if output_format == "html":
        context = {
            "title": title or document.get("title") or _("OGC API Features"),
            "description": document.get("description", ""),
            "links": document.get("links", []),
            "document": json.dumps(document, ensure_ascii=False, indent=2),
        }
        return render(request, "geo/ogc/page.html", context)
    return HttpResponse(json.dumps(document, ensure_ascii=False), content_type=media_type)


def simple_request(request: HttpRequest) -> str:
    """Check a request that takes only ``f`` and ``lang``; return the output format."""
    params.reject_unknown(request.GET, params.COMMON_PARAMETERS)
    return params.parse_format(request.GET)


def readable_layer(reader: access.Reader, collection_id: str) -> Layer:
    """Return the layer ``collection_id`` if ``reader`` may read it; otherwise raise NotFound, never 403."""
    layer = Layer.objects.filter(slug=collection_id[:64]).select_related("owner").first()
    if layer is not None and access.can_read(layer, reader):
        return layer
    shown = collection_id[:100]
    if reader.is_public:
        raise NotFound(
            _(
                "Collection %(id)s not found. Layers other than the public ones are shown only "
                'to readers allowed to read them: send "Authorization: Bearer KEY" with an API key.'
            )
            % {"id": shown}
        )
    raise NotFound(_("Collection %(id)s not found.") % {"id": shown})


def hidden_attributes(layer: Layer, reader: access.Reader) -> frozenset[str]:
    if access.can_see_personal(layer, reader):
        return frozenset()
    return layer.personal_attributes


@ogc_endpoint
def landing(request: HttpRequest, reader: access.Reader) -> HttpResponse:
    output_format = simple_request(request)
    return respond(request, documents.landing(base_url(request)), output_format)


@ogc_endpoint
def conformance(request: HttpRequest, reader: access.Reader) -> HttpResponse:
    output_format = simple_request(request)
    return respond(request, documents.conformance(), output_format, title=_("Conformance classes"))


@ogc_endpoint
def api_definition(request: HttpRequest, reader: access.Reader) -> HttpResponse:
    output_format = simple_request(request)
    layers = list(access.readable_layers(reader))
    hidden = {layer.pk: hidden_attributes(layer, reader) for layer in layers}
    document = openapi.definition(base_url(request), layers, hidden)
    return respond(
        request, document, output_format, documents.OPENAPI, _("API definition (OpenAPI 3.0)")
    )


@ogc_endpoint
def collections(request: HttpRequest, reader: access.Reader) -> HttpResponse:
    output_format = simple_request(request)
    layers = list(access.readable_layers(reader))
    extents = queries.extents([layer.pk for layer in layers])
    document = documents.collections(base_url(request), layers, extents)
    return respond(request, document, output_format, title=_("Map layers (collections)"))


@ogc_endpoint
def collection(request: HttpRequest, reader: access.Reader, collection_id: str) -> HttpResponse:
    output_format = simple_request(request)
    layer = readable_layer(reader, collection_id)
    extent = queries.extents([layer.pk]).get(layer.pk)
    return respond(request, documents.collection(base_url(request), layer, extent), output_format)


@ogc_endpoint
def queryables(request: HttpRequest, reader: access.Reader, collection_id: str) -> HttpResponse:
    output_format = simple_request(request)
    layer = readable_layer(reader, collection_id)
    document = documents.queryables(base_url(request), layer, hidden_attributes(layer, reader))
    return respond(request, document, output_format, documents.SCHEMA)


def parse_items_query(
    request: HttpRequest, layer: Layer, hidden: frozenset[str]
) -> params.ItemsQuery:
    """Check every parameter of an items request; attributes of the layer filter by exact value."""
    query = request.GET
    attributes = documents.filter_attributes(layer, hidden)
    params.reject_unknown(query, params.ITEMS_PARAMETERS | set(attributes))
    params.parse_format(query)

    bbox_crs = params.parse_crs(query, "bbox-crs")
    if "bbox-crs" in query and "bbox" not in query:
        raise params.ParameterError("bbox-crs", _("The parameter bbox-crs needs a bbox."))
    area = None
    if "bbox" in query:
        bbox = params.parse_bbox(query["bbox"], bbox_crs)
        try:
            area = crs_refs.bbox_to_lonlat(bbox, bbox_crs)
        except crs_refs.OutsideCRS:
            raise params.ParameterError(
                "bbox",
                _("The bbox %(value)s lies outside the area where %(crs)s is defined.")
                % {"value": query["bbox"], "crs": bbox_crs.uri},
            ) from None

    dates = params.parse_datetime(query["datetime"]) if "datetime" in query else None
    filters = {
        name: params.parse_property_value(name, kind, query[name])
        for name, kind in attributes.items()
        if name in query
    }
    return params.ItemsQuery(
        limit=params.parse_limit(query),
        offset=params.parse_offset(query),
        area=area,
        area_is_box=bbox_crs.code in {"OGC:CRS84", "EPSG:4326"},
        dates=dates,
        properties=filters,
        crs=params.parse_crs(query, "crs"),
        bbox_crs=bbox_crs,
    )


def page_links(
    request: HttpRequest, layer: Layer, page: queries.Page, query: params.ItemsQuery
) -> list[dict[str, str]]:
    """Self, next and previous links that repeat every parameter except the offset."""
    path = request.build_absolute_uri(request.path)
    kept = [(name, value) for name, value in request.GET.items() if name != "offset"]

    def at(offset: int) -> str:
        pairs = [*kept, ("offset", str(offset))] if offset else kept
        return f"{path}?{urlencode(pairs)}" if pairs else path

    links = [documents.link(at(query.offset), "self", documents.GEOJSON, _("This page"))]
    if query.offset + page.number_returned < page.number_matched:
        links.append(
            documents.link(
                at(query.offset + query.limit), "next", documents.GEOJSON, _("Next page")
            )
        )
    if query.offset > 0:
        links.append(
            documents.link(
                at(max(query.offset - query.limit, 0)),
                "prev",
                documents.GEOJSON,
                _("Previous page"),
            )
        )
    collection_href = request.build_absolute_uri(reverse("geo_ogc:collection", args=[layer.slug]))
    links.append(
        documents.link(collection_href, "collection", documents.JSON, _("This collection"))
    )
    return links


def geojson_response(body: str, target: crs_refs.OutputCRS) -> HttpResponse:
    response = HttpResponse(body, content_type=documents.GEOJSON)
    response["Content-Crs"] = f"<{target.uri}>"
    return response


@ogc_endpoint
def items(request: HttpRequest, reader: access.Reader, collection_id: str) -> HttpResponse:
    layer = readable_layer(reader, collection_id)
    hidden = hidden_attributes(layer, reader)
    query = parse_items_query(request, layer, hidden)
    page = queries.items_page(layer, query, hidden)
    audit_personal_read(layer, reader, page.ids)

    head = {
        "type": "FeatureCollection",
        "numberMatched": page.number_matched,
        "numberReturned": page.number_returned,
        "timeStamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": page_links(request, layer, page, query),
    }
    if params.parse_format(request.GET) == "html":
        document = {**head, "features": json.loads(f"[{page.features}]")}
        return respond(request, document, "html", title=layer.display_name)
    # The features are already JSON text; splice them in instead of parsing them again.
    body = json.dumps(head, ensure_ascii=False)[:-1] + f',"features":[{page.features}]}}'
    return geojson_response(body, query.crs)


@ogc_endpoint
def item(
    request: HttpRequest, reader: access.Reader, collection_id: str, feature_id: str
) -> HttpResponse:
    layer = readable_layer(reader, collection_id)
    params.reject_unknown(request.GET, params.ITEM_PARAMETERS)
    output_format = params.parse_format(request.GET)
    target = params.parse_crs(request.GET, "crs")
    hidden = hidden_attributes(layer, reader)
    text = None
    if feature_id.isdigit() and len(feature_id) < 19:
        query = params.ItemsQuery(crs=target)
        text = queries.one_feature(layer, int(feature_id), query, hidden)
    if text is None:
        raise NotFound(
            _("Feature %(id)s not found in collection %(collection)s.")
            % {"id": feature_id[:100], "collection": layer.slug}
        )
    audit_personal_read(layer, reader, [int(feature_id)])

    collection_href = request.build_absolute_uri(reverse("geo_ogc:collection", args=[layer.slug]))
    links = [
        documents.link(request.build_absolute_uri(), "self", documents.GEOJSON, _("This feature")),
        documents.link(collection_href, "collection", documents.JSON, _("This collection")),
    ]
    if output_format == "html":
        return respond(
            request, {**json.loads(text), "links": links}, "html", title=layer.display_name
        )
    body = text[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
    return geojson_response(body, target)


@ogc_endpoint
def unknown_path(request: HttpRequest, reader: access.Reader, unknown_path: str) -> HttpResponse:
    raise NotFound(
        _("No resource at /ogc/%(path)s; the landing page /ogc/ lists the resources.")
        % {"path": unknown_path[:100]}
    )


def audit_personal_read(layer: Layer, reader: access.Reader, feature_ids: list[int]) -> None:
    """Write one READ_PERSONAL audit row when personal attributes were returned."""
    if not feature_ids or not layer.personal_attributes:
        return
    if not access.can_see_personal(layer, reader):
        return
    context = audit.current()
    if reader.api_key is not None:
        context = audit.AuditContext(
            actor_name=f"apikey:{reader.api_key.prefix}",
            request_id=context.request_id,
            ip_address=context.ip_address,
        )
    with audit.acting_as(context):
        audit.record(
            AuditAction.READ_PERSONAL,
            layer,
            extra={
                "fields": sorted(layer.personal_attributes),
                "features": len(feature_ids),
                # The ids name whose data was read; a page contains at most MAX_LIMIT of them.
                "feature_ids": feature_ids,
                "via": "ogc",
            },
        )
