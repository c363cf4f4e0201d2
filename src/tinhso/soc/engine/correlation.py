"""Sigma correlation rules: parse them, link them to their rules, evaluate them over hits.

A correlation rule (Sigma correlation specification 2.x) refers to Sigma rules or to other
correlation rules by ``id`` or ``name`` and fires when their hits, grouped by ``group-by``
values, satisfy a condition within ``timespan``. The supported types are ``event_count``,
``value_count``, ``temporal`` and ``temporal_ordered``.

:class:`CorrelationEngine` is stateful: feed it rule hits in time order (a live stream) and it
returns each correlation hit as soon as it is established. :func:`correlate` runs it over a
finished list of hits (a hunt). Both use the same sliding windows:

* A group's window contains the hits of the last ``timespan`` before the newest hit. A hit exactly
  ``timespan`` older than the newest one is still inside.
* A condition with lower bounds only (``gt``, ``gte``) slides: it fires as soon as the hits of
  the last ``timespan`` meet it.
* Any other condition (``lt``, ``lte``, ``eq``, ``neq`` or a range) needs the final count, so
  its window starts at the group's oldest hit and is checked once it is complete: when a later
  hit, :meth:`CorrelationEngine.advance` or the end of the input
  (:meth:`CorrelationEngine.flush`) shows that no further hit can fall within ``timespan`` of
  that oldest hit. The window's hits are then discarded, whether it fired or not.
* After a correlation fires, its group starts again with an empty window, so one burst of
  events gives one correlation hit.

A group-by field that an event lacks, or has empty, is "no value": such events form a group
of their own.
"""

from __future__ import annotations

import heapq
import logging
import re
from bisect import insort
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tinhso.soc.engine.errors import RuleError
from tinhso.soc.engine.evtx_reader import flatten_event
from tinhso.soc.engine.timestamps import parse_time

logger = logging.getLogger(__name__)

SUPPORTED_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
# Types of the specification's version 2.1 that this engine does not evaluate.
UNSUPPORTED_TYPES = ("value_sum", "value_avg", "value_percentile")
CONDITION_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
TIMESPAN_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TIMESPAN = re.compile(r"^(\d+)([smhd])$")


class RuleHit(Protocol):
    """A hit of one Sigma rule on one event, as :func:`match_events` returns it."""

    @property
    def time(self) -> str: ...

    @property
    def rule_id(self) -> str: ...

    @property
    def computer(self) -> str: ...

    @property
    def file(self) -> str: ...

    @property
    def event(self) -> dict[str, Any]: ...

    @property
    def fields(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class CountCondition:
    """Bounds on a count, all of which must hold, such as ``gt: 100`` and ``lte: 200``."""

    bounds: tuple[tuple[str, int], ...]

    def holds(self, count: int) -> bool:
        return all(_compare(count, operator, limit) for operator, limit in self.bounds)

    @property
    def lower_bounds_only(self) -> bool:
        """Whether the condition, once met, stays met as more hits arrive."""
        return all(operator in ("gt", "gte") for operator, _limit in self.bounds)


def _compare(count: int, operator: str, limit: int) -> bool:
    if operator == "gt":
        return count > limit
    if operator == "gte":
        return count >= limit
    if operator == "lt":
        return count < limit
    if operator == "lte":
        return count <= limit
    if operator == "eq":
        return count == limit
    return count != limit


@dataclass(frozen=True)
class CorrelationRule:
    """A parsed correlation rule, before its references are linked to loaded rules."""

    id: str
    name: str
    title: str
    level: str
    tags: tuple[str, ...]
    type: str
    rules: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan: timedelta
    condition: CountCondition
    value_fields: tuple[str, ...] = ()
    generate: bool = False
    # Alias name -> referenced rule name -> field name in that rule's events.
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    path: Path | None = None
    status: str = ""

    @property
    def identity(self) -> str:
        """The id that this correlation's hits carry: its id, else its name, else its title."""
        return self.id or self.name or self.title

    @property
    def attack_tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if tag.startswith("attack."))


def parse_timespan(value: Any) -> timedelta:
    """Parse ``30s``, ``5m``, ``1h`` or ``2d``; raise RuleError for anything else."""
    match = _TIMESPAN.match(str(value).strip()) if isinstance(value, str | int) else None
    if match is None:
        raise RuleError(
            "invalid-timespan",
            f"invalid timespan {value!r}: expected a whole number followed by s, m, h or d, "
            "such as 90m",
        )
    seconds = int(match.group(1)) * TIMESPAN_UNITS[match.group(2)]
    if seconds == 0:
        raise RuleError("invalid-timespan", f"invalid timespan {value!r}: it must be positive")
    return timedelta(seconds=seconds)


def _string_list(value: Any, attribute: str) -> tuple[str, ...]:
    """Return a list attribute as strings; a single string counts as a list of one."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise RuleError("invalid-correlation", f"'{attribute}' must be a list of strings")
    return tuple(items)


def _parse_condition(
    raw: Any, correlation_type: str, rule_count: int
) -> tuple[CountCondition, tuple[str, ...]]:
    """Return the count condition and, for value_count, the fields whose values are counted."""
    if raw is None:
        if correlation_type in ("temporal", "temporal_ordered"):
            # Without a condition, every referenced rule must have a hit in the window.
            return CountCondition((("gte", rule_count),)), ()
        raise RuleError(
            "missing-condition",
            f"a {correlation_type} correlation needs a 'condition' such as {{gte: 10}}",
        )
    if isinstance(raw, str):
        raise RuleError(
            "invalid-condition",
            f"condition {raw!r} is an expression; a correlation condition is a map such as "
            "{gte: 10}",
        )
    if not isinstance(raw, dict):
        raise RuleError("invalid-condition", "the correlation 'condition' must be a map")
    unknown = [str(key) for key in raw if key not in CONDITION_OPERATORS and key != "field"]
    if unknown:
        raise RuleError(
            "invalid-condition",
            f"unknown condition operator '{unknown[0]}'; use gt, gte, lt, lte, eq or neq",
        )
    bounds = []
    for operator in CONDITION_OPERATORS:
        if operator not in raw:
            continue
        limit = raw[operator]
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise RuleError(
                "invalid-condition", f"condition '{operator}' needs a whole number, got {limit!r}"
            )
        bounds.append((operator, limit))
    if not bounds:
        raise RuleError(
            "invalid-condition", "the correlation 'condition' has no gt, gte, lt, lte, eq or neq"
        )
    value_fields = _string_list(raw.get("field"), "condition.field")
    if correlation_type == "value_count" and not value_fields:
        raise RuleError(
            "invalid-condition", "a value_count correlation needs 'field' in its condition"
        )
    if correlation_type != "value_count" and value_fields:
        raise RuleError(
            "invalid-condition",
            f"'field' in the condition applies to value_count, not to {correlation_type}",
        )
    return CountCondition(tuple(bounds)), value_fields


def _parse_aliases(raw: Any) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleError("invalid-correlation", "'aliases' must be a map of alias names")
    aliases: dict[str, dict[str, str]] = {}
    for alias, mapping in raw.items():
        if not isinstance(mapping, dict) or not all(
            isinstance(rule, str) and isinstance(name, str) for rule, name in mapping.items()
        ):
            raise RuleError(
                "invalid-correlation",
                f"alias '{alias}' must map rule names to field names",
            )
        aliases[str(alias)] = dict(mapping)
    return aliases


def parse_correlation(document: Mapping[str, Any], path: Path | None = None) -> CorrelationRule:
    """Build a correlation rule from its YAML document; raise RuleError naming the problem."""
    rule_id = str(document.get("id") or "")
    name = str(document.get("name") or "")
    try:
        return _parse_correlation(document, rule_id, name, path)
    except RuleError as error:
        raise error.located(rule_id=rule_id or name, path=path) from error


def _parse_correlation(
    document: Mapping[str, Any], rule_id: str, name: str, path: Path | None
) -> CorrelationRule:
    body = document.get("correlation")
    if not isinstance(body, dict):
        raise RuleError("invalid-correlation", "'correlation' must be a map")
    correlation_type = body.get("type")
    if correlation_type in UNSUPPORTED_TYPES:
        raise RuleError(
            "unsupported-correlation",
            f"correlation type '{correlation_type}' is not supported; "
            f"use one of {', '.join(SUPPORTED_TYPES)}",
        )
    if correlation_type not in SUPPORTED_TYPES:
        raise RuleError(
            "invalid-correlation",
            f"unknown correlation type {correlation_type!r}; "
            f"use one of {', '.join(SUPPORTED_TYPES)}",
        )
    references = _string_list(body.get("rules"), "rules")
    if not references:
        raise RuleError("invalid-correlation", "the correlation names no 'rules'")
    if "timespan" not in body:
        raise RuleError("invalid-timespan", "the correlation has no 'timespan'")
    timespan = parse_timespan(body["timespan"])
    # temporal counts distinct rules; temporal_ordered counts the steps of its sequence, in
    # which a rule may appear twice.
    steps = len(references) if correlation_type == "temporal_ordered" else len(set(references))
    condition, value_fields = _parse_condition(body.get("condition"), correlation_type, steps)
    # The specification lists 'generate' with the top-level attributes; pySigma reads it
    # inside 'correlation'. Both places are accepted.
    generate = body.get("generate", document.get("generate", False))
    if not isinstance(generate, bool):
        raise RuleError(
            "invalid-correlation", f"'generate' must be true or false, got {generate!r}"
        )
    tags = document.get("tags") or []
    if not isinstance(tags, list):
        raise RuleError("invalid-rule", "'tags' must be a list")
    return CorrelationRule(
        id=rule_id,
        name=name,
        title=str(document.get("title") or ""),
        level=str(document.get("level") or ""),
        tags=tuple(str(tag).lower() for tag in tags),
        type=correlation_type,
        rules=references,
        group_by=_string_list(body.get("group-by"), "group-by"),
        timespan=timespan,
        condition=condition,
        value_fields=value_fields,
        generate=generate,
        aliases=_parse_aliases(body.get("aliases")),
        path=path,
        status=str(document.get("status") or ""),
    )


@dataclass(frozen=True)
class RuleReference:
    """A rule that correlations may name: its hit id (``rule_id`` of its hits) and its name."""

    rule_id: str
    name: str


@dataclass(frozen=True)
class LinkedCorrelation:
    """A correlation whose references are resolved to the rule ids that its input hits carry.

    ``members`` lists those ids in the order of ``rules``. ``field_names`` maps each member id
    to the event field read for each group-by entry, after aliases.
    """

    rule: CorrelationRule
    members: tuple[str, ...]
    field_names: Mapping[str, tuple[str, ...]]


@dataclass
class CorrelationSet:
    """The linked correlations of a rule set and the correlations that failed to link."""

    correlations: list[LinkedCorrelation] = field(default_factory=list)
    rejected: list[RuleError] = field(default_factory=list)

    @property
    def suppressed_rule_ids(self) -> frozenset[str]:
        """Ids of rules and correlations whose own hits are not output.

        A rule referenced only by correlations without ``generate: true`` produces no output of
        its own, as the specification makes ``generate`` false by default.
        """
        hidden = {member for linked in self.correlations for member in linked.members}
        shown = {
            member
            for linked in self.correlations
            if linked.rule.generate
            for member in linked.members
        }
        return frozenset(hidden - shown)

    def engine(self) -> CorrelationEngine:
        """Return a new evaluator with empty windows."""
        return CorrelationEngine(self.correlations)


def _resolve(
    reference: str,
    by_id: Mapping[str, str],
    by_name: Mapping[str, list[str]],
    rejected_ids: Mapping[str, str],
) -> str:
    if reference in by_id:
        return by_id[reference]
    targets = by_name.get(reference, [])
    if len(targets) == 1:
        return targets[0]
    if len(targets) > 1:
        raise RuleError(
            "ambiguous-rule-reference",
            f"the correlation references '{reference}', which is the name of {len(targets)} "
            "rules; give the rules unique names or reference them by id",
        )
    if reference in rejected_ids:
        raise RuleError(
            "rejected-rule-reference",
            f"the correlation references '{reference}', which was rejected: "
            f"{rejected_ids[reference]}",
        )
    raise RuleError(
        "unknown-rule-reference",
        f"the correlation references '{reference}', which is neither the id nor the name "
        "of a loaded rule",
    )


def _field_names(
    correlation: CorrelationRule, members: Sequence[str], member_names: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """Return, per member id, the field read for each group-by entry once aliases apply."""
    named = set(correlation.rules)
    for alias, mapping in correlation.aliases.items():
        for rule_name in mapping:
            if rule_name not in named and rule_name not in member_names.values():
                raise RuleError(
                    "invalid-correlation",
                    f"alias '{alias}' maps rule '{rule_name}', which the correlation does not "
                    "reference",
                )
    names: dict[str, tuple[str, ...]] = {}
    for reference, member in zip(correlation.rules, members, strict=True):
        labels = {reference, member, member_names.get(member, "")}
        fields = []
        for group_field in correlation.group_by:
            mapping = correlation.aliases.get(group_field, {})
            alias_target = next(
                (mapping[label] for label in labels if label and label in mapping), None
            )
            fields.append(alias_target or group_field)
        names[member] = tuple(fields)
    return names


def link_correlations(
    correlations: Sequence[CorrelationRule],
    rules: Iterable[RuleReference],
    rejected: Iterable[RuleError] = (),
) -> CorrelationSet:
    """Resolve each correlation's references to loaded rules or to other correlations.

    A correlation is rejected when a reference is unknown, ambiguous or rejected, or when it is
    part of a cycle. Its RuleError names the correlation and the reference. The others are kept.
    """
    by_id: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    member_names: dict[str, str] = {}
    for reference in rules:
        if reference.rule_id:
            by_id[reference.rule_id] = reference.rule_id
        if reference.name:
            by_name.setdefault(reference.name, []).append(reference.rule_id)
            member_names[reference.rule_id] = reference.name
    for correlation in correlations:
        if correlation.id:
            by_id[correlation.id] = correlation.identity
        if correlation.name:
            by_name.setdefault(correlation.name, []).append(correlation.identity)
            member_names[correlation.identity] = correlation.name
    rejected_ids = {error.rule_id: error.reason for error in rejected if error.rule_id}

    linked: dict[str, LinkedCorrelation] = {}
    result = CorrelationSet()
    for correlation in correlations:
        try:
            members = tuple(
                _resolve(reference, by_id, by_name, rejected_ids) for reference in correlation.rules
            )
            missing_ids = [
                reference
                for reference, member in zip(correlation.rules, members, strict=True)
                if not member
            ]
            if missing_ids:
                raise RuleError(
                    "invalid-correlation",
                    f"the referenced rule '{missing_ids[0]}' has no id, so its hits cannot be "
                    "told apart; give it an id",
                )
            field_names = _field_names(correlation, members, member_names)
        except RuleError as error:
            result.rejected.append(
                error.located(rule_id=correlation.id or correlation.name, path=correlation.path)
            )
            continue
        linked[correlation.identity] = LinkedCorrelation(correlation, members, field_names)
    _reject_broken_chains(linked, result)
    result.correlations = list(linked.values())
    return result


def _reject_broken_chains(linked: dict[str, LinkedCorrelation], result: CorrelationSet) -> None:
    """Drop correlations in a reference cycle or built on a correlation that was dropped."""
    all_identities = set(linked)
    for error in result.rejected:
        all_identities.add(error.rule_id or "")
    for identity in [identity for identity in linked if _in_cycle(identity, linked)]:
        correlation = linked.pop(identity)
        result.rejected.append(
            RuleError(
                "correlation-cycle",
                "the correlation is part of a reference cycle",
                rule_id=correlation.rule.id or correlation.rule.name,
                path=correlation.rule.path,
            )
        )
    changed = True
    while changed:
        changed = False
        for identity, correlation in list(linked.items()):
            broken = next(
                (
                    member
                    for member in correlation.members
                    if member in all_identities and member not in linked
                ),
                None,
            )
            if broken is None:
                continue
            result.rejected.append(
                RuleError(
                    "rejected-rule-reference",
                    f"the correlation references correlation '{broken}', which was rejected",
                    rule_id=correlation.rule.id or correlation.rule.name,
                    path=correlation.rule.path,
                )
            )
            del linked[identity]
            changed = True


def _in_cycle(start: str, linked: Mapping[str, LinkedCorrelation]) -> bool:
    pending = [member for member in linked[start].members if member in linked]
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current == start:
            return True
        if current in seen:
            continue
        seen.add(current)
        pending.extend(member for member in linked[current].members if member in linked)
    return False


@dataclass(frozen=True)
class CorrelationHit:
    """A correlation rule that fired, with the group it fired for and the hits that made it.

    ``members`` are the hits the correlation counted: rule hits, or correlation hits for a
    chained correlation. ``first_time`` is the time of the earliest event underneath, and
    ``time`` and ``last_time`` that of the last member, when the correlation was established.
    """

    rule_id: str
    title: str
    level: str
    tags: tuple[str, ...]
    correlation_type: str
    group: tuple[tuple[str, str | None], ...]
    count: int
    first_time: str
    last_time: str
    members: tuple[RuleHit | CorrelationHit, ...]

    kind = "correlation"

    @property
    def time(self) -> str:
        return self.last_time

    @property
    def events(self) -> tuple[RuleHit, ...]:
        """The rule hits underneath, in time order, with chained correlations unfolded."""
        found: list[RuleHit] = []
        for member in self.members:
            if isinstance(member, CorrelationHit):
                found.extend(member.events)
            else:
                found.append(member)
        # Two chained correlation hits may overlap in time, so their events are merged here.
        return tuple(sorted(found, key=_time_key))

    @property
    def computer(self) -> str:
        return ", ".join(sorted({hit.computer for hit in self.events if hit.computer}))

    @property
    def file(self) -> str:
        return ", ".join(sorted({hit.file for hit in self.events if hit.file}))

    @property
    def event(self) -> dict[str, Any]:
        """A summary for the timeline: the group, the count and a reference to each event."""
        return {
            "correlation": {
                "type": self.correlation_type,
                "group": dict(self.group),
                "count": self.count,
                "first_time": self.first_time,
                "last_time": self.last_time,
                "events": [_event_reference(hit) for hit in self.events],
            }
        }


def _time_key(hit: RuleHit) -> datetime:
    return parse_time(hit.time) or datetime.min.replace(tzinfo=UTC)


def _event_reference(hit: RuleHit) -> dict[str, Any]:
    fields = _hit_fields(hit)
    return {
        "time": hit.time,
        "rule_id": hit.rule_id,
        "host": hit.computer,
        "file": hit.file,
        "event_record_id": fields.get("EventRecordID"),
    }


def _hit_fields(hit: RuleHit | CorrelationHit) -> Mapping[str, Any]:
    """Return the flat fields of a hit's event; a correlation hit has its group values."""
    if isinstance(hit, CorrelationHit):
        return dict(hit.group)
    fields = getattr(hit, "fields", None)
    if fields:
        return fields
    original = hit.event
    return flatten_event(original) if "Event" in original else original


def _field_value(fields: Mapping[str, Any], name: str) -> str | None:
    """Return a field's value as text; a missing or empty field has no value (None)."""
    value = fields.get(name)
    if value is None:
        lowered = name.lower()
        value = next((item for key, item in fields.items() if key.lower() == lowered), None)
    if value is None:
        return None
    text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return text or None


@dataclass(order=True)
class _Entry:
    time: datetime
    sequence: int
    member: str = field(compare=False)
    hit: RuleHit | CorrelationHit = field(compare=False)
    values: tuple[str | None, ...] = field(compare=False, default=())


@dataclass
class _Group:
    """The hits of one group's window, in time order, with running counts for the conditions."""

    entries: deque[_Entry] = field(default_factory=deque)
    members: Counter[str] = field(default_factory=Counter)
    # Counted values of value_count; an event without the counted field adds none.
    values: Counter[tuple[str | None, ...]] = field(default_factory=Counter)

    def add(self, entry: _Entry) -> None:
        if self.entries and entry < self.entries[-1]:
            items = list(self.entries)
            insort(items, entry)
            self.entries = deque(items)
        else:
            self.entries.append(entry)
        self.members[entry.member] += 1
        if any(value is not None for value in entry.values):
            self.values[entry.values] += 1

    def pop_oldest(self) -> None:
        entry = self.entries.popleft()
        _decrement(self.members, entry.member)
        if any(value is not None for value in entry.values):
            _decrement(self.values, entry.values)

    def clear(self) -> None:
        self.entries.clear()
        self.members.clear()
        self.values.clear()


def _decrement(counter: Counter[Any], key: Any) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


class _State:
    """The open windows of one correlation, one per group."""

    def __init__(self, index: int, linked: LinkedCorrelation) -> None:
        self.index = index
        self.linked = linked
        # Whether the condition slides over the hits (lower bounds only), kept for speed.
        self.slides = linked.rule.condition.lower_bounds_only
        self.rule = linked.rule
        self.groups: dict[tuple[str | None, ...], _Group] = {}

    def key(self, member: str, fields: Mapping[str, Any]) -> tuple[str | None, ...]:
        return tuple(_field_value(fields, name) for name in self.linked.field_names[member])

    def measure(self, group: _Group) -> int:
        if self.rule.type == "event_count":
            return len(group.entries)
        if self.rule.type == "value_count":
            return len(group.values)
        if self.rule.type == "temporal":
            return len(group.members)
        return self._ordered_prefix(group.entries)

    def _ordered_prefix(self, entries: Iterable[_Entry]) -> int:
        """Return how many of the referenced rules have hits in the order they are listed."""
        order = self.linked.members
        position = 0
        for entry in entries:
            if position < len(order) and entry.member == order[position]:
                position += 1
        return position


class CorrelationEngine:
    """Evaluate linked correlations over hits fed in time order, keeping only open windows.

    :meth:`feed` takes one hit and returns the correlation hits it completes, including those
    of chained correlations. A hit that arrives out of order is placed among the hits still in
    its window. A hit more than ``timespan`` older than the newest hit of its group is dropped
    with a warning.
    """

    def __init__(self, correlations: Sequence[LinkedCorrelation]) -> None:
        self._states = [_State(index, linked) for index, linked in enumerate(correlations)]
        self._by_member: dict[str, list[_State]] = {}
        for state in self._states:
            for member in dict.fromkeys(state.linked.members):
                self._by_member.setdefault(member, []).append(state)
        # (deadline, sequence, state index, group key): when a group's oldest hit leaves the window.
        self._deadlines: list[tuple[datetime, int, int, tuple[str | None, ...]]] = []
        self._sequence = 0
        self.skipped_without_time = 0
        self.dropped_late = 0

    def open_hits(self) -> int:
        """Return how many hits the open windows hold, over all correlations and groups."""
        return sum(len(group.entries) for state in self._states for group in state.groups.values())

    @property
    def member_ids(self) -> frozenset[str]:
        """Ids of the rules and correlations whose hits the engine takes."""
        return frozenset(self._by_member)

    def feed(self, hit: RuleHit | CorrelationHit) -> list[CorrelationHit]:
        """Add one hit; return the correlation hits it establishes."""
        states = self._by_member.get(hit.rule_id)
        if not states:
            return []
        time = parse_time(hit.time)
        if time is None:
            self.skipped_without_time += 1
            if self.skipped_without_time == 1 or self.skipped_without_time % 1000 == 0:
                logger.warning(
                    "Skipped %d hits without a readable time for correlation; latest: rule %s, "
                    "time %r",
                    self.skipped_without_time,
                    hit.rule_id,
                    hit.time,
                )
            return []
        fired = self.advance(time)
        fields = _hit_fields(hit)
        for state in states:
            fired.extend(self._add(state, hit, fields, time))
        return self._chain(fired)

    def advance(self, now: datetime) -> list[CorrelationHit]:
        """Close every window that ends before ``now``; return the correlation hits they give."""
        fired: list[CorrelationHit] = []
        while self._deadlines and self._deadlines[0][0] < now:
            _deadline, _sequence, index, key = heapq.heappop(self._deadlines)
            state = self._states[index]
            group = state.groups.get(key)
            if group is None:
                continue
            fired.extend(self._expire(state, key, group, now))
        return self._chain(fired)

    def flush(self) -> list[CorrelationHit]:
        """Close every window, as at the end of the input; return the hits they give."""
        fired: list[CorrelationHit] = []
        for state in self._states:
            for key, group in list(state.groups.items()):
                fired.extend(self._expire(state, key, group, None))
        self._deadlines.clear()
        chained = self._chain(fired)
        # Hits of chained correlations may have opened new windows: close them as well.
        if any(state.groups for state in self._states):
            chained.extend(self.flush())
        return chained

    def _chain(self, fired: list[CorrelationHit]) -> list[CorrelationHit]:
        """Feed correlation hits to the correlations that reference them."""
        result = list(fired)
        for hit in fired:
            if hit.rule_id in self._by_member:
                result.extend(self.feed(hit))
        return result

    def _add(
        self,
        state: _State,
        hit: RuleHit | CorrelationHit,
        fields: Mapping[str, Any],
        time: datetime,
    ) -> list[CorrelationHit]:
        key = state.key(hit.rule_id, fields)
        group = state.groups.get(key)
        fired = [] if group is None else self._expire(state, key, group, time)
        group = state.groups.get(key)
        if group is None:
            group = state.groups[key] = _Group()
        if group.entries and group.entries[-1].time - time > state.rule.timespan:
            self.dropped_late += 1
            logger.warning(
                "Dropped a hit of rule %s at %s for correlation %s: it is older than the "
                "correlation's open window (%d late hits so far)",
                hit.rule_id,
                hit.time,
                state.rule.identity,
                self.dropped_late,
            )
            return fired
        values = tuple(_field_value(fields, name) for name in state.rule.value_fields)
        self._sequence += 1
        entry = _Entry(time, self._sequence, hit.rule_id, hit, values)
        was_empty = not group.entries
        group.add(entry)
        if state.slides:
            count = state.measure(group)
            if state.rule.condition.holds(count):
                fired.append(self._fire(state, key, group, count))
                return fired
        if was_empty or group.entries[0] is entry:
            self._schedule(state, key, group)
        return fired

    def _schedule(self, state: _State, key: tuple[str | None, ...], group: _Group) -> None:
        deadline = group.entries[0].time + state.rule.timespan
        self._sequence += 1
        heapq.heappush(self._deadlines, (deadline, self._sequence, self._states.index(state), key))

    def _expire(
        self,
        state: _State,
        key: tuple[str | None, ...],
        group: _Group,
        now: datetime | None,
    ) -> list[CorrelationHit]:
        """Close the group's windows whose oldest hit is more than timespan before ``now``.

        ``now`` None means the input has ended, so every window is complete.
        """
        fired: list[CorrelationHit] = []
        popped = False
        while group.entries and (now is None or now - group.entries[0].time > state.rule.timespan):
            if not state.slides:
                # The window that started at the oldest hit is complete and contains every hit
                # of the group, because a hit past its end closes it before being added.
                count = state.measure(group)
                if state.rule.condition.holds(count):
                    fired.append(self._fire(state, key, group, count))
                else:
                    group.clear()
                    state.groups.pop(key, None)
                return fired
            group.pop_oldest()
            popped = True
        if not group.entries:
            state.groups.pop(key, None)
        elif popped:
            # The group has a new oldest hit, so its window ends at a new deadline.
            self._schedule(state, key, group)
        return fired

    def _fire(
        self, state: _State, key: tuple[str | None, ...], group: _Group, count: int
    ) -> CorrelationHit:
        entries = list(group.entries)
        group.clear()
        state.groups.pop(key, None)
        rule = state.rule
        logger.debug("Correlation %s fired for group %s with count %d", rule.identity, key, count)
        return CorrelationHit(
            rule_id=rule.identity,
            title=rule.title,
            level=rule.level,
            tags=rule.attack_tags,
            correlation_type=rule.type,
            group=tuple(zip(rule.group_by, key, strict=True)),
            count=count,
            first_time=_first_time(entries),
            last_time=entries[-1].hit.time,
            members=tuple(entry.hit for entry in entries),
        )


def _first_time(entries: Sequence[_Entry]) -> str:
    """Return the time of the earliest event, looking into chained correlation hits."""
    earliest = entries[0].hit.time
    earliest_parsed = entries[0].time
    for entry in entries:
        if isinstance(entry.hit, CorrelationHit):
            parsed = parse_time(entry.hit.first_time)
            if parsed is not None and parsed < earliest_parsed:
                earliest, earliest_parsed = entry.hit.first_time, parsed
    return earliest


def correlate(correlations: CorrelationSet, hits: Iterable[RuleHit]) -> list[CorrelationHit]:
    """Evaluate the correlations over a finished list of hits, sorted here by time."""
    engine = correlations.engine()
    timed: list[tuple[datetime, int, RuleHit]] = []
    untimed = 0
    for index, hit in enumerate(hits):
        if hit.rule_id not in engine.member_ids:
            continue
        time = parse_time(hit.time)
        if time is None:
            untimed += 1
            continue
        timed.append((time, index, hit))
    if untimed:
        logger.warning("Skipped %d hits without a readable time for correlation", untimed)
    timed.sort(key=lambda item: (item[0], item[1]))
    fired: list[CorrelationHit] = []
    for _time, _index, hit in timed:
        fired.extend(engine.feed(hit))
    fired.extend(engine.flush())
    return fired


HitType = TypeVar("HitType", bound=RuleHit)


def timeline(
    correlations: CorrelationSet, hits: Sequence[HitType]
) -> list[HitType | CorrelationHit]:
    """Return the hits to output with the correlation hits, sorted by time.

    Hits of rules referenced only by correlations without ``generate: true`` are left out.
    """
    if not correlations.correlations:
        return list(hits)
    fired = correlate(correlations, hits)
    hidden = correlations.suppressed_rule_ids
    shown: list[HitType | CorrelationHit] = [hit for hit in hits if hit.rule_id not in hidden]
    shown.extend(hit for hit in fired if hit.rule_id not in hidden)
    shown.sort(key=_timeline_key)
    return shown


def _timeline_key(hit: RuleHit | CorrelationHit) -> tuple[str, bool, str, str]:
    # A correlation hit comes after the rule hit of the same time that completed it.
    return (hit.time, isinstance(hit, CorrelationHit), hit.file, hit.rule_id)
