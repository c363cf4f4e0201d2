"""Writing map features: geometry and bounding box, search key, layer version, edit history.

Every change made by a person goes through :func:`create_feature`, :func:`update_feature` or
:func:`delete_feature`, which record a :class:`FeatureEdit` with the feature before and after
and an audit event. Importers write in bulk through :func:`prepare_feature` and call
:func:`touch_layer` once at the end.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from tinhso.core import audit
from tinhso.core.models import AuditAction
from tinhso.geo.models import EditAction, FeatureEdit, GeometryKind, Layer, MapFeature
from tinhso.geo.storage import round_coordinates, set_geometry
from tinhso.text import fold

logger = logging.getLogger(__name__)

# Attribute names tried, in order, for a feature's label when the layer names none.
LABEL_CANDIDATES = ("ten", "name", "name:vi", "ten_don_vi", "label")

_AUDIT_ACTIONS: dict[str, AuditAction] = {
    EditAction.CREATE: AuditAction.CREATE,
    EditAction.UPDATE: AuditAction.UPDATE,
    EditAction.DELETE: AuditAction.DELETE,
}


class FeatureError(ValueError):
    """A feature that cannot be stored as given; the message names the field and the fix."""


def feature_label(layer: Layer, properties: dict[str, Any]) -> str:
    names = [layer.label_field] if layer.label_field else []
    for name in [*names, *LABEL_CANDIDATES]:
        value = properties.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def check_geometry_type(layer: Layer, geometry: BaseGeometry) -> None:
    """Points on point layers, lines on line layers, polygons on polygon layers (multi allowed)."""
    if layer.geometry_type == GeometryKind.GEOMETRY:
        return
    base = geometry.geom_type.upper().removeprefix("MULTI")
    if base != layer.geometry_type:
        raise FeatureError(
            _("Layer %(layer)s holds %(expected)s geometries, not %(actual)s.")
            % {
                "layer": layer.slug,
                "expected": layer.get_geometry_type_display(),
                "actual": geometry.geom_type,
            }
        )


def prepare_feature(feature: MapFeature, geometry: BaseGeometry) -> MapFeature:
    """Set geometry, bounding box and search key on an unsaved or changed feature."""
    check_geometry_type(feature.layer, geometry)
    if not geometry.is_valid:
        raise FeatureError(_("The geometry is not valid (for example a ring crosses itself)."))
    set_geometry(feature, round_coordinates(geometry))
    feature.search_text = fold(feature_label(feature.layer, feature.properties))[:300]
    return feature


def touch_layer(layer: Layer) -> None:
    """Mark a layer changed: its version grows, so cached tiles of the old version expire."""
    Layer.objects.filter(pk=layer.pk).update(version=F("version") + 1, updated_at=timezone.now())
    layer.refresh_from_db(fields=["version", "updated_at"])


def snapshot(feature: MapFeature) -> dict[str, Any]:
    """The feature as GeoJSON, as kept in the edit history."""
    return {
        "type": "Feature",
        "id": feature.pk,
        "geometry": mapping(feature.geom) if feature.geom is not None else None,
        "properties": dict(feature.properties),
    }


def _record(
    feature: MapFeature,
    action: str,
    user: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    comment: str = "",
) -> FeatureEdit:
    edit = FeatureEdit.objects.create(
        layer=feature.layer,
        feature=None if action == EditAction.DELETE else feature,
        feature_ref=feature.pk,
        action=action,
        user=user,
        before=before,
        after=after,
        comment=comment[:500],
    )
    audit.record(
        _AUDIT_ACTIONS[action],
        object_type="geo.mapfeature",
        object_id=str(feature.pk),
        object_repr=f"{feature.layer.slug}/{feature.pk}",
        before=before,
        after=after,
        extra={"feature_edit": edit.pk, "layer": feature.layer.slug},
    )
    return edit


@transaction.atomic
def create_feature(
    layer: Layer, geometry: BaseGeometry | dict[str, Any], properties: dict[str, Any], user: Any
) -> MapFeature:
    from tinhso.geo.services.schema import clean_properties

    feature = MapFeature(
        layer=layer, properties=clean_properties(layer, properties), updated_by=user
    )
    prepare_feature(feature, _as_geometry(geometry))
    feature.save()
    _record(feature, EditAction.CREATE, user, None, snapshot(feature))
    touch_layer(layer)
    logger.info("%s added feature %s to layer %s", user, feature.pk, layer.slug)
    return feature


@transaction.atomic
def update_feature(
    feature: MapFeature,
    user: Any,
    *,
    geometry: BaseGeometry | dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
    comment: str = "",
) -> MapFeature:
    """Move or reshape (``geometry``) and/or change attributes; a no-op records nothing."""
    from tinhso.geo.services.schema import clean_properties

    before = snapshot(feature)
    if properties is not None:
        feature.properties = clean_properties(feature.layer, properties)
    if geometry is not None:
        prepare_feature(feature, _as_geometry(geometry))
    elif properties is not None:
        feature.search_text = fold(feature_label(feature.layer, feature.properties))[:300]
    after = snapshot(feature)
    if after == before:
        return feature
    feature.version += 1
    feature.updated_by = user
    feature.save()
    _record(feature, EditAction.UPDATE, user, before, snapshot(feature), comment)
    touch_layer(feature.layer)
    return feature


@transaction.atomic
def delete_feature(feature: MapFeature, user: Any, comment: str = "") -> None:
    before = snapshot(feature)
    _record(feature, EditAction.DELETE, user, before, None, comment)
    layer = feature.layer
    feature.delete()
    touch_layer(layer)


def _as_geometry(value: BaseGeometry | dict[str, Any]) -> BaseGeometry:
    if isinstance(value, BaseGeometry):
        return value
    try:
        return shape(value)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise FeatureError(
            _('The geometry is not GeoJSON: %(error)s. Send {"type": ..., "coordinates": ...}.')
            % {"error": error}
        ) from error
