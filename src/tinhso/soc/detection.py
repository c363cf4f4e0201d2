"""Detection over stored events: Sigma rules, correlation rules, anomalies and intelligence.

The collectors call :func:`detect_events` after each batch of events is committed; a failure
here is logged and never undoes the stored events.

The live rule set is compiled once per process from the folders of ``TINHSO_SOC_RULES`` and
compiled again when a rule file under them is added, removed or changed. The folders are
checked at most every :data:`RELOAD_CHECK_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tinhso.soc.analytics.service import anomaly_findings
from tinhso.soc.engine import Event, RuleSet, match_events
from tinhso.soc.engine.rules import rule_files
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


_lock = threading.Lock()
_loaded: _LoadedRules | None = None


def rule_paths() -> list[Path]:
    """Return the configured rule folders and files (``TINHSO_SOC_RULES``)."""
    return [Path(path) for path in settings.TINHSO_SOC_RULES]


def _fingerprint(paths: Iterable[Path]) -> Fingerprint:
    """Name, modification time and size of every rule file, to notice any change."""
    entries = []
    for path in paths:
        if not path.exists():
            continue
        for file in rule_files(path):
            try:
                stat = file.stat()
            except OSError:
                continue
            entries.append((str(file), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _load(paths: list[Path], fingerprint: Fingerprint) -> RuleSet:
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        logger.warning(
            "Sigma rule paths not found: %s; set TINHSO_SOC_RULES to existing folders",
            ", ".join(missing),
        )
    started = time.perf_counter()
    ruleset = RuleSet.from_paths([path for path in paths if path.exists()])
    for error in ruleset.rejected:
        logger.warning(
            "Rejected Sigma rule %s in %s: %s [%s]",
            error.rule_id or "-",
            error.path or "-",
            error.reason,
            error.code,
        )
    logger.info(
        "Loaded %s Sigma rules from %s files (%s rejected) in %.1f s",
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
        fingerprint = _fingerprint(paths)
        if _loaded is None or fingerprint != _loaded.fingerprint:
            _loaded = _LoadedRules(_load(paths, fingerprint), fingerprint, now)
        else:
            _loaded.checked_at = now
        return _loaded.ruleset


def forget_ruleset() -> None:
    """Drop the cached rule set, so that the next detection compiles the rules again."""
    global _loaded
    with _lock:
        _loaded = None


def sigma_findings(ruleset: RuleSet, events: Sequence[SecurityEvent]) -> list[Finding]:
    """Run the rules over the events; return one finding per matched (rule, event)."""
    if not ruleset.rules or not events:
        return []
    engine_events = [Event(dict(event.fields), dict(event.original)) for event in events]
    # The engine names each event's source in Hit.file; the event's primary key goes there.
    labels = [str(event.pk) for event in events]
    by_id = {str(event.pk): event for event in events}
    findings = []
    for hit in match_events(ruleset, engine_events, labels):
        event = by_id[hit.file]
        level = hit.level.lower() if hit.level.lower() in Severity.values else DEFAULT_LEVEL
        findings.append(
            Finding(
                kind=AlertKind.SIGMA.value,
                rule_id=hit.rule_id,
                title=hit.title or hit.rule_id,
                severity=level,
                time=event.time,
                host=event.host,
                user=event.user,
                tags=hit.tags,
                event_ids=(event.pk,),
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


def detect_events(events: Sequence[SecurityEvent]) -> list[Alert]:
    """Run every detector over newly stored events and return the alerts raised or updated."""
    events = list(events)
    if not events:
        return []
    findings: list[Finding] = []
    findings += _run_detector("sigma", lambda batch: sigma_findings(live_ruleset(), batch), events)
    # TODO: feed the Sigma hits, in time order, to the correlation evaluator once the
    # engine has one (tinhso.soc.engine.correlation), and add its findings here.
    findings += _run_detector("anomaly", anomaly_findings, events)
    findings += _run_detector("intel", intel_findings, events)
    if not findings:
        return []
    try:
        alerts = raise_alerts(findings)
    except Exception:
        logger.exception("Raising alerts failed for %s findings", len(findings))
        return []
    logger.info(
        "Detection over %s events: %s findings, %s alerts raised or updated",
        len(events),
        len(findings),
        len(alerts),
    )
    return alerts
