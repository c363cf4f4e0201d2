"""Find the addresses, domains, URLs and hashes an event carries, without Django.

Fields are recognised by name, case ignored: Windows and Sysmon names (IpAddress, SourceIp,
DestinationIp, QueryName, DestinationHostname, Hashes), the syslog and JSON names the
collectors keep (src, dst, src_ip, source.ip, destination.ip, url, ...), and any field whose
name ends in ``.md5``, ``.sha1`` or ``.sha256``. Free text such as CommandLine is not read,
so a value only mentioned in a command does not match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tinhso.soc.intel.indicators import HASH_KINDS, HEX, IndicatorError, classify

ADDRESS_KEYS = frozenset(
    {
        "ipaddress", "sourceip", "destinationip", "sourceaddress", "destaddress",
        "destinationaddress", "clientaddress", "ipaddr", "src", "dst", "srcip", "dstip",
        "src_ip", "dst_ip", "source_ip", "destination_ip", "source.ip", "destination.ip",
        "client.ip", "server.ip", "clientip", "rhost", "remote_addr", "remoteaddress", "ip",
    }
)  # fmt: skip
DOMAIN_KEYS = frozenset(
    {
        "queryname", "destinationhostname", "sourcehostname", "domain", "dns.question.name",
        "destination.domain", "source.domain", "server.domain", "url.domain", "query",
        "dest_host", "dst_host", "servername",
    }
)  # fmt: skip
URL_KEYS = frozenset({"url", "url.full", "url.original", "request_url", "requesturl", "http.url"})
HASH_LIST_KEYS = frozenset({"hashes", "hash"})
HASH_SUFFIXES = {".md5": "md5", ".sha1": "sha1", ".sha256": "sha256"}
HASH_NAMES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}
# Sysmon's DNS answers look like "type:  5 cdn.example;::ffff:192.0.2.1;".
QUERY_RESULTS_KEY = "queryresults"
MAX_VALUES_PER_FIELD = 50


@dataclass(frozen=True)
class Observable:
    """One value found in an event: its kind, normalised value and the field it came from."""

    kind: str
    value: str
    field: str


def parent_domains(domain: str) -> list[str]:
    """Return ``domain`` and the domains above it down to two labels (a.b.example → b.example)."""
    labels = domain.split(".")
    return [".".join(labels[index:]) for index in range(max(len(labels) - 1, 1))]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value[:MAX_VALUES_PER_FIELD] if isinstance(item, str)]
    return []


def _as(kinds: set[str], raw: str, field: str) -> Iterator[Observable]:
    try:
        kind, value = classify(raw)
    except IndicatorError:
        return
    if kind in kinds:
        yield Observable(kind, value, field)


def _hashes(raw: str, field: str) -> Iterator[Observable]:
    """Read ``SHA256=…,MD5=…,IMPHASH=…`` lists and bare hex digests; IMPHASH is not a file hash."""
    for part in re.split(r"[,;\s]+", raw.strip()):
        name, separator, digest = part.partition("=")
        if separator:
            kind = HASH_NAMES.get(name.strip().lower().replace("-", ""))
            if kind and HEX.fullmatch(digest) and HASH_KINDS.get(len(digest)) == kind:
                yield Observable(kind, digest.lower(), field)
        elif HEX.fullmatch(part) and len(part) in HASH_KINDS:
            yield Observable(HASH_KINDS[len(part)], part.lower(), field)


def _url(raw: str, field: str) -> Iterator[Observable]:
    yield from _as({"url"}, raw, field)
    try:
        host = urlsplit(raw.strip()).hostname
    except ValueError:
        return
    if host:
        yield from _as({"ipv4", "ipv6", "domain"}, host, field)


def _field_observables(name: str, raw: str) -> Iterator[Observable]:
    key = name.lower()
    if key in ADDRESS_KEYS:
        yield from _as({"ipv4", "ipv6"}, raw, name)
    elif key in DOMAIN_KEYS:
        yield from _as({"domain", "ipv4", "ipv6"}, raw, name)
    elif key in URL_KEYS:
        yield from _url(raw, name)
    elif key in HASH_LIST_KEYS:
        yield from _hashes(raw, name)
    elif key == QUERY_RESULTS_KEY:
        for part in raw.split(";")[:MAX_VALUES_PER_FIELD]:
            yield from _as({"ipv4", "ipv6"}, part.strip(), name)
    else:
        for suffix, kind in HASH_SUFFIXES.items():
            if key.endswith(suffix) or key == suffix[1:]:
                yield from _as({kind}, raw, name)


def event_observables(fields: Mapping[str, Any], source_ip: str = "") -> list[Observable]:
    """Return the distinct observables of one event's flat fields and its source address."""
    found: dict[tuple[str, str], Observable] = {}
    for name, value in fields.items():
        for raw in _strings(value):
            for observable in _field_observables(str(name), raw):
                found.setdefault((observable.kind, observable.value), observable)
    if source_ip:
        for observable in _as({"ipv4", "ipv6"}, source_ip, "source_ip"):
            found.setdefault((observable.kind, observable.value), observable)
    return list(found.values())
