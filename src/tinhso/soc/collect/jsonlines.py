"""Split a JSON lines body into records and rejected lines. No Django here.

One JSON object per line (``application/x-ndjson``). Empty lines are skipped. A line that is
too long, not UTF-8, not JSON, nested too deeply or not an object is rejected with its line
number and the reason, and the other lines go on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from tinhso.soc.collect.normalise import Record, RecordError, normalise_json

MAX_LINE_BYTES = 64 * 1024
# Nesting deeper than this is rejected before Python's JSON decoder would hit its recursion limit.
MAX_DEPTH = 32


@dataclass(frozen=True)
class LineError:
    line: int
    code: str
    reason: str
    raw: bytes


@dataclass
class ParsedBody:
    records: list[tuple[int, Record]]
    errors: list[LineError]


def parse_lines(body: bytes, *, received_at: dt.datetime, default_host: str) -> ParsedBody:
    """Return the records of the good lines, each with its line number, and the bad lines."""
    parsed = ParsedBody([], [])
    for number, line in enumerate(body.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line.strip():
            continue
        try:
            obj = _object(line)
            record = normalise_json(obj, received_at=received_at, default_host=default_host)
        except RecordError as error:
            parsed.errors.append(LineError(number, error.code, error.reason, line))
            continue
        parsed.records.append((number, record))
    return parsed


def _object(line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE_BYTES:
        raise RecordError(
            "line_too_long",
            f"the line has {len(line)} bytes, more than the limit of {MAX_LINE_BYTES}; "
            "send large events in parts or leave out bulky fields",
        )
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(
            "invalid_utf8", f"the line is not valid UTF-8 (byte {error.start + 1}); send UTF-8"
        ) from None
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise RecordError(
            "too_deep", f"the JSON is nested more than {MAX_DEPTH} levels deep; flatten it"
        )
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise RecordError("invalid_json", f"the line is not valid JSON: {error}") from None
    if not isinstance(obj, dict):
        raise RecordError(
            "not_an_object",
            f"the line is a JSON {type(obj).__name__}, not an object; send one object per line",
        )
    return obj


def _depth(text: str) -> int:
    """Return the deepest bracket nesting of ``text``, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
