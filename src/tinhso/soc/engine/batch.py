"""Events as columns, so that a rule's detection items run over all events at once.

Each column keeps its distinct values and, per event, the index of its value. A test runs
once per distinct value and the result is spread back to the events with NumPy indexing, which
pays off because Windows event fields repeat heavily (images, users, channels).

Prefix, suffix and substring patterns go further: the distinct values are joined into one
string with NUL separators and each pattern is searched there with ``str.find``, once per
column, instead of once per value. A hit maps back to its value by binary search over the
value start offsets. Patterns never contain NUL, so a hit cannot span two values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tinhso.soc.engine.values import PatternSet, Predicate

BoolArray = npt.NDArray[np.bool_]
SEPARATOR = "\x00"


def _find_all(text: str, needle: str) -> list[int]:
    positions = []
    find = text.find
    position = find(needle)
    while position != -1:
        positions.append(position)
        position = find(needle, position + 1)
    return positions


class _JoinedValues:
    """The distinct values of a column joined by NUL, with the start offset of each value."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.text = SEPARATOR + SEPARATOR.join(texts) + SEPARATOR
        lengths = np.fromiter((len(text) + 1 for text in texts), dtype=np.intp, count=len(texts))
        self.starts = np.cumsum(lengths) - lengths + 1

    def values_with(self, needle: str, shift: int = 0) -> npt.NDArray[np.intp]:
        """Return the indexes of the values in which needle occurs (hit position + shift)."""
        positions = _find_all(self.text, needle)
        if not positions:
            return np.empty(0, dtype=np.intp)
        found = np.asarray(positions, dtype=np.intp) + shift
        return np.searchsorted(self.starts, found, side="right") - 1


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


class Column:
    """The values of one field over a batch of events, with its distinct values."""

    def __init__(self, values: Sequence[str | None]) -> None:
        self.values = values
        positions: dict[str | None, int] = {}
        self.inverse = np.fromiter(
            (positions.setdefault(value, len(positions)) for value in values),
            dtype=np.intp,
            count=len(values),
        )
        self._positions = positions
        self.uniques: list[str | None] = list(positions)
        self.lowers: list[str] = ["" if value is None else value.lower() for value in self.uniques]
        self.present = True
        self._joined: dict[bool, _JoinedValues | None] = {}

    def _texts(self, cased: bool) -> list[str]:
        if cased:
            return ["" if value is None else value for value in self.uniques]
        return self.lowers

    def _joined_values(self, cased: bool) -> _JoinedValues | None:
        """Return the joined distinct values, or None if a value itself contains NUL."""
        if cased not in self._joined:
            texts = self._texts(cased)
            clean = not any(SEPARATOR in text for text in texts)
            self._joined[cased] = _JoinedValues(texts) if clean else None
        return self._joined[cased]

    def _match_set(self, patterns: PatternSet) -> BoolArray:
        texts = self._texts(patterns.cased)
        count = len(texts)
        if patterns.exact:
            result = np.fromiter((text in patterns.exact for text in texts), np.bool_, count)
        else:
            result = np.zeros(count, dtype=np.bool_)
        literal = patterns.prefixes or patterns.suffixes or patterns.infixes
        joined = self._joined_values(patterns.cased) if literal else None
        if literal and joined is None:
            # A value contains NUL, so the joined search could cross values: test one by one.
            return result | np.fromiter((patterns(text, text) for text in texts), np.bool_, count)
        if joined is not None:
            for prefix in patterns.prefixes:
                if not prefix:
                    return np.ones(count, dtype=np.bool_)
                result[joined.values_with(SEPARATOR + prefix, shift=1)] = True
            for suffix in patterns.suffixes:
                if not suffix:
                    return np.ones(count, dtype=np.bool_)
                result[joined.values_with(suffix + SEPARATOR)] = True
            for infix in patterns.infixes:
                if not infix:
                    return np.ones(count, dtype=np.bool_)
                result[joined.values_with(infix)] = True
        if patterns.general is not None:
            fullmatch = patterns.general.fullmatch
            for index, text in enumerate(texts):
                if not result[index] and fullmatch(text) is not None:
                    result[index] = True
        return result

    def match_patterns(
        self, sets: Sequence[PatternSet], link_all: bool, matches_null: bool
    ) -> BoolArray:
        """Match pattern sets (any of them, or all with link_all) against every event."""
        result = self._match_set(sets[0])
        for patterns in sets[1:]:
            if link_all:
                result &= self._match_set(patterns)
            else:
                result |= self._match_set(patterns)
        none_index = self._positions.get(None)
        if none_index is not None:
            result[none_index] = matches_null
        empty_index = self._positions.get("")
        if matches_null and empty_index is not None:
            result[empty_index] = True
        return result[self.inverse]

    def apply(self, predicate: Predicate, matches_null: bool) -> BoolArray:
        results = np.fromiter(
            (
                matches_null
                if raw is None
                else (matches_null and raw == "") or predicate(raw, lower)
                for raw, lower in zip(self.uniques, self.lowers, strict=True)
            ),
            dtype=np.bool_,
            count=len(self.uniques),
        )
        return results[self.inverse]

    def not_null(self) -> BoolArray:
        return np.fromiter((value is not None for value in self.values), np.bool_, len(self.values))


class EventBatch:
    """Flat event records of one (channel, EventID) group, read column by column.

    Field names are looked up case-insensitively, as Windows event field names are not
    consistently cased across Windows versions and rules.
    """

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records = records
        self.size = len(records)
        # Lower-cased field name -> the spellings seen in this batch, usually exactly one.
        self._names: dict[str, list[str]] = {}
        for record in records:
            for name in record:
                spellings = self._names.setdefault(name.lower(), [])
                if name not in spellings:
                    spellings.append(name)
        self._columns: dict[str, Column] = {}
        self.cache: dict[str, BoolArray] = {}

    def has_field(self, name: str) -> bool:
        return name.lower() in self._names

    def field_names(self) -> list[str]:
        return [spellings[0] for spellings in self._names.values()]

    def _values(self, spellings: list[str]) -> list[str | None]:
        if len(spellings) == 1:
            name = spellings[0]
            return [as_text(record.get(name)) for record in self.records]
        values = []
        for record in self.records:
            found = next((record[name] for name in spellings if name in record), None)
            values.append(as_text(found))
        return values

    def column(self, name: str) -> Column:
        key = name.lower()
        column = self._columns.get(key)
        if column is None:
            spellings = self._names.get(key)
            if spellings is None:
                column = Column([None] * self.size)
                column.present = False
            else:
                column = Column(self._values(spellings))
            self._columns[key] = column
        return column

    def all_false(self) -> BoolArray:
        return np.zeros(self.size, dtype=np.bool_)
