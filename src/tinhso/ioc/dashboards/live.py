"""The live feed of IOC events as server-sent events (``text/event-stream``).

The MQTT worker stores events in another process, so the stream polls the database for
events with an id above the last one sent, about once a second. It sends a comment line
as a heartbeat every ``HEARTBEAT_SECONDS`` so that proxies keep the connection open, and
ends after ``STREAM_SECONDS``. The browser's EventSource then reconnects and sends the id
of the last event it received in the ``Last-Event-ID`` header. Under ASGI (``tinhso serve``)
the stream is an async generator, and under WSGI a plain generator (see
:func:`event_stream_sync`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from tinhso.core.access import STAFF, policy, restrict
from tinhso.ioc.models import Event

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 120.0
RETRY_MILLISECONDS = 3000
EVENTS_PER_POLL = 100
# Labels of event types that other parts of the platform write; other types show as stored.
EVENT_TYPE_LABELS = {"soc.incident": _("Cybersecurity incident")}


def _local_url(payload: Any) -> str:
    """Return the payload's ``url`` if it is a path on this site, else an empty string.

    Only a path starting with one slash is linked, so a payload cannot point the feed at
    another site or at a ``javascript:`` URL.
    """
    url = payload.get("url") if isinstance(payload, dict) else None
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    return ""


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.event_type,
        "label": str(EVENT_TYPE_LABELS.get(event.event_type, event.event_type)),
        "url": _local_url(event.payload),
        "time": timezone.localtime(event.occurred_at).strftime("%H:%M:%S %d/%m/%Y"),
        "severity": event.severity,
        "title": event.title,
        "unit": event.unit.name if event.unit else "",
        "unit_code": event.unit.code if event.unit else "",
    }


def recent_events(user: Any, count: int = 20) -> list[Event]:
    """Return the latest ``count`` events ``user`` may see, newest first."""
    events = restrict(Event.objects.select_related("unit"), user).order_by("-id")
    return list(events[:count])


def _events_after(user: Any, last_id: int) -> list[Event]:
    # NOTE: ids come from a sequence, so an event whose transaction commits after one with a
    # higher id was sent is skipped. One ingest worker commits in id order; several can't.
    events = restrict(Event.objects.select_related("unit").filter(id__gt=last_id), user)
    return list(events.order_by("id")[:EVENTS_PER_POLL])


def _latest_id() -> int:
    latest = Event.objects.order_by("-id").values_list("id", flat=True).first()
    return int(latest or 0)


def format_event(event: Event) -> str:
    data = json.dumps(event_dict(event), ensure_ascii=False)
    return f"id: {event.pk}\nevent: ioc-event\ndata: {data}\n\n"


class _StreamClock:
    """When a stream should send a heartbeat and when it should end."""

    def __init__(self, duration: float | None) -> None:
        self.duration = STREAM_SECONDS if duration is None else duration
        self.started = self.last_beat = time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() - self.started >= self.duration

    def heartbeat_due(self) -> bool:
        now = time.monotonic()
        if now - self.last_beat < HEARTBEAT_SECONDS:
            return False
        self.last_beat = now
        return True


def _opening(last_id: int) -> str:
    return f"retry: {RETRY_MILLISECONDS}\n: stream starts after event {last_id}\n\n"


CLOSING = ": stream ends, reconnect\n\n"
HEARTBEAT = ": heartbeat\n\n"


async def event_stream(
    user: Any, last_id: int | None, *, duration: float | None = None
) -> AsyncIterator[str]:
    """Yield server-sent events of events stored after ``last_id`` (after now when None)."""
    if last_id is None:
        last_id = await sync_to_async(_latest_id)()
    clock = _StreamClock(duration)
    yield _opening(last_id)
    while True:
        events = await sync_to_async(_events_after)(user, last_id)
        for event in events:
            last_id = event.pk
            yield format_event(event)
        if clock.expired():
            break
        if clock.heartbeat_due():
            yield HEARTBEAT
        await asyncio.sleep(POLL_SECONDS)
    yield CLOSING


def event_stream_sync(
    user: Any, last_id: int | None, *, duration: float | None = None
) -> Iterator[str]:
    """Yield the same stream for WSGI servers, which cannot send an async iterator as it runs.

    Django's WSGI handler collects an async iterator whole before sending it, so under
    ``runserver`` or a WSGI test server the browser would see nothing until the stream ends.
    """
    if last_id is None:
        last_id = _latest_id()
    clock = _StreamClock(duration)
    yield _opening(last_id)
    while True:
        for event in _events_after(user, last_id):
            last_id = event.pk
            yield format_event(event)
        if clock.expired():
            break
        if clock.heartbeat_due():
            yield HEARTBEAT
        time.sleep(POLL_SECONDS)
    yield CLOSING


def requested_last_id(request: HttpRequest) -> int | None:
    """Return the id to continue after: the Last-Event-ID header, else the ``after`` parameter."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.GET.get("after", "")):
        if raw.strip().isdigit():
            return int(raw.strip())
    return None


@policy(STAFF)
@require_GET
async def live(request: HttpRequest) -> StreamingHttpResponse:
    """Stream the events the user may see as they arrive."""
    user = await request.auser()
    last_id = requested_last_id(request)
    if isinstance(request, ASGIRequest):
        content: AsyncIterator[str] | Iterator[str] = event_stream(user, last_id)
    else:
        content = event_stream_sync(user, last_id)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Tells nginx not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
