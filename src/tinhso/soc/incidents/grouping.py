"""Grouping alerts into incidents, and announcing high and critical incidents in the IOC feed.

An alert joins the open incident (new or acknowledged) of the same host, user and rule when
their events lie within ``TINHSO_SOC_INCIDENT_WINDOW_SECONDS`` of each other. Otherwise the
alert opens a new incident. The incident's severity is the highest of its alerts'. Callers hold a
transaction (see :func:`tinhso.soc.incidents.alerts.raise_alerts`).

Only incidents whose last event is recent reach the IOC feed (see :data:`FEED_MAX_EVENT_AGE`),
so that importing old logs opens incidents for the analysts without paging the leaders.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tinhso.core import audit
from tinhso.core.models import AuditAction
from tinhso.ioc.models import Event
from tinhso.soc.models import Alert, Incident, IncidentNote, IncidentStatus, Severity
from tinhso.soc.models.incidents import SEVERITY_RANK

logger = logging.getLogger(__name__)

OPEN_STATUSES = (IncidentStatus.NEW.value, IncidentStatus.ACKNOWLEDGED.value)
# Incidents at these severities appear in the IOC live feed, once per severity reached.
FEED_SEVERITIES = frozenset({Severity.HIGH.value, Severity.CRITICAL.value})
FEED_EVENT_TYPE = "soc.incident"
# An incident is announced only while its last event is at most this old. Imported history
# (EVTX files from past years) still opens incidents, but the leaders' live feed shows only
# what is happening now. A later recent event or escalation announces the incident then.
FEED_MAX_EVENT_AGE = dt.timedelta(hours=24)
# The IOC feed's titles are stored text that leaders read in Vietnamese.
SEVERITY_NAMES_VI = {
    Severity.INFORMATIONAL.value: "thông tin",
    Severity.LOW.value: "thấp",
    Severity.MEDIUM.value: "trung bình",
    Severity.HIGH.value: "cao",
    Severity.CRITICAL.value: "nghiêm trọng",
}


def window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TINHSO_SOC_INCIDENT_WINDOW_SECONDS)


def higher(first: str, second: str) -> str:
    """Return the higher of two severities."""
    return first if SEVERITY_RANK.get(first, 0) >= SEVERITY_RANK.get(second, 0) else second


def open_incident_for(alert: Alert) -> Incident | None:
    """Return the open incident this alert belongs to, locked, or None."""
    span = window()
    return (
        Incident.objects.select_for_update()
        .filter(
            status__in=OPEN_STATUSES,
            host=alert.host,
            user=alert.user,
            rule_id=alert.rule_id,
            last_seen__gte=alert.first_seen - span,
            first_seen__lte=alert.last_seen + span,
        )
        .order_by("-last_seen", "-id")
        .first()
    )


def group_alert(alert: Alert) -> Incident:
    """Attach a new alert to its open incident, or open one; return the incident."""
    incident = open_incident_for(alert)
    if incident is None:
        return _open_incident(alert)
    before = incident.severity
    incident.alert_count += 1
    _widen(incident, alert)
    incident.save(
        update_fields=["alert_count", "first_seen", "last_seen", "severity", "tags", "agency"]
    )
    alert.incident = incident
    alert.save(update_fields=["incident"])
    if incident.severity != before:
        IncidentNote.objects.create(
            incident=incident,
            action="escalated",
            text=f"{before} → {incident.severity}: {alert.title}",
        )
        announce(incident)
    return incident


def absorb_repeat(alert: Alert) -> None:
    """Carry a repeated alert's later time and higher severity over to its incident."""
    if alert.incident_id is None:
        group_alert(alert)
        return
    incident = Incident.objects.select_for_update().get(pk=alert.incident_id)
    before = incident.severity
    _widen(incident, alert)
    incident.save(update_fields=["first_seen", "last_seen", "severity", "tags", "agency"])
    if incident.severity != before and incident.status in OPEN_STATUSES:
        announce(incident)


def _widen(incident: Incident, alert: Alert) -> None:
    incident.first_seen = min(incident.first_seen, alert.first_seen)
    incident.last_seen = max(incident.last_seen, alert.last_seen)
    incident.severity = higher(incident.severity, alert.severity)
    incident.tags = sorted(set(incident.tags or []) | set(alert.tags or []))
    if incident.agency_id is None and alert.agency_id is not None:
        incident.agency_id = alert.agency_id


def _open_incident(alert: Alert) -> Incident:
    incident = Incident.objects.create(
        title=alert.title,
        severity=alert.severity,
        agency_id=alert.agency_id,
        host=alert.host,
        user=alert.user,
        rule_id=alert.rule_id,
        tags=list(alert.tags or []),
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        alert_count=1,
    )
    alert.incident = incident
    alert.save(update_fields=["incident"])
    IncidentNote.objects.create(incident=incident, action="opened", text=alert.title)
    audit.record(AuditAction.CREATE, incident, extra={"alert": alert.pk, "rule": alert.rule_id})
    # One line per incident would flood the log on an import; detection logs a batch summary.
    logger.debug(
        "Opened incident %s (%s) for rule %s on host %s",
        incident.pk,
        incident.severity,
        incident.rule_id,
        incident.host or "-",
    )
    announce(incident)
    return incident


def feed_title(incident: Incident) -> str:
    """Write the Vietnamese line of the IOC feed, naming the severity, host and rule."""
    severity = SEVERITY_NAMES_VI.get(incident.severity, incident.severity)
    host = incident.host or "không rõ máy"
    return f"Sự cố an toàn thông tin mức {severity} trên máy {host}: {incident.title}"[:300]


def announce(incident: Incident) -> Event | None:
    """Write the IOC feed event of a high or critical incident, once per severity reached.

    The feed event's ``occurred_at`` is the announcement time, so the feed stays in the order
    leaders see it. The payload's ``last_event_at`` keeps the time of the incident's last event.
    Nothing is written when that event is older than :data:`FEED_MAX_EVENT_AGE`.
    """
    if incident.severity not in FEED_SEVERITIES:
        return None
    now = timezone.now()
    if incident.last_seen < now - FEED_MAX_EVENT_AGE:
        logger.debug(
            "Incident %s not announced: its last event (%s) is older than %s",
            incident.pk,
            incident.last_seen.isoformat(),
            FEED_MAX_EVENT_AGE,
        )
        return None
    url = reverse("soc:incident_detail", kwargs={"soc_incident_id": incident.pk})
    event, created = Event.objects.get_or_create(
        message_id=f"soc-incident-{incident.pk}-{incident.severity}",
        defaults={
            "event_type": FEED_EVENT_TYPE,
            "occurred_at": now,
            "severity": incident.severity,
            "title": feed_title(incident),
            "payload": {
                "incident_id": incident.pk,
                "url": url,
                "last_event_at": incident.last_seen.isoformat(),
                "host": incident.host,
                "user": incident.user,
                "rule_id": incident.rule_id,
                "severity": incident.severity,
                "agency": incident.agency.code if incident.agency else "",
            },
        },
    )
    if created:
        logger.info("Announced incident %s at %s in the IOC feed", incident.pk, incident.severity)
    return event
