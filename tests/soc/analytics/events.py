"""Store real EVTX events as ``SecurityEvent`` rows, as the collectors would, for the tests."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import SHARED_DATA
from tinhso.core.models import Department
from tinhso.soc.engine import Event, read_evtx
from tinhso.soc.models import LogSource, SecurityEvent, SourceKind

SAMPLES = SHARED_DATA / "soc" / "evtx-attack-samples"


def make_source(host: str = "dc01") -> LogSource:
    agency, _ = Department.objects.get_or_create(code="so-tt", defaults={"name": "Sở Thông tin"})
    source, _ = LogSource.objects.get_or_create(agency=agency, host=host, kind=SourceKind.EVTX)
    return source


def event_time(fields: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(fields["TimeCreated"]).replace("Z", "+00:00"))


def sample_events(relative: str) -> list[Event]:
    return read_evtx(SAMPLES / relative)


def store(
    source: LogSource,
    events: Iterable[Event],
    *,
    shift: timedelta = timedelta(0),
    at: datetime | None = None,
    changes: Mapping[str, Any] | None = None,
) -> list[SecurityEvent]:
    """Store events, moved by ``shift`` or to the time ``at``, with ``changes`` to their fields."""
    rows = []
    for event in events:
        fields = {**event.fields, **(changes or {})}
        time = at if at is not None else event_time(event.fields) + shift
        fields["TimeCreated"] = time.isoformat()
        digest_input = json.dumps([source.pk, fields], sort_keys=True, default=str)
        rows.append(
            SecurityEvent(
                source=source,
                time=time,
                host=str(fields.get("Computer") or ""),
                channel=str(fields.get("Channel") or ""),
                event_id=str(fields.get("EventID") or ""),
                provider=str(fields.get("Provider_Name") or ""),
                user=str(fields.get("TargetUserName") or fields.get("SubjectUserName") or ""),
                source_ip=str(fields.get("IpAddress") or ""),
                fields=fields,
                original=event.original,
                digest=hashlib.sha256(digest_input.encode()).hexdigest(),
            )
        )
    return SecurityEvent.objects.bulk_create(rows)
