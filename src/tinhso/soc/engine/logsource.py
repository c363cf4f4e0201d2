"""Map Sigma log sources to Windows event log channels, EventIDs and field names.

The mapping is read from pySigma processing pipelines: ``sysmon_pipeline`` of
pysigma-pipeline-sysmon and ``windows_audit_pipeline`` and ``windows_logsource_pipeline`` of
pysigma-pipeline-windows. Each generic log source may be logged by several sources, so the
pipelines run in branches, and each branch that maps a rule's log source gives one
:class:`Target`:

* Sysmon: ``sysmon_pipeline``, then ``windows_logsource_pipeline``;
* Windows audit: ``windows_audit_pipeline`` (``process_creation`` on Security 4688 with the
  Security field names, registry categories on Security 4657), then ``windows_logsource_pipeline``;
* log source only: ``windows_logsource_pipeline`` alone, for rules that name a ``service`` or a
  PowerShell category.

Custom pipelines run after the built-in ones in every branch, so, as in pySigma, their
conditions narrow a branch's target. For example, a custom Channel condition on
``process_creation`` empties the Sysmon branch, which keeps that category, but not the
Security 4688 branch, whose log source the audit pipeline replaced. The custom channel itself
comes from the log-source-only branch.

Each distinct log source is mapped once per :class:`LogsourceMapping` by applying the
pipelines to a probe rule, not to each rule. A log source that no branch maps gets no pre-filter, so its rule is evaluated on
every event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from sigma.exceptions import SigmaError as PySigmaError
from sigma.pipelines.sysmon import sysmon_pipeline
from sigma.pipelines.windows import windows_audit_pipeline, windows_logsource_pipeline
from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    AddFieldTransformation,
    ChangeLogsourceTransformation,
    DetectionItemFailureTransformation,
    FieldMappingTransformation,
    RemoveFieldTransformation,
    SetCustomAttributeTransformation,
    SetFieldTransformation,
    SetStateTransformation,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaNumber, SigmaString

from tinhso.soc.engine.errors import SigmaError

logger = logging.getLogger(__name__)

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SECURITY_CHANNEL = "Security"

# Event fields that the pre-filter reads; conditions on other fields become Target.conditions.
CHANNEL_FIELD = "Channel"
EVENT_ID_FIELD = "EventID"


class PipelineError(SigmaError):
    """A pySigma pipeline file that cannot be read or parsed, with the file and the reason."""

    code = "invalid-pipeline"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"invalid pySigma pipeline {path}: {reason} [{self.code}]")


@dataclass(frozen=True)
class Target:
    """Events a rule is evaluated on, and the field renames it is evaluated with.

    ``channels`` and ``event_ids`` are the pre-filter (None means any). ``conditions`` are
    further (field, accepted values) tests that an event must pass, compared without case.
    A rule that uses a field of ``rejected_fields`` is not evaluated on this target, as
    pySigma rejects such a rule for this log.

    NOTE: the registry targets of windows_audit_pipeline 2.0.1 test OperationType against
    text such as "Existing registry value modified", but Windows stores it in raw 4657 records
    as a message id (%%1905), so they match only events whose text was rendered.
    """

    channels: frozenset[str] | None
    event_ids: frozenset[str] | None
    field_map: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[tuple[str, frozenset[str]], ...] = ()
    rejected_fields: frozenset[str] = frozenset()

    def accepts(self, channel: str | None, event_id: str | None) -> bool:
        if self.channels is not None and channel not in self.channels:
            return False
        return self.event_ids is None or event_id in self.event_ids


ANY_EVENT = Target(None, None)


def load_pipeline(path: Path) -> ProcessingPipeline:
    """Read a pySigma pipeline YAML file; raise PipelineError naming the file and the reason.

    Template variables and external sources in the file stay disabled, as pySigma sets them
    by default.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PipelineError(path, f"cannot read the file: {error}") from error
    # Parsed here first because pySigma replaces the YAML parser's message with its own.
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PipelineError(path, f"invalid YAML: {error}") from error
    if not isinstance(document, dict):
        raise PipelineError(path, "expected a YAML mapping with a 'transformations' list")
    try:
        pipeline = ProcessingPipeline.from_yaml(text, source_path=str(path))
    except PySigmaError as error:
        raise PipelineError(path, str(error)) from error
    except (AttributeError, TypeError) as error:
        # pySigma 1.5 raises these on items that are not mappings.
        raise PipelineError(path, f"invalid structure: {type(error).__name__}: {error}") from error
    return pipeline


LogsourceKey = tuple[str | None, str | None, str | None]

# Transformations by which a source pipeline maps a generic log source to its own log.
_MAPPING_TRANSFORMATIONS = (AddConditionTransformation, ChangeLogsourceTransformation)

# Transformations that change the output fields or state of a query, not what it matches.
_OUTPUT_TRANSFORMATIONS = (
    AddFieldTransformation,
    RemoveFieldTransformation,
    SetFieldTransformation,
    SetCustomAttributeTransformation,
    SetStateTransformation,
)


@dataclass
class _BranchResult:
    """Effect of one branch of pipelines on a probe rule of one log source."""

    matched: bool = False
    channels: frozenset[str] | None = None
    event_ids: frozenset[str] | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, frozenset[str]] = field(default_factory=dict)
    rejected_fields: set[str] = field(default_factory=set)

    @property
    def has_conditions(self) -> bool:
        return self.channels is not None or self.event_ids is not None or bool(self.conditions)

    def target(self) -> Target | None:
        """Return the target, or None when the added conditions exclude every event."""
        if self.channels is not None and not self.channels:
            return None
        if self.event_ids is not None and not self.event_ids:
            return None
        if any(not values for values in self.conditions.values()):
            return None
        return Target(
            self.channels,
            self.event_ids,
            dict(sorted(self.field_map.items())),
            tuple(sorted(self.conditions.items())),
            frozenset(self.rejected_fields),
        )


def _intersect(current: frozenset[str] | None, values: frozenset[str]) -> frozenset[str]:
    return values if current is None else current & values


def _compose_field_map(current: Mapping[str, str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Return the renames of ``current`` followed by those of ``mapping``.

    A later mapping renames the names that earlier ones produced, and the rule's own names
    that no earlier mapping renamed.
    """
    composed = {source: mapping.get(target, target) for source, target in current.items()}
    for source, target in mapping.items():
        if source not in current:
            composed[source] = target
    return {source: target for source, target in composed.items() if source != target}


class LogsourceMapping:
    """Targets of Sigma log sources, read from the built-in pipelines and custom ones.

    The targets of each distinct log source are computed once and shared by all its rules.
    """

    def __init__(self, custom: Sequence[ProcessingPipeline] = ()) -> None:
        self.custom = list(custom)
        self._cache: dict[LogsourceKey, tuple[Target, ...]] = {}
        # Pipeline objects keep per-rule state while they apply, so one thread maps at a time.
        self._lock = threading.Lock()
        self._warned: set[tuple[str, str]] = set()
        tail = [windows_logsource_pipeline(), *self.custom]
        # (source pipeline or None, the pipelines after it), one entry per branch.
        self._branches: list[tuple[ProcessingPipeline | None, list[ProcessingPipeline]]] = [
            (sysmon_pipeline(), tail),
            (windows_audit_pipeline(), tail),
            (None, tail),
        ]

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> LogsourceMapping:
        """Build the mapping with the custom pipeline files; raise PipelineError on a bad file."""
        return cls([load_pipeline(path) for path in paths])

    def targets_for(self, logsource: Mapping[str, str]) -> tuple[Target, ...]:
        """Return the targets of a rule's log source; unmapped log sources get ANY_EVENT.

        An empty tuple means that every branch maps the log source to no event at all, or
        that the pipelines reject it, so its rules are never evaluated.
        """
        key = (logsource.get("category"), logsource.get("product"), logsource.get("service"))
        targets = self._cache.get(key)
        if targets is None:
            with self._lock:
                targets = self._cache.get(key)
                if targets is None:
                    targets = self._cache[key] = self._map(key)
        return targets

    def _map(self, key: LogsourceKey) -> tuple[Target, ...]:
        results: list[_BranchResult] = []
        rejections = 0
        for source, tail in self._branches:
            result = self._run_branch(key, source, tail)
            if result is None:
                rejections += 1
            elif source is not None and result.matched:
                results.append(result)
            elif source is None and (
                result.has_conditions
                or (not results and (result.field_map or result.rejected_fields))
            ):
                # The log-source-only branch counts when it adds a condition, or when it
                # only renames fields of a log source that no source pipeline maps.
                results.append(result)
        if not results:
            if rejections:
                logger.info("The pipelines reject log source %s, so its rules never run", key)
                return ()
            return (ANY_EVENT,)
        targets: list[Target] = []
        for result in results:
            target = result.target()
            if target is not None and target not in targets:
                targets.append(target)
        if not targets:
            logger.info("Log source %s matches no event under the pipelines", key)
        return tuple(targets)

    def _run_branch(
        self,
        key: LogsourceKey,
        source: ProcessingPipeline | None,
        tail: Sequence[ProcessingPipeline],
    ) -> _BranchResult | None:
        """Apply one branch to a probe rule; return None when the pipelines reject the rule.

        A source branch matches when its source pipeline changed the log source or added a
        condition. So a rule that already names a service, such as ``security``, does not get
        the field names that ``windows_audit_pipeline`` gives to rules it moved to Security.
        """
        # NOTE: the probe rule has one detection item and no tags or attributes, so an item
        # whose rule conditions test the rule's fields, values or tags does not apply here.
        category, product, service = key
        logsource = {
            name: value
            for name, value in (("category", category), ("product", product), ("service", service))
            if value is not None
        }
        probe = SigmaRule.from_dict(
            {
                "title": "tinhso log source probe",
                "logsource": logsource,
                "detection": {"probe": {"tinhso_probe": "x"}, "condition": "probe"},
            }
        )
        result = _BranchResult()
        for position, pipeline in enumerate([source, *tail]):
            if pipeline is None:
                continue
            try:
                pipeline.apply(probe)
            except PySigmaError as error:
                # A RuleFailureTransformation: pySigma converts no query for this log source.
                logger.info("Pipeline %r rejects log source %s: %s", pipeline.name, key, error)
                return None
            for item, applied in zip(pipeline.items, pipeline.applied, strict=True):
                if not applied:
                    continue
                if position == 0 and isinstance(item.transformation, _MAPPING_TRANSFORMATIONS):
                    result.matched = True
                self._read_item(pipeline, item, probe, result)
        return result

    def _read_item(
        self,
        pipeline: ProcessingPipeline,
        item: ProcessingItem,
        probe: SigmaRule,
        result: _BranchResult,
    ) -> None:
        """Record what one applied processing item means for the target."""
        transformation = item.transformation
        if isinstance(transformation, ChangeLogsourceTransformation):
            # Its effect is on the items that follow, whose log source conditions it changes.
            return
        if isinstance(transformation, AddConditionTransformation):
            detection = probe.detection.detections.get(transformation.name)
            if transformation.negated or detection is None:
                self._warn(pipeline, item, "a negated condition is not applied")
                return
            self._read_condition(pipeline, item, detection, result)
            return
        if type(transformation) is FieldMappingTransformation:
            self._read_field_mapping(pipeline, item, transformation, result)
            return
        if isinstance(transformation, DetectionItemFailureTransformation):
            fields = _included_fields(item)
            if fields is None:
                self._warn(pipeline, item, "only a failure on a list of field names is applied")
                return
            # The item tests the names that earlier mappings produced, so reject the rule's
            # names that were mapped to them.
            renamed = result.field_map
            for name in fields:
                result.rejected_fields.update(
                    source for source, target in renamed.items() if target == name
                )
                if name not in renamed:
                    result.rejected_fields.add(name)
            return
        if isinstance(transformation, _OUTPUT_TRANSFORMATIONS):
            return
        # NOTE: other transformations (value changes, prefixes, placeholders and the like) are
        # not applied: the rule is evaluated as written on the events of the target.
        self._warn(pipeline, item, f"{type(transformation).__name__} is not applied")

    def _read_condition(
        self,
        pipeline: ProcessingPipeline,
        item: ProcessingItem,
        detection: SigmaDetection,
        result: _BranchResult,
    ) -> None:
        for detection_item in detection.detection_items:
            values = None
            if isinstance(detection_item, SigmaDetectionItem) and detection_item.field:
                values = _plain_values(detection_item)
            if values is None or not isinstance(detection_item, SigmaDetectionItem):
                # A keyword, or a condition with wildcards or modifiers, is skipped, which
                # evaluates the rule on more events than pySigma's query would select.
                self._warn(pipeline, item, "a condition that is not a field equality is skipped")
                continue
            name = str(detection_item.field)
            if name == CHANNEL_FIELD:
                result.channels = _intersect(result.channels, values)
            elif name == EVENT_ID_FIELD:
                result.event_ids = _intersect(result.event_ids, values)
            else:
                folded = frozenset(value.casefold() for value in values)
                result.conditions[name] = _intersect(result.conditions.get(name), folded)

    def _read_field_mapping(
        self,
        pipeline: ProcessingPipeline,
        item: ProcessingItem,
        transformation: FieldMappingTransformation,
        result: _BranchResult,
    ) -> None:
        mapping: dict[str, str] = {}
        for source, target in transformation.mapping.items():
            if isinstance(target, list) and len(target) == 1:
                target = target[0]
            if source is None or not isinstance(target, str):
                # Keyword-to-field mappings and one field mapped to several are skipped, so the
                # rule reads the field by its own name.
                self._warn(pipeline, item, f"the mapping of {source!r} to {target!r} is skipped")
                continue
            if item.detection_item_conditions or not item.match_field_name(source):
                if item.detection_item_conditions:
                    self._warn(pipeline, item, "a mapping that depends on values is skipped")
                continue
            mapping[source] = target
        result.field_map = _compose_field_map(result.field_map, mapping)
        # A mapping also renames the fields of the conditions that earlier items added.
        renamed: dict[str, frozenset[str]] = {}
        for name, values in result.conditions.items():
            new_name = mapping.get(name, name)
            renamed[new_name] = _intersect(renamed.get(new_name), values)
        result.conditions = renamed

    def _warn(self, pipeline: ProcessingPipeline, item: ProcessingItem, reason: str) -> None:
        """Log once per processing item that part of it cannot be applied by this engine."""
        identity = (str(pipeline.name), str(item.identifier))
        if identity in self._warned:
            return
        self._warned.add(identity)
        logger.warning(
            "Pipeline %r, item %r: %s by the Sigma engine", pipeline.name, item.identifier, reason
        )


def _plain_values(item: SigmaDetectionItem) -> frozenset[str] | None:
    """Return the values of an equality test, or None when it has modifiers or wildcards."""
    if item.modifiers or item.negated:
        return None
    values = set()
    for value in item.value:
        if isinstance(value, SigmaNumber):
            values.add(str(value.number))
        elif isinstance(value, SigmaString) and not value.contains_special():
            values.add(str(value))
        else:
            return None
    return frozenset(values)


def _included_fields(item: ProcessingItem) -> set[str] | None:
    """Return the field names of an item that fails on a plain list of fields, else None."""
    conditions = item.field_name_conditions
    if item.detection_item_conditions or item.field_name_condition_negation:
        return None
    if not isinstance(conditions, list) or len(conditions) != 1:
        return None
    condition = conditions[0]
    if type(condition) is not IncludeFieldCondition or condition.mode != "plain":
        return None
    return set(condition.fields)


@cache
def default_mapping() -> LogsourceMapping:
    """Return the mapping of the built-in pipelines, built once per process."""
    return LogsourceMapping()


def targets_for(
    logsource: Mapping[str, str], mapping: LogsourceMapping | None = None
) -> tuple[Target, ...]:
    """Return the targets of a rule's log source; unknown log sources get ANY_EVENT."""
    return (mapping or default_mapping()).targets_for(logsource)
