"""The web map page, its search and measurement endpoints, and the layer catalogue pages.

Every page is public, and its content depends on the reader (:func:`access.reader_for`).
The public reads the public layers. Staff and API keys read the layers their role or
scopes open.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.core.access import PUBLIC, policy
from tinhso.core.models import Role
from tinhso.core.services.units import DAY_BEFORE_REFORM, REFORM_DATE
from tinhso.geo import crs
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.models import Layer
from tinhso.geo.services import access
from tinhso.geo.webmap import catalogue
from tinhso.geo.webmap.measure import MeasureError, measure, parse_geometry
from tinhso.geo.webmap.search import MIN_QUERY_LENGTH, search_map

logger = logging.getLogger(__name__)

SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 50
LAYERS_PER_PAGE = 20
# A drawn geometry of MAX_VERTICES points is about 0.5 MB of GeoJSON.
MAX_MEASURE_BODY = 1024 * 1024


class BadParameter(ValueError):
    """A query parameter with an invalid value; the message names it and the expected form."""


def reader_or_response(request: HttpRequest, as_json: bool) -> access.Reader | HttpResponse:
    """Return the reader of ``request``, or the 401/429 response for a key that cannot be used."""
    try:
        return access.reader_for(request)
    except access.KeyRejected as rejected:
        if as_json:
            return JsonResponse({"error": rejected.message}, status=rejected.status)
        return HttpResponse(rejected.message, status=rejected.status, content_type="text/plain")


def date_parameter(request: HttpRequest, name: str = "date") -> dt.date:
    text = request.GET.get(name, "").strip()
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadParameter(
            _("The parameter %(name)s must be a date written YYYY-MM-DD, not %(value)s.")
            % {"name": name, "value": text[:40]}
        ) from None


def int_parameter(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadParameter(
            _("The parameter %(name)s must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return value


# --- The map page --------------------------------------------------------------------------


def ui_strings() -> dict[str, str]:
    """Return the texts that the map script writes into the page, in the active language."""
    return {
        "visible": _("Show layer"),
        "opacity": _("Opacity"),
        "noAttributes": _("No attributes"),
        "moreFeatures": _("and %(count)s more features"),
        "searching": _("Searching…"),
        "noResults": _("Nothing found."),
        "searchFailed": _("The search failed. Try again."),
        "measuring": _("Measuring…"),
        "measureFailed": _("The measurement failed. Try again."),
        "length": _("Length"),
        "area": _("Area"),
        "perimeter": _("Perimeter"),
        "crs": _("Measured in"),
        "dateShown": _("Boundaries in force on %(date)s"),
        "tilesFailed": _("Some map tiles could not be loaded."),
        "yes": _("yes"),
        "no": _("no"),
    }


def map_config(layers: list[Layer]) -> dict[str, Any]:
    """Settings of the map script: extent, dates, endpoints and the default measuring CRS."""
    return {
        "bounds": list(catalogue.map_bounds(layers)),
        "date": timezone.localdate().isoformat(),
        "reformDate": REFORM_DATE.isoformat(),
        "dayBeforeReform": DAY_BEFORE_REFORM.isoformat(),
        "searchUrl": reverse("geo_map:search"),
        "measureUrl": reverse("geo_map:measure"),
        "worker": static("vendor/maplibre-gl/maplibre-gl-csp-worker.js"),
        "language": "en" if catalogue.in_english() else "vi",
        "defaultCrs": crs.TM3_PHU_THO,
    }


@policy(PUBLIC)
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    """Show the provincial map with the layers the reader may read."""
    reader = reader_or_response(request, as_json=False)
    if isinstance(reader, HttpResponse):
        return reader
    layers = list(access.readable_layers(reader))
    configs = [catalogue.layer_config(layer, reader) for layer in layers]
    context = {
        "layers": configs,
        "layers_json": configs,
        "ui_json": ui_strings(),
        "config_json": map_config(layers),
        "reform_date": REFORM_DATE,
        "day_before_reform": DAY_BEFORE_REFORM,
        "today": timezone.localdate(),
        "default_crs_label": catalogue.crs_label(crs.TM3_PHU_THO),
        "has_boundaries": any(layer.slug == BOUNDARIES for layer in layers),
    }
    return render(request, "geo/map/map.html", context)


# --- Search --------------------------------------------------------------------------------


@policy(PUBLIC)
@require_GET
def search(request: HttpRequest) -> JsonResponse:
    """Places (features of readable layers) and units matching ``q``, diacritics optional.

    Parameters: ``q`` (at least two letters), ``date`` (YYYY-MM-DD, default today: only
    features and units valid then), ``limit`` (1–50, default 10) and ``offset``.
    """
    reader = reader_or_response(request, as_json=True)
    if isinstance(reader, HttpResponse):
        return reader  # type: ignore[return-value]
    query = request.GET.get("q", "").strip()
    if len(query) < MIN_QUERY_LENGTH:
        message = _("Type at least %(count)s letters in the parameter q.") % {
            "count": MIN_QUERY_LENGTH
        }
        return JsonResponse({"error": message}, status=400)
    try:
        on_date = date_parameter(request)
        limit = int_parameter(request, "limit", SEARCH_DEFAULT_LIMIT, 1, SEARCH_MAX_LIMIT)
        offset = int_parameter(request, "offset", 0, 0, 10_000)
    except BadParameter as error:
        return JsonResponse({"error": str(error)}, status=400)

    layers = list(access.readable_layers(reader))
    extent = catalogue.map_bounds(layers) if layers else None
    hits = search_map(query, layers, reader, on_date, extent)
    page = hits[offset : offset + limit]
    next_offset = offset + limit if offset + limit < len(hits) else None
    return JsonResponse(
        {
            "query": query,
            "date": on_date.isoformat(),
            "total": len(hits),
            "offset": offset,
            "limit": limit,
            "next_offset": next_offset,
            "results": [hit.as_json() for hit in page],
        }
    )


# --- Measurement ---------------------------------------------------------------------------


def measure_layer(slug: Any, reader: access.Reader) -> Layer | None:
    """Return the layer named in a measurement request. Raises MeasureError unless it is readable."""
    if slug in (None, ""):
        return None
    layer = Layer.objects.filter(slug=str(slug)[:64]).first()
    if layer is None or not access.can_read(layer, reader):
        raise MeasureError(
            _(
                "The layer %(layer)s does not exist or is not open to you; leave it out to use %(crs)s."
            )
            % {"layer": str(slug)[:64], "crs": crs.TM3_PHU_THO}
        )
    return layer


def read_measure_request(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_MEASURE_BODY:
        raise MeasureError(
            _("The request is larger than %(size)s MB; simplify the drawing.")
            % {"size": MAX_MEASURE_BODY // (1024 * 1024)}
        )
    try:
        payload = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MeasureError(
            _("The request body must be JSON: %(error)s.") % {"error": str(error)[:200]}
        ) from None
    if not isinstance(payload, dict):
        raise MeasureError(
            _('Send a JSON object such as {"geometry": {...}, "layer": "ranh-gioi-hanh-chinh"}.')
        )
    # A bare GeoJSON geometry or Feature is accepted as well as {"geometry": ..., "layer": ...}.
    if "geometry" not in payload and "coordinates" in payload:
        return {"geometry": payload}
    return payload


def format_number(value: float | None, decimals: int) -> str:
    """``value`` with the active language's separators: 1.234,5 in Vietnamese; "—" when missing."""
    if value is None:
        return "—"
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def measurement_json(result: Any, layer: Layer | None) -> dict[str, Any]:
    """Serialise the measurement in metres and hectares, with texts in the active language."""
    texts: dict[str, str] = {}
    if result.length_m is not None:
        texts["length"] = f"{format_number(result.length_m, 1)} m"
    if result.area_m2 is not None:
        texts["area"] = (
            f"{format_number(result.area_m2, 1)} m² ({format_number(result.area_ha, 4)} ha)"
        )
        texts["perimeter"] = f"{format_number(result.perimeter_m, 1)} m"
    return {
        "geometry_type": result.geometry_type,
        "layer": layer.slug if layer else None,
        "crs": result.crs,
        "crs_name": catalogue.crs_label(result.crs),
        "length_m": result.length_m,
        "area_m2": result.area_m2,
        "area_ha": result.area_ha,
        "perimeter_m": result.perimeter_m,
        "text": texts,
    }


@policy(PUBLIC)
@require_POST
def measure_view(request: HttpRequest) -> JsonResponse:
    """Length, or area and perimeter, of a drawn GeoJSON geometry in a VN-2000 TM-3 zone.

    Body: ``{"geometry": <GeoJSON in WGS 84>, "layer": "<slug>"}``; the layer (optional)
    chooses its legal CRS, else EPSG:9208 (TM-3 Phú Thọ) is used.
    """
    reader = reader_or_response(request, as_json=True)
    if isinstance(reader, HttpResponse):
        return reader  # type: ignore[return-value]
    try:
        payload = read_measure_request(request)
        layer = measure_layer(payload.get("layer"), reader)
        geometry = parse_geometry(payload.get("geometry"))
        plane_crs = layer.legal_crs if layer else crs.TM3_PHU_THO
        try:
            result = measure(geometry, plane_crs)
        except crs.UnknownCRSError:
            logger.error("Layer %s has an unknown legal CRS %r", layer and layer.slug, plane_crs)
            raise MeasureError(
                _(
                    "The layer's legal CRS %(crs)s is unknown; ask an administrator to set a "
                    "VN-2000 TM-3 zone such as EPSG:9208."
                )
                % {"crs": plane_crs}
            ) from None
    except MeasureError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse(measurement_json(result, layer))


# --- Layer catalogue -----------------------------------------------------------------------


@policy(PUBLIC)
@require_GET
def layer_list(request: HttpRequest) -> HttpResponse:
    """List the layers the reader may read, with owner, geometry, access, feature count and update."""
    reader = reader_or_response(request, as_json=False)
    if isinstance(reader, HttpResponse):
        return reader
    layers = access.readable_layers(reader).annotate(feature_count=Count("features"))
    page = Paginator(layers, LAYERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "geo/map/layer_list.html", {"page": page, "layers": page.object_list})


def role_names(values: list[str]) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels.get(value, value)) for value in values]


def schema_rows(layer: Layer) -> list[dict[str, Any]]:
    """Return the attribute schema as table rows, with labels in the active language."""
    type_labels = {
        "string": _("text"),
        "integer": _("whole number"),
        "number": _("number"),
        "date": _("date"),
        "boolean": _("yes/no"),
    }
    return [
        {
            "name": field.get("name", ""),
            "label": catalogue.field_label(field),
            "type": type_labels.get(field.get("type", "string"), field.get("type", "")),
            "required": bool(field.get("required")),
            "personal": bool(field.get("personal")),
            "choices": field.get("choices") or [],
        }
        for field in layer.schema
    ]


@policy(PUBLIC)
@require_GET
def layer_detail(request: HttpRequest, catalogue_layer: str) -> HttpResponse:
    """Show one layer: description, owner, schema, legal CRS, access, style and links to its data."""
    reader = reader_or_response(request, as_json=False)
    if isinstance(reader, HttpResponse):
        return reader
    layer = (
        Layer.objects.select_related("owner")
        .annotate(feature_count=Count("features"))
        .filter(slug=catalogue_layer)
        .first()
    )
    # An unreadable layer is reported as missing, so its existence does not leak.
    if layer is None or not access.can_read(layer, reader):
        raise Http404(_("No map layer %(slug)s is open to you.") % {"slug": catalogue_layer[:64]})
    context = {
        "layer": layer,
        "schema": schema_rows(layer),
        "style": catalogue.layer_style(layer),
        "crs_label": catalogue.crs_label(layer.legal_crs),
        "reader_roles": role_names(layer.reader_roles),
        "editor_roles": role_names(layer.editor_roles),
        "collection_url": catalogue.collection_url(layer),
        "tilejson_url": catalogue.tilejson_url(layer),
        "time_aware": catalogue.is_time_aware(layer),
        "can_see_personal": access.can_see_personal(layer, reader),
    }
    return render(request, "geo/map/layer_detail.html", context)
