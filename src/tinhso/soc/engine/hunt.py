"""Hunt: run compiled rules over EVTX files and collect a timeline of hits."""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinhso.soc.engine.batch import EventBatch, IndexArray, as_text
from tinhso.soc.engine.compiler import (
    CompiledRule,
    NeedlePlan,
    announce_needles,
    compile_rule,
    needle_plan,
)
from tinhso.soc.engine.correlation import (
    CorrelationHit,
    CorrelationRule,
    CorrelationSet,
    RuleReference,
    link_correlations,
    timeline,
)
from tinhso.soc.engine.errors import EvtxError, RuleError
from tinhso.soc.engine.evtx_reader import Event, read_evtx
from tinhso.soc.engine.logsource import LogsourceMapping, Target
from tinhso.soc.engine.rules import SigmaRule, load_rule_documents, parse_documents, rule_files

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One event matched by one rule."""

    time: str
    computer: str
    rule_id: str
    title: str
    level: str
    tags: tuple[str, ...]
    file: str
    event: dict[str, Any]
    # The flat fields the rule matched on, which correlation rules group by.
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    kind = "rule"


TargetKey = tuple[
    frozenset[str] | None,
    frozenset[str] | None,
    tuple[tuple[str, str], ...],
    tuple[tuple[str, frozenset[str]], ...],
]


def _target_key(target: Target) -> TargetKey:
    return (
        target.channels,
        target.event_ids,
        tuple(sorted(target.field_map.items())),
        target.conditions,
    )


class RuleSet:
    """Compiled rules indexed by channel, their correlation rules, and the rejected rules."""

    def __init__(
        self,
        compiled: Sequence[CompiledRule],
        rejected: Sequence[RuleError] = (),
        correlations: CorrelationSet | None = None,
    ) -> None:
        self.rules = list(compiled)
        self.rejected = list(rejected)
        self.correlations = correlations or CorrelationSet()
        # Position of each rule, so that hits of one event come in rule order.
        self.order = {id(rule): position for position, rule in enumerate(self.rules)}
        self._needle_plans: dict[TargetKey, NeedlePlan] = {}
        self._candidates: dict[
            tuple[str | None, str | None], list[tuple[CompiledRule, Target]]
        ] = {}
        self._by_channel: dict[str, list[tuple[CompiledRule, Target]]] = defaultdict(list)
        self._any_channel: list[tuple[CompiledRule, Target]] = []
        for rule in self.rules:
            for target in rule.targets:
                if target.channels is None:
                    self._any_channel.append((rule, target))
                else:
                    for channel in target.channels:
                        self._by_channel[channel].append((rule, target))

    @classmethod
    def from_rules(
        cls,
        rules: Iterable[SigmaRule],
        placeholders: Mapping[str, Sequence[str]] | None = None,
        correlations: Sequence[CorrelationRule] = (),
        mapping: LogsourceMapping | None = None,
    ) -> RuleSet:
        compiled, rejected = [], []
        for rule in rules:
            try:
                compiled.append(compile_rule(rule, placeholders, mapping))
            except RuleError as error:
                logger.info("Rejected rule: %s", error)
                rejected.append(error)
        linked = _link_correlations(correlations, compiled, rejected)
        return cls(compiled, [*rejected, *linked.rejected], linked)

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[Path],
        placeholders: Mapping[str, Sequence[str]] | None = None,
        pipelines: Sequence[Path] = (),
    ) -> RuleSet:
        """Load every rule file under the paths; invalid files end up in ``rejected``.

        ``pipelines`` are pySigma pipeline YAML files, applied in order after the built-in
        pipelines to map log sources. An invalid pipeline file raises PipelineError.
        """
        mapping = LogsourceMapping.from_files(pipelines) if pipelines else None
        rules: list[SigmaRule] = []
        correlations: list[CorrelationRule] = []
        rejected: list[RuleError] = []
        for path in paths:
            for file in rule_files(path):
                try:
                    documents = load_rule_documents(file)
                except RuleError as error:
                    logger.info("Rejected rule file: %s", error)
                    rejected.append(error)
                    continue
                rules.extend(documents.rules)
                correlations.extend(documents.correlations)
                rejected.extend(documents.rejected)
        ruleset = cls.from_rules(rules, placeholders, correlations, mapping)
        ruleset.rejected[:0] = rejected
        return ruleset

    @classmethod
    def from_text(cls, text: str) -> RuleSet:
        documents = parse_documents(text)
        ruleset = cls.from_rules(documents.rules, correlations=documents.correlations)
        ruleset.rejected[:0] = documents.rejected
        return ruleset

    def candidates(
        self, channel: str | None, event_id: str | None
    ) -> list[tuple[CompiledRule, Target]]:
        """Return the (rule, target) pairs whose pre-filter accepts this channel and EventID."""
        key = (channel, event_id)
        accepted = self._candidates.get(key)
        if accepted is None:
            pairs = self._by_channel.get(channel or "", [])
            accepted = [pair for pair in pairs if pair[1].accepts(channel, event_id)]
            accepted.extend(
                pair for pair in self._any_channel if pair[1].accepts(channel, event_id)
            )
            self._candidates[key] = accepted
        return accepted


def _link_correlations(
    correlations: Sequence[CorrelationRule],
    compiled: Sequence[CompiledRule],
    rejected: Sequence[RuleError],
) -> CorrelationSet:
    """Link correlation rules to the compiled rules; log each correlation rejected."""
    references = [RuleReference(rule.rule.id, rule.rule.name) for rule in compiled]
    linked = link_correlations(correlations, references, rejected)
    for error in linked.rejected:
        logger.info("Rejected correlation rule: %s", error)
    return linked


@dataclass
class _Plan:
    """The rules of one target and the (Channel, EventID) groups of events it accepts."""

    target: Target
    key: TargetKey
    rules: list[CompiledRule] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)


def _plans(
    ruleset: RuleSet, groups: Mapping[tuple[str | None, str | None], list[int]]
) -> list[_Plan]:
    """Gather the candidate rules per target: targets that compare equal share one plan."""
    plans: dict[TargetKey, _Plan] = {}
    for (channel, event_id), indexes in groups.items():
        for rule, target in ruleset.candidates(channel, event_id):
            key = _target_key(target)
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = _Plan(target, key)
            if not plan.groups or plan.groups[-1] is not indexes:
                plan.groups.append(indexes)
            if len(plan.groups) == 1:
                plan.rules.append(rule)
    return list(plans.values())


def _needle_plan(ruleset: RuleSet, plan: _Plan) -> NeedlePlan:
    """Return the needles of a target's rules; a target has the same rules in every batch."""
    needles = ruleset._needle_plans.get(plan.key)
    if needles is None:
        needles = ruleset._needle_plans[plan.key] = needle_plan(plan.rules)
    return needles


def _passing(batch: EventBatch, indexes: IndexArray, target: Target) -> IndexArray:
    """Return the indexes of the events that pass the target's field conditions.

    Field names are matched without case, as rules read them, and values are compared by
    their case-folded text.
    """
    view = batch.view(indexes)
    keep = np.ones(indexes.size, dtype=np.bool_)
    for name, accepted in target.conditions:
        texts = view.values(view.column(name))
        keep &= np.fromiter(
            (text is not None and text.casefold() in accepted for text in texts),
            dtype=np.bool_,
            count=indexes.size,
        )
    return indexes[keep]


def match_events(
    ruleset: RuleSet, events: Sequence[Event], file: str | Sequence[str] = ""
) -> list[Hit]:
    """Evaluate all rules on events; return hits in event order.

    ``file`` names the source of all events, or of each event when it is a sequence. Events of
    several files may share a batch: a rule's result for one event depends on that event only.

    The events form one column batch. Rules are gathered by target (log source), each target
    sees the events of the (Channel, EventID) groups it accepts that also pass its field
    conditions, and every detection item is tested once per distinct value of its field for
    all targets.
    """
    files = [file] * len(events) if isinstance(file, str) else file
    groups: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        key = (as_text(event.fields.get("Channel")), as_text(event.fields.get("EventID")))
        groups[key].append(index)

    plans = _plans(ruleset, groups)
    batch = EventBatch([event.fields for event in events])
    views = []
    for plan in plans:
        indexes = np.sort(
            np.concatenate([np.asarray(group, dtype=np.intp) for group in plan.groups])
        )
        if plan.target.conditions:
            indexes = _passing(batch, indexes, plan.target)
            if not indexes.size:
                continue
        view = batch.view(indexes)
        announce_needles(view, _needle_plan(ruleset, plan), plan.target.field_map)
        views.append((plan, view, indexes))

    order = ruleset.order
    matched: list[tuple[int, int, CompiledRule]] = []
    for plan, view, indexes in views:
        for rule in plan.rules:
            for position in rule.evaluate(view, plan.target).nonzero()[0]:
                matched.append((int(indexes[position]), order[id(rule)], rule))
    matched.sort(key=lambda item: (item[0], item[1]))

    # One hit per (event, rule), even when two targets of a rule accept the same event.
    seen: set[tuple[int, str]] = set()
    hits = []
    for index, _order, rule in matched:
        identity = (index, rule.rule.id or str(id(rule)))
        if identity in seen:
            continue
        seen.add(identity)
        event = events[index]
        hits.append(
            Hit(
                time=event.time,
                computer=str(event.fields.get("Computer") or ""),
                rule_id=rule.rule.id,
                title=rule.rule.title,
                level=rule.rule.level,
                tags=rule.rule.attack_tags,
                file=files[index],
                event=event.original,
                fields=event.fields,
            )
        )
    return hits


@dataclass
class HuntSummary:
    """Counts of one hunt, for the report after the timeline."""

    files: int = 0
    files_failed: list[EvtxError] = field(default_factory=list)
    events: int = 0
    rules_loaded: int = 0
    rules_rejected: list[RuleError] = field(default_factory=list)
    hits: int = 0
    correlations_loaded: int = 0
    correlation_hits: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def evtx_files(paths: Iterable[Path]) -> list[Path]:
    """Return the ``.evtx`` files named or found under the paths, sorted per path."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".evtx"))
        else:
            found.append(path)
    return found


# Events read before the rules run over them; larger batches amortise the per-rule overhead.
DEFAULT_BATCH_EVENTS = 50_000


def hunt(
    ruleset: RuleSet, paths: Iterable[Path], batch_events: int = DEFAULT_BATCH_EVENTS
) -> tuple[list[Hit | CorrelationHit], HuntSummary]:
    """Hunt over EVTX files; a file that cannot be read is reported and skipped.

    Events of several files are matched together in batches of about ``batch_events``, which
    does not change any file's hits because every rule is evaluated per event.
    The timeline also contains the hits of the correlation rules, evaluated over all the hits.
    """
    with _collector_paused():
        return _hunt(ruleset, paths, batch_events)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, if it runs, for the duration of the block.

    Reading allocates a few dicts per event, and the collector's runs then traverse the
    compiled rules too (a process with the SigmaHQ Windows rules tracks about 150,000
    objects): that was a quarter of a hunt over the attack samples. Event records hold no reference cycles, so
    reference counting frees them without the collector.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _hunt(
    ruleset: RuleSet, paths: Iterable[Path], batch_events: int
) -> tuple[list[Hit | CorrelationHit], HuntSummary]:
    summary = HuntSummary(rules_loaded=len(ruleset.rules), rules_rejected=list(ruleset.rejected))
    hits: list[Hit] = []
    pending: list[Event] = []
    pending_files: list[str] = []
    started = time.perf_counter()
    for path in evtx_files(paths):
        summary.files += 1
        try:
            events = read_evtx(path)
        except EvtxError as error:
            logger.warning("Skipping unreadable file: %s", error)
            summary.files_failed.append(error)
            continue
        summary.events += len(events)
        pending.extend(events)
        pending_files.extend([str(path)] * len(events))
        if len(pending) >= batch_events:
            hits.extend(match_events(ruleset, pending, pending_files))
            pending, pending_files = [], []
    if pending:
        hits.extend(match_events(ruleset, pending, pending_files))
    hits.sort(key=lambda hit: (hit.time, hit.file, hit.rule_id))
    rows = _with_correlations(ruleset, hits, summary)
    summary.seconds = time.perf_counter() - started
    summary.hits = len(rows)
    return rows, summary


def _with_correlations(
    ruleset: RuleSet, hits: list[Hit], summary: HuntSummary
) -> list[Hit | CorrelationHit]:
    """Add the correlation hits to the timeline and count them in the summary."""
    summary.correlations_loaded = len(ruleset.correlations.correlations)
    rows = timeline(ruleset.correlations, hits)
    summary.correlation_hits = sum(1 for row in rows if isinstance(row, CorrelationHit))
    return rows
