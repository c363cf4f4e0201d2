"""Helpers shared by the editing, export and print views: JSON bodies, errors, layer lookup."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tinhso.geo.models import Layer
from tinhso.geo.services import access

logger = logging.getLogger(__name__)


class RequestError(Exception):
    """A request that cannot be served: the HTTP status, a message for the user, the field at fault."""

    def __init__(self, status: int, message: str, field: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.extra = extra

    def response(self) -> JsonResponse:
        body: dict[str, Any] = {"error": self.message, **self.extra}
        if self.field:
            body["field"] = self.field
        return JsonResponse(body, status=self.status, json_dumps_params={"ensure_ascii": False})


def json_response(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object; :class:`RequestError` 400 when it is not one."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise RequestError(
            400,
            _("Send a JSON body with Content-Type: application/json, not %(type)s.")
            % {"type": content_type or "-"},
        )
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(
            400, _("The body is not valid JSON: %(error)s.") % {"error": error}
        ) from error
    if not isinstance(data, dict):
        raise RequestError(400, _("The body must be a JSON object."))
    return data


def session_reader(request: HttpRequest) -> access.Reader:
    """The reader of a browser session; an ``Authorization`` header is rejected here.

    Edits, exports and prints are made by people in the browser, so an API key never counts.
    """
    if request.headers.get("Authorization"):
        raise RequestError(
            403,
            _(
                "API keys cannot edit, export or print here; log in to the platform "
                "and use the map page."
            ),
        )
    return access.Reader.of_request(request)


def get_layer(slug: str) -> Layer:
    try:
        return Layer.objects.select_related("owner").get(slug=slug)
    except Layer.DoesNotExist as error:
        raise RequestError(
            404, _("Map layer %(slug)s not found.") % {"slug": slug}, field="layer"
        ) from error


def readable_layer(slug: str, reader: access.Reader) -> Layer:
    """The layer ``slug`` when ``reader`` may read it; 404 when it does not exist, else 403."""
    layer = get_layer(slug)
    if not access.can_read(layer, reader):
        raise RequestError(
            403, _("You may not read the map layer %(layer)s.") % {"layer": layer.display_name}
        )
    return layer


def is_english() -> bool:
    return (get_language() or "vi").startswith("en")


def field_label(layer: Layer, name: str) -> str:
    """The label of attribute ``name`` in the active language, or the name itself."""
    field = layer.attribute(name) or {}
    if is_english() and field.get("label_en"):
        return str(field["label_en"])
    return str(field.get("label") or name)


def schema_for(layer: Layer, reader: access.Reader) -> list[dict[str, Any]]:
    """The layer's attribute schema for a form: labels in the active language, personal fields only for those who may see them."""
    show_personal = access.can_see_personal(layer, reader)
    fields = []
    for field in layer.schema:
        if field.get("personal") and not show_personal:
            continue
        fields.append(
            {
                "name": field["name"],
                "type": field.get("type", "string"),
                "label": field_label(layer, field["name"]),
                "required": bool(field.get("required")),
                "choices": list(field.get("choices") or []),
                "personal": bool(field.get("personal")),
            }
        )
    return fields


def user_name(user: Any) -> str:
    """A user's name in Vietnamese order (family name first), else the username."""
    if user is None:
        return _("system")
    full = " ".join(part for part in (user.last_name, user.first_name) if part)
    return full or user.username
