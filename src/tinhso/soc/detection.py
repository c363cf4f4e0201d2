"""Detection over stored events: Sigma rules, correlation rules, anomalies and intelligence.

The collectors call :func:`detect_events` after each batch of events is committed; a failure
here is logged and never undoes the stored events.

The live rule set is compiled once per process from the folders of ``TINHSO_SOC_RULES`` and
compiled again when a rule file under them is added, removed or changed. The folders are
checked at most every :data:`RELOAD_CHECK_SECONDS`.

Sigma correlation rules among them are evaluated by one stateful engine per rule set, fed
the rule hits of each batch in time order, so a correlation window can span batches. The
engine's windows live in this process's memory and start empty after a restart or a reload.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from tinhso.soc.analytics.service import anomaly_findings
from tinhso.soc.engine import Event, Hit, RuleSet, match_events
from tinhso.soc.engine.correlation import CorrelationEngine, CorrelationHit
from tinhso.soc.engine.logsource import PipelineError
from tinhso.soc.engine.rules import rule_files
from tinhso.soc.engine.timestamps import parse_time
from tinhso.soc.findings import Finding
from tinhso.soc.incidents.alerts import raise_alerts
from tinhso.soc.intel.service import intel_findings
from tinhso.soc.models import Alert, AlertKind, SecurityEvent, Severity

logger = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 10.0
# Sigma makes ``level`` optional; a rule without one is treated as medium.
DEFAULT_LEVEL = Severity.MEDIUM.value

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass
class _LoadedRules:
    ruleset: RuleSet
    fingerprint: Fingerprint
    checked_at: float
    correlator: CorrelationEngine


_lock = threading.Lock()
_loaded: _LoadedRules | None = None


def rule_paths() -> list[Path]:
    """Return the configured rule folders and files (``TINHSO_SOC_RULES``)."""
    return [Path(path) for path in settings.TINHSO_SOC_RULES]


def pipeline_paths() -> list[Path]:
    """Return the configured pySigma pipeline files (``TINHSO_SOC_PIPELINES``)."""
    return [Path(path) for path in settings.TINHSO_SOC_PIPELINES]


def _fingerprint(paths: Iterable[Path], pipelines: Iterable[Path] = ()) -> Fingerprint:
    """Name, modification time and size of every rule and pipeline file, to notice any change."""
    files = [file for path in paths if path.exists() for file in rule_files(path)]
    files.extend(pipelines)
    entries = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        entries.append((str(file), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _ruleset(paths: list[Path], pipelines: list[Path]) -> RuleSet:
    """Compile the rules; with an invalid pipeline file, log it and use the built-in ones."""
    try:
        return RuleSet.from_paths(paths, pipelines=pipelines)
    except PipelineError as error:
        logger.error(
            "%s; live detection maps log sources with the built-in pipelines only until "
            "TINHSO_SOC_PIPELINES names valid files",
            error,
        )
        return RuleSet.from_paths(paths)


def _load(paths: list[Path], pipelines: list[Path], fingerprint: Fingerprint) -> RuleSet:
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        logger.warning(
            "Sigma rule paths not found: %s; set TINHSO_SOC_RULES to existing folders",
            ", ".join(missing),
        )
    started = time.perf_counter()
    ruleset = _ruleset([path for path in paths if path.exists()], pipelines)
    for error in ruleset.rejected:
        logger.warning(
            "Rejected Sigma rule %s in %s: %s [%s]",
            error.rule_id or "-",
            error.path or "-",
            error.reason,
            error.code,
        )
    logger.info(
        "Loaded %s Sigma rules from %s rule and pipeline files (%s rejected) in %.1f s",
        len(ruleset.rules),
        len(fingerprint),
        len(ruleset.rejected),
        time.perf_counter() - started,
    )
    return ruleset


def live_ruleset(*, force_check: bool = False) -> RuleSet:
    """Return the compiled live rule set, compiling it again if a rule file changed."""
    global _loaded
    with _lock:
        now = time.monotonic()
        if (
            _loaded is not None
            and not force_check
            and now - _loaded.checked_at < RELOAD_CHECK_SECONDS
        ):
            return _loaded.ruleset
        paths = rule_paths()
        pipelines = pipeline_paths()
        fingerprint = _fingerprint(paths, pipelines)
        if _loaded is None or fingerprint != _loaded.fingerprint:
            ruleset = _load(paths, pipelines, fingerprint)
            _loaded = _LoadedRules(ruleset, fingerprint, now, ruleset.correlations.engine())
        else:
            _loaded.checked_at = now
        return _loaded.ruleset


def live_correlator() -> CorrelationEngine:
    """Return the correlation engine of the live rule set, with its open windows."""
    live_ruleset()
    with _lock:
        if _loaded is None:
            raise RuntimeError("the live rule set was forgotten while it was loaded")
        return _loaded.correlator


def forget_ruleset() -> None:
    """Drop the cached rule set, so that the next detection compiles the rules again."""
    global _loaded
    with _lock:
        _loaded = None


def match_stored(ruleset: RuleSet, events: Sequence[SecurityEvent]) -> list[Hit]:
    """Run the rules over stored events; each hit carries its event's primary key in ``file``.

    A hit's time is the stored event's time, which every source has, rather than the
    ``TimeCreated`` field that only Windows events carry.
    """
    if not ruleset.rules or not events:
        return []
    engine_events = [Event(dict(event.fields), dict(event.original)) for event in events]
    labels = [str(event.pk) for event in events]
    times = {str(event.pk): event.time.isoformat() for event in events}
    hits = match_events(ruleset, engine_events, labels)
    return [dataclasses.replace(hit, time=times[hit.file]) for hit in hits]


def _severity(level: str) -> str:
    level = level.lower()
    return level if level in Severity.values else DEFAULT_LEVEL


def sigma_findings(
    ruleset: RuleSet, events: Sequence[SecurityEvent], hits: Sequence[Hit] | None = None
) -> list[Finding]:
    """Return one finding per matched (rule, event).

    Rules that only feed correlations (referenced without ``generate: true``) give none.
    """
    if hits is None:
        hits = match_stored(ruleset, events)
    by_id = {str(event.pk): event for event in events}
    hidden = ruleset.correlations.suppressed_rule_ids
    findings = []
    for hit in hits:
        if hit.rule_id in hidden:
            continue
        event = by_id[hit.file]
        findings.append(
            Finding(
                kind=AlertKind.SIGMA.value,
                rule_id=hit.rule_id,
                title=hit.title or hit.rule_id,
                severity=_severity(hit.level),
                time=event.time,
                host=event.host,
                user=event.user,
                tags=hit.tags,
                event_ids=(event.pk,),
            )
        )
    return findings


def correlate_hits(correlator: CorrelationEngine, hits: Sequence[Hit]) -> list[CorrelationHit]:
    """Feed rule hits to the stateful correlation engine in time order; return what fired."""
    fired: list[CorrelationHit] = []
    with _lock:
        for hit in sorted(hits, key=lambda item: (item.time, item.file)):
            fired.extend(correlator.feed(hit))
    return fired


def _time(text: str, fallback: datetime) -> datetime:
    return parse_time(text) or fallback


def correlation_findings(fired: Sequence[CorrelationHit]) -> list[Finding]:
    """Turn correlation hits into findings over the stored events underneath them.

    The host and user are those of the events when they all share one. Otherwise the
    distinct values are joined, and the incident is grouped under the joined text.
    """
    ids_of = {
        id(hit): tuple(sorted({int(m.file) for m in hit.events if m.file.isdigit()}))
        for hit in fired
    }
    stored = SecurityEvent.objects.in_bulk({pk for ids in ids_of.values() for pk in ids})
    findings = []
    for hit in fired:
        members = [stored[pk] for pk in ids_of[id(hit)] if pk in stored]
        if not members:
            logger.warning("Correlation %s fired on events that are not stored", hit.rule_id)
            continue
        hosts = sorted({event.host for event in members if event.host})
        users = sorted({event.user for event in members if event.user})
        first = min(event.time for event in members)
        findings.append(
            Finding(
                kind=AlertKind.CORRELATION.value,
                rule_id=hit.rule_id,
                title=hit.title or hit.rule_id,
                severity=_severity(hit.level),
                time=_time(hit.first_time, first),
                last_time=_time(hit.last_time, max(event.time for event in members)),
                host=", ".join(hosts)[:255],
                user=", ".join(users)[:255],
                tags=hit.tags,
                event_ids=tuple(event.pk for event in members),
                explanation={
                    "correlation": hit.correlation_type,
                    "group": dict(hit.group),
                    "count": hit.count,
                },
            )
        )
    return findings


def _run_detector(
    name: str,
    detector: Callable[[Sequence[SecurityEvent]], list[Finding]],
    events: Sequence[SecurityEvent],
) -> list[Finding]:
    try:
        return list(detector(events))
    except Exception:
        # One failing detector must not stop the others or the collector that called.
        logger.exception("Detector %s failed on %s events", name, len(events))
        return []


def detect_events(
    events: Sequence[SecurityEvent], correlator: CorrelationEngine | None = None
) -> list[Alert]:
    """Run every detector over newly stored events and return the alerts raised or updated.

    ``correlator`` defaults to the live engine; a re-run over old events passes its own, so
    the live windows do not see events out of order.
    """
    events = list(events)
    if not events:
        return []
    findings: list[Finding] = []
    ruleset = RuleSet([])
    hits: list[Hit] = []
    try:
        ruleset = live_ruleset()
        hits = match_stored(ruleset, events)
    except Exception:
        logger.exception("Sigma rules failed on %s events", len(events))
    findings += _run_detector("sigma", lambda batch: sigma_findings(ruleset, batch, hits), events)
    if ruleset.correlations.correlations:
        engine = correlator if correlator is not None else live_correlator()
        findings += _run_detector(
            "correlation", lambda _batch: correlation_findings(correlate_hits(engine, hits)), events
        )
    findings += _run_detector("anomaly", anomaly_findings, events)
    findings += _run_detector("intel", intel_findings, events)
    return _raise(findings, len(events))


def flush_correlations(correlator: CorrelationEngine) -> list[Alert]:
    """Close every open correlation window, as at the end of a re-run, and raise what fires."""
    with _lock:
        fired = correlator.flush()
    return _raise(correlation_findings(fired), 0)


def _raise(findings: list[Finding], event_count: int) -> list[Alert]:
    if not findings:
        return []
    try:
        alerts = raise_alerts(findings)
    except Exception:
        logger.exception("Raising alerts failed for %s findings", len(findings))
        return []
    logger.info(
        "Detection over %s events: %s findings, %s alerts raised or updated",
        event_count,
        len(findings),
        len(alerts),
    )
    return alerts
