"""Language selection: Vietnamese first, English when the user or client asks for it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _name in settings.LANGUAGES}
# Machine clients negotiate with Accept-Language; people get Vietnamese unless they choose.
NEGOTIATED_PREFIXES = ("/api/", "/ogc/", "/tiles/")


def _from_accept_language(request: HttpRequest) -> str | None:
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in SUPPORTED:
            return code
    return None


def choose_language(request: HttpRequest) -> str:
    """``?lang=`` first, then the language cookie, then (API only) Accept-Language, then vi."""
    requested = request.GET.get("lang", "")[:5].lower()
    if requested in SUPPORTED:
        return requested
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in SUPPORTED:
        return cookie
    if request.path.startswith(NEGOTIATED_PREFIXES):
        negotiated = _from_accept_language(request)
        if negotiated:
            return negotiated
    return str(settings.LANGUAGE_CODE)


class LanguageMiddleware:
    """Activate the chosen language for the request (replaces Django's LocaleMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
