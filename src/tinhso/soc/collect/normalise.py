"""Turn syslog messages, JSON objects and EVTX events into one common record.

No Django here. Each ``normalise_*`` function returns a :class:`Record` with the columns of
``SecurityEvent`` (time, host, channel, event_id, provider, user, source_ip, message), the flat
``fields`` that the Sigma engine matches and the ``original`` record. A record that cannot be
used raises :class:`RecordError` with a code and a reason, for the quarantine.

Every string is cleaned of NUL characters, because PostgreSQL rejects them in text and JSONB
columns: NUL becomes U+FFFD in the columns and fields, and the text ``\\u0000`` in the original.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tinhso.soc.collect.syslog import SyslogMessage
from tinhso.soc.engine.evtx_reader import Event

logger = logging.getLogger(__name__)

# The platform's zone (settings.TIME_ZONE). Times that carry no offset are read in it.
PLATFORM_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
REPLACEMENT = "\ufffd"
# Nested JSON deeper than this is kept as one field holding the rest as it came.
MAX_FLATTEN_DEPTH = 16


class RecordError(ValueError):
    """A record that cannot be stored, with a stable ``code`` and a ``reason`` naming the fix."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Record:
    """One event in the common schema, ready to store."""

    time: dt.datetime
    host: str = ""
    channel: str = ""
    event_id: str = ""
    provider: str = ""
    user: str = ""
    source_ip: str = ""
    message: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    original: dict[str, Any] = field(default_factory=dict)


# --- Syslog ----------------------------------------------------------------------------------

# Structured-data parameters and message patterns that name the address an event came from.
_ADDRESS_PARAMS = ("src", "srcip", "src_ip", "source_ip", "client", "clientip", "rhost", "ip")
_USER_PARAMS = ("user", "username", "usr", "suser", "duser", "account")
_FROM_ADDRESS = re.compile(r"\bfrom (?P<address>[0-9a-fA-F.:]{3,45})\b")
_SSH_USER = re.compile(r"\bfor (?:invalid user )?(?P<user>[^\s]{1,64}) from ")


def normalise_syslog(
    message: SyslogMessage, *, received_at: dt.datetime, transport: str, peer: str
) -> Record:
    """Return the record of one parsed syslog message.

    The time is the message's own, and an RFC 5424 time carries its offset. An RFC 3164 time
    has no year and no zone, so the receiver reads it in the year nearest the receipt and in
    the zone of ``received_at``, which the collector sets to the platform zone
    Asia/Ho_Chi_Minh. A message without a time gets ``received_at``. Text that was not valid UTF-8 is kept with
    U+FFFD in place of the bad bytes and the field ``InvalidUtf8``, while ``original["raw"]``
    keeps those bytes as ``\\xNN`` escapes. A host name with invalid bytes cannot identify a
    source, so it raises RecordError.
    """
    if REPLACEMENT in message.hostname or REPLACEMENT in message.app_name:
        raise RecordError(
            "invalid_utf8_header",
            "the host name or application name is not valid UTF-8; "
            "configure the sender to send UTF-8 (RFC 5424 requires it)",
        )
    time = message.timestamp or received_at
    if time.tzinfo is None:
        time = time.replace(tzinfo=PLATFORM_ZONE)
    peer_address = peer_host(peer)
    host = message.hostname or peer_address
    fields: dict[str, Any] = {
        "Hostname": host,
        "Application": message.app_name,
        "app_name": message.app_name,
        "ProcId": message.procid,
        "MsgId": message.msgid,
        "Message": message.message,
        "Facility": message.facility_name,
        "Severity": message.severity_name,
        "SyslogFormat": message.format,
    }
    params: dict[str, str] = {}
    for element_id, element in message.structured_data.items():
        for name, value in element.items():
            fields[f"{element_id}.{name}"] = value
            params.setdefault(name.lower(), value)
            fields.setdefault(name, value)
    if message.invalid_utf8:
        fields["InvalidUtf8"] = True
    source_ip = _first(params, _ADDRESS_PARAMS) or _address_in(message.message)
    user = _first(params, _USER_PARAMS) or _ssh_user(message.message)
    if source_ip:
        fields.setdefault("SourceIp", source_ip)
    if user:
        fields.setdefault("User", user)
    original: dict[str, Any] = {
        "format": message.format,
        "raw": escape_bytes(message.raw),
        "transport": transport,
        "peer": peer,
        # The receipt time makes two identical messages two records, while the receiver's
        # redelivery of the same message (same receipt time) is still recognised.
        "received_at": received_at.isoformat(),
    }
    if message.notes:
        original["notes"] = list(message.notes)
    return _clean(
        Record(
            time=time,
            host=host,
            channel=message.facility_name,
            event_id=message.msgid,
            provider=message.app_name,
            user=user,
            source_ip=source_ip,
            message=message.message,
            fields=fields,
            original=original,
        )
    )


def peer_host(peer: str) -> str:
    """Return the address part of ``host:port`` (IPv6 addresses contain colons too)."""
    host, separator, port = peer.rpartition(":")
    if separator and port.isdigit():
        return host.strip("[]")
    return peer


def _first(params: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        value = params.get(name, "").strip()
        if value and value != "-":
            return value
    return ""


def _address_in(text: str) -> str:
    match = _FROM_ADDRESS.search(text)
    if match is None:
        return ""
    try:
        return str(ipaddress.ip_address(match.group("address")))
    except ValueError:
        return ""


def _ssh_user(text: str) -> str:
    match = _SSH_USER.search(text)
    return match.group("user") if match else ""


def escape_bytes(raw: bytes) -> str:
    """Return ``raw`` as text with invalid UTF-8 bytes and NUL written as ``\\xNN``."""
    return raw.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


# --- JSON lines ------------------------------------------------------------------------------

# Well-known keys of common shippers (ECS, Graylog GELF, Windows forwarders), looked up in this
# order in the flattened object.
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "datetime", "event.created", "TimeCreated")
HOST_KEYS = ("host.name", "hostname", "host", "Computer", "computer", "device", "host.hostname")
USER_KEYS = ("user.name", "user", "username", "TargetUserName", "SubjectUserName", "User")
ADDRESS_KEYS = ("source.ip", "source_ip", "src_ip", "srcip", "src", "client.ip", "IpAddress")
MESSAGE_KEYS = ("message", "msg", "Message", "short_message", "full_message")
CHANNEL_KEYS = ("channel", "Channel", "event.dataset", "log.logger", "facility")
EVENT_ID_KEYS = ("event_id", "EventID", "event.code", "event.id")
PROVIDER_KEYS = ("provider", "Provider_Name", "event.provider", "app", "program", "service.name")


def normalise_json(
    obj: Mapping[str, Any], *, received_at: dt.datetime, default_host: str
) -> Record:
    """Return the record of one JSON object sent as a line of JSON lines.

    Nested objects become dotted keys (``{"host": {"name": "a"}}`` gives ``host.name``) and
    lists stay lists. The time comes from the first of ``TIME_KEYS`` present: ISO 8601 text
    (read in the platform zone when it has no offset) or seconds since 1970 (milliseconds when
    the number is above 10^11). Without a time the record gets ``received_at``, and without a
    host name ``default_host``. A time that is present but unreadable raises RecordError.
    """
    fields = flatten(obj)
    time_key = next((key for key in TIME_KEYS if _present(fields.get(key))), None)
    time = received_at if time_key is None else parse_time(fields[time_key], time_key)
    record = Record(
        time=time,
        host=_text_of(fields, HOST_KEYS) or default_host,
        channel=_text_of(fields, CHANNEL_KEYS),
        event_id=_text_of(fields, EVENT_ID_KEYS),
        provider=_text_of(fields, PROVIDER_KEYS),
        user=_text_of(fields, USER_KEYS),
        source_ip=_text_of(fields, ADDRESS_KEYS),
        message=_text_of(fields, MESSAGE_KEYS),
        fields=fields,
        original=dict(obj),
    )
    return _clean(record)


def flatten(obj: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Return the leaves of ``obj`` under dotted keys; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth < MAX_FLATTEN_DEPTH:
            flat.update(flatten(value, f"{name}.", depth + 1))
        else:
            flat[name] = value
    return flat


def _present(value: Any) -> bool:
    return value is not None and value != "" and not isinstance(value, bool)


def _text_of(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            return str(value)
    return ""


def parse_time(value: Any, key: str = "time") -> dt.datetime:
    """Return an aware time from ISO 8601 text or seconds (or milliseconds) since 1970."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise RecordError(
                "invalid_time", f"{key}={value!r} is not a time in seconds since 1970"
            ) from None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=PLATFORM_ZONE)
    raise RecordError(
        "invalid_time",
        f"{key}={str(value)[:60]!r} is not a time; write ISO 8601 such as "
        "2025-07-01T08:30:00+07:00, or seconds since 1970",
    )


# --- EVTX ------------------------------------------------------------------------------------

EVTX_USER_KEYS = ("TargetUserName", "SubjectUserName", "User", "UserName", "AccountName")
EVTX_ADDRESS_KEYS = ("IpAddress", "SourceIp", "SourceAddress", "ClientAddress", "IpAddr")
# Fields that summarise an event best, for the message column; EVTX files carry no text.
EVTX_MESSAGE_KEYS = (
    "CommandLine", "ScriptBlockText", "Payload", "QueryName", "TargetFilename", "TargetObject",
    "ServiceName", "ImagePath", "Image", "ObjectName", "RelativeTargetName", "ShareName",
)  # fmt: skip
_EMPTY_VALUES = frozenset({"", "-", "::1", "127.0.0.1"})


def normalise_evtx(event: Event) -> Record:
    """Return the record of one EVTX event; the flat fields keep their Windows names."""
    fields = dict(event.fields)
    created = fields.get("TimeCreated")
    if not created:
        raise RecordError("missing_time", "the event has no System/TimeCreated")
    time = parse_time(created, "TimeCreated")
    event_id = fields.get("EventID")
    return _clean(
        Record(
            time=time,
            host=str(fields.get("Computer") or ""),
            channel=str(fields.get("Channel") or ""),
            event_id="" if event_id is None else str(event_id),
            provider=str(fields.get("Provider_Name") or ""),
            user=_windows_value(fields, EVTX_USER_KEYS),
            source_ip=_windows_value(fields, EVTX_ADDRESS_KEYS),
            message=_windows_value(fields, EVTX_MESSAGE_KEYS),
            fields=fields,
            original=event.original,
        )
    )


def _windows_value(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = fields.get(key)
        if value is not None and str(value).strip() not in _EMPTY_VALUES:
            return str(value)
    return ""


# --- Cleaning --------------------------------------------------------------------------------


def _clean(record: Record) -> Record:
    for name in ("host", "channel", "event_id", "provider", "user", "source_ip", "message"):
        setattr(record, name, getattr(record, name).replace("\x00", REPLACEMENT))
    record.fields = _without_nul(record.fields, REPLACEMENT)
    record.original = _without_nul(record.original, "\\u0000")
    return record


def _without_nul(value: Any, replacement: str) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", replacement) if "\x00" in value else value
    if isinstance(value, Mapping):
        return {
            _without_nul(str(key), replacement): _without_nul(item, replacement)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_nul(item, replacement) for item in value]
    return value
