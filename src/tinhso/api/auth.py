"""API key authentication for django-ninja routes, with scopes and rate limits."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase

from tinhso.api import keys
from tinhso.api.models import ApiKey

logger = logging.getLogger(__name__)


class PublicAccess:
    """Marker for a request to public data without a key."""

    def __bool__(self) -> bool:
        return True


PUBLIC_ACCESS = PublicAccess()


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HttpError(401, _('The Authorization header must be "Bearer KEY".'))
    return value.strip()


def _check_key(request: HttpRequest, raw_key: str, scope: str | None) -> ApiKey:
    api_key = keys.find_key(raw_key)
    if api_key is not None:
        # Set before the checks, so that the access log names a revoked key that is still sent.
        request.api_key = api_key  # type: ignore[attr-defined]
    if api_key is None or not api_key.is_active:
        raise HttpError(
            401,
            _("The API key is invalid or revoked. Ask the platform administrator for a new key."),
        )
    if not keys.within_rate_limit(api_key):
        logger.warning("API key %s passed its rate limit", api_key.prefix)
        raise HttpError(429, _("Too many requests for this API key; wait a minute and try again."))
    if scope is not None and not api_key.has_scope(scope):
        raise HttpError(403, _("This API key lacks the scope %(scope)s.") % {"scope": scope})
    return api_key


class ApiKeyAuth(HttpAuthBase):
    """Require a key with ``scope``, or any valid key when ``scope`` is None: ``Authorization: Bearer KEY``."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, scope: str | None) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        raw_key = _bearer(request)
        if raw_key is None:
            raise HttpError(
                401, _('This resource needs an API key: send "Authorization: Bearer KEY".')
            )
        return _check_key(request, raw_key, self.scope)


class OptionalApiKeyAuth(HttpAuthBase):
    """Public data: no key needed, but a key that is sent is checked and counted."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        raw_key = _bearer(request)
        if raw_key is None:
            return PUBLIC_ACCESS
        return _check_key(request, raw_key, None)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class KeyOrStaffSession(HttpAuthBase):
    """An agency key with ``scope``, or, for reading, a logged-in staff member.

    Staff sessions are limited to safe methods, so a cross-site form can never write
    through a browser's cookie. Administrators must have passed TOTP, as everywhere else.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        raw_key = _bearer(request)
        if raw_key is not None:
            return _check_key(request, raw_key, self.scope)

        from tinhso.core.access import needs_second_factor

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (user.is_superuser or getattr(user, "role", ""))
            and request.method in SAFE_METHODS
            and not needs_second_factor(user)
        ):
            return user
        raise HttpError(
            401,
            _(
                'This resource needs an API key with the scope %(scope)s: send "Authorization: Bearer KEY".'
            )
            % {"scope": self.scope},
        )
