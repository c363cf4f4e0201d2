"""JSON endpoints for editing map features in the browser.

Officers whom :func:`access.can_edit` allows add, move, reshape, change and delete features
through their staff session. Every request that changes data passes Django's CSRF check and
goes through :mod:`tinhso.geo.services.features`, which records the edit history and the
audit event. Updates and deletions carry the ``version`` the browser loaded, so an edit made
on a stale copy gets 409 instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from shapely.geometry import mapping

from tinhso.core import audit
from tinhso.core.access import STAFF, policy
from tinhso.core.models import AuditAction
from tinhso.geo.editing.common import (
    RequestError,
    get_layer,
    json_body,
    json_response,
    readable_layer,
    schema_for,
    session_reader,
    user_name,
)
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.services import access
from tinhso.geo.services.features import (
    FeatureError,
    create_feature,
    delete_feature,
    update_feature,
)
from tinhso.geo.services.schema import convert_value

logger = logging.getLogger(__name__)

MAX_COMMENT_LENGTH = 500


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a :class:`RequestError` raised by ``view`` into its JSON response."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except RequestError as error:
            return error.response()

    return wrapper


# --- Serialising ---------------------------------------------------------------------------


def layer_urls(layer: Layer) -> dict[str, str]:
    return {
        "features": reverse("geo_editing:layer_features", args=[layer.slug]),
        "history": reverse("geo_editing:layer_history", args=[layer.slug]),
    }


def feature_urls(layer: Layer, pk: int) -> dict[str, str]:
    return {
        "self": reverse("geo_editing:feature", args=[layer.slug, pk]),
        "delete": reverse("geo_editing:feature_delete", args=[layer.slug, pk]),
        "history": reverse("geo_editing:feature_history", args=[layer.slug, pk]),
    }


def layer_json(layer: Layer, request: HttpRequest, reader: access.Reader) -> dict[str, Any]:
    return {
        "slug": layer.slug,
        "name": layer.display_name,
        "geometry_type": layer.geometry_type,
        "style": layer.style,
        "version": layer.version,
        "can_edit": access.can_edit(layer, request.user),
        "schema": schema_for(layer, reader),
        "urls": layer_urls(layer),
    }


def feature_json(
    feature: MapFeature, request: HttpRequest, reader: access.Reader
) -> dict[str, Any]:
    """The feature for the edit form: visible attributes, version, schema and links."""
    layer = feature.layer
    return {
        "type": "Feature",
        "id": feature.pk,
        "geometry": mapping(feature.geom),
        "properties": access.visible_properties(layer, feature.properties, reader),
        "version": feature.version,
        "layer": layer_json(layer, request, reader),
        "updated_at": feature.updated_at.isoformat() if feature.updated_at else None,
        "updated_by": user_name(feature.updated_by) if feature.updated_by_id else "",
        "urls": feature_urls(layer, feature.pk),
    }


def log_personal_read(layer: Layer, feature: MapFeature, reader: access.Reader) -> None:
    """Audit a read of personal attributes: only when some are filled and the reader sees them."""
    shown = sorted(
        name for name in layer.personal_attributes if feature.properties.get(name) not in (None, "")
    )
    if shown and access.can_see_personal(layer, reader):
        audit.record(
            AuditAction.READ_PERSONAL,
            object_type="geo.mapfeature",
            object_id=str(feature.pk),
            object_repr=f"{layer.slug}/{feature.pk}",
            extra={"layer": layer.slug, "fields": shown},
        )


# --- Reading the request -------------------------------------------------------------------


def editable_layer(slug: str, request: HttpRequest) -> Layer:
    """Return the layer ``slug`` if the session's user may edit it; raise 404 or 403 otherwise."""
    session_reader(request)
    layer = get_layer(slug)
    if not access.can_edit(layer, request.user):
        logger.info("User id %s may not edit layer %s", request.user.pk, slug)
        raise RequestError(
            403,
            _(
                "You may not edit the map layer %(layer)s. Officers of the owner agency "
                "with an editor role may."
            )
            % {"layer": layer.display_name},
        )
    return layer


def find_feature(layer: Layer, pk: int, *, for_update: bool = False) -> MapFeature:
    features = MapFeature.objects.select_related("layer", "updated_by")
    if for_update:
        # NOTE: SQLite ignores row locks, so two saves racing on SQLite may end in "database
        # is locked" instead of 409; PostgreSQL holds the row until the version check is done.
        features = features.select_for_update(of=("self",))
    try:
        return features.get(layer=layer, pk=pk)
    except MapFeature.DoesNotExist as error:
        raise RequestError(
            404,
            _("Feature %(pk)s of layer %(layer)s not found; it may have been deleted.")
            % {"pk": pk, "layer": layer.slug},
        ) from error


def requested_version(data: dict[str, Any], request: HttpRequest) -> int:
    """The feature version the browser loaded, from the JSON body, the form or the query string."""
    raw = data.get("version", request.POST.get("version", request.GET.get("version")))
    if raw is None or raw == "":
        raise RequestError(
            400,
            _("Send the version of the feature you loaded (version) with the change."),
            field="version",
        )
    try:
        return int(raw)
    except (TypeError, ValueError) as error:
        raise RequestError(
            400,
            _("The version must be a whole number, not %(value)s.") % {"value": repr(raw)[:40]},
            field="version",
        ) from error


def check_version(feature: MapFeature, version: int) -> None:
    if version == feature.version:
        return
    raise RequestError(
        409,
        _(
            "Someone else changed this feature (%(user)s, version %(current)s) after you "
            "loaded version %(loaded)s. Reload the feature, check their change and make "
            "yours again."
        )
        % {
            "user": user_name(feature.updated_by) if feature.updated_by_id else _("an import"),
            "current": feature.version,
            "loaded": version,
        },
        field="version",
        current_version=feature.version,
    )


def comment_of(data: dict[str, Any]) -> str:
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise RequestError(400, _("The comment must be text."), field="comment")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise RequestError(
            400,
            _("The comment is %(length)s characters long; the maximum is %(max)s.")
            % {"length": len(comment), "max": MAX_COMMENT_LENGTH},
            field="comment",
        )
    return comment.strip()


def property_changes(
    layer: Layer, data: dict[str, Any], reader: access.Reader
) -> dict[str, Any] | None:
    """Return the body's ``properties`` (None when absent), rejecting personal ones the reader may not see."""
    if "properties" not in data or data["properties"] is None:
        return None
    changes = data["properties"]
    if not isinstance(changes, dict):
        raise RequestError(
            400, _("Attributes must be a JSON object of name: value."), field="properties"
        )
    if not access.can_see_personal(layer, reader):
        for name in changes:
            if name in layer.personal_attributes:
                raise RequestError(
                    403,
                    _("You may not set the personal attribute %(field)s.") % {"field": name},
                    field=name,
                )
    return changes


def merge_properties(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` as a JSON merge patch: a value replaces, null removes the attribute."""
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def fault_field(layer: Layer, properties: dict[str, Any]) -> str:
    """Find the attribute that :func:`clean_properties` rejects, so the form marks the right field."""
    known = {field["name"]: field for field in layer.schema if field.get("name")}
    for name, value in properties.items():
        field = known.get(name)
        if field is None:
            if layer.attributes_strict:
                return str(name)
            continue
        try:
            convert_value(field, value)
        except FeatureError:
            return name
    for name, field in known.items():
        if field.get("required") and properties.get(name) in (None, ""):
            return name
    return ""


def feature_error(
    error: FeatureError, layer: Layer, properties: dict[str, Any] | None
) -> RequestError:
    field = fault_field(layer, properties) if properties is not None else ""
    return RequestError(400, str(error), field=field or "geometry")


# --- Views ---------------------------------------------------------------------------------


@policy(STAFF)
@require_GET
@json_errors
def editable_layers(request: HttpRequest) -> HttpResponse:
    """List the layers the session's user may edit, with schema, style and links."""
    reader = session_reader(request)
    layers = [
        layer_json(layer, request, reader)
        for layer in Layer.objects.select_related("owner").order_by("sort_order", "slug")
        if access.can_edit(layer, request.user)
    ]
    return json_response({"layers": layers})


@policy(STAFF)
@require_http_methods(["GET", "POST"])
@json_errors
def layer_features(request: HttpRequest, layer_slug: str) -> HttpResponse:
    """GET: the layer's form description. POST: add a feature (``geometry``, ``properties``)."""
    reader = session_reader(request)
    if request.method == "GET":
        return json_response(layer_json(readable_layer(layer_slug, reader), request, reader))

    layer = editable_layer(layer_slug, request)
    data = json_body(request)
    if not isinstance(data.get("geometry"), dict):
        raise RequestError(
            400,
            _('Send the geometry as a GeoJSON object {"type": ..., "coordinates": ...}.'),
            field="geometry",
        )
    changes = property_changes(layer, data, reader) or {}
    properties = merge_properties({}, changes)
    try:
        feature = create_feature(layer, data["geometry"], properties, request.user)
    except FeatureError as error:
        raise feature_error(error, layer, properties) from error
    feature = find_feature(layer, feature.pk)
    return json_response(feature_json(feature, request, reader), status=201)


@policy(STAFF)
@require_http_methods(["GET", "POST", "PATCH", "DELETE"])
@json_errors
def feature_detail(request: HttpRequest, layer_slug: str, feature_pk: int) -> HttpResponse:
    """GET: the feature for editing. PATCH or POST: change it. DELETE: delete it."""
    reader = session_reader(request)
    if request.method == "GET":
        layer = readable_layer(layer_slug, reader)
        feature = find_feature(layer, feature_pk)
        log_personal_read(layer, feature, reader)
        return json_response(feature_json(feature, request, reader))
    if request.method == "DELETE":
        return _delete(request, layer_slug, feature_pk)
    return _update(request, layer_slug, feature_pk, reader)


@policy(STAFF)
@require_POST
@json_errors
def feature_delete(request: HttpRequest, layer_slug: str, feature_pk: int) -> HttpResponse:
    """Delete through POST, for clients that cannot send DELETE."""
    return _delete(request, layer_slug, feature_pk)


def _update(request: HttpRequest, slug: str, pk: int, reader: access.Reader) -> HttpResponse:
    layer = editable_layer(slug, request)
    data = json_body(request)
    version = requested_version(data, request)
    comment = comment_of(data)
    geometry = data.get("geometry")
    if geometry is not None and not isinstance(geometry, dict):
        raise RequestError(
            400, _("The geometry must be a GeoJSON object or absent."), field="geometry"
        )
    changes = property_changes(layer, data, reader)
    if geometry is None and changes is None:
        raise RequestError(400, _("Send a new geometry, new attributes or both."))

    properties = None
    try:
        with transaction.atomic():
            feature = find_feature(layer, pk, for_update=True)
            check_version(feature, version)
            if changes is not None:
                properties = merge_properties(feature.properties, changes)
            before = feature.version
            feature = update_feature(
                feature, request.user, geometry=geometry, properties=properties, comment=comment
            )
    except FeatureError as error:
        raise feature_error(error, layer, properties) from error
    result = feature_json(find_feature(layer, pk), request, reader)
    result["changed"] = feature.version != before
    return json_response(result)


def _delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    layer = editable_layer(slug, request)
    data = json_body(request) if request.body and request.content_type == "application/json" else {}
    version = requested_version(data, request)
    comment = comment_of(data)
    with transaction.atomic():
        feature = find_feature(layer, pk, for_update=True)
        check_version(feature, version)
        delete_feature(feature, request.user, comment)
    logger.info("User id %s deleted feature %s of layer %s", request.user.pk, pk, slug)
    return json_response(
        {
            "deleted": pk,
            "layer": slug,
            "history": reverse("geo_editing:feature_history", args=[slug, pk]),
        }
    )
