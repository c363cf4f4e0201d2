"""Indicator values: recognise their kind and normalise them for exact lookups, without Django.

Kinds are the values of ``tinhso.soc.models.IndicatorKind``: ipv4, ipv6, domain, url, md5,
sha1 and sha256. Normalised values are what the database stores and what event values are
compared with: addresses in their compressed form, domains in lower-case ASCII (IDNA) without
a trailing dot, hashes in lower-case hex, URLs with lower-case scheme and host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

KINDS = ("ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256")
HASH_KINDS = {32: "md5", 40: "sha1", 64: "sha256"}
HEX = re.compile(r"[0-9a-fA-F]+")
DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# Maximum length of a value: the size of the database column.
MAX_VALUE_LENGTH = 500
SEVERITIES = ("informational", "low", "medium", "high", "critical")
DEFAULT_SEVERITY = "high"


class IndicatorError(ValueError):
    """A value that is not a valid indicator of the expected kind; the message gives the reason."""


@dataclass
class ParsedIndicator:
    """One indicator read from a file, normalised and ready to store.

    ``position`` names where it was read ("line 3", "row 4", a STIX id) for reports.
    """

    kind: str
    value: str
    position: str
    description: str = ""
    severity: str = DEFAULT_SEVERITY
    stix_id: str = ""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class EntryProblem:
    """An entry of a file that was not imported: where, a stable code, the reason, the text."""

    position: str
    code: str
    message: str
    raw: str = ""


@dataclass
class ParsedFeed:
    """The result of parsing one file: the indicators and the entries that could not be used."""

    format: str
    indicators: list[ParsedIndicator] = field(default_factory=list)
    problems: list[EntryProblem] = field(default_factory=list)
    entries: int = 0

    def add(self, indicator: ParsedIndicator) -> None:
        self.indicators.append(indicator)

    def reject(self, position: str, code: str, message: str, raw: str = "") -> None:
        self.problems.append(EntryProblem(position, code, message, raw[:MAX_VALUE_LENGTH]))


class IntelFormatError(ValueError):
    """A whole file that cannot be read as the format given; the message gives the reason and the fix.

    The parsers of lists and STIX bundles raise only this error; problems of single entries
    are reported in :attr:`ParsedFeed.problems` instead.
    """


def refang(value: str) -> str:
    """Undo the usual defanging of shared indicators: ``hxxp://evil[.]example`` → ``http://evil.example``."""
    value = value.replace("[.]", ".").replace("(.)", ".").replace("[:]", ":")
    if value[:4].lower() == "hxxp":
        value = "http" + value[4:]
    return value


def _ip(value: str) -> tuple[str, str] | None:
    text = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "ipv4", str(address.ipv4_mapped)
    return ("ipv4" if address.version == 4 else "ipv6"), str(address)


def _domain(value: str) -> str | None:
    text = value.rstrip(".").lower()
    if not text or len(text) > 253 or "." not in text:
        return None
    try:
        ascii_text = text.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_text.split(".")
    if not all(DOMAIN_LABEL.fullmatch(label) for label in labels):
        return None
    # A top-level domain is never all digits, which also keeps "1.2.3.999" from passing as a domain.
    if labels[-1].isdigit():
        return None
    return ascii_text


def _url(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https", "ftp", "ftps"} or not host:
        return None
    host_kind = _ip(host)
    normal_host = host_kind[1] if host_kind else _domain(host)
    if normal_host is None:
        return None
    if host_kind and host_kind[0] == "ipv6":
        normal_host = f"[{normal_host}]"
    netloc = normal_host if port is None else f"{normal_host}:{port}"
    if parts.username or parts.password:
        credentials = parts.username or ""
        if parts.password:
            credentials += ":" + parts.password
        netloc = f"{credentials}@{netloc}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def classify(raw: str) -> tuple[str, str]:
    """Return the kind and normalised value of ``raw``; raise IndicatorError if it is no indicator.

    Hashes are distinguished by length (32, 40 or 64 hex digits), so a value of 32 hex digits
    is always read as MD5. Address ranges (CIDR) are not indicators here.
    """
    value = refang(raw.strip())
    if not value:
        raise IndicatorError("empty value")
    if len(value) > MAX_VALUE_LENGTH:
        raise IndicatorError(f"longer than {MAX_VALUE_LENGTH} characters")
    if HEX.fullmatch(value):
        kind = HASH_KINDS.get(len(value))
        if kind is None:
            raise IndicatorError(
                f"{len(value)} hex digits: a hash needs 32 (MD5), 40 (SHA-1) or 64 (SHA-256)"
            )
        return kind, value.lower()
    address = _ip(value)
    if address is not None:
        return address
    if "/" in value and _ip(value.split("/", 1)[0]) is not None:
        raise IndicatorError("an address range (CIDR) is not supported; list the addresses")
    if "://" in value:
        url = _url(value)
        if url is None:
            raise IndicatorError("not a valid http, https or ftp URL")
        return "url", url
    domain = _domain(value)
    if domain is not None:
        return "domain", domain
    raise IndicatorError("not an IP address, domain name, URL, MD5, SHA-1 or SHA-256 hash")


def normalise(kind: str, raw: str) -> str:
    """Return ``raw`` normalised as a ``kind`` value; raise IndicatorError if it is not one."""
    found_kind, value = classify(raw)
    if found_kind != kind:
        raise IndicatorError(f"{value!r} is a {found_kind} value, not {kind}")
    return value


def parse_severity(raw: str) -> str:
    """Return a Sigma level from ``raw`` (case ignored); raise IndicatorError otherwise."""
    severity = raw.strip().lower()
    if severity not in SEVERITIES:
        raise IndicatorError(f"severity {raw!r} is not one of {', '.join(SEVERITIES)}")
    return severity


def parse_time(raw: str) -> datetime:
    """Parse an ISO 8601 time such as ``2026-01-31T00:00:00Z``; a time without offset is UTC."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise IndicatorError(f"time {raw!r} is not ISO 8601 (2026-01-31T00:00:00Z)") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_validity(indicator: ParsedIndicator) -> None:
    """Raise IndicatorError if the indicator's validity ends before it begins."""
    if (
        indicator.valid_from is not None
        and indicator.valid_until is not None
        and indicator.valid_until < indicator.valid_from
    ):
        raise IndicatorError(
            f"valid_until {indicator.valid_until.isoformat()} is before "
            f"valid_from {indicator.valid_from.isoformat()}"
        )


def merge_duplicates(feed: ParsedFeed) -> None:
    """Keep the first of indicators with the same kind and value, and report the others."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for indicator in feed.indicators:
        key = (indicator.kind, indicator.value)
        if key in seen:
            feed.reject(
                indicator.position,
                "duplicate",
                f"{indicator.kind} {indicator.value} is listed earlier in the file",
                indicator.value,
            )
            continue
        seen.add(key)
        unique.append(indicator)
    feed.indicators = unique
