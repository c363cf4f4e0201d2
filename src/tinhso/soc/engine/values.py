"""Sigma values and their modifiers, compiled into tests of one field value.

A detection item such as ``CommandLine|windash|contains|all: [...]`` becomes a ValueTest. Its
predicate takes the raw and the lower-cased value of one field and returns a bool. For
wildcard strings, the test also keeps the patterns in a form that searches a whole column.
String matching is case-insensitive unless the ``cased`` modifier is given. The ``re``
modifier and values produced by ``base64`` or ``base64offset`` match case-sensitively.

The modifiers are those of the Sigma modifiers appendix, version 2.1.0, including ``neq`` and
the time-part modifiers ``minute``, ``hour``, ``day``, ``week``, ``month`` and ``year``.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import regex

from tinhso.soc.engine.errors import RuleError
from tinhso.soc.engine.safe_regex import UnsafeRegexError, compile_guarded
from tinhso.soc.engine.timestamps import parse_time


class _Wildcard:
    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def __repr__(self) -> str:
        return self.symbol


STAR = _Wildcard("*")
QMARK = _Wildcard("?")


@dataclass(frozen=True)
class CharClass:
    """One character out of a set, produced by ``windash``."""

    chars: str


Token = str | _Wildcard | CharClass
Pattern = tuple[Token, ...]

# Dashes that Windows command-line parsers accept in place of '-' or '/' (windash modifier).
WINDASH_CHARS = "-/\u2013\u2014\u2015"
_WINDASH_POSITION = re.compile(r"(?<!\w)[-/](?=\w)")

STRING_MODIFIERS = {"contains", "startswith", "endswith"}
ENCODING_MODIFIERS = {"utf16", "utf16le", "utf16be", "wide"}
COMPARISON_MODIFIERS = {"lt", "lte", "gt", "gte"}
# pySigma also accepts the long names of the regular expression flags.
REGEX_FLAGS = {
    "i": regex.IGNORECASE,
    "ignorecase": regex.IGNORECASE,
    "m": regex.MULTILINE,
    "multiline": regex.MULTILINE,
    "s": regex.DOTALL,
    "dotall": regex.DOTALL,
}
TIME_PART_MODIFIERS = {"minute", "hour", "day", "week", "month", "year"}
KNOWN_MODIFIERS = (
    STRING_MODIFIERS
    | ENCODING_MODIFIERS
    | COMPARISON_MODIFIERS
    | TIME_PART_MODIFIERS
    | set(REGEX_FLAGS)
    | {"all", "re", "base64", "base64offset", "windash", "cidr", "exists", "expand"}
    | {"fieldref", "cased", "neq"}
)


def parse_sigma_string(text: str) -> Pattern:
    """Split a Sigma string into literals and wildcards.

    A backslash escapes a following ``*``, ``?`` or backslash. Any other backslash is literal,
    so ``C:\\Windows`` keeps its single backslash.
    """
    tokens: list[Token] = []
    literal: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            literal.append(char if char in "*?\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "*?":
            if literal:
                tokens.append("".join(literal))
                literal = []
            tokens.append(STAR if char == "*" else QMARK)
        else:
            literal.append(char)
    if escaped:
        literal.append("\\")
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


def _plain_text(pattern: Pattern, modifier: str) -> str:
    if any(not isinstance(token, str) for token in pattern):
        raise RuleError(
            "invalid-value", f"the '{modifier}' modifier cannot encode a value with wildcards"
        )
    return "".join(token for token in pattern if isinstance(token, str))


def _encode(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


def base64_offsets(data: bytes) -> list[str]:
    """Return the three base64 forms of data as it appears at offsets 0, 1 and 2 of a stream.

    Characters that depend on the unknown neighbouring bytes are cut off at both ends.
    """
    start_cut = (0, 2, 3)
    end_cut = (None, -3, -2)
    variants = []
    for shift in range(3):
        encoded = base64.b64encode(b" " * shift + data).decode("ascii")
        variants.append(encoded[start_cut[shift] : end_cut[(len(data) + shift) % 3]])
    return variants


def _windash(pattern: Pattern) -> Pattern:
    tokens: list[Token] = []
    for token in pattern:
        if not isinstance(token, str):
            tokens.append(token)
            continue
        position = 0
        for match in _WINDASH_POSITION.finditer(token):
            if match.start() > position:
                tokens.append(token[position : match.start()])
            tokens.append(CharClass(WINDASH_CHARS))
            position = match.end()
        if position < len(token):
            tokens.append(token[position:])
    return tuple(tokens)


def _expand(pattern: Pattern, placeholders: Mapping[str, Sequence[str]]) -> list[Pattern]:
    """Replace ``%name%`` placeholders by each of their values; an unknown name is an error."""
    results: list[list[Token]] = [[]]
    for token in pattern:
        if not isinstance(token, str):
            for result in results:
                result.append(token)
            continue
        pieces = re.split(r"%(\w+)%", token)
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                if piece:
                    for result in results:
                        result.append(piece)
                continue
            if piece not in placeholders:
                raise RuleError(
                    "unknown-placeholder",
                    f"placeholder %{piece}% has no values; pass it in the placeholder map",
                )
            results = [
                [*result, *parse_sigma_string(value)]
                for result in results
                for value in placeholders[piece]
            ]
    return [tuple(result) for result in results]


def _lower(pattern: Pattern) -> Pattern:
    lowered: list[Token] = []
    for token in pattern:
        if isinstance(token, str):
            lowered.append(token.lower())
        elif isinstance(token, CharClass):
            lowered.append(CharClass(token.chars.lower()))
        else:
            lowered.append(token)
    return tuple(lowered)


def _pattern_regex(pattern: Pattern) -> str:
    parts = []
    for token in pattern:
        if token is STAR:
            parts.append(".*")
        elif token is QMARK:
            parts.append(".")
        elif isinstance(token, CharClass):
            parts.append("[" + "".join(re.escape(char) for char in token.chars) + "]")
        else:
            parts.append(re.escape(str(token)))
    return "".join(parts)


# A predicate over (raw value, lower-cased value) of one non-null field value.
Predicate = Callable[[str, str], bool]


def _literal(tokens: Pattern) -> str | None:
    if len(tokens) == 1 and isinstance(tokens[0], str):
        return tokens[0]
    if not tokens:
        return ""
    return None


@dataclass(frozen=True)
class PatternSet:
    """Patterns of one detection item sorted by shape. A value matches if any pattern does.

    Literal shapes (exact, prefix, suffix, infix) let a whole column be searched at once.
    ``general`` is the patterns with inner wildcards, combined into one regular expression.
    """

    cased: bool
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    infixes: tuple[str, ...]
    general: re.Pattern[str] | None

    def __call__(self, raw: str, lower: str) -> bool:
        value = raw if self.cased else lower
        if value in self.exact:
            return True
        if self.prefixes and value.startswith(self.prefixes):
            return True
        if self.suffixes and value.endswith(self.suffixes):
            return True
        for infix in self.infixes:
            if infix in value:
                return True
        return self.general is not None and self.general.fullmatch(value) is not None


def _pattern_set(patterns: Sequence[Pattern], cased: bool) -> PatternSet:
    exact: set[str] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    infixes: list[str] = []
    general: list[str] = []
    for pattern in patterns:
        tokens = pattern if cased else _lower(pattern)
        lead = bool(tokens) and tokens[0] is STAR
        trail = len(tokens) > int(lead) and tokens[-1] is STAR
        literal = _literal(tokens[int(lead) : len(tokens) - int(trail)])
        if literal is None:
            general.append(_pattern_regex(tokens))
        elif lead and trail:
            infixes.append(literal)
        elif lead:
            suffixes.append(literal)
        elif trail:
            prefixes.append(literal)
        else:
            exact.add(literal)
    combined = (
        re.compile("|".join(f"(?:{part})" for part in general), re.DOTALL) if general else None
    )
    return PatternSet(
        cased, frozenset(exact), tuple(prefixes), tuple(suffixes), tuple(infixes), combined
    )


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class ValueTest:
    """A compiled detection item: field, predicate and what a null or missing value gives.

    ``signature`` identifies equal tests so that a batch evaluates each one once.
    ``other_field`` is set for ``fieldref``: the predicate then compares two columns.
    ``pattern_sets`` repeats the predicate in a form that a column can search as a whole: the
    value must match any set, or every set when ``link_all`` is true.
    """

    field: str | None
    signature: str
    predicate: Predicate
    matches_null: bool = False
    exists: bool | None = None
    other_field: str | None = None
    fieldref_mode: str = ""
    pattern_sets: tuple[PatternSet, ...] = ()
    link_all: bool = False


def _string_patterns(
    value: Any, modifiers: list[str], placeholders: Mapping[str, Sequence[str]]
) -> tuple[list[Pattern], bool]:
    """Apply the transforming modifiers to one value; return its alternative patterns."""
    text = str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    patterns: list[Pattern] = [parse_sigma_string(text)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        patterns = [(text,)]
    data: list[bytes] | None = None
    cased = "cased" in modifiers
    for modifier in modifiers:
        if modifier == "expand":
            patterns = [
                expanded for pattern in patterns for expanded in _expand(pattern, placeholders)
            ]
        elif modifier in ENCODING_MODIFIERS:
            texts = [_plain_text(pattern, modifier) for pattern in patterns]
            if modifier == "utf16be":
                data = [item.encode("utf-16-be") for item in texts]
            elif modifier == "utf16":
                data = [b"\xff\xfe" + item.encode("utf-16-le") for item in texts]
            else:
                data = [item.encode("utf-16-le") for item in texts]
        elif modifier in ("base64", "base64offset"):
            sources = (
                data
                if data is not None
                else [_encode(_plain_text(pattern, modifier)) for pattern in patterns]
            )
            if modifier == "base64":
                encoded = [base64.b64encode(item).decode("ascii") for item in sources]
            else:
                encoded = [variant for item in sources for variant in base64_offsets(item)]
            patterns = [(item,) for item in encoded]
            data = None
            cased = True
        elif modifier == "windash":
            patterns = [_windash(pattern) for pattern in patterns]
        elif modifier == "contains":
            patterns = [(STAR, *pattern, STAR) for pattern in patterns]
        elif modifier == "startswith":
            patterns = [(*pattern, STAR) for pattern in patterns]
        elif modifier == "endswith":
            patterns = [(STAR, *pattern) for pattern in patterns]
    if data is not None:
        raise RuleError(
            "invalid-modifier",
            "utf16/utf16le/utf16be/wide must be followed by base64 or base64offset",
        )
    return patterns, cased


def _regex_predicate(values: list[Any], modifiers: list[str], link_all: bool) -> Predicate:
    flags = 0
    for modifier in modifiers:
        flags |= REGEX_FLAGS.get(modifier, 0)
    compiled = []
    for value in values:
        try:
            compiled.append(compile_guarded(str(value), flags))
        except UnsafeRegexError as error:
            raise RuleError(
                "dangerous-regex", f"regular expression {value!r} rejected: {error}"
            ) from error
        except regex.error as error:
            raise RuleError(
                "invalid-regex", f"invalid regular expression {value!r}: {error}"
            ) from error
    if link_all:
        return lambda raw, lower: all(item.search(raw) for item in compiled)
    return lambda raw, lower: any(item.search(raw) for item in compiled)


def _cidr_predicate(values: list[Any], link_all: bool) -> Predicate:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError as error:
            raise RuleError("invalid-value", f"invalid CIDR network {value!r}: {error}") from error

    def predicate(raw: str, lower: str) -> bool:
        try:
            address = ipaddress.ip_address(raw.strip())
        except ValueError:
            return False
        # Windows logs IPv4 peers of dual-stack sockets as "::ffff:10.1.2.3".
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        tests = (address.version == network.version and address in network for network in networks)
        return all(tests) if link_all else any(tests)

    return predicate


def _comparison_predicate(values: list[Any], operator: str) -> Predicate:
    if len(values) != 1:
        raise RuleError("invalid-value", f"the '{operator}' modifier takes exactly one number")
    try:
        bound = float(values[0])
    except (TypeError, ValueError) as error:
        raise RuleError(
            "invalid-value", f"the '{operator}' modifier needs a number, got {values[0]!r}"
        ) from error
    compare: dict[str, Callable[[float], bool]] = {
        "lt": lambda number: number < bound,
        "lte": lambda number: number <= bound,
        "gt": lambda number: number > bound,
        "gte": lambda number: number >= bound,
    }
    test = compare[operator]

    def predicate(raw: str, lower: str) -> bool:
        number = _number(raw)
        return number is not None and test(number)

    return predicate


def _time_part(moment: datetime, part: str) -> int:
    if part == "minute":
        return moment.minute
    if part == "hour":
        return moment.hour
    if part == "day":
        return moment.day
    if part == "week":
        return moment.isocalendar().week
    if part == "month":
        return moment.month
    return moment.year


def _time_part_predicate(values: list[Any], part: str) -> Predicate:
    """Compare one part of a timestamp value, in the value's own time zone, with numbers."""
    numbers = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(
                "invalid-value", f"the '{part}' modifier needs whole numbers, got {value!r}"
            )
        numbers.add(value)

    def predicate(raw: str, lower: str) -> bool:
        moment = parse_time(raw)
        return moment is not None and _time_part(moment, part) in numbers

    return predicate


def _negated(test: ValueTest, signature: str) -> ValueTest:
    """Return the test of ``neq``: the field has a value and the item does not match it.

    A missing or null field has no value to differ, so it does not match, as in SQL back ends
    where ``NOT field = 'x'`` is unknown for NULL. The condition ``not`` matches it instead.
    """
    original, matched_null = test.predicate, test.matches_null

    def predicate(raw: str, lower: str) -> bool:
        return not ((matched_null and raw == "") or original(raw, lower))

    return ValueTest(test.field, signature, predicate)


def _any_or_all(sets: tuple[PatternSet, ...], link_all: bool) -> Predicate:
    if len(sets) == 1:
        return sets[0]
    if link_all:
        return lambda raw, lower: all(test(raw, lower) for test in sets)
    return lambda raw, lower: any(test(raw, lower) for test in sets)


def _never(raw: str, lower: str) -> bool:
    return False


def compile_item(
    field: str | None,
    modifiers: list[str],
    raw_values: Any,
    placeholders: Mapping[str, Sequence[str]],
) -> ValueTest:
    """Compile one ``field|modifiers: values`` entry of a selection."""
    unknown = [modifier for modifier in modifiers if modifier not in KNOWN_MODIFIERS]
    if unknown:
        raise RuleError("unknown-modifier", f"unknown value modifier '{unknown[0]}'")
    if "neq" in modifiers:
        return _compile_neq(field, modifiers, raw_values, placeholders)
    values = raw_values if isinstance(raw_values, list) else [raw_values]
    signature = f"{field}|{'|'.join(modifiers)}={values!r}"
    link_all = "all" in modifiers

    if "exists" in modifiers:
        if len(values) != 1 or not isinstance(values[0], bool):
            raise RuleError("invalid-value", "the 'exists' modifier takes true or false")
        return ValueTest(field, signature, _never, exists=values[0])

    if "fieldref" in modifiers:
        if len(values) != 1 or not isinstance(values[0], str):
            raise RuleError("invalid-value", "the 'fieldref' modifier takes one field name")
        mode = next((modifier for modifier in modifiers if modifier in STRING_MODIFIERS), "")
        return ValueTest(field, signature, _never, other_field=values[0], fieldref_mode=mode)

    if not values:
        raise RuleError("invalid-value", f"field '{field}' has an empty value list")

    non_null = [value for value in values if value is not None]
    # NOTE: null matches a missing field and an empty value, because Windows renders empty
    # <Data> elements as "". pySigma's SQL backends emit "IS NULL", which misses the empty ones.
    matches_null = len(non_null) < len(values)
    if matches_null and link_all:
        raise RuleError("invalid-value", "the 'all' modifier cannot combine null with other values")
    for value in non_null:
        if isinstance(value, dict | list):
            raise RuleError(
                "invalid-value", f"field '{field}' has a nested {type(value).__name__} as value"
            )

    if not non_null:
        return ValueTest(field, signature, _never, matches_null=True)
    time_parts = [modifier for modifier in modifiers if modifier in TIME_PART_MODIFIERS]
    if time_parts:
        others = [modifier for modifier in modifiers if modifier not in time_parts]
        if len(time_parts) > 1 or others:
            raise RuleError(
                "invalid-modifier",
                f"the '{time_parts[0]}' modifier cannot be combined with "
                f"'{(time_parts[1:] + others)[0]}'",
            )
        predicate = _time_part_predicate(non_null, time_parts[0])
    elif "re" in modifiers:
        predicate = _regex_predicate(non_null, modifiers, link_all)
    elif "cidr" in modifiers:
        predicate = _cidr_predicate(non_null, link_all)
    elif comparisons := [modifier for modifier in modifiers if modifier in COMPARISON_MODIFIERS]:
        predicate = _comparison_predicate(non_null, comparisons[0])
    else:
        flag_misuse = [modifier for modifier in modifiers if modifier in REGEX_FLAGS]
        if flag_misuse:
            raise RuleError(
                "invalid-modifier", f"the '{flag_misuse[0]}' flag modifier needs the 're' modifier"
            )
        alternatives = [_string_patterns(value, modifiers, placeholders) for value in non_null]
        if link_all:
            sets = tuple(_pattern_set(patterns, cased) for patterns, cased in alternatives)
        else:
            plain = [p for patterns, cased in alternatives if not cased for p in patterns]
            cased_only = [p for patterns, cased in alternatives if cased for p in patterns]
            sets = tuple(
                _pattern_set(group, is_cased)
                for group, is_cased in ((plain, False), (cased_only, True))
                if group
            )
        return ValueTest(
            field,
            signature,
            _any_or_all(sets, link_all),
            matches_null=matches_null,
            pattern_sets=sets,
            link_all=link_all,
        )
    return ValueTest(field, signature, predicate, matches_null=matches_null)


def _compile_neq(
    field: str | None,
    modifiers: list[str],
    raw_values: Any,
    placeholders: Mapping[str, Sequence[str]],
) -> ValueTest:
    """Compile ``field|...|neq``: the item without ``neq``, negated."""
    if field is None:
        raise RuleError("invalid-modifier", "the 'neq' modifier needs a field")
    for modifier in ("exists", "fieldref"):
        if modifier in modifiers:
            # NOTE: the specification allows fieldref with neq; the column comparison of
            # fieldref has no negation yet.
            raise RuleError(
                "invalid-modifier", f"the 'neq' modifier cannot be combined with '{modifier}'"
            )
    positive = compile_item(
        field, [modifier for modifier in modifiers if modifier != "neq"], raw_values, placeholders
    )
    return _negated(positive, f"{positive.signature}|neq")
