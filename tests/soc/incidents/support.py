"""Helpers for the incident tests: log sources, stored events, findings and EVTX loading.

The collectors own the real ingest; :func:`store_evtx` stores the events of an EVTX file the
way a test needs them, with the engine's reader and the normalised columns filled in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

from tinhso.core.models import Department
from tinhso.soc.engine import read_evtx
from tinhso.soc.findings import Finding
from tinhso.soc.models import LogSource, SecurityEvent, SourceKind

SAMPLES = "soc/evtx-attack-samples"
RULES = "soc/sigma/rules/windows"
# A real attack sample: rundll32 and mshta launching a scheduled task on host IEWIN7, with
# eight Sysmon events that several process-creation rules match.
MSHTA_SAMPLE = "Execution/exec_persist_rundll32_mshta_scheduledtask_sysmon_1_3_11.evtx"
MSHTA_RULES = (
    "process_creation/proc_creation_win_susp_shell_spawn_susp_program.yml",
    "process_creation/proc_creation_win_mshta_http.yml",
    "process_creation/proc_creation_win_schtasks_creation.yml",
)
SHELL_SPAWN_RULE = "3a6586ad-127a-4d3b-a677-1e6eacdf8fde"
BASE_TIME = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)

_counter = itertools.count(1)


def make_agency(code: str = "so-khcn", name: str = "Sở Khoa học và Công nghệ") -> Department:
    return Department.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_source(
    agency: Department | None = None, host: str = "WS-01", kind: str = SourceKind.SYSLOG
) -> LogSource:
    return LogSource.objects.get_or_create(agency=agency or make_agency(), host=host, kind=kind)[0]


def make_event(
    source: LogSource,
    time: dt.datetime = BASE_TIME,
    user: str = "nva",
    fields: dict[str, Any] | None = None,
) -> SecurityEvent:
    number = next(_counter)
    record = fields or {"EventID": "4688", "Channel": "Security", "Computer": source.host}
    return SecurityEvent.objects.create(
        source=source,
        time=time,
        host=source.host,
        channel=str(record.get("Channel", "")),
        event_id=str(record.get("EventID", "")),
        user=user,
        fields=record,
        original={"record": number, **record},
        digest=hashlib.sha256(f"{source.pk}-{number}-{time.isoformat()}".encode()).hexdigest(),
    )


def finding_for(
    event: SecurityEvent,
    rule_id: str = "rule-a",
    severity: str = "medium",
    tags: tuple[str, ...] = ("attack.execution", "attack.t1059.001"),
    **fields: Any,
) -> Finding:
    values: dict[str, Any] = {
        "kind": "sigma",
        "rule_id": rule_id,
        "title": f"Rule {rule_id}",
        "severity": severity,
        "time": event.time,
        "host": event.host,
        "user": event.user,
        "tags": tags,
        "event_ids": (event.pk,),
    }
    values.update(fields)
    return Finding(**values)


def _user_of(fields: dict[str, Any]) -> str:
    for name in ("User", "TargetUserName", "SubjectUserName"):
        value = fields.get(name)
        if isinstance(value, str) and value and value != "-":
            return value
    return ""


def store_evtx(path: Path, agency: Department) -> list[SecurityEvent]:
    """Store every event of an EVTX file as a SecurityEvent of a source per host."""
    stored = []
    for event in read_evtx(path):
        fields = event.fields
        host = str(fields.get("Computer") or "")
        source = make_source(agency, host=host, kind=SourceKind.EVTX)
        original = json.dumps(event.original, sort_keys=True)
        stored.append(
            SecurityEvent.objects.create(
                source=source,
                time=dt.datetime.fromisoformat(str(fields["TimeCreated"]).replace("Z", "+00:00")),
                host=host,
                channel=str(fields.get("Channel") or ""),
                event_id=str(fields.get("EventID") or ""),
                provider=str(fields.get("Provider_Name") or ""),
                user=_user_of(fields),
                fields=fields,
                original=event.original,
                digest=hashlib.sha256(f"{source.pk}:{original}".encode()).hexdigest(),
            )
        )
    return stored
