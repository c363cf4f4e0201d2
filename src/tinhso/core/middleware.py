"""Request id, idle session timeout and audit context, for every request."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.requestid import current_request_id

logger = logging.getLogger(__name__)

# A client may pass its own id so that its logs and ours join up; anything else is replaced.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

GetResponse = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else audit.new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class IdleSessionTimeoutMiddleware:
    """Log a user out after ``TINHSO_SESSION_IDLE_SECONDS`` without a request.

    The logout happens before the middlewares below this one see the request, so they see
    an anonymous user. The message that explains it is added in ``process_view``, because
    the message storage is only set up later, by MessageMiddleware.
    """

    SESSION_KEY = "tinhso_last_activity"
    _ENDED_ATTR = "_tinhso_idle_session_ended"

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.SESSION_KEY)
            if last is not None and now - int(last) > settings.TINHSO_SESSION_IDLE_SECONDS:
                logger.info(
                    "Session of user id %s ended after %s s idle", request.user.pk, now - last
                )
                logout(request)
                setattr(request, self._ENDED_ATTR, True)
            else:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        if getattr(request, self._ENDED_ATTR, False):
            messages.info(
                request,
                _("Your session ended after a period of inactivity. Please log in again."),
            )


class AuditContextMiddleware:
    """Attribute audit rows written during the request to its user, request id and address."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        context = audit.AuditContext(
            actor_name=user.get_username() if user else "anonymous",
            user=user,
            request_id=getattr(request, "request_id", ""),
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        with audit.acting_as(context):
            return self.get_response(request)
