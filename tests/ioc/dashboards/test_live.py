"""The live feed: the server-sent event stream yields newly stored events to those who may see them.

The stream's coroutines run through ``async_to_sync``, so their database calls come back to
the test's thread and see the rows of the test's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.template.loader import render_to_string
from django.test import AsyncClient, Client
from django.utils import timezone, translation

from tests.ioc.dashboards.conftest import TIEN_PHONG, VINH_YEN, new_unit
from tinhso.core.models import Role, Unit
from tinhso.ioc.dashboards import live
from tinhso.ioc.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "POLL_SECONDS", 0.02)


def make_event(message_id: str, unit: Unit | None = None, title: str = "Ngập úng") -> Event:
    return Event.objects.create(
        event_type="flood", occurred_at=timezone.now(), unit=unit, severity="high", title=title,
        message_id=message_id, topic="tinhso/events/flood",
    )  # fmt: skip


async def read_until_event(stream: Any, limit: int = 200) -> list[str]:
    chunks = []
    async for raw in stream:
        chunk = raw.decode() if isinstance(raw, bytes) else raw
        chunks.append(chunk)
        if "event: ioc-event" in chunk or len(chunks) >= limit:
            break
    await stream.aclose()
    return chunks


def test_stream_yields_new_event(make_user: Callable[..., Any]) -> None:
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    make_event("old-1")
    vinh_yen = new_unit(VINH_YEN)

    async def scenario() -> list[str]:
        stream = live.event_stream(leader, None, duration=10)
        first = await anext(stream)
        await sync_to_async(make_event)("new-1", vinh_yen, "Cháy rừng")
        return [first, *await read_until_event(stream)]

    chunks = async_to_sync(scenario)()

    assert chunks[0].startswith("retry: 3000")
    event_chunk = chunks[-1]
    new_id = Event.objects.get(message_id="new-1").pk
    assert f"id: {new_id}\n" in event_chunk
    assert "event: ioc-event" in event_chunk
    assert "Cháy rừng" in event_chunk
    assert "Phường Vĩnh Yên" in event_chunk
    assert "Ngập úng" not in "".join(chunks)  # stored before the stream started


def test_stream_honours_last_event_id(make_user: Callable[..., Any]) -> None:
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    first, second, third = (make_event(f"m-{n}") for n in range(3))

    async def scenario() -> list[str]:
        stream = live.event_stream(leader, first.pk, duration=0)
        return [chunk async for chunk in stream]

    text = "".join(async_to_sync(scenario)())

    assert f"id: {first.pk}\n" not in text
    assert f"id: {second.pk}\n" in text
    assert f"id: {third.pk}\n" in text
    assert text.endswith(": stream ends, reconnect\n\n")


def test_stream_is_scoped(make_user: Callable[..., Any]) -> None:
    officer = make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=new_unit(VINH_YEN))
    start = make_event("before")
    other = make_event("other-commune", new_unit(TIEN_PHONG))
    own = make_event("own-commune", new_unit(VINH_YEN))

    async def scenario() -> list[str]:
        return [chunk async for chunk in live.event_stream(officer, start.pk, duration=0)]

    text = "".join(async_to_sync(scenario)())

    assert f"id: {own.pk}\n" in text
    assert f"id: {other.pk}\n" not in text


def test_stream_sends_heartbeats_and_ends(
    monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., Any]
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)

    async def scenario() -> list[str]:
        return [chunk async for chunk in live.event_stream(leader, 0, duration=0.3)]

    chunks = async_to_sync(scenario)()

    assert ": heartbeat\n\n" in chunks
    assert chunks[-1] == ": stream ends, reconnect\n\n"


def test_view_streams_with_last_event_id_header(make_user: Callable[..., Any]) -> None:
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    first, second = make_event("h-1"), make_event("h-2")

    async def scenario() -> tuple[Any, list[str]]:
        client = AsyncClient()
        await client.aforce_login(leader)
        response = await client.get(
            "/ioc/dashboards/live/", headers={"Last-Event-ID": str(first.pk)}
        )
        return response, await read_until_event(response.streaming_content)

    response, chunks = async_to_sync(scenario)()

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    text = "".join(chunks)
    assert f"id: {second.pk}\n" in text
    assert f"id: {first.pk}\n" not in text


def test_wsgi_view_streams_plain_generator(
    monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., Any]
) -> None:
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.1)
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    first, second = make_event("w-1"), make_event("w-2")
    client = Client()
    client.force_login(leader)

    response = client.get(f"/ioc/dashboards/live/?after={first.pk}")

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert f"id: {second.pk}\n" in text
    assert f"id: {first.pk}\n" not in text
    assert text.endswith(": stream ends, reconnect\n\n")


def test_event_dict_labels_and_links_incident() -> None:
    event = Event.objects.create(
        event_type="soc.incident", occurred_at=timezone.now(), severity="high",
        title="Sự cố mức cao", message_id="soc-incident-7-high",
        payload={"url": "/soc/incidents/7/"},
    )  # fmt: skip
    with translation.override("en"):
        data = live.event_dict(event)
    assert data["label"] == "Cybersecurity incident"
    assert data["type"] == "soc.incident"
    assert data["url"] == "/soc/incidents/7/"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/", 7, None]
)
def test_event_dict_links_only_local_paths(url: object) -> None:
    event = make_event("odd-url")
    event.payload = {"url": url}
    data = live.event_dict(event)
    assert data["url"] == ""
    assert data["label"] == "flood"  # an unknown type shows as stored


def test_live_panel_links_incident(make_user: Callable[..., Any]) -> None:
    Event.objects.create(
        event_type="soc.incident", occurred_at=timezone.now(), severity="high",
        title="Sự cố <b>mức cao</b>", message_id="soc-incident-8-high",
        payload={"url": "/soc/incidents/8/"},
    )  # fmt: skip
    leader = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    events = [live.event_dict(event) for event in live.recent_events(leader)]
    html = render_to_string("ioc_dashboards/_live.html", {"events": events, "last_event_id": 0})
    assert '<a href="/soc/incidents/8/">Sự cố &lt;b&gt;mức cao&lt;/b&gt;</a>' in html
    assert 'data-type="soc.incident"' in html
