"""Events as columns, so that a rule's detection items run over many events at once.

An EventBatch contains all events of one hunt step. Each column keeps its distinct values and,
per event, the index of its value. A detection item is tested once per distinct value of its
column, over the whole batch, and the result is kept: every rule and every subset of events
that needs the same item reuses it. A subset (the events that a rule's log source accepts) is
an EventView; it spreads a per-value result to its events with NumPy indexing. This pays off
because Windows event fields repeat heavily (images, users, channels) and because thousands
of rules share fields and often values.

Literal patterns go further. All prefixes, suffixes and infixes that the tests of a column
search are found in one pass with an Aho-Corasick automaton over the column's distinct values,
joined with NUL separators, and each (needle, value) hit is recorded. A test then only looks
up the values its needles hit. Patterns never contain NUL, so a hit cannot span two values.
Patterns with inner wildcards are fully matched only against the values that contain one of
their literals, found in the same pass. Exact values are looked up in a map of the values.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ahocorasick
import numpy as np
import numpy.typing as npt

from tinhso.soc.engine.values import PatternSet, Predicate

logger = logging.getLogger(__name__)

# CPython's own parser of regular expressions (Python 3.11 to 3.13), to read the literals of
# the wildcard patterns that values.py compiles; its public alias sre_parse is deprecated.
sre_parser: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")

BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]
SEPARATOR = "\x00"
_NO_VALUES: IndexArray = np.empty(0, dtype=np.intp)


def as_text(value: Any) -> str | None:
    """Return the string form that rules compare against; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if item is None else str(item) for item in value)
    return str(value)


@functools.lru_cache(maxsize=256)
def _automaton(needles: tuple[str, ...]) -> Any:
    """Return an Aho-Corasick automaton whose payload for each needle is its position.

    Cached because many columns ask for the same needles (keywords search every field).
    """
    automaton = ahocorasick.Automaton()
    for number, needle in enumerate(needles):
        automaton.add_word(needle, number)
    automaton.make_automaton()
    return automaton


class _NeedleIndex:
    """Index of the distinct values of one column (one case mode) that contain each needle.

    ``add`` collects needles; the first ``values_with`` after new needles runs one
    Aho-Corasick pass over the joined values for the needles not searched yet. Needles are
    stored with their separators: ``NUL + prefix``, ``suffix + NUL``, ``NUL + exact + NUL``
    or a bare infix.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.text = SEPARATOR + SEPARATOR.join(texts) + SEPARATOR
        lengths = np.fromiter((len(text) + 1 for text in texts), dtype=np.intp, count=len(texts))
        # starts[i] is the offset of value i's leading separator in ``text``.
        self.starts = np.cumsum(lengths) - lengths
        self._pending: set[str] = set()
        self._found: dict[str, IndexArray] = {}

    def add(self, needles: Iterable[str]) -> None:
        self._pending.update(needle for needle in needles if needle not in self._found)

    def values_with(self, needle: str) -> IndexArray:
        """Return the sorted indexes of the values whose separated text contains needle."""
        found = self._found.get(needle)
        if found is None:
            self._pending.add(needle)
            self._search()
            found = self._found[needle]
        return found

    def _search(self) -> None:
        needles = tuple(sorted(self._pending))
        self._pending.clear()
        automaton = _automaton(needles)
        ends: dict[int, list[int]] = {}
        for end, number in automaton.iter(self.text):
            found = ends.get(number)
            if found is None:
                ends[number] = [end]
            else:
                found.append(end)
        for needle in needles:
            self._found[needle] = _NO_VALUES
        for number, positions in ends.items():
            needle = needles[number]
            # A hit ending at ``end`` started at end - len + 1; the value is the last one whose
            # leading separator is at or before that start.
            starts = np.asarray(positions, dtype=np.intp) - (len(needle) - 1)
            values = np.searchsorted(self.starts, starts, side="right") - 1
            self._found[needle] = np.unique(values)


def needles_of(patterns: PatternSet) -> tuple[str, ...]:
    """Return the separated needles of the literal patterns (see _NeedleIndex)."""
    return (
        *(SEPARATOR + prefix for prefix in patterns.prefixes),
        *(suffix + SEPARATOR for suffix in patterns.suffixes),
        *patterns.infixes,
    )


def search_needles(patterns: PatternSet) -> tuple[str, ...]:
    """Return every needle that matching patterns looks up: literal ones and prefilters."""
    literals = None if patterns.general is None else required_literals(patterns.general)
    return needles_of(patterns) + (literals or ())


_PLAIN_TYPES = {str, int, type(None)}


def _text_codes(values: Sequence[Any], positions: dict[str | None, int]) -> IndexArray:
    """Number the distinct texts of values into positions; return the number of each value.

    Columns of strings, integers and nulls are first made distinct at C speed, so as_text
    runs once per distinct value. Other columns take the slow path, one value at a time:
    their values may be equal as Python objects but not as text (True, 1 and 1.0) or may not
    be hashable (lists).
    """
    if not set(map(type, values)) <= _PLAIN_TYPES:
        return np.fromiter(
            (positions.setdefault(as_text(value), len(positions)) for value in values),
            dtype=np.intp,
            count=len(values),
        )
    raw = {value: number for number, value in enumerate(dict.fromkeys(values))}
    remap = np.fromiter(
        (positions.setdefault(as_text(value), len(positions)) for value in raw),
        dtype=np.intp,
        count=len(raw),
    )
    return remap[np.fromiter(map(raw.__getitem__, values), dtype=np.intp, count=len(values))]


def _longest_literal(items: Any) -> str:
    """Return the longest run of literal characters in a parsed sequence of regex items."""
    longest = ""
    run: list[str] = []
    for op, argument in [*items, (None, None)]:
        if op is sre_constants.LITERAL:
            run.append(chr(argument))
            continue
        if len(run) > len(longest):
            longest = "".join(run)
        run = []
    return longest


@functools.lru_cache(maxsize=4096)
def required_literals(general: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return literals such that a value the pattern fully matches contains one of them.

    ``general`` is the regular expression of the patterns with inner wildcards: one
    alternative per pattern, made of escaped literals, ``.``, ``.*`` and character classes.
    Testing only the values that contain a literal (found in the same Aho-Corasick pass as the
    other needles) skips most full matches. Returns None when no such literals exist or the
    expression has another shape, so that every value is tested.
    """
    if general.flags & re.IGNORECASE:
        return None
    try:
        items = list(sre_parser.parse(general.pattern, general.flags))
    except (re.error, RecursionError):
        return None
    # The parser moves items that all alternatives start with out of the branch, before it.
    common = _longest_literal(items)
    if common:
        return (common,)
    branches = [argument for op, argument in items if op is sre_constants.BRANCH]
    if len(branches) != 1:
        return None
    literals = []
    for alternative in branches[0][1]:
        literal = _longest_literal(alternative)
        if not literal:
            return None
        literals.append(literal)
    return tuple(literals)


class Column:
    """The values of one field over a batch of events, with its distinct values.

    The ``*_mask`` methods return one bool per distinct value (``uniques``); an EventView
    turns them into one bool per event.
    """

    def __init__(
        self, size: int, rows: IndexArray, values: Sequence[Any], present: bool = True
    ) -> None:
        """Build the column of ``size`` events from the raw values of the events at ``rows``.

        Values are compared as text (see as_text). Other events have no value (None, always
        distinct value 0).
        """
        self.size = size
        self.rows = rows
        self.present = present
        positions: dict[str | None, int] = {None: 0}
        codes = _text_codes(values, positions)
        self.inverse: IndexArray = np.zeros(size, dtype=np.intp)
        self.inverse[rows] = codes
        self._positions = positions
        self.uniques: list[str | None] = list(positions)
        self._lowers: list[str] | None = None
        self._needle_index: dict[bool, _NeedleIndex | None] = {}
        self._positions_of: dict[bool, tuple[dict[str, int], dict[str, list[int]]]] = {}
        self.masks: dict[str, BoolArray] = {}

    @property
    def values(self) -> list[str | None]:
        """The value of each event, None where the event has none."""
        uniques = self.uniques
        return [uniques[code] for code in self.inverse.tolist()]

    @property
    def lowers(self) -> list[str]:
        if self._lowers is None:
            self._lowers = ["" if value is None else value.lower() for value in self.uniques]
        return self._lowers

    def _texts(self, cased: bool) -> list[str]:
        if cased:
            return ["" if value is None else value for value in self.uniques]
        return self.lowers

    def _where(self, cased: bool) -> tuple[dict[str, int], dict[str, list[int]]]:
        """Return the position of each distinct text, and all positions of repeated texts.

        Texts repeat only when lower-cased ("A" and "a"). Value 0 (no value) has no entry:
        _with_nulls sets its result.
        """
        where = self._positions_of.get(cased)
        if where is None:
            texts = self._texts(cased)
            single = dict(zip(texts[1:], range(1, len(texts)), strict=True))
            repeated: dict[str, list[int]] = {}
            if len(single) < len(texts) - 1:
                for position, text in enumerate(texts[1:], start=1):
                    repeated.setdefault(text, []).append(position)
                repeated = {text: found for text, found in repeated.items() if len(found) > 1}
            where = self._positions_of[cased] = (single, repeated)
        return where

    def _index(self, cased: bool) -> _NeedleIndex | None:
        """Return the needle index of the values, or None if a value itself contains NUL."""
        if cased not in self._needle_index:
            texts = self._texts(cased)
            clean = not any(SEPARATOR in text for text in texts)
            self._needle_index[cased] = _NeedleIndex(texts) if clean else None
        return self._needle_index[cased]

    def announce(self, cased: bool, needles: Iterable[str]) -> None:
        """Register the literal needles of tests to come, so that one pass finds them all."""
        index = self._index(cased)
        if index is not None:
            index.add(needles)

    def _match_set(self, patterns: PatternSet) -> BoolArray:
        texts = self._texts(patterns.cased)
        count = len(texts)
        result = np.zeros(count, dtype=np.bool_)
        if patterns.exact:
            single, repeated = self._where(patterns.cased)
            for value in patterns.exact:
                if value in repeated:
                    result[repeated[value]] = True
                elif (position := single.get(value)) is not None:
                    result[position] = True
        needles = needles_of(patterns)
        if "" in patterns.prefixes or "" in patterns.suffixes or "" in patterns.infixes:
            return np.ones(count, dtype=np.bool_)
        index = self._index(patterns.cased) if needles else None
        if needles and index is None:
            # A value contains NUL, so a joined search could cross values: test one by one.
            return result | np.fromiter((patterns(text, text) for text in texts), np.bool_, count)
        if index is not None:
            for needle in needles:
                result[index.values_with(needle)] = True
        if patterns.general is not None:
            fullmatch = patterns.general.fullmatch
            literals = required_literals(patterns.general)
            index = self._index(patterns.cased) if literals else None
            if literals and index is not None:
                hits = [index.values_with(literal) for literal in literals]
                candidates = np.unique(np.concatenate(hits))
                unmatched = candidates[~result[candidates]].tolist()
            else:
                unmatched = np.flatnonzero(~result).tolist()
            result[[p for p in unmatched if fullmatch(texts[p]) is not None]] = True
        return result

    def _with_nulls(self, result: BoolArray, matches_null: bool) -> BoolArray:
        none_index = self._positions.get(None)
        if none_index is not None:
            result[none_index] = matches_null
        empty_index = self._positions.get("")
        if matches_null and empty_index is not None:
            result[empty_index] = True
        return result

    def pattern_mask(
        self, sets: Sequence[PatternSet], link_all: bool, matches_null: bool
    ) -> BoolArray:
        """Match pattern sets (any of them, or all with link_all) against each distinct value."""
        result = self._match_set(sets[0])
        for patterns in sets[1:]:
            if link_all:
                result &= self._match_set(patterns)
            else:
                result |= self._match_set(patterns)
        return self._with_nulls(result, matches_null)

    def predicate_mask(self, predicate: Predicate, matches_null: bool) -> BoolArray:
        return np.fromiter(
            (
                matches_null
                if raw is None
                else (matches_null and raw == "") or predicate(raw, lower)
                for raw, lower in zip(self.uniques, self.lowers, strict=True)
            ),
            dtype=np.bool_,
            count=len(self.uniques),
        )

    def masks_for(self, key: str, compute: Callable[[], BoolArray]) -> BoolArray:
        """Return the per-value result of a test, computing it on first use."""
        mask = self.masks.get(key)
        if mask is None:
            mask = compute()
            self.masks[key] = mask
        return mask

    def not_null_mask(self) -> BoolArray:
        return np.fromiter((value is not None for value in self.uniques), np.bool_)


class EventView:
    """Some events of a batch (all by default), read through the batch's shared columns.

    ``cache`` keeps per-event test results of this view. Field names are looked up
    case-insensitively, as Windows event field names are not consistently cased across
    Windows versions and rules.
    """

    def __init__(self, batch: EventBatch, indexes: IndexArray | None) -> None:
        self.batch = batch
        self.indexes = indexes
        self.size: int = batch.size if indexes is None else len(indexes)
        self.cache: dict[str, BoolArray] = {}
        self._inverses: dict[int, IndexArray] = {}
        self._field_names: list[str] | None = None

    def has_field(self, name: str) -> bool:
        return self.batch.has_field(name)

    def field_names(self) -> list[str]:
        """Return the fields that at least one event of the view has."""
        if self.indexes is None:
            return self.batch.field_names()
        if self._field_names is None:
            member = np.zeros(self.batch.size, dtype=np.bool_)
            member[self.indexes] = True
            self._field_names = [
                name
                for name in self.batch.field_names()
                if member[self.batch.field_rows(name)].any()
            ]
        return self._field_names

    def column(self, name: str, fallback: str | None = None) -> Column:
        return self.batch.column(name, fallback)

    def all_false(self) -> BoolArray:
        return np.zeros(self.size, dtype=np.bool_)

    def _inverse(self, column: Column) -> IndexArray:
        """Return the distinct value number of column for each event of the view."""
        if self.indexes is None:
            return column.inverse
        inverse = self._inverses.get(id(column))
        if inverse is None:
            inverse = column.inverse[self.indexes]
            self._inverses[id(column)] = inverse
        return inverse

    def spread(self, column: Column, mask: BoolArray) -> BoolArray:
        """Turn one bool per distinct value of column into one bool per event of the view."""
        return mask[self._inverse(column)]

    def values(self, column: Column) -> Sequence[str | None]:
        if self.indexes is None:
            return column.values
        values = column.values
        return [values[index] for index in self.indexes.tolist()]


class EventBatch(EventView):
    """Flat event records read column by column, and the view of all of them.

    One pass over the records gathers, per field, the events that have it and their values.
    A field's Column is built from them when a rule first reads it.
    """

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records = records
        # Records with the same field names in the same order (one EventID of one provider,
        # usually) are read together: their values transpose into columns at C speed.
        shapes: dict[tuple[str, ...], list[int]] = {}
        for index, record in enumerate(records):
            shape = tuple(record)
            found = shapes.get(shape)
            if found is None:
                shapes[shape] = [index]
            else:
                found.append(index)
        # Lower-cased field name -> (first spelling, events that have the field, their values).
        fields: dict[str, tuple[str, list[int], list[Any]]] = {}
        for shape, indexes in shapes.items():
            columns = zip(*(records[index].values() for index in indexes), strict=True)
            seen: set[str] = set()
            for name, values in zip(shape, columns, strict=True):
                key = name.lower()
                if key in seen:
                    # NOTE: a record with two spellings of one field keeps the first one.
                    continue
                seen.add(key)
                found_field = fields.get(key)
                if found_field is None:
                    fields[key] = (name, list(indexes), list(values))
                else:
                    found_field[1].extend(indexes)
                    found_field[2].extend(values)
        self._fields = fields
        self._columns: dict[str, Column] = {}
        self._rows: dict[str, IndexArray] = {}
        self.size: int = len(records)
        super().__init__(self, None)

    def has_field(self, name: str) -> bool:
        return name.lower() in self._fields

    def field_names(self) -> list[str]:
        return [spelling for spelling, _rows, _values in self._fields.values()]

    def field_rows(self, name: str) -> IndexArray:
        """Return the indexes of the events that have the field."""
        key = name.lower()
        rows = self._rows.get(key)
        if rows is None:
            found = self._fields.get(key)
            rows = _NO_VALUES if found is None else np.asarray(found[1], dtype=np.intp)
            self._rows[key] = rows
        return rows

    def view(self, indexes: IndexArray) -> EventView:
        return EventView(self, indexes)

    def column(self, name: str, fallback: str | None = None) -> Column:
        """Return the column of a field; with fallback, an event without the field uses that.

        A field absent from every event gives a column of nulls.
        """
        key = name.lower() if fallback is None else f"{name.lower()}\x00{fallback.lower()}"
        column = self._columns.get(key)
        if column is None:
            if fallback is None:
                found = self._fields.get(key)
                if found is None:
                    column = Column(self.size, _NO_VALUES, [], present=False)
                else:
                    column = Column(self.size, self.field_rows(name), found[2])
            else:
                first, second = self.column(name).values, self.column(fallback).values
                merged = [a if a is not None else b for a, b in zip(first, second, strict=True)]
                rows = np.flatnonzero(np.fromiter((v is not None for v in merged), np.bool_))
                column = Column(
                    self.size,
                    rows,
                    [merged[row] for row in rows.tolist()],
                    present=self.has_field(name) or self.has_field(fallback),
                )
            self._columns[key] = column
        return column
