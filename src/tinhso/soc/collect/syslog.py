"""Parse syslog messages in the formats of RFC 5424 and RFC 3164, and split TCP streams into them.

No Django here, so a receiver, the tests and a benchmark can use it directly. A message that
cannot be parsed raises :class:`SyslogParseError` with a stable code and an English reason a
person can act on. The caller keeps the raw bytes with them and goes on with the next message.
The pages translate the code, because this module has no gettext.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

# RFC 5425 requires receivers to take messages of 2,048 octets and recommends 8,192. A Windows
# event forwarded with its XML can be longer, so the limit is generous but still bounds memory.
MAX_MESSAGE_BYTES = 64 * 1024
NIL = "-"
FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_PRI = re.compile(rb"<(\d{1,3})>")
_RFC3164_TIME = re.compile(
    r"(?P<month>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d{2}:\d{2}:\d{2}) "
)
_TAG = re.compile(r"(?P<app>[^\s\[\]:]{1,48})(?:\[(?P<pid>[^\]\s]{1,128})\])?: ?")
_SD_NAME = re.compile(r"[^= \]\"]{1,32}")
_UTF8_BOM = "\ufeff"


class SyslogParseError(ValueError):
    """A message that is not syslog.

    ``code`` is one of :data:`PARSE_ERROR_CODES`; ``reason`` names what is wrong and how to fix
    the sender. ``raw`` contains the start of a frame that the framer dropped for its size.
    """

    def __init__(self, code: str, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.raw = raw


# The codes of SyslogParseError; the quarantine pages translate each one.
PARSE_ERROR_CODES = (
    "message_too_long",
    "empty_message",
    "no_priority",
    "invalid_priority",
    "incomplete_header",
    "invalid_timestamp",
    "invalid_structured_data",
    "frame_too_long",
    "line_too_long",
)


@dataclass(frozen=True)
class SyslogMessage:
    """One parsed message; ``raw`` keeps the bytes as received, for the original record."""

    format: str
    facility: int
    severity: int
    timestamp: dt.datetime | None
    hostname: str
    app_name: str
    procid: str
    msgid: str
    structured_data: dict[str, dict[str, str]]
    message: str
    raw: bytes
    # Parts of the text that were not valid UTF-8 and were replaced with U+FFFD.
    invalid_utf8: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def facility_name(self) -> str:
        return FACILITIES[self.facility] if self.facility < len(FACILITIES) else str(self.facility)

    @property
    def severity_name(self) -> str:
        return SEVERITIES[self.severity]


def parse(raw: bytes, received_at: dt.datetime | None = None) -> SyslogMessage:
    """Parse one message (without its TCP framing) as RFC 5424, else as RFC 3164.

    ``received_at`` (aware) supplies the year and time zone an RFC 3164 timestamp lacks; it
    defaults to now in UTC.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise SyslogParseError(
            "message_too_long",
            f"message of {len(raw)} bytes exceeds the limit of {MAX_MESSAGE_BYTES}; "
            "split it at the sender or send it as JSON lines over HTTP",
        )
    raw = raw.rstrip(b"\r\n\x00")
    if not raw:
        raise SyslogParseError("empty_message", "empty message")
    match = _PRI.match(raw)
    if match is None:
        raise SyslogParseError(
            "no_priority",
            "the message does not start with a priority such as <34>; "
            "configure the sender to send syslog (RFC 5424 or RFC 3164)",
        )
    priority = int(match.group(1))
    if priority > 191:
        raise SyslogParseError(
            "invalid_priority",
            f"priority {priority} is above 191, the largest that RFC 5424 allows",
        )
    facility, severity = divmod(priority, 8)
    rest = raw[match.end() :]
    text, invalid_utf8 = _decode(rest)
    if text.startswith("1 "):
        return _parse_5424(text[2:], facility, severity, raw, invalid_utf8)
    return _parse_3164(text, facility, severity, raw, invalid_utf8, received_at)


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def _parse_5424(
    text: str, facility: int, severity: int, raw: bytes, invalid_utf8: bool
) -> SyslogMessage:
    fields = text.split(" ", 5)
    if len(fields) < 6:
        raise SyslogParseError(
            "incomplete_header",
            "RFC 5424 header is incomplete: it needs TIMESTAMP HOSTNAME APP-NAME PROCID MSGID "
            "and STRUCTURED-DATA, each '-' when absent",
        )
    timestamp_text, hostname, app_name, procid, msgid, remainder = fields
    timestamp = None if timestamp_text == NIL else _rfc3339(timestamp_text)
    structured, message = _structured_data(remainder)
    if message.startswith(_UTF8_BOM):
        message = message[1:]
    return SyslogMessage(
        format="rfc5424",
        facility=facility,
        severity=severity,
        timestamp=timestamp,
        hostname=_nil(hostname),
        app_name=_nil(app_name),
        procid=_nil(procid),
        msgid=_nil(msgid),
        structured_data=structured,
        message=message,
        raw=raw,
        invalid_utf8=invalid_utf8,
    )


def _nil(value: str) -> str:
    return "" if value == NIL else value


def _rfc3339(text: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp, which RFC 5424 requires to carry a time and an offset."""
    value = text.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise SyslogParseError(
            "invalid_timestamp",
            f"timestamp {text[:40]!r} is not RFC 3339 (for example 2025-07-01T08:30:00.123+07:00)",
        ) from None
    if parsed.tzinfo is None or "T" not in value.upper():
        raise SyslogParseError(
            "invalid_timestamp",
            f"timestamp {text[:40]!r} lacks a time or an offset; RFC 5424 requires both",
        )
    return parsed


def _structured_data(text: str) -> tuple[dict[str, dict[str, str]], str]:
    """Split STRUCTURED-DATA from MSG: ``[id name="value" ...]...`` or ``-``."""
    if text.startswith(NIL) and (len(text) == 1 or text[1] == " "):
        return {}, text[2:]
    if not text.startswith("["):
        raise SyslogParseError(
            "invalid_structured_data", "STRUCTURED-DATA must be '-' or start with '['"
        )
    elements: dict[str, dict[str, str]] = {}
    position = 0
    while position < len(text) and text[position] == "[":
        position, element_id, params = _sd_element(text, position + 1)
        elements[element_id] = params
    if position < len(text) and text[position] != " ":
        raise SyslogParseError(
            "invalid_structured_data",
            f"unexpected character {text[position]!r} after STRUCTURED-DATA",
        )
    return elements, text[position + 1 :]


def _sd_element(text: str, position: int) -> tuple[int, str, dict[str, str]]:
    name = _SD_NAME.match(text, position)
    if name is None:
        raise SyslogParseError(
            "invalid_structured_data", "a STRUCTURED-DATA element has no valid id"
        )
    element_id = name.group(0)
    position = name.end()
    params: dict[str, str] = {}
    while True:
        if position >= len(text):
            raise SyslogParseError(
                "invalid_structured_data",
                f"STRUCTURED-DATA element {element_id!r} is not closed with ']'",
            )
        if text[position] == "]":
            return position + 1, element_id, params
        if text[position] != " ":
            raise SyslogParseError(
                "invalid_structured_data", f"expected a space before a parameter of {element_id!r}"
            )
        param = _SD_NAME.match(text, position + 1)
        if param is None or text[param.end() : param.end() + 2] != '="':
            raise SyslogParseError(
                "invalid_structured_data",
                f'a parameter of {element_id!r} is not written name="value"',
            )
        position, value = _sd_value(text, param.end() + 2, element_id)
        params[param.group(0)] = value


def _sd_value(text: str, position: int, element_id: str) -> tuple[int, str]:
    """Read a PARAM-VALUE up to its closing quote; \\" \\\\ and \\] are its only escapes."""
    chars: list[str] = []
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text) and text[position + 1] in '"\\]':
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return position + 1, "".join(chars)
        chars.append(char)
        position += 1
    raise SyslogParseError(
        "invalid_structured_data", f"a parameter value of {element_id!r} has no closing quote"
    )


def _parse_3164(
    text: str,
    facility: int,
    severity: int,
    raw: bytes,
    invalid_utf8: bool,
    received_at: dt.datetime | None,
) -> SyslogMessage:
    """Parse the BSD format; RFC 3164 says a relay passes on what it cannot parse, so most
    malformed headers still give a message with the text kept whole."""
    received_at = received_at or dt.datetime.now(dt.UTC)
    notes: list[str] = []
    timestamp = None
    hostname = ""
    match = _RFC3164_TIME.match(text)
    if match is not None:
        timestamp = _bsd_timestamp(match, received_at)
        text = text[match.end() :]
        host, separator, after = text.partition(" ")
        # A host name never ends with ':'; a tag right after the time means no host was sent.
        if separator and host and not host.endswith(":") and "[" not in host:
            hostname, text = host, after
    else:
        notes.append("no RFC 3164 timestamp; the time of receipt applies")
    app_name = procid = ""
    tag = _TAG.match(text)
    if tag is not None:
        app_name, procid = tag.group("app"), tag.group("pid") or ""
        text = text[tag.end() :]
    return SyslogMessage(
        format="rfc3164",
        facility=facility,
        severity=severity,
        timestamp=timestamp,
        hostname=hostname,
        app_name=app_name,
        procid=procid,
        msgid="",
        structured_data={},
        message=text,
        raw=raw,
        invalid_utf8=invalid_utf8,
        notes=tuple(notes),
    )


def _bsd_timestamp(match: re.Match[str], received_at: dt.datetime) -> dt.datetime | None:
    """Return the BSD time in the receiver's zone, in the year that puts it nearest the receipt."""
    if match.group("month") not in MONTHS:
        return None
    month = MONTHS.index(match.group("month")) + 1
    hour, minute, second = (int(part) for part in match.group("time").split(":"))
    zone = received_at.tzinfo or dt.UTC
    candidates = []
    for year in (received_at.year - 1, received_at.year, received_at.year + 1):
        try:
            candidates.append(
                dt.datetime(year, month, int(match.group("day")), hour, minute, second, tzinfo=zone)
            )
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda moment: abs(moment - received_at))


@dataclass
class _LongLine:
    """A line being dropped for its size: the bytes seen so far and the first ``max_bytes``."""

    size: int
    sample: bytes
    # False after an oversized octet-counted frame, whose error is returned at once.
    report: bool


class OctetFramer:
    """Split a TCP byte stream into messages, by octet counting (RFC 6587) or by line feeds.

    Each frame that starts with digits and a space is octet-counted (``123 <34>1 ...``); any
    other frame ends at a line feed. ``feed`` returns the complete frames. A line longer than
    ``max_bytes`` is dropped up to its line feed, keeping only its first ``max_bytes`` as a
    sample, and is returned as one error with its whole size once the line ends. An
    octet-counted frame that announces more than ``max_bytes`` is returned as an error at once,
    and the rest of its line is dropped, so the stream resynchronises at the next line feed.
    """

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._long_line: _LongLine | None = None

    def feed(self, data: bytes) -> Iterator[bytes | SyslogParseError]:
        self._buffer += data
        while self._buffer:
            if self._long_line is not None:
                error = self._drop_long_line(self._long_line)
                if error is not None:
                    yield error
                continue
            frame = self._next_frame()
            if frame is None:
                return
            yield frame

    def _next_frame(self) -> bytes | SyslogParseError | None:
        buffer = self._buffer
        counted = re.match(rb"(\d{1,10}) ", buffer)
        if counted is not None:
            length = int(counted.group(1))
            if length > self.max_bytes:
                del buffer[: counted.end()]
                self._long_line = _LongLine(size=0, sample=b"", report=False)
                return SyslogParseError(
                    "frame_too_long",
                    f"octet-counted frame of {length} bytes exceeds the limit of {self.max_bytes}",
                    raw=bytes(buffer[: self.max_bytes]),
                )
            end = counted.end() + length
            if len(buffer) < end:
                return None
            frame = bytes(buffer[counted.end() : end])
            del buffer[:end]
            return frame
        newline = buffer.find(b"\n")
        if newline < 0:
            if len(buffer) > self.max_bytes:
                self._long_line = _LongLine(
                    size=len(buffer), sample=bytes(buffer[: self.max_bytes]), report=True
                )
                buffer.clear()
            return None
        if newline > self.max_bytes:
            long_line = _LongLine(size=newline, sample=bytes(buffer[: self.max_bytes]), report=True)
            del buffer[: newline + 1]
            return self._long_line_error(long_line)
        frame = bytes(buffer[:newline])
        del buffer[: newline + 1]
        return frame

    def _drop_long_line(self, long_line: _LongLine) -> SyslogParseError | None:
        """Drop the buffered part of a long line; return its error once its line feed arrives.

        Returns None while the line goes on, or when its error was returned already.
        """
        newline = self._buffer.find(b"\n")
        if newline < 0:
            long_line.size += len(self._buffer)
            self._buffer.clear()
            return None
        long_line.size += newline
        del self._buffer[: newline + 1]
        self._long_line = None
        return self._long_line_error(long_line)

    def _long_line_error(self, long_line: _LongLine) -> SyslogParseError | None:
        if not long_line.report:
            return None
        return SyslogParseError(
            "line_too_long",
            f"line of {long_line.size} bytes exceeds the limit of {self.max_bytes}; "
            f"only its first {self.max_bytes} bytes are kept. Split it at the sender or send "
            "it as JSON lines over HTTP",
            raw=long_line.sample,
        )

    def flush(self) -> bytes | SyslogParseError | None:
        """Return the unterminated last line when the connection closes, or its error."""
        if self._long_line is not None:
            long_line = self._long_line
            long_line.size += len(self._buffer)
            self._buffer.clear()
            self._long_line = None
            return self._long_line_error(long_line)
        if not self._buffer:
            return None
        frame = bytes(self._buffer)
        self._buffer.clear()
        return frame
