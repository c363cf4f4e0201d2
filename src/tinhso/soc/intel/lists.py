"""Parse plain indicator lists and CSV tables, without Django.

A plain list has one value per line; ``#`` starts a comment, either on its own line or after
a value, where it becomes the indicator's description. A CSV table has a header row with a
value column (``value``, ``indicator``, ``ioc``) and optionally ``type``, ``description``,
``severity``, ``valid_from`` and ``valid_until``. Lines and rows that cannot be read are
reported by number with the reason; the rest are kept.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re

from tinhso.soc.intel.indicators import (
    IndicatorError,
    IntelFormatError,
    ParsedFeed,
    ParsedIndicator,
    check_validity,
    classify,
    merge_duplicates,
    normalise,
    parse_severity,
    parse_time,
)

logger = logging.getLogger(__name__)

VALUE_COLUMNS = ("value", "indicator", "ioc", "observable")
TYPE_COLUMNS = ("type", "kind", "indicator_type")
# Type names of common feeds (MISP attribute types, STIX object names) and their kind.
TYPE_NAMES = {
    "ip": "",
    "ip-src": "",
    "ip-dst": "",
    "ipv4": "ipv4",
    "ipv4-addr": "ipv4",
    "ipv6": "ipv6",
    "ipv6-addr": "ipv6",
    "domain": "domain",
    "domain-name": "domain",
    "hostname": "domain",
    "fqdn": "domain",
    "url": "url",
    "uri": "url",
    "md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "hash": "",
    "": "",
}
IP_KINDS = frozenset({"ipv4", "ipv6"})
COMMENT = re.compile(r"(?:^|\s)#")


def decode(data: bytes) -> str:
    """Decode a file as UTF-8, or UTF-16 with a byte-order mark; raise IntelFormatError."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise IntelFormatError(
                f"the file starts as UTF-16 but has an invalid byte at position {error.start}; "
                "save it as UTF-8 and upload it again"
            ) from error
    if b"\x00" in data[:4096]:
        raise IntelFormatError("the file is binary, not text; upload a text list, CSV or JSON")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise IntelFormatError(
            f"the file is not UTF-8 text (invalid byte at position {error.start}); "
            "save it as UTF-8 and upload it again"
        ) from error


def split_comment(line: str) -> tuple[str, str]:
    """Split a line at its comment, which "#" opens at the start or after a space.

    A "#" inside a value, such as a URL fragment, does not open a comment.
    """
    match = COMMENT.search(line)
    if match is None:
        return line, ""
    return line[: match.start()], line[match.end() :].strip()


def parse_list(text: str) -> ParsedFeed:
    """Read a plain list of one value per line; the kind of each value is recognised."""
    feed = ParsedFeed(format="list")
    for number, line in enumerate(text.splitlines(), start=1):
        value, comment = split_comment(line)
        value = value.strip()
        if not value:
            continue
        feed.entries += 1
        position = f"line {number}"
        try:
            kind, normal = classify(value)
        except IndicatorError as error:
            feed.reject(position, "invalid_value", f"{value[:100]!r}: {error}", line)
            continue
        feed.add(ParsedIndicator(kind, normal, position, description=comment))
    merge_duplicates(feed)
    return feed


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [name.strip().lower() for name in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _kind(type_name: str, value: str) -> tuple[str, str]:
    """Return the kind and normalised value, checked against the row's type if it names one."""
    wanted = TYPE_NAMES.get(type_name.strip().lower())
    if wanted is None:
        raise IndicatorError(
            f"type {type_name!r} is not known; use ipv4, ipv6, domain, url, md5, sha1 or sha256"
        )
    if wanted:
        return wanted, normalise(wanted, value)
    kind, normal = classify(value)
    if type_name.strip().lower().startswith("ip") and kind not in IP_KINDS:
        raise IndicatorError(f"{value!r} is not an IP address")
    return kind, normal


def parse_csv(text: str) -> ParsedFeed:
    """Read a CSV table with a header row; raise IntelFormatError if it has no value column."""
    feed = ParsedFeed(format="csv")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader, None)
        while header is not None and (not header or header[0].lstrip().startswith("#")):
            header = next(reader, None)
        if header is None:
            raise IntelFormatError("the CSV file has no header row")
        value_column = _column(header, VALUE_COLUMNS)
        if value_column is None:
            raise IntelFormatError(
                "the CSV header names no value column; name it one of " + ", ".join(VALUE_COLUMNS)
            )
        columns = {
            "type": _column(header, TYPE_COLUMNS),
            "description": _column(header, ("description", "comment", "name")),
            "severity": _column(header, ("severity", "level")),
            "valid_from": _column(header, ("valid_from", "first_seen")),
            "valid_until": _column(header, ("valid_until", "expires")),
        }
        for row in reader:
            _read_row(feed, reader.line_num, row, value_column, columns)
    except csv.Error as error:
        raise IntelFormatError(f"the CSV file cannot be read: {error}") from error
    merge_duplicates(feed)
    return feed


def _cell(row: list[str], column: int | None) -> str:
    if column is None or column >= len(row):
        return ""
    return row[column].strip()


def _read_row(
    feed: ParsedFeed,
    line: int,
    row: list[str],
    value_column: int,
    columns: dict[str, int | None],
) -> None:
    if not any(cell.strip() for cell in row):
        return
    feed.entries += 1
    position = f"row {line}"
    raw = ",".join(row)
    value = _cell(row, value_column)
    try:
        if not value:
            raise IndicatorError("the value column is empty")
        kind, normal = _kind(_cell(row, columns["type"]), value)
        severity_text = _cell(row, columns["severity"])
        from_text = _cell(row, columns["valid_from"])
        until_text = _cell(row, columns["valid_until"])
        indicator = ParsedIndicator(
            kind,
            normal,
            position,
            description=_cell(row, columns["description"]),
            severity=parse_severity(severity_text) if severity_text else "high",
            valid_from=parse_time(from_text) if from_text else None,
            valid_until=parse_time(until_text) if until_text else None,
        )
        check_validity(indicator)
    except IndicatorError as error:
        feed.reject(position, "invalid_value", f"{value[:100]!r}: {error}", raw)
        return
    feed.add(indicator)


def looks_like_csv(text: str) -> bool:
    """Tell a CSV table from a plain list by its first non-comment line naming a value column."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [cell.strip().strip('"').lower() for cell in stripped.replace(";", ",").split(",")]
        return any(cell in VALUE_COLUMNS for cell in cells)
    return False
