"""HTTP views of the tiles: one layer's tile, its TileJSON, and the style of all readable layers.

The boundaries layer and other public layers need no key. Other layers follow
:mod:`tinhso.geo.services.access`. A request without a key or a staff session gets 401, one
whose key or role does not open the layer gets 403, and every error is JSON with a ``detail``
message.
Tiles with no feature, and tiles outside the layer's zoom range, are ``200`` with an empty
body, which is a valid tile without layers that every MVT client reads.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.core.access import PUBLIC, policy
from tinhso.geo import mvt
from tinhso.geo.models import AccessLevel, Layer, LayerKind
from tinhso.geo.services import access
from tinhso.geo.tiles import documents
from tinhso.geo.tiles.cache import TileCache, TileKey, compress
from tinhso.geo.tiles.render import TileQuery, render_tile

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
# Browsers keep a public tile this many seconds before they ask again; the ETag makes the
# question cheap. Private tiles are revalidated every time.
PUBLIC_MAX_AGE = 60
DEFAULT_CACHE_MAX_BYTES = 512 * 1024 * 1024


class TileRequestError(Exception):
    """A rejected request: ``status`` and ``message`` go to the client as JSON."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@cache
def _cache_at(root: Path, max_bytes: int) -> TileCache:
    return TileCache(root, max_bytes)


def tile_cache() -> TileCache:
    """Return the tile cache of the settings ``TINHSO_TILE_CACHE_DIR`` and ``TINHSO_TILE_CACHE_MAX_BYTES``.

    By default it is ``<TINHSO_DATA_DIR>/tiles`` and 512 MiB.
    """
    root = (
        getattr(settings, "TINHSO_TILE_CACHE_DIR", None) or Path(settings.TINHSO_DATA_DIR) / "tiles"
    )
    max_bytes = int(getattr(settings, "TINHSO_TILE_CACHE_MAX_BYTES", DEFAULT_CACHE_MAX_BYTES))
    return _cache_at(Path(root), max_bytes)


# --- Request checks ------------------------------------------------------------------------


def _reader(request: HttpRequest) -> access.Reader:
    try:
        return access.reader_for(request)
    except access.KeyRejected as error:
        raise TileRequestError(error.status, error.message) from error


def find_layer(slug: str) -> Layer | None:
    """Return the layer ``slug`` in one query, or None.

    Every tile request, cached or not, reads the layer once to learn its version and access
    rules. A raw query skips compiling the ORM's SQL, which took about 1.5 ms of the 7 ms of
    a cached tile request (measured with pyinstrument on the benchmark database).
    """
    found = Layer.objects.raw('SELECT * FROM "geo_layer" WHERE slug = %s', [slug])
    return next(iter(found), None)


def _readable_layer(slug: str, reader: access.Reader) -> Layer:
    """Return the layer ``slug`` if ``reader`` may read it; 404, 401 or 403 otherwise."""
    layer = find_layer(slug)
    if layer is None:
        raise TileRequestError(
            404, _("Map layer %(layer)s not found. The style lists the layers.") % {"layer": slug}
        )
    if access.can_read(layer, reader):
        return layer
    if reader.is_public:
        raise TileRequestError(
            401,
            _(
                "Map layer %(layer)s is not public. Send an API key (Authorization: Bearer KEY) "
                "or log in as staff."
            )
            % {"layer": slug},
        )
    raise TileRequestError(403, _("You may not read map layer %(layer)s.") % {"layer": slug})


def _check_address(z: int, x: int, y: int) -> None:
    try:
        mvt.tile_bounds(z, x, y)
    except mvt.TileError:
        count = 1 << min(z, 30)
        raise TileRequestError(
            400,
            _(
                "Tile %(z)s/%(x)s/%(y)s does not exist: the zoom must be 0 to %(max_zoom)s "
                "and x and y 0 to %(last)s at that zoom."
            )
            % {"z": z, "x": x, "y": y, "max_zoom": mvt.MAX_ZOOM, "last": count - 1},
        ) from None


def _date(request: HttpRequest, layer: Layer) -> dt.date | None:
    """Parse the ``date`` parameter. The boundaries layer defaults to today, other layers to none."""
    value = request.GET.get("date")
    if value is None or value == "":
        return timezone.localdate() if layer.kind == LayerKind.BOUNDARIES else None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TileRequestError(
            400,
            _("The date parameter must be YYYY-MM-DD, for example 2025-07-01; got %(value)s.")
            % {"value": value[:40]},
        ) from None


def _hidden_attributes(layer: Layer, reader: access.Reader) -> frozenset[str]:
    if access.can_see_personal(layer, reader):
        return frozenset()
    return layer.personal_attributes


def _revision_token(layer: Layer, hidden: frozenset[str]) -> str:
    """What changes the tiles besides the version: the layer row's last change and hidden names."""
    # A restored database or a rolled-back transaction can give a layer the same version again
    # with other features. Its update time differs, so the key differs too.
    stamp = int(layer.updated_at.timestamp() * 1000)
    names = ",".join(sorted(hidden)).encode("utf-8")
    return f"{layer.pk}.{stamp}.{hashlib.blake2s(names, digest_size=4).hexdigest()}"


# --- Views ---------------------------------------------------------------------------------


@policy(PUBLIC, otp_exempt=True)
@require_GET
def tile(request: HttpRequest, tile_layer: str, z: int, x: int, y: int) -> HttpResponse:
    """Return one Mapbox Vector Tile of one layer, from the cache when it has it."""
    try:
        reader = _reader(request)
        found = _readable_layer(tile_layer, reader)
        _check_address(z, x, y)
        date = _date(request, found)
    except TileRequestError as error:
        return error_response(error.status, error.message)

    hidden = _hidden_attributes(found, reader)
    key = TileKey(
        layer=found.slug,
        revision=found.version,
        token=_revision_token(found, hidden),
        z=z,
        x=x,
        y=y,
        date=date.isoformat() if date else "",
        personal=not hidden and bool(found.personal_attributes),
    )
    if request.headers.get("If-None-Match") == key.etag:
        return _tile_headers(HttpResponse(status=304), key, found)

    if not found.min_zoom <= z <= found.max_zoom:
        return _tile_response(request, b"", key, found, "outside zoom range")

    store = tile_cache()
    compressed = store.get(key)
    state = "hit"
    if compressed is None:
        state = "miss"
        compressed = compress(render_tile(TileQuery(found, z, x, y, date, hidden)))
        store.put(key, compressed)
    return _tile_response(request, compressed, key, found, state)


def _tile_response(
    request: HttpRequest, compressed: bytes, key: TileKey, layer: Layer, state: str
) -> HttpResponse:
    """Send the gzip bytes as they are to clients that accept gzip, else decompressed."""
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    if compressed and accepts_gzip:
        response = HttpResponse(compressed, content_type=CONTENT_TYPE)
        response["Content-Encoding"] = "gzip"
    else:
        body = gzip.decompress(compressed) if compressed else b""
        response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["X-Tile-Cache"] = state
    return _tile_headers(response, key, layer)


def _tile_headers(response: HttpResponse, key: TileKey, layer: Layer) -> HttpResponse:
    response["ETag"] = key.etag
    if layer.access_level == AccessLevel.PUBLIC and not key.personal:
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        patch_vary_headers(response, ["Accept-Encoding"])
    else:
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Accept-Encoding", "Authorization", "Cookie"])
    return response


def _tiles_url(request: HttpRequest, slug: str) -> str:
    """Return the absolute tile URL template of a layer, with the request's ``date`` if it has one."""
    example = request.build_absolute_uri(reverse("geo_tiles:tile", args=[slug, 0, 0, 0]))
    template = example.removesuffix("/0/0/0.pbf") + "/{z}/{x}/{y}.pbf"
    date = request.GET.get("date")
    if date:
        template += "?date=" + date
    return template


@policy(PUBLIC, otp_exempt=True)
@require_GET
def tilejson(request: HttpRequest, tile_layer: str) -> HttpResponse:
    """Return the TileJSON 3.0.0 document of one layer, in the request's language."""
    try:
        reader = _reader(request)
        found = _readable_layer(tile_layer, reader)
        _date(request, found)
    except TileRequestError as error:
        return error_response(error.status, error.message)

    document = documents.tilejson(
        found,
        _tiles_url(request, found.slug),
        include_personal=not _hidden_attributes(found, reader),
        bounds=documents.layer_bounds(found),
    )
    return _document_response(document, found.access_level == AccessLevel.PUBLIC)


@policy(PUBLIC, otp_exempt=True)
@require_GET
def style(request: HttpRequest) -> HttpResponse:
    """Return the MapLibre style of every layer the reader may read, in layer-tree order."""
    try:
        reader = _reader(request)
    except TileRequestError as error:
        return error_response(error.status, error.message)

    layers = list(access.readable_layers(reader))
    urls = {
        layer.slug: request.build_absolute_uri(reverse("geo_tiles:tilejson", args=[layer.slug]))
        for layer in layers
    }
    boundaries = next((layer for layer in layers if layer.kind == LayerKind.BOUNDARIES), None)
    bounds = documents.layer_bounds(boundaries) if boundaries else documents.DEFAULT_BOUNDS
    document = documents.style(layers, urls, bounds)
    return _document_response(document, reader.is_public)


def _document_response(document: dict[str, Any], public: bool) -> JsonResponse:
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    if public:
        response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:
        response["Cache-Control"] = "private, no-cache"
    # The style lists other layers once a key or a session comes with the request.
    patch_vary_headers(response, ["Authorization", "Cookie"])
    return response
