"""The access log of the API and the map services."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from tinhso.api.models import ApiAccessLog

logger = logging.getLogger(__name__)

LOGGED_PREFIXES = ("/api/", "/ogc/", "/tiles/")


class ApiAccessLogMiddleware:
    """Write one ApiAccessLog row per request under the API and map-service paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(LOGGED_PREFIXES):
            return self.get_response(request)

        started = time.perf_counter()
        response = self.get_response(request)
        api_key = getattr(request, "api_key", None)
        user = (
            request.user
            if getattr(request, "user", None) and request.user.is_authenticated
            else None
        )
        try:
            ApiAccessLog.objects.create(
                api_key=api_key,
                key_prefix=api_key.prefix if api_key else "",
                user=user,
                method=request.method or "",
                path=request.path[:500],
                query=request.META.get("QUERY_STRING", "")[:1000],
                status=response.status_code,
                duration_ms=int((time.perf_counter() - started) * 1000),
                ip_address=request.META.get("REMOTE_ADDR") or None,
                request_id=getattr(request, "request_id", ""),
            )
        except DatabaseError:
            # The response is already made; a full disk must not turn it into an error.
            logger.exception("Could not write the API access log for %s", request.path)
        return response
