"""Read EVTX files with the Rust-backed ``evtx`` package into flat event records.

A flat record has the System fields (EventID, Channel, Computer, TimeCreated, Provider_Name,
EventRecordID, Level, Task, Opcode, Keywords, Version, UserID) and the EventData and UserData
fields by name. System fields win over an EventData field of the same name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from evtx import PyEvtxParser

from tinhso.soc.engine.errors import EvtxError

logger = logging.getLogger(__name__)


@dataclass
class Event:
    """One event: its flat fields for matching and the original record as parsed."""

    fields: dict[str, Any]
    original: dict[str, Any]

    @property
    def time(self) -> str:
        return str(self.fields.get("TimeCreated") or "")


def _text(value: Any) -> Any:
    """Unwrap ``{"#text": ...}`` nodes; other values pass through."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _flatten_into(target: dict[str, Any], node: Any, name: str) -> None:
    """Copy the leaves of an EventData or UserData node into target by their own names."""
    if type(node) is not dict:
        if name not in target:
            target[name] = node
        return
    if "#text" in node and name not in target:
        target[name] = node["#text"]
    for key, value in node.items():
        if type(value) is not dict:
            # The common case, a named <Data> element: inlined for speed.
            if key != "#text" and key not in target:
                target[key] = value
        elif key == "#attributes":
            for attribute, attribute_value in value.items():
                if attribute not in target:
                    target[attribute] = attribute_value
        elif key != "#text":
            _flatten_into(target, value, key)


def flatten_event(record: dict[str, Any]) -> dict[str, Any]:
    """Flatten one parsed record (``{"Event": {"System": ..., "EventData": ...}}``)."""
    event = record.get("Event") or {}
    system = event.get("System") or {}
    provider = (system.get("Provider") or {}).get("#attributes") or {}
    time_created = (system.get("TimeCreated") or {}).get("#attributes") or {}
    security = (system.get("Security") or {}) if isinstance(system.get("Security"), dict) else {}
    fields: dict[str, Any] = {
        "EventID": _text(system.get("EventID")),
        "Channel": system.get("Channel"),
        "Computer": system.get("Computer"),
        "TimeCreated": time_created.get("SystemTime"),
        "Provider_Name": provider.get("Name"),
        "EventRecordID": system.get("EventRecordID"),
        "Level": system.get("Level"),
        "Task": system.get("Task"),
        "Opcode": system.get("Opcode"),
        "Keywords": system.get("Keywords"),
        "Version": system.get("Version"),
    }
    user_id = (security.get("#attributes") or {}).get("UserID")
    if user_id is not None:
        fields["UserID"] = user_id
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            _flatten_into(fields, data, section)
        elif data is not None:
            fields.setdefault(section, data)
    _add_names_without_spaces(fields)
    return fields


def _add_names_without_spaces(fields: dict[str, Any]) -> None:
    """Copy each field whose name has spaces to the same name without them.

    Windows Defender names its data "Threat Name", "Process Name" or "Source Name", while
    SigmaHQ rules write ThreatName, ProcessName and SourceName. A field already present under
    the name without spaces keeps its value.
    """
    spaced = [name for name in fields if " " in name]
    for name in spaced:
        fields.setdefault(name.replace(" ", ""), fields[name])


# EVTX layout: a 4096-byte file header, then chunks of 65536 bytes. The header stores the
# number of chunks as a little-endian 16-bit integer at byte offset 42.
HEADER_BLOCK_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_COUNT_OFFSET = 42


def check_complete(path: Path) -> None:
    """Raise EvtxError if the file is shorter than the chunks its header announces.

    The ``evtx`` parser stops quietly at the end of a truncated file, so this is the only
    sign that events are missing.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            header = stream.read(CHUNK_COUNT_OFFSET + 2)
    except OSError as error:
        raise EvtxError(path, str(error)) from error
    if len(header) < CHUNK_COUNT_OFFSET + 2 or not header.startswith(b"ElfFile\x00"):
        raise EvtxError(path, "not an EVTX file (no 'ElfFile' header)")
    chunks = int.from_bytes(header[CHUNK_COUNT_OFFSET : CHUNK_COUNT_OFFSET + 2], "little")
    expected = HEADER_BLOCK_SIZE + chunks * CHUNK_SIZE
    if size < expected:
        raise EvtxError(
            path,
            f"truncated: the header announces {chunks} chunks ({expected} bytes) "
            f"but the file has {size} bytes",
        )


def _decode(data: str) -> Any:
    """Decode one record's JSON; the standard library handles what orjson refuses.

    orjson is several times faster but rejects integers beyond 64 bits, which json accepts.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def read_evtx(path: Path) -> list[Event]:
    """Read all events of one file; raise EvtxError if it is missing, corrupt or truncated.

    Single records that cannot be decoded as JSON are skipped with a warning, so that one
    damaged record does not hide the rest of the file.
    """
    check_complete(path)
    try:
        parser = PyEvtxParser(str(path))
    except (OSError, RuntimeError, ValueError) as error:
        raise EvtxError(path, str(error)) from error
    events: list[Event] = []
    failures = 0
    first_failure = ""
    try:
        for record in parser.records_json():
            try:
                original = _decode(record["data"]) if record is not None else None
            except (KeyError, json.JSONDecodeError) as error:
                failures += 1
                first_failure = first_failure or str(error)
                continue
            if not isinstance(original, dict):
                failures += 1
                first_failure = first_failure or "a record is not a JSON object"
                continue
            events.append(Event(flatten_event(original), original))
    except (OSError, RuntimeError, ValueError) as error:
        raise EvtxError(path, str(error)) from error
    if failures:
        logger.warning("Skipped %d undecodable records in %s: %s", failures, path, first_failure)
    return events
