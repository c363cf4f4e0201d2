"""Who may read and edit which map layer, and which attributes they may see.

One module decides for the web map, OGC API Features, the tiles and the exports. A reader is
either a logged-in user or an API key (or neither: the public). Personal attributes are
removed unless the reader may see personal data; the caller logs the access.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tinhso.core.models import Role
from tinhso.geo.models import AccessLevel, Layer

logger = logging.getLogger(__name__)

GEO_READ_SCOPE = "geo:read"
PERSONAL_SCOPE = "personal:read"


def layer_scope(slug: str) -> str:
    """Return the API key scope that opens one layer: ``layer:<slug>``."""
    return f"layer:{slug}"


@dataclass(frozen=True)
class Reader:
    """The reader of a request: a staff user, an API key, or the public (both None)."""

    user: Any = None
    api_key: Any = None

    @classmethod
    def of_request(cls, request: Any) -> Reader:
        user = getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        return cls(user=user, api_key=getattr(request, "api_key", None))

    @property
    def is_public(self) -> bool:
        return self.user is None and self.api_key is None

    @property
    def role(self) -> str:
        return getattr(self.user, "role", "") or ""

    @property
    def is_superuser(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False))

    def _key_scopes(self) -> list[str]:
        if self.api_key is None or not self.api_key.is_active:
            return []
        return list(self.api_key.scopes)


class KeyRejected(Exception):
    """A key that was sent but cannot be used: ``status`` is 401 or 429 and ``message`` gives the reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def reader_for(request: Any) -> Reader:
    """Who reads through ``request``: its ``Authorization: Bearer KEY``, else its staff session.

    A key that is sent is checked (revoked, unknown, over its rate limit: :class:`KeyRejected`)
    and set on ``request.api_key`` so the access log names it. A session counts only once its
    user has passed the second factor where one is required; otherwise the reader is public.
    """
    from django.utils.translation import gettext as _

    from tinhso.api import keys
    from tinhso.core.access import needs_second_factor

    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, raw_key = header.partition(" ")
        if scheme.lower() != "bearer" or not raw_key.strip():
            raise KeyRejected(401, _('The Authorization header must be "Bearer KEY".'))
        api_key = keys.find_key(raw_key.strip())
        if api_key is not None:
            request.api_key = api_key
        if api_key is None or not api_key.is_active:
            raise KeyRejected(
                401,
                _(
                    "The API key is invalid or revoked. Ask the platform administrator for a new key."
                ),
            )
        if not keys.within_rate_limit(api_key):
            logger.warning("API key %s passed its rate limit on the map services", api_key.prefix)
            raise KeyRejected(
                429, _("Too many requests for this API key; wait a minute and try again.")
            )
        return Reader(api_key=api_key)

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or needs_second_factor(user):
        return Reader()
    return Reader(user=user)


def can_read(layer: Layer, reader: Reader) -> bool:
    if layer.access_level == AccessLevel.PUBLIC:
        return True
    if reader.user is not None:
        if reader.is_superuser or reader.role == Role.SYSTEM_ADMINISTRATOR:
            return True
        if layer.access_level == AccessLevel.AGENCIES:
            return bool(reader.role)
        return reader.role in layer.reader_roles
    scopes = reader._key_scopes()
    if layer_scope(layer.slug) in scopes:
        return True
    return layer.access_level == AccessLevel.AGENCIES and GEO_READ_SCOPE in scopes


def readable_layers(reader: Reader) -> QuerySet[Layer]:
    """Return the layers ``reader`` may read, in layer-tree order."""
    layers = Layer.objects.select_related("owner").order_by("sort_order", "slug")
    allowed = [layer.pk for layer in layers if can_read(layer, reader)]
    return layers.filter(pk__in=allowed)


def can_see_personal(layer: Layer, reader: Reader) -> bool:
    """Personal attributes: system administrators, the layer's named roles, or a key with personal:read."""
    if reader.user is not None:
        return (
            reader.is_superuser
            or reader.role == Role.SYSTEM_ADMINISTRATOR
            or reader.role in layer.personal_roles
        )
    return PERSONAL_SCOPE in reader._key_scopes()


def can_edit(layer: Layer, user: Any) -> bool:
    """Editing needs an account: administrators, or a member of the owner agency in an editor role."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.SYSTEM_ADMINISTRATOR:
        return True
    if user.role not in layer.editor_roles:
        return False
    return layer.owner_id is None or user.department_id == layer.owner_id


def visible_properties(layer: Layer, properties: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """``properties`` without the layer's personal attributes unless ``reader`` may see them."""
    personal = layer.personal_attributes
    if not personal or can_see_personal(layer, reader):
        return dict(properties)
    return {name: value for name, value in properties.items() if name not in personal}
