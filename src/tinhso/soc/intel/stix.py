"""Read indicators out of STIX 2.1 bundles, without Django.

Two kinds of objects give indicators. ``indicator`` objects with ``pattern_type: stix`` whose
pattern compares an address, domain, URL or file hash for equality, such as
``[ipv4-addr:value = '198.51.100.7']`` or
``[file:hashes.'SHA-256' = '…'] OR [domain-name:value = 'evil.example']``. Comparisons may be
OR-ed inside or between observations and ``IN ('a', 'b')`` lists several values. Cyber
observables (``ipv4-addr``, ``ipv6-addr``, ``domain-name``, ``url``, ``file``) give their
values too. Any other pattern (AND, NOT, MATCHES, LIKE, qualifiers such as WITHIN, other
object types) is reported with the indicator id and the reason, and skipped, because
matching a part of it alone would raise alerts the pattern does not describe.

The parser is a small one of its own for these comparison forms. The ``stix2`` package
validates more but is not among the platform's dependencies.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tinhso.soc.intel.indicators import (
    DEFAULT_SEVERITY,
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

OBSERVABLE_TYPES = frozenset({"ipv4-addr", "ipv6-addr", "domain-name", "url", "file"})
VALUE_PATHS = {
    "ipv4-addr:value": "ipv4",
    "ipv6-addr:value": "ipv6",
    "domain-name:value": "domain",
    "url:value": "url",
    "network-traffic:dst_ref.value": "ip",
    "network-traffic:src_ref.value": "ip",
}
HASH_NAMES = {
    "md5": "md5",
    "sha-1": "sha1",
    "sha1": "sha1",
    "sha-256": "sha256",
    "sha256": "sha256",
}
TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<path>[a-z0-9][a-z0-9-]*:[A-Za-z0-9_-]+(?:\.(?:'[^']*'|[A-Za-z0-9_-]+)|\[(?:\*|\d+)\])*)
    | (?P<operator>!=|<=|>=|=|<|>)
    | (?P<punct>[\[\]\(\),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>-?\d+(?:\.\d+)?)
    """,
    re.VERBOSE,
)


class StixPatternError(ValueError):
    """A pattern this parser does not support or cannot read; the message gives the reason."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(pattern: str) -> list[Token]:
    """Split a STIX pattern into tokens; raise StixPatternError at an unreadable character."""
    tokens = []
    position = 0
    while position < len(pattern):
        match = TOKEN.match(pattern, position)
        if match is None:
            raise StixPatternError(f"unexpected text at character {position + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group()))
        position = match.end()
    return tokens


class PatternParser:
    """Recursive-descent reader of the supported pattern forms; :meth:`parse` returns the
    ``(kind, value)`` pairs the pattern matches, where kind ``ip`` means either address kind."""

    def __init__(self, pattern: str) -> None:
        self.tokens = tokenize(pattern)
        self.index = 0

    def parse(self) -> list[tuple[str, str]]:
        if not self.tokens:
            raise StixPatternError("the pattern is empty")
        values = self._observation_or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            self._unsupported_keyword(token)
            raise StixPatternError(f"unexpected {token.text!r} after the expression")
        return values

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, text: str | None = None) -> Token:
        token = self._peek()
        if token is None:
            raise StixPatternError(
                "the pattern ends early" + (f"; expected {text!r}" if text else "")
            )
        if text is not None and token.text != text:
            self._unsupported_keyword(token)
            raise StixPatternError(f"expected {text!r}, found {token.text!r}")
        self.index += 1
        return token

    @staticmethod
    def _unsupported_keyword(token: Token) -> None:
        if token.kind != "word":
            return
        word = token.text.upper()
        if word == "AND":
            raise StixPatternError(
                "AND is not supported: the indicator needs all its conditions at once"
            )
        if word in {"FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP"}:
            raise StixPatternError(f"the {word} qualifier or operator is not supported")
        if word in {"NOT", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}:
            raise StixPatternError(f"the {word} operator is not supported; only = and IN are")

    def _observation_or(self) -> list[tuple[str, str]]:
        values = self._observation()
        while self._peek() == Token("word", "OR"):
            self.index += 1
            values += self._observation()
        return values

    def _observation(self) -> list[tuple[str, str]]:
        token = self._take()
        if token.text == "(":
            values = self._observation_or()
            self._take(")")
        elif token.text == "[":
            values = self._comparison_or()
            self._take("]")
        else:
            self._unsupported_keyword(token)
            raise StixPatternError(f"expected '[' to open an observation, found {token.text!r}")
        following = self._peek()
        if following is not None:
            self._unsupported_keyword(following)
        return values

    def _comparison_or(self) -> list[tuple[str, str]]:
        values = self._comparison()
        while self._peek() == Token("word", "OR"):
            self.index += 1
            values += self._comparison()
        following = self._peek()
        if following is not None:
            self._unsupported_keyword(following)
        return values

    def _comparison(self) -> list[tuple[str, str]]:
        token = self._take()
        if token.text == "(":
            values = self._comparison_or()
            self._take(")")
            return values
        if token.kind != "path":
            self._unsupported_keyword(token)
            raise StixPatternError(f"expected an object path, found {token.text!r}")
        kind = path_kind(token.text)
        operator = self._take()
        if operator.text == "=":
            return [(kind, self._string())]
        if operator.text == "IN":
            self._take("(")
            values = [(kind, self._string())]
            while self._peek() == Token("punct", ","):
                self.index += 1
                values.append((kind, self._string()))
            self._take(")")
            return values
        self._unsupported_keyword(operator)
        raise StixPatternError(
            f"the operator {operator.text!r} is not supported; only = and IN are"
        )

    def _string(self) -> str:
        token = self._take()
        if token.kind != "string":
            raise StixPatternError(f"expected a quoted string, found {token.text!r}")
        return re.sub(r"\\(.)", r"\1", token.text[1:-1])


def path_kind(path: str) -> str:
    """Return the indicator kind an object path compares; raise StixPatternError otherwise."""
    if path in VALUE_PATHS:
        return VALUE_PATHS[path]
    if path.startswith("file:hashes."):
        name = path[len("file:hashes.") :].strip("'").lower()
        if name in HASH_NAMES:
            return HASH_NAMES[name]
        raise StixPatternError(
            f"the hash {name.upper()} is not supported; use MD5, SHA-1 or SHA-256"
        )
    raise StixPatternError(f"the object path {path} is not supported")


def parse_pattern(pattern: str) -> list[tuple[str, str]]:
    """Return the normalised ``(kind, value)`` pairs of a pattern; raise StixPatternError."""
    pairs = []
    for kind, raw in PatternParser(pattern).parse():
        value = raw
        if kind in {"ip", "ipv4", "ipv6"} and raw.endswith(("/32", "/128")):
            value = raw.rsplit("/", 1)[0]
        try:
            if kind == "ip":
                found_kind, normal = classify(value)
                if found_kind not in {"ipv4", "ipv6"}:
                    raise IndicatorError(f"{raw!r} is not an IP address")
                pairs.append((found_kind, normal))
            else:
                pairs.append((kind, normalise(kind, value)))
        except IndicatorError as error:
            raise StixPatternError(f"invalid value {raw[:100]!r}: {error}") from error
    return pairs


# --- bundles ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def indicator_tags(stix_object: dict[str, Any]) -> list[str]:
    """Return tags from labels, indicator types, kill-chain phases and ATT&CK references.

    Phases of the ``mitre-attack`` kill chain and ATT&CK technique ids read as Sigma tags
    (``attack.command-and-control``, ``attack.t1071``), so they group with Sigma alerts.
    """
    tags = _strings(stix_object.get("labels")) + _strings(stix_object.get("indicator_types"))
    phases = stix_object.get("kill_chain_phases")
    for phase in phases if isinstance(phases, list) else []:
        if not isinstance(phase, dict):
            continue
        chain, name = _text(phase.get("kill_chain_name")), _text(phase.get("phase_name"))
        if chain and name:
            prefix = "attack" if chain == "mitre-attack" else chain
            tags.append(f"{prefix}.{name}".lower())
    references = stix_object.get("external_references")
    for reference in references if isinstance(references, list) else []:
        if isinstance(reference, dict) and reference.get("source_name") == "mitre-attack":
            external_id = _text(reference.get("external_id"))
            if external_id:
                tags.append(f"attack.{external_id.lower()}")
    return list(dict.fromkeys(tags))


def _description(stix_object: dict[str, Any]) -> str:
    name, description = _text(stix_object.get("name")), _text(stix_object.get("description"))
    if name and description:
        return f"{name}: {description}"
    return name or description


def _severity(stix_object: dict[str, Any]) -> str:
    """Read the ``x_severity`` extension property (a Sigma level); STIX itself has none."""
    raw = stix_object.get("x_severity")
    if not isinstance(raw, str):
        return DEFAULT_SEVERITY
    return parse_severity(raw)


def _time(stix_object: dict[str, Any], name: str) -> Any:
    raw = stix_object.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise IndicatorError(f"{name} is not a timestamp string")
    return parse_time(raw)


def _read_indicator(feed: ParsedFeed, stix_object: dict[str, Any], position: str) -> None:
    if stix_object.get("revoked") is True:
        feed.reject(position, "revoked", "the indicator is revoked by its producer")
        return
    pattern_type = stix_object.get("pattern_type", "stix")
    pattern = stix_object.get("pattern")
    if pattern_type != "stix":
        feed.reject(
            position, "unsupported_pattern", f"pattern_type {pattern_type!r} is not supported"
        )
        return
    if not isinstance(pattern, str):
        feed.reject(position, "invalid_pattern", "the indicator has no pattern string")
        return
    try:
        pairs = parse_pattern(pattern)
        valid_from = _time(stix_object, "valid_from")
        valid_until = _time(stix_object, "valid_until")
        severity = _severity(stix_object)
    except StixPatternError as error:
        feed.reject(position, "unsupported_pattern", str(error), pattern)
        return
    except IndicatorError as error:
        feed.reject(position, "invalid_indicator", str(error), pattern)
        return
    for kind, value in pairs:
        indicator = ParsedIndicator(
            kind,
            value,
            position,
            description=_description(stix_object),
            severity=severity,
            stix_id=_text(stix_object.get("id"))[:120],
            valid_from=valid_from,
            valid_until=valid_until,
            tags=indicator_tags(stix_object),
        )
        try:
            check_validity(indicator)
        except IndicatorError as error:
            feed.reject(position, "invalid_indicator", str(error), pattern)
            return
        feed.add(indicator)


def _observable_values(stix_object: dict[str, Any]) -> list[tuple[str, str]]:
    object_type = stix_object["type"]
    if object_type == "file":
        hashes = stix_object.get("hashes")
        if not isinstance(hashes, dict):
            raise IndicatorError("the file object has no hashes")
        pairs = []
        for name, value in hashes.items():
            kind = HASH_NAMES.get(str(name).lower())
            if kind is not None and isinstance(value, str):
                pairs.append((kind, normalise(kind, value)))
        if not pairs:
            raise IndicatorError("the file object has no MD5, SHA-1 or SHA-256 hash")
        return pairs
    value = stix_object.get("value")
    if not isinstance(value, str):
        raise IndicatorError(f"the {object_type} object has no value")
    kind = VALUE_PATHS[f"{object_type}:value"]
    return [(kind, normalise(kind, value))]


def _read_observable(feed: ParsedFeed, stix_object: dict[str, Any], position: str) -> None:
    try:
        pairs = _observable_values(stix_object)
    except IndicatorError as error:
        feed.reject(position, "invalid_observable", str(error), json.dumps(stix_object)[:500])
        return
    for kind, value in pairs:
        feed.add(
            ParsedIndicator(
                kind,
                value,
                position,
                description=_description(stix_object),
                stix_id=_text(stix_object.get("id"))[:120],
            )
        )


def _objects(text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise IntelFormatError(f"the file is not valid JSON: {error}") from error
    if isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects", [])
        if not isinstance(objects, list):
            raise IntelFormatError("the bundle's objects property is not a list")
        return objects
    if isinstance(document, dict) and isinstance(document.get("type"), str):
        return [document]
    raise IntelFormatError(
        "the JSON is not a STIX 2.1 bundle: expected an object with type 'bundle' and a list "
        "of objects"
    )


def parse_bundle(text: str) -> tuple[ParsedFeed, Counter[str]]:
    """Read a STIX bundle (or one STIX object); raise IntelFormatError if the JSON is not one.

    Returns the feed and the counts of object types that give no indicator (identities,
    relationships, malware, ...), which are skipped without a report.
    """
    feed = ParsedFeed(format="stix")
    ignored: Counter[str] = Counter()
    for number, stix_object in enumerate(_objects(text), start=1):
        if not isinstance(stix_object, dict) or not isinstance(stix_object.get("type"), str):
            feed.entries += 1
            feed.reject(f"object {number}", "invalid_object", "not a STIX object with a type")
            continue
        object_type = stix_object["type"]
        if object_type != "indicator" and object_type not in OBSERVABLE_TYPES:
            ignored[object_type] += 1
            continue
        feed.entries += 1
        position = _text(stix_object.get("id"))[:120] or f"object {number}"
        if object_type == "indicator":
            _read_indicator(feed, stix_object, position)
        else:
            _read_observable(feed, stix_object, position)
    merge_duplicates(feed)
    return feed, ignored
