"""Turning findings into deduplicated alerts, each grouped into an incident.

A finding's identity is its ``dedup_key``: the kind, the rule, the host, the user and either
the event ids or, for an anomaly, the key its explanation gives (``explanation["key"]``, for
example a user and an hour). A finding with a known key raises the existing alert's
``count`` and ``last_seen`` instead of adding a row, so running detection again over the
same events adds no alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.soc.findings import Finding
from tinhso.soc.incidents import grouping
from tinhso.soc.models import Alert, AlertKind, LogSource, SecurityEvent, Severity
from tinhso.soc.models.incidents import SEVERITY_RANK

logger = logging.getLogger(__name__)

# Two concurrent calls may insert the same new alert; the loser retries and finds it.
MAX_ATTEMPTS = 3
TITLE_LENGTH = Alert._meta.get_field("title").max_length or 300


def dedup_key(finding: Finding) -> str:
    """Return the SHA-256 (hex) of what identifies a finding."""
    anomaly_key = finding.explanation.get("key") if finding.kind == AlertKind.ANOMALY else None
    if anomaly_key is not None:
        identity: list[object] = ["key", str(anomaly_key)]
    else:
        identity = ["events", *sorted(set(finding.event_ids))]
    payload = [finding.kind, finding.rule_id, finding.host.lower(), finding.user.lower(), identity]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def _severity(value: str) -> str:
    return value if value in SEVERITY_RANK else Severity.MEDIUM.value


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def raise_alerts(findings: Iterable[Finding]) -> list[Alert]:
    """Store the findings as alerts grouped into incidents; return the alerts raised or updated.

    Everything happens in one transaction. The log sources of the findings' events are
    locked first, so two concurrent calls about the same hosts take turns and cannot open two
    incidents for one host, user and rule.
    """
    batch = sorted(findings, key=lambda finding: _aware(finding.time))
    if not batch:
        return []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _raise(batch)
        except IntegrityError as error:
            if attempt == MAX_ATTEMPTS:
                raise
            logger.info("Alert insert conflicted (%s); retrying, attempt %s", error, attempt + 1)
    return []


def _raise(findings: Sequence[Finding]) -> list[Alert]:
    event_ids = {event_id for finding in findings for event_id in finding.event_ids}
    events = SecurityEvent.objects.select_related("source").in_bulk(event_ids)
    missing = event_ids - set(events)
    if missing:
        logger.warning(
            "Findings name %s events that are not stored: %s", len(missing), sorted(missing)[:10]
        )
    source_ids = sorted({event.source_id for event in events.values()})
    # Row locks serialise grouping per source (and so per host); SQLite's immediate
    # transactions already serialise every writer.
    # NOTE: on PostgreSQL, findings without stored events, or one host sending through two
    # sources (syslog and EVTX), are not serialised, so two concurrent calls could each open
    # an incident for the same host, user and rule.
    list(LogSource.objects.select_for_update().filter(pk__in=source_ids).order_by("pk"))

    keys = [dedup_key(finding) for finding in findings]
    known = {
        alert.dedup_key: alert
        for alert in Alert.objects.select_for_update().filter(dedup_key__in=set(keys))
    }
    touched: dict[int, Alert] = {}
    for finding, key in zip(findings, keys, strict=True):
        finding_events = [events[pk] for pk in finding.event_ids if pk in events]
        alert = known.get(key)
        if alert is None:
            alert = _new_alert(finding, key, finding_events)
            known[key] = alert
            grouping.group_alert(alert)
        else:
            _repeat_alert(alert, finding, finding_events)
            grouping.absorb_repeat(alert)
        touched[alert.pk] = alert
    return list(touched.values())


def _new_alert(finding: Finding, key: str, events: list[SecurityEvent]) -> Alert:
    source = events[0].source if events else None
    first = _aware(finding.time)
    last = _aware(finding.last_time) if finding.last_time else first
    alert = Alert.objects.create(
        kind=finding.kind,
        rule_id=finding.rule_id[:100],
        title=(finding.title or finding.rule_id)[:TITLE_LENGTH],
        severity=_severity(finding.severity),
        tags=sorted({tag.lower() for tag in finding.tags}),
        source=source,
        agency_id=source.agency_id if source is not None else None,
        host=finding.host[:255],
        user=finding.user[:255],
        explanation=dict(finding.explanation),
        first_seen=min(first, last),
        last_seen=max(first, last),
        count=1,
        dedup_key=key,
    )
    if events:
        alert.events.add(*events)
    return alert


def _repeat_alert(alert: Alert, finding: Finding, events: list[SecurityEvent]) -> None:
    first = _aware(finding.time)
    last = _aware(finding.last_time) if finding.last_time else first
    alert.count += 1
    alert.first_seen = min(alert.first_seen, first)
    alert.last_seen = max(alert.last_seen, last)
    severity = _severity(finding.severity)
    if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:
        alert.severity = severity
    alert.save(update_fields=["count", "first_seen", "last_seen", "severity"])
    if events:
        alert.events.add(*events)
