"""MQTT ingest: indicator values and events from the broker into the IOC database.

Topics under the root (``TINHSO_MQTT_TOPIC_ROOT``, default ``tinhso``) and their JSON payloads:

``ROOT/values/{INDICATOR_CODE}``
    ``{"id": "...", "unit": "08707", "period": "20250105", "value": 12.5,
    "disaggregation": ""}``. ``"time"`` (ISO 8601 with a UTC offset) may replace
    ``"period"``; it names the day that contains it in the platform's time zone.
``ROOT/events/{EVENT_TYPE}``
    ``{"id": "...", "time": "2025-07-01T08:30:00+07:00", "unit": "08707", "lon": 105.6,
    "lat": 21.3, "severity": "high", "title": "...", "data": {...}}``; only ``id`` and
    ``time`` are required.

Delivery is at least once. The worker subscribes with QoS 1 in a persistent session and
sends the PUBACK of a message only after the transaction that stores it has committed, so a
crash or a database outage leaves the message on the broker. A redelivered message is
skipped by its idempotency key, ``mqtt:`` + ``id``: values through ReceivedKey, events
through the unique ``Event.message_id``. A message that can never be stored (invalid JSON,
unknown unit, wrong type, too large, ...) goes to the quarantine of the worker run's import
batch and is acknowledged, so that the broker does not deliver it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import math
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from tinhso.config import ConfigurationError, parse_int, redact_url
from tinhso.core.models import Unit
from tinhso.core.services.units import code_candidates
from tinhso.ingest import report as import_report
from tinhso.ingest.models import BatchStatus, ImportBatch, QuarantineRecord
from tinhso.ioc import periods
from tinhso.ioc.alerts import hooks as alert_hooks
from tinhso.ioc.models import Event, Indicator, SourceKind, ValueType
from tinhso.ioc.services.values import IncomingValue, StoreResult, store_values

logger = logging.getLogger(__name__)

IMPORT_KIND = "ioc.mqtt"
KEY_PREFIX = "mqtt:"

DEFAULT_URL = "mqtt://127.0.0.1:1883"
DEFAULT_TOPIC_ROOT = "tinhso"
DEFAULT_CLIENT_ID = "tinhso-ingest"
DEFAULT_BATCH_SIZE = 500
DEFAULT_MAX_BATCH_WAIT_MS = 200
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024
DEFAULT_SESSION_EXPIRY_SECONDS = 7 * 24 * 60 * 60
KEEPALIVE_SECONDS = 60

# MQTT packet identifiers are 16-bit, so no more messages can be unacknowledged at once.
MAX_RECEIVE_MAXIMUM = 65535

# Backoff between attempts to store a batch while the database is unavailable.
FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 30.0

# Units and indicators are cached in memory and reloaded after this many seconds.
REFERENCE_MAX_AGE_SECONDS = 300.0
PROGRESS_LOG_SECONDS = 60.0
# Maximum time in seconds between two checks for a stop request.
POLL_SECONDS = 0.1

# Longest stored field values, from the model definitions.
MAX_ID_LENGTH = 200 - len(KEY_PREFIX)
MAX_EVENT_TYPE_LENGTH = 80
MAX_SEVERITY_LENGTH = 16
MAX_TITLE_LENGTH = 300
MAX_DISAGGREGATION_LENGTH = 200
MAX_TOPIC_LENGTH = 300
MAX_POSITION_LENGTH = 500
# The quarantine keeps this much of a payload that exceeds the size limit.
OVERSIZED_RAW_PREFIX = 1024

# Database errors after which the same batch is tried again: the database is down,
# restarting, unreachable or locked (SQLite), so nothing about the messages is wrong.
RETRYABLE_ERRORS = (OperationalError, InterfaceError)
# Errors that one message can cause in spite of validation, for example a unit deleted
# between validation and insert. The batch is then stored one message at a time.
MESSAGE_ERRORS = (IntegrityError, DataError)


# --- Settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MqttSettings:
    """Connection and batching settings of the ingest worker."""

    url: str
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    topic_root: str
    client_id: str
    batch_size: int
    max_batch_wait: float  # seconds
    max_message_bytes: int
    session_expiry: int  # seconds

    @property
    def display_url(self) -> str:
        """The broker URL without its password, for messages and logs."""
        return redact_url(self.url)

    @property
    def receive_maximum(self) -> int:
        """Unacknowledged messages the broker may send: the current batch and the next one."""
        return min(MAX_RECEIVE_MAXIMUM, 2 * self.batch_size)

    @property
    def topic_filters(self) -> list[str]:
        return [f"{self.topic_root}/values/+", f"{self.topic_root}/events/+"]


def parse_mqtt_url(url: str) -> tuple[str, int, str | None, str | None, bool]:
    """Split ``mqtt://user:password@host:port`` (or ``mqtts://`` for TLS) into its parts."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    shown = redact_url(url)
    if scheme not in {"mqtt", "mqtts"}:
        raise ConfigurationError(
            _(
                "TINHSO_MQTT_URL=%(url)s has the unsupported scheme %(scheme)r; "
                "use mqtt://HOST:PORT or mqtts://HOST:PORT for TLS."
            )
            % {"url": shown, "scheme": scheme}
        )
    if not parts.hostname:
        raise ConfigurationError(
            _("TINHSO_MQTT_URL=%(url)s names no host; use mqtt://127.0.0.1:1883.") % {"url": shown}
        )
    if parts.path not in {"", "/"}:
        raise ConfigurationError(
            _(
                "TINHSO_MQTT_URL=%(url)s has a path; set the topic root with "
                "TINHSO_MQTT_TOPIC_ROOT instead."
            )
            % {"url": shown}
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(
            _("TINHSO_MQTT_URL=%(url)s has an invalid port.") % {"url": shown}
        ) from None
    tls = scheme == "mqtts"
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, port or (8883 if tls else 1883), username, password, tls


def check_topic_root(root: str) -> str:
    """Return ``root`` if it can prefix the worker's topic filters; raise ConfigurationError otherwise."""
    if not root or root.startswith("/") or root.endswith("/"):
        raise ConfigurationError(
            _(
                "TINHSO_MQTT_TOPIC_ROOT=%(root)r is invalid; use topic levels without a leading "
                "or trailing slash, such as tinhso or phutho/ioc."
            )
            % {"root": root}
        )
    if "+" in root or "#" in root or "\x00" in root:
        raise ConfigurationError(
            _("TINHSO_MQTT_TOPIC_ROOT=%(root)r contains a wildcard (+ or #) or a NUL character.")
            % {"root": root}
        )
    return root


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    batch_size: int | None = None,
    max_batch_wait_ms: int | None = None,
    max_message_bytes: int | None = None,
) -> MqttSettings:
    """Read the ``TINHSO_MQTT_*`` variables; arguments that are not None override them."""
    env = os.environ if environ is None else environ
    url = env.get("TINHSO_MQTT_URL", DEFAULT_URL)
    host, port, username, password, tls = parse_mqtt_url(url)
    client_id = env.get("TINHSO_MQTT_CLIENT_ID", DEFAULT_CLIENT_ID)
    if not client_id.strip():
        raise ConfigurationError(
            _("TINHSO_MQTT_CLIENT_ID is empty; a persistent session needs a fixed client id.")
        )

    if batch_size is None:
        batch_size = _int_setting(env, "TINHSO_MQTT_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    if max_batch_wait_ms is None:
        max_batch_wait_ms = _int_setting(
            env, "TINHSO_MQTT_MAX_BATCH_WAIT_MS", DEFAULT_MAX_BATCH_WAIT_MS
        )
    if max_message_bytes is None:
        max_message_bytes = _int_setting(
            env, "TINHSO_MQTT_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES
        )
    session_expiry = _int_setting(env, "TINHSO_MQTT_SESSION_EXPIRY", DEFAULT_SESSION_EXPIRY_SECONDS)
    if not 1 <= batch_size <= MAX_RECEIVE_MAXIMUM:
        raise ConfigurationError(
            _(
                "The MQTT batch size %(size)s is not between 1 and %(max)s, the maximum number "
                "of unacknowledged messages that MQTT allows."
            )
            % {"size": batch_size, "max": MAX_RECEIVE_MAXIMUM}
        )
    if max_batch_wait_ms < 1:
        raise ConfigurationError(
            _("The maximum batch wait %(wait)s ms is below 1 ms.") % {"wait": max_batch_wait_ms}
        )
    if max_message_bytes < 1:
        raise ConfigurationError(
            _("The maximum message size %(size)s is below 1 byte.") % {"size": max_message_bytes}
        )

    return MqttSettings(
        url=url,
        host=host,
        port=port,
        username=username,
        password=password,
        tls=tls,
        topic_root=check_topic_root(env.get("TINHSO_MQTT_TOPIC_ROOT", DEFAULT_TOPIC_ROOT)),
        client_id=client_id,
        batch_size=batch_size,
        max_batch_wait=max_batch_wait_ms / 1000,
        max_message_bytes=max_message_bytes,
        session_expiry=min(session_expiry, 0xFFFFFFFF),
    )


def _int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    return parse_int(name, env.get(name, "") or str(default), minimum=1)


# --- Messages and their validation ---------------------------------------------------------


class InboundMessage(NamedTuple):
    """A message as received; ``connection`` numbers the broker connection it arrived on.

    A named tuple, because paho's network thread creates one per message.
    """

    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int = 0


@dataclass(frozen=True)
class Rejection:
    """Why a message goes to quarantine: a stable ``code``, the ``field`` and a translated message."""

    code: str
    message: str
    field: str = ""


class RejectedMessageError(Exception):
    """Raised inside validation; carries the rejection of the message."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(code)
        self.rejection = Rejection(code, message, field)


@dataclass
class Outcome:
    """A message after validation: a value to store, an event to store, or a rejection."""

    message: InboundMessage
    message_id: str = ""
    value: IncomingValue | None = None
    event: Event | None = None
    rejection: Rejection | None = None

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.message_id

    def quarantine_record(self, batch_id: int) -> QuarantineRecord:
        if self.rejection is None:
            raise ValueError("only a rejected message goes to quarantine")
        position = f"{self.message.topic} {self.message_id}".strip()
        return QuarantineRecord(
            batch_id=batch_id,
            position=safe_text(position)[:MAX_POSITION_LENGTH],
            field=self.rejection.field[:100],
            code=self.rejection.code,
            message=self.rejection.message,
            raw=self._raw(),
        )

    def _raw(self) -> dict[str, object]:
        payload = self.message.payload
        raw: dict[str, object] = {"topic": safe_text(self.message.topic)}
        if self.rejection is not None and self.rejection.code == "too_large":
            raw["payload"] = raw_text(payload[:OVERSIZED_RAW_PREFIX])
            raw["size"] = len(payload)
        else:
            raw["payload"] = raw_text(payload)
        return raw


def safe_text(text: str) -> str:
    """``text`` without NUL characters and lone surrogates, which PostgreSQL text cannot store."""
    cleaned = text.encode("utf-8", "replace").decode("utf-8")
    return cleaned.replace("\x00", "\ufffd")


def raw_text(payload: bytes) -> str:
    """Decode ``payload`` for the quarantine, replacing invalid UTF-8 and NUL with U+FFFD."""
    return payload.decode("utf-8", "replace").replace("\x00", "\ufffd")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


# One decoder for all messages; json.loads with an argument builds a new one per call.
_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _has_invalid_text(data: object) -> bool:
    """Check whether a string in ``data``, keys included, contains NUL or a lone surrogate."""
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    value_type: str


@dataclass(frozen=True)
class _UnitRow:
    id: int
    level: int
    valid_from: dt.date | None
    valid_to: dt.date | None

    def valid_on(self, date: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= date) and (
            self.valid_to is None or self.valid_to >= date
        )


class ReferenceCache:
    """Units and indicators in memory, so that validating a message costs no query.

    Unit codes resolve as :func:`tinhso.core.services.units.find_unit` resolves them: the
    unit with the code valid on the date, else the one with that code that ended most
    recently. A code or indicator not in the cache is looked up once in the database
    before a message is rejected for it, and the result is kept until the next reload.
    """

    def __init__(self, max_age: float = REFERENCE_MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._loaded_at: float | None = None
        self._units: dict[str, list[_UnitRow]] = {}
        self._indicators: dict[str, IndicatorInfo | None] = {}
        self._resolved: dict[tuple[str, dt.date], int | None] = {}

    def refresh_if_stale(self) -> None:
        now = time.monotonic()
        if self._loaded_at is not None and now - self._loaded_at < self.max_age:
            return
        units: dict[str, list[_UnitRow]] = {}
        rows = Unit.objects.values_list("id", "code", "level", "valid_from", "valid_to")
        for unit_id, code, level, valid_from, valid_to in rows:
            units.setdefault(code, []).append(_UnitRow(unit_id, level, valid_from, valid_to))
        for candidates in units.values():
            candidates.sort(key=lambda row: (row.level, row.valid_from or dt.date.min))
        indicators: dict[str, IndicatorInfo | None] = {
            code: IndicatorInfo(indicator_id, value_type)
            for indicator_id, code, value_type in Indicator.objects.values_list(
                "id", "code", "value_type"
            )
        }
        self._units, self._indicators, self._resolved = units, indicators, {}
        self._loaded_at = now
        logger.debug(
            "Reference cache loaded: %s unit codes, %s indicators", len(units), len(indicators)
        )

    def indicator(self, code: str) -> IndicatorInfo | None:
        if code not in self._indicators:
            found = Indicator.objects.filter(code=code).values_list("id", "value_type").first()
            self._indicators[code] = IndicatorInfo(*found) if found else None
        return self._indicators[code]

    def unit_id(self, code: str, date: dt.date) -> int | None:
        cache_key = (code, date)
        if cache_key not in self._resolved:
            self._resolved[cache_key] = self._resolve(code, date)
        return self._resolved[cache_key]

    def _resolve(self, code: str, date: dt.date) -> int | None:
        for candidate in code_candidates(code):
            rows = self._units.get(candidate)
            if rows is None:
                rows = self._load_code(candidate)
            for row in rows:
                if row.valid_on(date):
                    return row.id
            ended = [row for row in rows if row.valid_to is not None]
            if ended:
                return max(ended, key=lambda row: row.valid_to or dt.date.min).id
        return None

    def _load_code(self, code: str) -> list[_UnitRow]:
        rows = [
            _UnitRow(unit_id, level, valid_from, valid_to)
            for unit_id, level, valid_from, valid_to in Unit.objects.filter(code=code).values_list(
                "id", "level", "valid_from", "valid_to"
            )
        ]
        rows.sort(key=lambda row: (row.level, row.valid_from or dt.date.min))
        self._units[code] = rows
        return rows


class PayloadParser:
    """Validation of received messages into values, events or rejections; it writes nothing."""

    def __init__(
        self,
        topic_root: str,
        reference: ReferenceCache,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        batch_id: int | None = None,
    ) -> None:
        self.values_prefix = f"{topic_root}/values/"
        self.events_prefix = f"{topic_root}/events/"
        self.reference = reference
        self.max_message_bytes = max_message_bytes
        self.batch_id = batch_id
        # The platform's time zone (TIME_ZONE), which decides the day of a "time".
        self.zone = timezone.get_default_timezone()

    def parse(self, message: InboundMessage) -> Outcome:
        """Validate one message. Database errors propagate, so that the batch is retried."""
        outcome = Outcome(message)
        try:
            self._parse_into(outcome)
        except RejectedMessageError as rejected:
            outcome.value = outcome.event = None
            outcome.rejection = rejected.rejection
        except DatabaseError:
            raise
        except Exception:
            # A bug in validation must not stop the worker or block the queue behind it:
            # the message goes to quarantine with the traceback in the log.
            logger.exception(
                "Unexpected error while validating message %r on topic %s",
                outcome.message_id, safe_text(message.topic),
            )  # fmt: skip
            outcome.value = outcome.event = None
            outcome.rejection = Rejection(
                "processing_error",
                _("The platform could not process this message; the error is in the worker's log."),
            )
        return outcome

    def _parse_into(self, outcome: Outcome) -> None:
        message = outcome.message
        if len(message.payload) > self.max_message_bytes:
            raise RejectedMessageError(
                "too_large",
                _(
                    "The message has %(size)s bytes, more than the limit of %(limit)s bytes. "
                    "Send smaller messages or raise TINHSO_MQTT_MAX_MESSAGE_BYTES."
                )
                % {"size": len(message.payload), "limit": self.max_message_bytes},
            )
        if message.topic.startswith(self.values_prefix):
            kind, name = "values", message.topic[len(self.values_prefix) :]
        elif message.topic.startswith(self.events_prefix):
            kind, name = "events", message.topic[len(self.events_prefix) :]
        else:
            kind, name = "", ""
        if not name or "/" in name:
            raise RejectedMessageError(
                "unknown_topic",
                _(
                    "The topic %(topic)r is not of the form %(values)s{INDICATOR_CODE} or %(events)s{EVENT_TYPE}."
                )
                % {
                    "topic": safe_text(message.topic),
                    "values": self.values_prefix,
                    "events": self.events_prefix,
                },
            )

        data = self._decode(message.payload)
        outcome.message_id = self._message_id(data)
        if kind == "values":
            outcome.value = self._value(name, data, message.topic, outcome.key)
        else:
            outcome.event = self._event(name, data, message.topic, outcome.key)

    def _decode(self, payload: bytes) -> dict[str, Any]:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RejectedMessageError(
                "invalid_encoding",
                _("The payload is not valid UTF-8 (invalid byte at position %(position)s).")
                % {"position": error.start},
            ) from None
        try:
            data = _JSON_DECODER.decode(text)
        except (ValueError, RecursionError) as error:
            raise RejectedMessageError(
                "invalid_json",
                _("The payload is not valid JSON: %(error)s.") % {"error": safe_text(str(error))},
            ) from None
        if not isinstance(data, dict):
            raise RejectedMessageError(
                "not_an_object",
                _('The payload is a JSON %(type)s; send a JSON object with an "id" field.')
                % {"type": type(data).__name__},
            )
        if _has_invalid_text(data):
            raise RejectedMessageError(
                "invalid_text",
                _(
                    "The payload contains a NUL character (\\u0000) or an unpaired surrogate, which cannot be stored."
                ),
            )
        return data

    def _message_id(self, data: dict[str, Any]) -> str:
        raw = data.get("id")
        if raw is None or raw == "":
            raise RejectedMessageError(
                "missing_id",
                _(
                    'The message has no "id"; every message needs a unique id so that a redelivery is recognised.'
                ),
                "id",
            )
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise RejectedMessageError(
                "invalid_type", _('The "id" must be a string or a whole number.'), "id"
            )
        message_id = str(raw)
        if not message_id.strip() or len(message_id) > MAX_ID_LENGTH:
            raise RejectedMessageError(
                "invalid_id",
                _('The "id" must have between 1 and %(max)s characters and not be blank.')
                % {"max": MAX_ID_LENGTH},
                "id",
            )
        return message_id

    def _value(
        self, indicator_code: str, data: dict[str, Any], topic: str, key: str
    ) -> IncomingValue:
        indicator = self.reference.indicator(indicator_code)
        if indicator is None:
            raise RejectedMessageError(
                "unknown_indicator",
                _(
                    "No indicator has the code %(code)r (from the topic). Create the indicator first or correct the topic."
                )
                % {"code": indicator_code},
            )
        period = self._period(data)
        unit_code = self._unit_code(data)
        if unit_code is None:
            raise RejectedMessageError(
                "missing_field", _('The message has no "unit" code.'), "unit"
            )
        unit_id = self._unit_id(unit_code, period.end)
        number = self._number(data, indicator)

        disaggregation = data.get("disaggregation")
        if disaggregation is None:
            disaggregation = ""
        if not isinstance(disaggregation, str):
            raise RejectedMessageError(
                "invalid_type", _('The "disaggregation" must be a string.'), "disaggregation"
            )
        if len(disaggregation) > MAX_DISAGGREGATION_LENGTH:
            raise RejectedMessageError(
                "invalid_value",
                _('The "disaggregation" has more than %(max)s characters.')
                % {"max": MAX_DISAGGREGATION_LENGTH},
                "disaggregation",
            )
        return IncomingValue(
            indicator_id=indicator.id,
            unit_id=unit_id,
            period=period,
            value=number,
            disaggregation=disaggregation,
            source_kind=SourceKind.MQTT,
            idempotency_key=key,
            batch_id=self.batch_id,
            topic=topic[:MAX_TOPIC_LENGTH],
        )

    def _period(self, data: dict[str, Any]) -> periods.Period:
        raw_period = data.get("period")
        raw_time = data.get("time")
        if raw_period is not None and raw_time is not None:
            raise RejectedMessageError(
                "invalid_value",
                _('The message has both "period" and "time"; send one of them.'),
                "period",
            )
        if raw_period is None:
            if raw_time is None:
                raise RejectedMessageError(
                    "missing_field",
                    _(
                        'The message has neither "period" (e.g. 20250105) nor "time" (ISO 8601 with offset).'
                    ),
                    "period",
                )
            return periods.day(self._time(raw_time)[1])
        if isinstance(raw_period, bool) or not isinstance(raw_period, str | int):
            raise RejectedMessageError(
                "invalid_type", _('The "period" must be a string such as 20250105.'), "period"
            )
        return _parse_period(str(raw_period))

    def _time(self, raw: object) -> tuple[dt.datetime, dt.date]:
        """Parse ``raw`` into an aware time and its date in the platform's time zone."""
        if not isinstance(raw, str):
            raise RejectedMessageError(
                "invalid_type",
                _('The "time" must be an ISO 8601 string such as 2025-07-01T08:30:00+07:00.'),
                "time",
            )
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise RejectedMessageError(
                "invalid_time",
                _(
                    'The "time" %(value)r is not an ISO 8601 date and time such as 2025-07-01T08:30:00+07:00.'
                )
                % {"value": raw},
                "time",
            ) from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise RejectedMessageError(
                "invalid_time",
                _('The "time" %(value)r has no UTC offset; append one, such as +07:00 or Z.')
                % {"value": raw},
                "time",
            )
        try:
            # Both conversions fail for times within hours of year 1 or year 9999, which
            # the database could not store either.
            moment.astimezone(dt.UTC)
            local_date = moment.astimezone(self.zone).date()
        except OverflowError:
            raise RejectedMessageError(
                "invalid_time",
                _('The "time" %(value)r is out of the range of dates the platform stores.')
                % {"value": raw},
                "time",
            ) from None
        return moment, local_date

    def _unit_code(self, data: dict[str, Any]) -> str | None:
        """Return the unit code of the message, or None when it has none."""
        raw = data.get("unit")
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise RejectedMessageError(
                "invalid_type", _('The "unit" must be a code such as "08707".'), "unit"
            )
        return str(raw)

    def _unit_id(self, code: str, date: dt.date) -> int:
        unit_id = self.reference.unit_id(code, date)
        if unit_id is None:
            raise RejectedMessageError(
                "unknown_unit",
                _(
                    "No administrative unit has the code %(code)r. Check the code against the official "
                    "list of the General Statistics Office (with or without leading zeros)."
                )
                % {"code": code},
                "unit",
            )
        return unit_id

    def _number(self, data: dict[str, Any], indicator: IndicatorInfo) -> float:
        if "value" not in data or data["value"] is None:
            raise RejectedMessageError("missing_field", _('The message has no "value".'), "value")
        raw = data["value"]
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise RejectedMessageError(
                "invalid_type",
                _('The "value" must be a JSON number, not %(type)s.')
                % {"type": type(raw).__name__},
                "value",
            )
        try:
            number = float(raw)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise RejectedMessageError(
                "invalid_value", _('The "value" is too large to store.'), "value"
            )
        if indicator.value_type == ValueType.INTEGER and not number.is_integer():
            raise RejectedMessageError(
                "invalid_value",
                _('The indicator counts whole numbers, but the "value" is %(value)s.')
                % {"value": raw},
                "value",
            )
        if indicator.value_type == ValueType.PERCENT and not 0 <= number <= 100:
            raise RejectedMessageError(
                "out_of_range",
                _(
                    'The indicator is a percentage, but the "value" %(value)s is not between 0 and 100.'
                )
                % {"value": raw},
                "value",
            )
        return number

    def _event(self, event_type: str, data: dict[str, Any], topic: str, key: str) -> Event:
        if len(event_type) > MAX_EVENT_TYPE_LENGTH:
            raise RejectedMessageError(
                "unknown_topic",
                _("The event type in the topic has more than %(max)s characters.")
                % {"max": MAX_EVENT_TYPE_LENGTH},
            )
        if data.get("time") is None:
            raise RejectedMessageError(
                "missing_field",
                _(
                    'The event has no "time" (ISO 8601 with offset, such as 2025-07-01T08:30:00+07:00).'
                ),
                "time",
            )
        occurred_at, local_date = self._time(data["time"])

        unit_code = self._unit_code(data)
        unit_id = None
        if unit_code is not None:
            unit_id = self._unit_id(unit_code, local_date)

        lon, lat = self._position(data)
        severity = self._text(data, "severity", MAX_SEVERITY_LENGTH)
        title = self._text(data, "title", MAX_TITLE_LENGTH)

        payload = data.get("data")
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise RejectedMessageError(
                "invalid_type", _('The "data" of an event must be a JSON object.'), "data"
            )
        return Event(
            event_type=event_type,
            occurred_at=occurred_at,
            unit_id=unit_id,
            lon=lon,
            lat=lat,
            severity=severity,
            title=title,
            payload=payload,
            topic=topic[:MAX_TOPIC_LENGTH],
            message_id=key,
        )

    def _position(self, data: dict[str, Any]) -> tuple[float | None, float | None]:
        lon, lat = data.get("lon"), data.get("lat")
        if lon is None and lat is None:
            return None, None
        if lon is None or lat is None:
            raise RejectedMessageError(
                "missing_field",
                _('The event has only one of "lon" and "lat"; send both or neither.'),
                "lon" if lon is None else "lat",
            )
        for name, number, limit in (("lon", lon, 180), ("lat", lat, 90)):
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise RejectedMessageError(
                    "invalid_type",
                    _('The "%(field)s" must be a number in degrees (WGS 84).') % {"field": name},
                    name,
                )
            if not -limit <= number <= limit:
                raise RejectedMessageError(
                    "out_of_range",
                    _('The "%(field)s" %(value)s is not between -%(limit)s and %(limit)s degrees.')
                    % {"field": name, "value": number, "limit": limit},
                    name,
                )
        return float(lon), float(lat)

    def _text(self, data: dict[str, Any], name: str, max_length: int) -> str:
        raw = data.get(name)
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise RejectedMessageError(
                "invalid_type", _('The "%(field)s" must be a string.') % {"field": name}, name
            )
        if len(raw) > max_length:
            raise RejectedMessageError(
                "invalid_value",
                _('The "%(field)s" has more than %(max)s characters.')
                % {"field": name, "max": max_length},
                name,
            )
        return raw


_periods: dict[str, periods.Period | periods.InvalidPeriodError] = {}


def _parse_period(code: str) -> periods.Period:
    """periods.parse with a cache, since a stream repeats the same few period codes."""
    found = _periods.get(code)
    if found is None:
        try:
            found = periods.parse(code)
        except periods.InvalidPeriodError as error:
            found = error
        if len(_periods) < 100_000:
            _periods[code] = found
    if isinstance(found, periods.InvalidPeriodError):
        raise RejectedMessageError(
            "invalid_period",
            _(
                'The "period" %(value)r is not a period code; use for example 20250105 (day), 202501 (month), 2025Q1 or 2025.'
            )
            % {"value": code},
            "period",
        )
    return found


# --- Storing a batch -----------------------------------------------------------------------


@dataclass
class BatchCounts:
    """Counts of received, stored, duplicate and quarantined messages of one or more batches."""

    received: int = 0
    values: int = 0
    events: int = 0
    duplicates: int = 0
    quarantined: int = 0

    def add(self, other: BatchCounts) -> None:
        self.received += other.received
        self.values += other.values
        self.events += other.events
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined


def store_batch(outcomes: Sequence[Outcome], batch_id: int) -> BatchCounts:
    """Store validated messages and quarantine the rejected ones in one transaction.

    When the database rejects the batch for one message's sake (IntegrityError, DataError),
    the messages are stored one per transaction and the ones that still fail go to
    quarantine. OperationalError and InterfaceError propagate to the caller, which retries.
    """
    try:
        return _store_together(outcomes, batch_id)
    except MESSAGE_ERRORS as error:
        logger.warning(
            "The database rejected a batch of %s messages (%s); storing them one at a time",
            len(outcomes), type(error).__name__,
        )  # fmt: skip
    counts = BatchCounts()
    for outcome in outcomes:
        try:
            counts.add(_store_together([outcome], batch_id))
        except MESSAGE_ERRORS as error:
            logger.warning(
                "The database rejected message %r on topic %s: %s",
                outcome.message_id, safe_text(outcome.message.topic), type(error).__name__,
            )  # fmt: skip
            rejected = dataclasses.replace(
                outcome,
                value=None,
                event=None,
                rejection=Rejection(
                    "database_rejected",
                    _(
                        "The database rejected this message (%(error)s); the details are in the worker's log."
                    )
                    % {"error": type(error).__name__},
                ),
            )
            counts.add(_store_together([rejected], batch_id))
    return counts


def _store_together(outcomes: Sequence[Outcome], batch_id: int) -> BatchCounts:
    values = [o.value for o in outcomes if o.value is not None]
    events = [o.event for o in outcomes if o.event is not None]
    rejected = [o for o in outcomes if o.rejection is not None]

    with transaction.atomic():
        stored = store_values(values) if values else StoreResult()
        events_created = _insert_events(events)
        if rejected:
            # NOTE: quarantine records have no idempotency key, so a bad message that the
            # broker delivers again after a crash between commit and PUBACK is quarantined twice.
            QuarantineRecord.objects.bulk_create(
                [outcome.quarantine_record(batch_id) for outcome in rejected], batch_size=500
            )
        counts = BatchCounts(
            received=len(outcomes),
            values=stored.accepted,
            events=events_created,
            duplicates=stored.duplicates + len(events) - events_created,
            quarantined=len(rejected),
        )
        ImportBatch.objects.filter(pk=batch_id).update(
            rows_total=F("rows_total") + counts.received,
            rows_accepted=F("rows_accepted") + counts.values + counts.events,
            rows_rejected=F("rows_rejected") + counts.quarantined,
        )
    return counts


def _insert_events(events: Sequence[Event]) -> int:
    """Insert events whose message id is new; return how many were inserted."""
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.message_id or "", event)
    existing = _stored_message_ids(list(unique))
    new = [event for message_id, event in unique.items() if message_id not in existing]
    # ignore_conflicts covers an event stored by another worker since the query above.
    Event.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)

    # SQLite's INSERT OR IGNORE also skips rows that break a NOT NULL or CHECK constraint,
    # without an error. Such a row is missing now, and the error sends the batch through
    # the one-message-at-a-time path, which quarantines the message.
    new_ids = [event.message_id or "" for event in new]
    missing = set(new_ids) - _stored_message_ids(new_ids)
    if missing:
        raise IntegrityError(f"{len(missing)} events were not inserted")
    # Runs the event rules of these types after the commit, never before.
    alert_hooks.after_events_stored(new)
    return len(new)


def _stored_message_ids(message_ids: list[str]) -> set[str | None]:
    found: set[str | None] = set()
    for start in range(0, len(message_ids), 1000):
        found.update(
            Event.objects.filter(message_id__in=message_ids[start : start + 1000]).values_list(
                "message_id", flat=True
            )
        )
    return found


# --- The worker ----------------------------------------------------------------------------

T = TypeVar("T")


class StopRequestedError(Exception):
    """Raised when a stop is requested while the worker waits for the database."""


class IngestWorker:
    """A worker that receives messages in paho's network thread and stores them in batches.

    :meth:`run` blocks until :meth:`stop` is called (from a signal handler or another thread).
    All database work happens in the thread that called :meth:`run`.
    """

    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings
        self.totals = BatchCounts()
        self.batch: ImportBatch | None = None
        self.reference = ReferenceCache()
        # A plain flag, polled at least every POLL_SECONDS: a signal handler may set it
        # while the main thread holds any lock, so setting it must take none.
        self._stop_requested = False
        self._stop_reason = ""
        self._inbox: queue.SimpleQueue[InboundMessage] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._connection = 0
        self._connected = False
        self._last_progress_log = time.monotonic()
        self._last_progress_total = 0
        self.client = self._make_client()

    # Control

    def stop(self, reason: str = "stop requested") -> None:
        """Ask :meth:`run` to store the current batch, disconnect and return.

        Safe to call from a signal handler: it only sets two attributes.
        """
        self._stop_reason = reason
        self._stop_requested = True

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    def _sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True as soon as a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self._stop_requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, POLL_SECONDS))
        return True

    def run(self) -> BatchCounts:
        settings = self.settings
        logger.info(
            "MQTT ingest worker starting: broker %s, client id %s, topics %s, batch %s messages or %s ms",
            settings.display_url, settings.client_id, ", ".join(settings.topic_filters),
            settings.batch_size, int(settings.max_batch_wait * 1000),
        )  # fmt: skip
        try:
            self.batch = self._with_database_retry(self._start_batch, size=0)
        except StopRequestedError:
            logger.info("MQTT ingest worker stopped before it connected")
            return self.totals
        parser = PayloadParser(
            settings.topic_root,
            self.reference,
            max_message_bytes=settings.max_message_bytes,
            batch_id=self.batch.pk,
        )

        self._connect()
        try:
            self._receive_loop(parser)
        finally:
            self._disconnect()
            self._finish_batch()
        logger.info(
            "MQTT ingest worker stopped: %s messages received, %s values and %s events stored, "
            "%s duplicates skipped, %s quarantined (import batch %s)",
            self.totals.received, self.totals.values, self.totals.events,
            self.totals.duplicates, self.totals.quarantined, self.batch.pk,
        )  # fmt: skip
        return self.totals

    # Batching

    def _receive_loop(self, parser: PayloadParser) -> None:
        settings = self.settings
        pending: list[InboundMessage] = []
        deadline = 0.0
        while not self._stop_requested:
            timeout = settings.max_batch_wait if not pending else deadline - time.monotonic()
            try:
                # A signal handler runs only between bytecodes, so the wait is short.
                message = self._inbox.get(timeout=min(max(timeout, 0.0), POLL_SECONDS))
            except queue.Empty:
                message = None
            if message is not None:
                if not pending:
                    deadline = time.monotonic() + settings.max_batch_wait
                pending.append(message)
                self._take_waiting(pending, settings.batch_size)
            if pending and (len(pending) >= settings.batch_size or time.monotonic() >= deadline):
                if not self._process(parser, pending):
                    return
                pending = []
            self._log_progress()

        # Stopping: store what has arrived, in batches, then disconnect.
        logger.info(
            "MQTT ingest worker stopping (%s); storing the current batch", self._stop_reason
        )
        self._take_waiting(pending, settings.receive_maximum)
        for start in range(0, len(pending), settings.batch_size):
            if not self._process(parser, pending[start : start + settings.batch_size]):
                return

    def _take_waiting(self, pending: list[InboundMessage], limit: int) -> None:
        while len(pending) < limit:
            try:
                pending.append(self._inbox.get_nowait())
            except queue.Empty:
                return

    def _process(self, parser: PayloadParser, messages: list[InboundMessage]) -> bool:
        """Store ``messages`` and acknowledge them; False when stopped while the database was down."""
        if self.batch is None:
            raise RuntimeError("the import batch is created before messages are processed")
        batch_id = self.batch.pk

        def attempt() -> BatchCounts:
            self.reference.refresh_if_stale()
            outcomes = [parser.parse(message) for message in messages]
            return store_batch(outcomes, batch_id)

        try:
            counts = self._with_database_retry(attempt, size=len(messages))
        except StopRequestedError:
            logger.warning(
                "Stopping with %s messages not stored because the database is unavailable; "
                "they stay unacknowledged and the broker delivers them again",
                len(messages),
            )
            return False
        self._acknowledge(messages)
        self.totals.add(counts)
        if counts.quarantined:
            logger.info(
                "%s of %s messages quarantined in import batch %s",
                counts.quarantined, len(messages), batch_id,
            )  # fmt: skip
        return True

    def _with_database_retry(self, operation: Callable[[], T], *, size: int) -> T:
        """Run ``operation``; on OperationalError or InterfaceError reconnect and retry with backoff."""
        delay = FIRST_RETRY_DELAY
        attempts = 0
        while True:
            try:
                result = operation()
            except RETRYABLE_ERRORS as error:
                attempts += 1
                logger.error(
                    "Database unavailable (attempt %s), batch of %s messages not stored, "
                    "retrying in %.1f s: %s: %s",
                    attempts, size, delay, type(error).__name__, str(error).strip(),
                )  # fmt: skip
                _close_database_connection()
                if self._sleep(delay):
                    raise StopRequestedError from error
                delay = min(delay * 2, MAX_RETRY_DELAY)
                continue
            if attempts:
                logger.info(
                    "Database available again after %s failed attempts; batch of %s messages stored",
                    attempts, size,
                )  # fmt: skip
            return result

    def _acknowledge(self, messages: Sequence[InboundMessage]) -> None:
        # PUBACKs go out in the order the messages arrived, as MQTT requires. A message
        # that arrived on an earlier connection is not acknowledged: its packet id means
        # nothing on the new connection. The broker delivers it again and the worker
        # skips it by its idempotency key.
        skipped = 0
        with self._lock:
            for message in messages:
                if not self._connected or message.connection != self._connection:
                    skipped += 1
                    continue
                if message.qos > 0:
                    self.client.ack(message.mid, message.qos)
        if skipped:
            logger.info(
                "%s stored messages arrived on an earlier broker connection and were not "
                "acknowledged; the broker delivers them again and they are skipped as duplicates",
                skipped,
            )

    def _log_progress(self) -> None:
        now = time.monotonic()
        if now - self._last_progress_log < PROGRESS_LOG_SECONDS:
            return
        received = self.totals.received - self._last_progress_total
        if received:
            logger.info(
                "MQTT ingest: %s messages in the last %.0f s (%s in total, %s quarantined)",
                received, now - self._last_progress_log, self.totals.received, self.totals.quarantined,
            )  # fmt: skip
        self._last_progress_log = now
        self._last_progress_total = self.totals.received

    # Import batch

    def _start_batch(self) -> ImportBatch:
        settings = self.settings
        source = f"{settings.display_url} {settings.topic_root}/# client {settings.client_id}"
        return import_report.start_batch(IMPORT_KIND, source)

    def _finish_batch(self) -> None:
        if self.batch is None:
            return
        totals = self.totals
        try:
            ImportBatch.objects.filter(pk=self.batch.pk).update(
                finished_at=timezone.now(),
                status=BatchStatus.PARTIAL if totals.quarantined else BatchStatus.SUCCEEDED,
                summary={
                    "values": totals.values,
                    "events": totals.events,
                    "duplicates": totals.duplicates,
                },
            )
        except DatabaseError as error:
            logger.error(
                "Closing import batch %s failed: %s: %s",
                self.batch.pk, type(error).__name__, str(error).strip(),
            )  # fmt: skip

    # MQTT client

    def _make_client(self) -> mqtt.Client:
        settings = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _connect(self) -> None:
        settings = self.settings
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = settings.session_expiry
        properties.ReceiveMaximum = settings.receive_maximum
        # clean_start=False resumes the session, so messages published while the worker
        # was away are delivered now and unacknowledged ones are delivered again.
        self.client.connect_async(
            settings.host,
            settings.port,
            keepalive=KEEPALIVE_SECONDS,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def _disconnect(self) -> None:
        # The session and its subscriptions stay on the broker until the session expires.
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            logger.error(
                "MQTT broker %s rejected the connection of client %s: %s",
                self.settings.display_url, self.settings.client_id, reason_code,
            )  # fmt: skip
            return
        with self._lock:
            self._connection += 1
            self._connected = True
            number = self._connection
        logger.info(
            "Connected to MQTT broker %s as %s (connection %s, session present: %s)",
            self.settings.display_url, self.settings.client_id, number, flags.session_present,
        )  # fmt: skip
        if number > 1 and not flags.session_present:
            logger.warning(
                "MQTT broker %s kept no session for client %s; messages published while the "
                "worker was disconnected are lost. Check the broker's persistence and session expiry",
                self.settings.display_url, self.settings.client_id,
            )  # fmt: skip
        client.subscribe(
            [(topic, SubscribeOptions(qos=1)) for topic in self.settings.topic_filters]
        )

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        logger.warning("Connection to MQTT broker %s failed; retrying", self.settings.display_url)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            self._connected = False
        if self._stop_requested:
            logger.info("Disconnected from MQTT broker %s", self.settings.display_url)
        else:
            logger.warning(
                "Disconnected from MQTT broker %s (%s); reconnecting",
                self.settings.display_url, reason_code,
            )  # fmt: skip

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        for topic, reason_code in zip(self.settings.topic_filters, reason_codes, strict=False):
            if reason_code.is_failure:
                logger.error("MQTT broker rejected the subscription to %s: %s", topic, reason_code)
            else:
                logger.info("Subscribed to %s with QoS %s", topic, reason_code.value)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = "\ufffd"  # rejected as an unknown topic
        self._inbox.put(
            InboundMessage(topic, message.payload, message.mid, message.qos, self._connection)
        )


def _close_database_connection() -> None:
    """Drop the broken connection, so that the next query opens a new one."""
    try:
        connection.close()
    except DatabaseError as error:
        logger.warning("Closing the database connection failed: %s", type(error).__name__)


def run_until_signalled(settings: MqttSettings) -> BatchCounts:
    """Run a worker in this (main) thread until SIGTERM or SIGINT, then return its counts."""
    worker = IngestWorker(settings)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        worker.stop(signal.Signals(signum).name)

    with _signal_handlers(request_stop, signal.SIGTERM, signal.SIGINT):
        return worker.run()


@contextlib.contextmanager
def _signal_handlers(
    handler: Callable[[int, FrameType | None], None], *signums: signal.Signals
) -> Iterator[None]:
    """Install ``handler`` for ``signums`` inside the block and restore the previous handlers."""
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
