"""Export of a selection as GeoJSON or Shapefile, and printing a map view to PDF.

Both take a JSON POST from the map page through the browser session (CSRF-checked), and the
public may export and print the public layers. Exports remove personal attributes unless the
request sets ``include_personal`` and the reader may see them. Every export writes an audit
event.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import logging
import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from tinhso.core import audit
from tinhso.core.access import PUBLIC, policy
from tinhso.core.models import AuditAction
from tinhso.geo import crs
from tinhso.geo.editing import export, printing
from tinhso.geo.editing.common import (
    RequestError,
    field_label,
    json_body,
    readable_layer,
    session_reader,
)
from tinhso.geo.editing.views import json_errors
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.services import access
from tinhso.geo.storage import filter_intersects

logger = logging.getLogger(__name__)

FORMATS = ("geojson", "shapefile")
TRUE_VALUES = (True, 1, "1", "true", "yes")
MAX_PNG_BYTES = 20 * 1024 * 1024
MAX_PNG_SIDE = 10_000
MAX_TITLE_LENGTH = 200
# Earth's equatorial circumference in metres (WGS 84) and MapLibre's tile size in pixels.
EARTH_CIRCUMFERENCE_M = 40_075_016.686
TILE_SIZE_PX = 512
SOURCE_LINE = gettext_noop("Source: Digital map of Phú Thọ province — tinhso")


# --- Export --------------------------------------------------------------------------------


def selection_of(data: dict[str, Any]) -> BaseGeometry:
    """Parse and check the selection polygon (GeoJSON, WGS 84) of the request."""
    raw = data.get("selection")
    if not isinstance(raw, dict):
        raise RequestError(
            400,
            _("Send the selection as a GeoJSON Polygon in longitude/latitude (selection)."),
            field="selection",
        )
    try:
        geometry = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise RequestError(
            400,
            _("The selection is not a GeoJSON geometry: %(error)s.") % {"error": error},
            field="selection",
        ) from error
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise RequestError(
            400,
            _("The selection must be a polygon, not %(type)s; draw an area or use the view.")
            % {"type": geometry.geom_type},
            field="selection",
        )
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise RequestError(
            400,
            _("The selection must be in longitude/latitude (WGS 84); its bounds are %(bounds)s.")
            % {"bounds": ", ".join(f"{value:g}" for value in geometry.bounds)},
            field="selection",
        )
    if not geometry.is_valid:
        geometry = geometry.buffer(0)
    return geometry


def date_of(data: dict[str, Any]) -> dt.date:
    """The date the exported features must be valid on; today when the request names none."""
    raw = data.get("date")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as error:
        raise RequestError(
            400,
            _("The date %(value)s is not valid; write it as YYYY-MM-DD.")
            % {"value": str(raw)[:40]},
            field="date",
        ) from error


def export_crs(data: dict[str, Any], layer: Layer) -> str:
    """WGS 84 by default, or the layer's VN-2000 TM-3 zone (``crs``: ``vn2000`` or its EPSG code)."""
    raw = str(data.get("crs") or crs.WGS84)
    if raw in (crs.WGS84, "wgs84"):
        return crs.WGS84
    if raw in (layer.legal_crs, "vn2000"):
        return layer.legal_crs
    raise RequestError(
        400,
        _("The CRS %(value)s cannot be exported; use %(wgs84)s or %(legal)s.")
        % {"value": raw[:40], "wgs84": crs.WGS84, "legal": layer.legal_crs},
        field="crs",
    )


def export_columns(layer: Layer, features: list[export.ExportFeature]) -> list[export.Column]:
    """List the schema's attributes that the features have, then their other attributes."""
    seen: dict[str, None] = {}
    for item in features:
        seen.update(dict.fromkeys(item.properties))
    columns = []
    for field in layer.schema:
        name = field["name"]
        if name in seen:
            columns.append(
                export.Column(name, field.get("type", "string"), field_label(layer, name))
            )
    declared = {column.name for column in columns}
    columns.extend(export.Column(name) for name in seen if name not in declared)
    return columns


@policy(PUBLIC)
@require_POST
@json_errors
def export_selection(request: HttpRequest) -> HttpResponse:
    """Return the features of one readable layer that intersect the selection, as a file."""
    reader = session_reader(request)
    data = json_body(request)
    layer = readable_layer(str(data.get("layer") or ""), reader)
    selection = selection_of(data)
    file_format = str(data.get("format") or "geojson")
    if file_format not in FORMATS:
        raise RequestError(
            400,
            _("The format %(value)s is not offered; use geojson or shapefile.")
            % {"value": file_format[:40]},
            field="format",
        )
    include_personal = data.get("include_personal") in TRUE_VALUES
    if include_personal and not access.can_see_personal(layer, reader):
        raise RequestError(
            403,
            _("You may not export the personal attributes of the layer %(layer)s.")
            % {"layer": layer.display_name},
            field="include_personal",
        )
    on_date = date_of(data)
    target_crs = export_crs(data, layer)

    candidates = MapFeature.objects.filter(layer=layer).exclude(valid_from__gt=on_date)
    candidates = candidates.exclude(valid_to__lt=on_date)
    selected = filter_intersects(candidates, selection).order_by("pk")
    count = selected.count()
    if count > export.MAX_EXPORT_FEATURES:
        raise RequestError(
            400,
            _(
                "The selection holds %(count)s features of %(layer)s; at most %(max)s can be "
                "exported at once. Select a smaller area."
            )
            % {"count": count, "layer": layer.display_name, "max": export.MAX_EXPORT_FEATURES},
            field="selection",
        )
    if count == 0:
        raise RequestError(
            400,
            _("No feature of %(layer)s valid on %(date)s intersects the selection.")
            % {"layer": layer.display_name, "date": on_date.strftime("%d/%m/%Y")},
            field="selection",
        )

    personal = layer.personal_attributes if not include_personal else frozenset()
    features = [
        export.ExportFeature(
            feature.pk,
            crs.transform(feature.geom, crs.WGS84, target_crs),
            {key: value for key, value in feature.properties.items() if key not in personal},
        )
        for feature in selected.only("pk", "geom", "properties")
    ]
    basename = f"{layer.slug}-{on_date.isoformat()}"
    if file_format == "geojson":
        content = export.geojson_bytes(features, layer.slug)
        response = HttpResponse(content, content_type="application/geo+json")
        filename = f"{basename}.geojson"
    else:
        content = export.shapefile_zip(
            features, export_columns(layer, features), basename, target_crs
        )
        response = HttpResponse(content, content_type="application/zip")
        filename = f"{basename}.zip"

    audit.record(
        AuditAction.EXPORT,
        object_type="geo.layer",
        object_id=str(layer.pk),
        object_repr=layer.slug,
        extra={
            "layer": layer.slug,
            "format": file_format,
            "features": count,
            "include_personal": bool(include_personal and layer.personal_attributes),
            "selection_bounds": [round(value, 6) for value in selection.bounds],
            "date": on_date.isoformat(),
            "crs": target_crs,
        },
    )
    logger.info("Exported %s features of %s as %s", count, layer.slug, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Feature-Count"] = str(count)
    return response


# --- Print ---------------------------------------------------------------------------------


def png_of(data: dict[str, Any]) -> tuple[bytes, int, int]:
    """Decode and check the request's ``image`` PNG (a data URL or base64); return it with its size."""
    raw = data.get("image")
    if not isinstance(raw, str) or not raw:
        raise RequestError(400, _("Send the map image as a PNG data URL (image)."), field="image")
    header, _separator, encoded = raw.partition(",")
    if not _separator:
        encoded, header = raw, ""
    if header and header != "data:image/png;base64":
        raise RequestError(
            400,
            _("The map image must be a PNG (data:image/png;base64,...), not %(type)s.")
            % {"type": header[:40]},
            field="image",
        )
    if len(encoded) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise RequestError(
            400,
            _("The map image is larger than %(max)s MB; print a smaller window.")
            % {"max": MAX_PNG_BYTES // (1024 * 1024)},
            field="image",
        )
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RequestError(400, _("The map image is not valid base64."), field="image") from error
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RequestError(400, _("The map image is not a PNG file."), field="image")
    try:
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size
            if max(width, height) > MAX_PNG_SIDE:
                raise RequestError(
                    400,
                    _(
                        "The map image is %(width)s × %(height)s pixels; the maximum side is %(max)s."
                    )
                    % {"width": width, "height": height, "max": MAX_PNG_SIDE},
                    field="image",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise RequestError(
            400,
            _("The map image cannot be read as a PNG: %(error)s.") % {"error": error},
            field="image",
        ) from error
    return png, width, height


def number_of(
    data: dict[str, Any], name: str, low: float, high: float, default: float | None = None
) -> float:
    raw = data.get(name, default)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise RequestError(
            400,
            _("%(name)s must be a number between %(low)s and %(high)s.")
            % {"name": name, "low": low, "high": high},
            field=name,
        ) from error
    if not math.isfinite(value) or not low <= value <= high:
        raise RequestError(
            400,
            _("%(name)s must be a number between %(low)s and %(high)s; got %(value)s.")
            % {"name": name, "low": low, "high": high, "value": raw},
            field=name,
        )
    return value


def title_of(data: dict[str, Any]) -> str:
    title = data.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        return _("Digital map of Phú Thọ province")
    if not isinstance(title, str):
        raise RequestError(400, _("The title must be text."), field="title")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE_LENGTH:
        raise RequestError(
            400,
            _("The title is %(length)s characters long; the maximum is %(max)s.")
            % {"length": len(title), "max": MAX_TITLE_LENGTH},
            field="title",
        )
    return title


def legend_layers(data: dict[str, Any], reader: access.Reader) -> list[Layer]:
    slugs = data.get("layers") or []
    if not isinstance(slugs, list) or not all(isinstance(slug, str) for slug in slugs):
        raise RequestError(
            400, _("The visible layers must be a list of layer identifiers."), field="layers"
        )
    layers = []
    for slug in dict.fromkeys(slugs):
        layer = Layer.objects.filter(slug=slug).first()
        # An unreadable layer reads as unknown, so the error does not reveal that it exists.
        if layer is None or not access.can_read(layer, reader):
            raise RequestError(
                400,
                _("Map layer %(slug)s not found.") % {"slug": slug},
                field="layers",
            )
        layers.append(layer)
    return layers


def print_texts(zoom: float, lon: float, lat: float, bearing: float) -> printing.PrintTexts:
    now = timezone.localtime()
    return printing.PrintTexts(
        legend=_("Legend"),
        north=_("N"),
        scale=_("Scale about"),
        date_line=_("Printed at %(time)s on %(date)s")
        % {"time": now.strftime("%H:%M"), "date": now.strftime("%d/%m/%Y")},
        source_line=_(SOURCE_LINE),
        crs_note=_(
            "Coordinate system: WGS 84 (EPSG:4326), shown in Web Mercator (EPSG:3857); "
            "legal lengths and areas are measured in VN-2000, 3° TM zone."
        ),
        view_line=_("Centre %(lat)s N, %(lon)s E · zoom %(zoom)s · bearing %(bearing)s°")
        % {
            "lat": f"{lat:.5f}",
            "lon": f"{lon:.5f}",
            "zoom": f"{zoom:.2f}",
            "bearing": f"{bearing:.0f}",
        },
    )


@policy(PUBLIC)
@require_POST
@json_errors
def print_map(request: HttpRequest) -> HttpResponse:
    """Return a one-page PDF of the map view that the browser sends."""
    reader = session_reader(request)
    data = json_body(request)
    png, width, height = png_of(data)
    title = title_of(data)
    zoom = number_of(data, "zoom", 0, 24)
    center = data.get("center")
    if not isinstance(center, list) or len(center) != 2:
        raise RequestError(
            400, _("Send the centre of the view as [longitude, latitude] (center)."), field="center"
        )
    lon = number_of({"longitude": center[0]}, "longitude", -180, 180)
    lat = number_of({"latitude": center[1]}, "latitude", -85.06, 85.06)
    bearing = number_of(data, "bearing", -360, 360, default=0) % 360
    pixel_ratio = number_of(data, "pixel_ratio", 0.25, 8, default=1)
    expected_mpp = EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat)) / (TILE_SIZE_PX * 2**zoom)
    metres_per_pixel = number_of(data, "metres_per_pixel", 1e-4, 1e6, default=expected_mpp)
    layers = legend_layers(data, reader)

    view = printing.MapView(png, width, height, metres_per_pixel / pixel_ratio, bearing)
    legend = [
        printing.LegendItem(layer.display_name, layer.geometry_type, layer.style)
        for layer in layers
    ]
    pdf, scale_label = printing.build_pdf(title, view, legend, print_texts(zoom, lon, lat, bearing))
    logger.info(
        "Printed a map view of %s x %s px at zoom %.2f with %s layers",
        width,
        height,
        zoom,
        len(layers),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="ban-do-{timezone.localdate().isoformat()}.pdf"'
    )
    response["X-Scale-Bar"] = scale_label.replace("\u00a0", " ")
    return response
