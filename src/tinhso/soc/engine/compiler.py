"""Compile a SigmaRule once into a matcher that evaluates whole batches of events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from tinhso.soc.engine.batch import BoolArray, Column, EventView, search_needles
from tinhso.soc.engine.condition import And, Identifier, Node, Not, parse_condition
from tinhso.soc.engine.errors import RuleError
from tinhso.soc.engine.logsource import LogsourceMapping, Target, targets_for
from tinhso.soc.engine.rules import SigmaRule
from tinhso.soc.engine.values import STAR, ValueTest, compile_item, parse_sigma_string

# Keys of ``detection`` that are not search identifiers.
RESERVED_DETECTION_KEYS = {"condition", "timeframe"}

# A selection: a list of alternatives (OR), each a list of tests that must all hold (AND).
Selection = list[list[ValueTest]]


# Modifiers that fix where a keyword may match. Without one, a keyword matches as a substring.
_POSITIONAL_MODIFIERS = {
    "contains",
    "startswith",
    "endswith",
    "re",
    "cidr",
    "exists",
    "fieldref",
    "base64",
    "base64offset",
    "lt",
    "lte",
    "gt",
    "gte",
}


def _substring(value: Any) -> str:
    """Wrap a keyword in wildcards, keeping a trailing lone backslash literal."""
    text = str(value)
    tokens = parse_sigma_string(text)
    if not tokens or tokens[0] is not STAR:
        text = "*" + text
    if not tokens or tokens[-1] is not STAR:
        trailing = len(text) - len(text.rstrip("\\"))
        # An odd run of backslashes ends in a literal one, which would escape a plain '*'.
        text = text + ("\\*" if trailing % 2 else "*")
    return text


def _keyword_test(
    value: Any, modifiers: list[str], placeholders: Mapping[str, Sequence[str]]
) -> ValueTest:
    """Compile a keyword or keyword list: it matches when any field of the event contains it."""
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, dict | list) or item is None:
            raise RuleError("invalid-value", f"keyword {item!r} is not a string or number")
    if not _POSITIONAL_MODIFIERS.intersection(modifiers):
        values = [_substring(item) for item in values]
    return compile_item(None, modifiers, values, placeholders)


def _split_key(key: str) -> tuple[str | None, list[str]]:
    name, *modifiers = str(key).split("|")
    return (name or None), [modifier.strip().lower() for modifier in modifiers]


def _compile_map(
    selection: Mapping[Any, Any], placeholders: Mapping[str, Sequence[str]]
) -> list[ValueTest]:
    tests = []
    for key, value in selection.items():
        name, modifiers = _split_key(key)
        if name is None:
            tests.append(_keyword_test(value, modifiers, placeholders))
        else:
            tests.append(compile_item(name, modifiers, value, placeholders))
    if not tests:
        raise RuleError("invalid-selection", "a selection map is empty")
    return tests


def _compile_selection(
    name: str, definition: Any, placeholders: Mapping[str, Sequence[str]]
) -> Selection:
    try:
        if isinstance(definition, dict):
            return [_compile_map(definition, placeholders)]
        if isinstance(definition, list):
            if not definition:
                raise RuleError("invalid-selection", "the selection is an empty list")
            alternatives: Selection = []
            keywords = []
            for element in definition:
                if isinstance(element, dict):
                    alternatives.append(_compile_map(element, placeholders))
                else:
                    keywords.append(element)
            for keyword in keywords:
                alternatives.append([_keyword_test(keyword, [], placeholders)])
            return alternatives
        if isinstance(definition, str | int | float):
            return [[_keyword_test(definition, [], placeholders)]]
    except RuleError as error:
        raise RuleError(error.code, f"selection '{name}': {error.reason}") from error
    raise RuleError(
        "invalid-selection", f"selection '{name}' is {definition!r}, expected a map or a list"
    )


def resolve_column(batch: EventView, name: str, field_map: Mapping[str, str]) -> Column:
    """Return the column of a field, renamed by the target's field map.

    A renamed field falls back to the rule's own name on an event that lacks the new name, so
    that each event is read alone, whatever other events share the batch.
    """
    mapped = field_map.get(name)
    if mapped is None:
        return batch.column(name)
    return batch.column(mapped, fallback=name)


def _fieldref(batch: EventView, test: ValueTest, first: Column, second: Column) -> BoolArray:
    left = batch.values(first)
    right = batch.values(second)
    results = np.zeros(batch.size, dtype=np.bool_)
    for index, (a, b) in enumerate(zip(left, right, strict=True)):
        if a is None or b is None:
            continue
        a, b = a.lower(), b.lower()
        if test.fieldref_mode == "contains":
            results[index] = b in a
        elif test.fieldref_mode == "startswith":
            results[index] = a.startswith(b)
        elif test.fieldref_mode == "endswith":
            results[index] = a.endswith(b)
        else:
            results[index] = a == b
    return results


def _value_mask(column: Column, test: ValueTest, matches_null: bool) -> BoolArray:
    """Test each distinct value of column; the batch keeps the result for all its views."""
    if test.pattern_sets:
        return column.pattern_mask(test.pattern_sets, test.link_all, matches_null)
    return column.predicate_mask(test.predicate, matches_null)


def _keyword_events(batch: EventView, test: ValueTest) -> BoolArray:
    """Return, per event, whether any field of the event matches a keyword test."""
    result = batch.all_false()
    for name in batch.field_names():
        column = batch.column(name)
        mask = column.masks_for(test.signature, partial(_value_mask, column, test, False))
        if mask.any():
            result |= batch.spread(column, mask)
    return result


def evaluate_test(batch: EventView, test: ValueTest, field_map: Mapping[str, str]) -> BoolArray:
    """Evaluate one detection item over the events of a view.

    Per-value results are kept by the column, so they are computed once per batch for all
    views; per-event results are cached in the view.
    """
    if test.field is None:
        cached = batch.cache.get(test.signature)
        if cached is None:
            cached = batch.cache[test.signature] = _keyword_events(batch, test)
        return cached
    column = resolve_column(batch, test.field, field_map)
    other = None if test.other_field is None else resolve_column(batch, test.other_field, field_map)
    key = f"{id(column)}|{id(other)}|{test.signature}"
    cached = batch.cache.get(key)
    if cached is not None:
        return cached
    if other is None and test.exists is None and not column.present:
        # A missing field has no value: only a null test matches it.
        result = np.full(batch.size, test.matches_null, dtype=np.bool_)
    elif test.exists is not None:
        present = batch.spread(column, column.masks_for("exists", column.not_null_mask))
        result = present if test.exists else ~present
    elif other is not None:
        result = _fieldref(batch, test, column, other)
    else:
        mask = column.masks_for(
            test.signature, partial(_value_mask, column, test, test.matches_null)
        )
        result = batch.spread(column, mask)
    batch.cache[key] = result
    return result


# (field name, or None for keywords; case-sensitive) -> literal needles searched there.
NeedlePlan = dict[tuple[str | None, bool], set[str]]


def needle_plan(rules: Iterable[CompiledRule]) -> NeedlePlan:
    """Gather the literal needles that the pattern tests of rules search, per field."""
    plan: NeedlePlan = {}
    for rule in rules:
        for test in rule.tests():
            if test.other_field is not None or test.exists is not None:
                continue
            for patterns in test.pattern_sets:
                needles = search_needles(patterns)
                if needles:
                    plan.setdefault((test.field, patterns.cased), set()).update(needles)
    return plan


def announce_needles(batch: EventView, plan: NeedlePlan, field_map: Mapping[str, str]) -> None:
    """Tell the columns which needles the rules will search, so one pass finds them all."""
    for (name, cased), needles in plan.items():
        if name is None:
            for field in batch.field_names():
                batch.column(field).announce(cased, needles)
        elif batch.has_field(name) or name in field_map:
            resolve_column(batch, name, field_map).announce(cased, needles)


@dataclass
class CompiledRule:
    """A rule ready to run: its targets, its selections and its condition trees."""

    rule: SigmaRule
    targets: tuple[Target, ...]
    selections: dict[str, Selection]
    conditions: tuple[Node, ...]

    def evaluate(self, batch: EventView, target: Target) -> BoolArray:
        """Return, per event of the batch, whether the rule matches."""
        memo: dict[str, BoolArray] = {}
        result = self._node(self.conditions[0], batch, target, memo)
        for condition in self.conditions[1:]:
            result = result | self._node(condition, batch, target, memo)
        return result

    def tests(self) -> Iterator[ValueTest]:
        for alternatives in self.selections.values():
            for alternative in alternatives:
                yield from alternative

    def _selection(self, name: str, batch: EventView, target: Target) -> BoolArray:
        result = batch.all_false()
        for alternative in self.selections[name]:
            matched = evaluate_test(batch, alternative[0], target.field_map)
            for test in alternative[1:]:
                if not matched.any():
                    break
                matched = matched & evaluate_test(batch, test, target.field_map)
            result = result | matched
            if result.all():
                break
        return result

    def _node(
        self, node: Node, batch: EventView, target: Target, memo: dict[str, BoolArray]
    ) -> BoolArray:
        if isinstance(node, Identifier):
            if node.name not in memo:
                memo[node.name] = self._selection(node.name, batch, target)
            return memo[node.name]
        if isinstance(node, Not):
            return ~self._node(node.child, batch, target, memo)
        if isinstance(node, And):
            result = self._node(node.children[0], batch, target, memo)
            for child in node.children[1:]:
                if not result.any():
                    break
                result = result & self._node(child, batch, target, memo)
            return result
        result = self._node(node.children[0], batch, target, memo)
        for child in node.children[1:]:
            if result.all():
                break
            result = result | self._node(child, batch, target, memo)
        return result


def compile_rule(
    rule: SigmaRule,
    placeholders: Mapping[str, Sequence[str]] | None = None,
    mapping: LogsourceMapping | None = None,
) -> CompiledRule:
    """Compile a rule; raise RuleError with the rule id, file and reason if it cannot be.

    ``mapping`` gives the targets of the rule's log source (default: the built-in pySigma
    pipelines). A target whose pipelines reject a field that the rule uses is left out.
    """
    try:
        detection = rule.detection
        names = [str(key) for key in detection if key not in RESERVED_DETECTION_KEYS]
        selections = {
            name: _compile_selection(name, detection[name], placeholders or {}) for name in names
        }
        raw_condition = detection["condition"]
        condition_texts = raw_condition if isinstance(raw_condition, list) else [raw_condition]
        if not condition_texts or not all(isinstance(text, str) for text in condition_texts):
            raise RuleError(
                "invalid-condition", "'condition' must be a string or a list of strings"
            )
        conditions = tuple(parse_condition(text, names) for text in condition_texts)
    except RuleError as error:
        raise error.located(rule_id=rule.id, path=rule.path) from error
    compiled = CompiledRule(rule, targets_for(rule.logsource, mapping), selections, conditions)
    if any(target.rejected_fields for target in compiled.targets):
        fields = {
            name
            for test in compiled.tests()
            for name in (test.field, test.other_field)
            if name is not None
        }
        compiled.targets = tuple(
            target for target in compiled.targets if not target.rejected_fields & fields
        )
    return compiled
