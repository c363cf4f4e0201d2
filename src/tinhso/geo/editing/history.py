"""Edit history pages: every edit of one feature (deleted ones too), and a layer's recent edits.

Each page is HTML, or JSON with ``?format=json``. An edit shows who made it, when, the action,
the attributes before and after, and a readable summary of the geometry change measured in
the layer's VN-2000 TM-3 zone. Personal attributes are removed from both versions unless the
reader may see them.
"""

from __future__ import annotations

import logging
from typing import Any

import shapely
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from tinhso.core.access import STAFF, policy
from tinhso.geo.editing import diff
from tinhso.geo.editing.common import (
    RequestError,
    field_label,
    json_response,
    readable_layer,
    session_reader,
    user_name,
)
from tinhso.geo.models import EditAction, FeatureEdit, Layer, MapFeature
from tinhso.geo.services import access

logger = logging.getLogger(__name__)

EDITS_PER_PAGE = 50


# Geometry types as the history names them, in the active language.
GEOMETRY_NAMES = {
    "Point": gettext_lazy("a point"),
    "MultiPoint": gettext_lazy("a group of points"),
    "LineString": gettext_lazy("a line"),
    "MultiLineString": gettext_lazy("a group of lines"),
    "Polygon": gettext_lazy("a polygon"),
    "MultiPolygon": gettext_lazy("a group of polygons"),
}


def _number(value: float, decimals: int = 1) -> str:
    return number_format(round(value, decimals), decimal_pos=decimals, force_grouping=True)


def geometry_summary(change: diff.GeometryChange | None, action: str, after: Any) -> str:
    """Describe in one sentence what happened to the geometry, in the active language."""
    if action == EditAction.CREATE:
        geometry = diff.geometry_of(after)
        if geometry is None:
            return ""
        if geometry.geom_type in ("Point", "MultiPoint") and _vertex_count(geometry) == 1:
            return _("Drawn: a point.")
        count = _vertex_count(geometry)
        kind = GEOMETRY_NAMES.get(geometry.geom_type, geometry.geom_type)
        return ngettext(
            "Drawn: %(type)s with %(count)s vertex.",
            "Drawn: %(type)s with %(count)s vertices.",
            count,
        ) % {"type": kind, "count": count}
    if action == EditAction.DELETE:
        return _("The feature was deleted.")
    if change is None:
        return _("Geometry unchanged.")
    parts = []
    if change.moved_m > 0:
        parts.append(_("moved by %(distance)s m") % {"distance": _number(change.moved_m)})
    if change.vertices_changed:
        parts.append(
            _("vertices changed from %(before)s to %(after)s")
            % {"before": change.vertices_before, "after": change.vertices_after}
        )
    elif change.shape_changed:
        parts.append(_("reshaped with the same number of vertices"))
    if change.area_change_m2 is not None and abs(change.area_change_m2) >= 0.5:
        parts.append(
            _("area changed by %(delta)s m²") % {"delta": _signed(change.area_change_m2, 0)}
        )
    if change.length_change_m is not None and abs(change.length_change_m) >= 0.05:
        parts.append(
            _("length changed by %(delta)s m") % {"delta": _signed(change.length_change_m, 1)}
        )
    if not parts:
        return _("Geometry changed by less than 1 cm.")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _vertex_count(geometry: Any) -> int:
    return int(shapely.get_num_coordinates(geometry))


def _signed(value: float, decimals: int) -> str:
    sign = "+" if value > 0 else ""
    return sign + _number(value, decimals)


def _visible(
    layer: Layer, snapshot: dict[str, Any] | None, reader: access.Reader
) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    properties = access.visible_properties(layer, snapshot.get("properties") or {}, reader)
    return {**snapshot, "properties": properties}


def describe_edit(edit: FeatureEdit, layer: Layer, reader: access.Reader) -> dict[str, Any]:
    """Describe the edit as a page row or JSON object, without personal attributes the reader may not see."""
    before = _visible(layer, edit.before, reader)
    after = _visible(layer, edit.after, reader)
    changes = diff.attribute_changes(
        (before or {}).get("properties"), (after or {}).get("properties")
    )
    geometry = None
    if edit.action == EditAction.UPDATE:
        geometry = diff.geometry_change(
            diff.geometry_of(edit.before), diff.geometry_of(edit.after), layer.legal_crs
        )
    return {
        "id": edit.pk,
        "feature": edit.feature_ref,
        "action": edit.action,
        "action_label": edit.get_action_display(),
        "user": user_name(edit.user) if edit.user_id else _("unknown user"),
        "at": edit.at,
        "comment": edit.comment,
        "changes": [
            {
                "name": change.name,
                "label": field_label(layer, change.name),
                "before": change.before,
                "after": change.after,
            }
            for change in changes
        ],
        "geometry_summary": geometry_summary(geometry, edit.action, edit.after),
        "geometry_change": None
        if geometry is None
        else {
            "moved_m": round(geometry.moved_m, 2),
            "vertices_before": geometry.vertices_before,
            "vertices_after": geometry.vertices_after,
            "area_change_m2": geometry.area_change_m2,
            "length_change_m": geometry.length_change_m,
        },
        "before": before,
        "after": after,
        "feature_history": reverse(
            "geo_editing:feature_history", args=[layer.slug, edit.feature_ref]
        ),
    }


def _as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at": row["at"].isoformat()}


def _reader_and_layer(request: HttpRequest, slug: str) -> tuple[access.Reader, Layer]:
    """Return the reader and the layer, raising errors in the form the HTML or JSON response needs."""
    try:
        reader = session_reader(request)
        return reader, readable_layer(slug, reader)
    except RequestError as error:
        if request.GET.get("format") == "json":
            raise
        if error.status == 404:
            raise Http404(error.message) from error
        raise PermissionDenied(error.message) from error


@policy(STAFF)
@require_GET
def feature_history(request: HttpRequest, layer_slug: str, feature_pk: int) -> HttpResponse:
    """Show every edit of feature ``feature_pk`` of the layer, newest first, also after its deletion."""
    try:
        reader, layer = _reader_and_layer(request, layer_slug)
    except RequestError as error:
        return error.response()
    edits = FeatureEdit.objects.filter(layer=layer, feature_ref=feature_pk).select_related("user")
    feature = MapFeature.objects.filter(layer=layer, pk=feature_pk).first()
    if feature is None and not edits.exists():
        message = _("Feature %(pk)s of layer %(layer)s has no history.") % {
            "pk": feature_pk,
            "layer": layer.slug,
        }
        if request.GET.get("format") == "json":
            return RequestError(404, message).response()
        raise Http404(message)
    rows = [describe_edit(edit, layer, reader) for edit in edits]
    if request.GET.get("format") == "json":
        return json_response(
            {
                "layer": layer.slug,
                "feature": feature_pk,
                "exists": feature is not None,
                "edits": [_as_json(row) for row in rows],
            }
        )
    return render(
        request,
        "geo/editing/history.html",
        {
            "layer": layer,
            "feature_pk": feature_pk,
            "feature": feature,
            "rows": rows,
            "layer_history_url": reverse("geo_editing:layer_history", args=[layer.slug]),
        },
    )


@policy(STAFF)
@require_GET
def layer_history(request: HttpRequest, layer_slug: str) -> HttpResponse:
    """Show the layer's edits, newest first, ``EDITS_PER_PAGE`` per page (``?page=``)."""
    try:
        reader, layer = _reader_and_layer(request, layer_slug)
    except RequestError as error:
        return error.response()
    edits = FeatureEdit.objects.filter(layer=layer).select_related("user").order_by("-at", "-id")
    paginator = Paginator(edits, EDITS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [describe_edit(edit, layer, reader) for edit in page.object_list]
    if request.GET.get("format") == "json":
        return json_response(
            {
                "layer": layer.slug,
                "page": page.number,
                "pages": paginator.num_pages,
                "count": paginator.count,
                "edits": [_as_json(row) for row in rows],
            }
        )
    return render(
        request,
        "geo/editing/history.html",
        {"layer": layer, "rows": rows, "page": page, "layer_history_url": None},
    )
