"""Figures of the SOC dashboard and the posture report, over one period and optionally one agency.

Alerts and incidents count in the period they were raised or opened (``created_at``), so a
late-delivered log does not change a report already issued. MTTA runs from an incident's
opening to its acknowledgement and MTTR to its resolution, over the incidents opened in the
period. Log-source activity counts the events received in the period. So a period always
means when the SOC raised, opened or received something, whatever the time of the events
behind it. The incident and alert lists filter their dates by the same rule.

Host names are grouped without regard to letter case, as Windows treats them.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from tinhso.core.models import Department
from tinhso.soc.incidents import attack
from tinhso.soc.incidents.grouping import OPEN_STATUSES
from tinhso.soc.models import Alert, Incident, IncidentStatus, LogSource, Severity
from tinhso.soc.models.incidents import SEVERITY_RANK

logger = logging.getLogger(__name__)

TOP = 10
SEVERITIES = list(reversed(Severity.values))  # critical first


@dataclass(frozen=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Period:
        end = now or timezone.now()
        return cls(end - dt.timedelta(days=days), end)

    @classmethod
    def of_dates(cls, first: dt.date, last: dt.date) -> Period:
        """Return the whole days from ``first`` to ``last`` in local time, both included."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return cls(start, end)

    @property
    def first_day(self) -> dt.date:
        return timezone.localtime(self.start).date()

    @property
    def last_day(self) -> dt.date:
        return timezone.localtime(self.end - dt.timedelta(microseconds=1)).date()


@dataclass(frozen=True)
class Durations:
    """Median and mean of a set of durations, in seconds; None when there is none."""

    count: int
    median: float | None
    mean: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Durations:
        values = [value for value in seconds if value >= 0]
        if not values:
            return cls(0, None, None)
        return cls(len(values), statistics.median(values), statistics.fmean(values))


@dataclass(frozen=True)
class SourceActivity:
    source: LogSource
    events: int
    last_event_at: dt.datetime | None

    @property
    def silent(self) -> bool:
        return self.events == 0


@dataclass
class Posture:
    """Everything the dashboard shows and the report prints, for one period."""

    period: Period
    agency: Department | None
    alerts_total: int = 0
    alerts_by_severity: dict[str, int] = field(default_factory=dict)
    incidents_total: int = 0
    incidents_by_severity: dict[str, int] = field(default_factory=dict)
    incidents_by_status: dict[str, int] = field(default_factory=dict)
    # (severity, status) -> incidents opened in the period.
    incident_matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    # One row per day of the period: (day, alerts per severity).
    alerts_per_day: list[tuple[dt.date, dict[str, int]]] = field(default_factory=list)
    heatmap: list[attack.HeatmapColumn] = field(default_factory=list)
    top_techniques: list[tuple[attack.Technique, int]] = field(default_factory=list)
    top_tactics: list[tuple[str, str, int]] = field(default_factory=list)
    top_hosts: list[tuple[str, int]] = field(default_factory=list)
    top_agencies: list[tuple[str, str, int]] = field(default_factory=list)
    open_total: int = 0
    open_high: int = 0
    open_incidents: list[Incident] = field(default_factory=list)
    mtta: Durations = Durations(0, None, None)
    mttr: Durations = Durations(0, None, None)


def _alerts(period: Period, agency: Department | None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return alerts.filter(agency=agency) if agency is not None else alerts


def _incidents(period: Period, agency: Department | None) -> QuerySet[Incident]:
    incidents = Incident.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return incidents.filter(agency=agency) if agency is not None else incidents


def severity_order() -> Case:
    """Return an expression that sorts severities, critical highest."""
    return Case(
        *(When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )


def open_incidents(agency: Department | None = None) -> QuerySet[Incident]:
    """Select the incidents not yet resolved, most severe and oldest first."""
    incidents = Incident.objects.filter(status__in=OPEN_STATUSES)
    if agency is not None:
        incidents = incidents.filter(agency=agency)
    return incidents.annotate(severity_rank=severity_order()).order_by(
        "-severity_rank", "created_at", "id"
    )


def compute(period: Period, agency: Department | None = None, top: int = TOP) -> Posture:
    """Compute the posture figures of a period."""
    posture = Posture(period=period, agency=agency)
    alerts = _alerts(period, agency)
    incidents = _incidents(period, agency)

    by_severity = dict(alerts.values_list("severity").annotate(n=Count("id")).order_by())
    posture.alerts_by_severity = {value: by_severity.get(value, 0) for value in SEVERITIES}
    posture.alerts_total = sum(posture.alerts_by_severity.values())

    matrix: dict[tuple[str, str], int] = {}
    for severity, status, count in (
        incidents.values_list("severity", "status").annotate(n=Count("id")).order_by()
    ):
        matrix[(severity, status)] = count
    posture.incident_matrix = matrix
    posture.incidents_by_severity = {
        value: sum(n for (sev, _status), n in matrix.items() if sev == value)
        for value in SEVERITIES
    }
    posture.incidents_by_status = {
        value: sum(n for (_sev, status), n in matrix.items() if status == value)
        for value in IncidentStatus.values
    }
    posture.incidents_total = sum(matrix.values())

    posture.alerts_per_day = _per_day(alerts, period)
    _attack_figures(posture, alerts, top)

    posture.top_hosts = top_hosts(alerts, top)
    posture.top_agencies = [
        (name or "-", code or "", count)
        for name, code, count in alerts.values_list("agency__name", "agency__code")
        .annotate(n=Count("id"))
        .order_by("-n", "agency__name")[:top]
    ]

    still_open = open_incidents(agency)
    posture.open_total = still_open.count()
    posture.open_high = still_open.filter(
        severity__in=[Severity.HIGH.value, Severity.CRITICAL.value]
    ).count()
    posture.open_incidents = list(still_open.select_related("agency", "assignee")[:top])

    times = list(incidents.values_list("created_at", "acknowledged_at", "resolved_at"))
    posture.mtta = Durations.of(
        (acknowledged - created).total_seconds()
        for created, acknowledged, _r in times
        if acknowledged
    )
    posture.mttr = Durations.of(
        (resolved - created).total_seconds() for created, _a, resolved in times if resolved
    )
    return posture


def top_hosts(alerts: QuerySet[Alert], top: int = TOP) -> list[tuple[str, int]]:
    """Count alerts per host, MSEDGEWIN10 and msedgewin10 as one host, most alerts first.

    A host is shown with the first of its spellings in code-point order, which puts upper
    case first (MSEDGEWIN10), the way Windows reports computer names.
    """
    rows = (
        alerts.annotate(host_key=Lower("host"))
        .values("host_key")
        .annotate(n=Count("id"), spelling=Min("host"))
        .order_by("-n", "host_key")[:top]
    )
    return [(row["spelling"] or "-", row["n"]) for row in rows]


def _per_day(alerts: QuerySet[Alert], period: Period) -> list[tuple[dt.date, dict[str, int]]]:
    zone = timezone.get_current_timezone()
    counts: dict[dt.date, dict[str, int]] = {}
    rows = (
        alerts.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for day, severity, count in rows:
        counts.setdefault(day, {})[severity] = count
    days = []
    day = period.first_day
    while day <= period.last_day:
        per_severity = counts.get(day, {})
        days.append((day, {value: per_severity.get(value, 0) for value in SEVERITIES}))
        day += dt.timedelta(days=1)
    return days


def _attack_figures(posture: Posture, alerts: QuerySet[Alert], top: int) -> None:
    tags = [(list(row or []), 1) for row in alerts.values_list("tags", flat=True)]
    posture.heatmap = attack.heatmap(tags)
    techniques: dict[str, tuple[attack.Technique, int]] = {}
    # A technique under two tactics is one technique: its count is the number of alerts.
    for row, _weight in tags:
        _tactics, ids = attack.parse_tags(row)
        for technique_id in ids:
            known, count = techniques.get(technique_id, (attack.technique(technique_id), 0))
            techniques[technique_id] = (known, count + 1)
    posture.top_techniques = sorted(techniques.values(), key=lambda item: (-item[1], item[0].id))[
        :top
    ]
    posture.top_tactics = [
        (column.tactic, column.name, column.total)
        for column in sorted(posture.heatmap, key=lambda column: -column.total)[:top]
    ]


def source_activity(period: Period, agency: Department | None = None) -> list[SourceActivity]:
    """Return every enabled log source with the events it sent in the period, silent ones first."""
    sources = LogSource.objects.filter(enabled=True).select_related("agency")
    if agency is not None:
        sources = sources.filter(agency=agency)
    received = Q(events__received_at__gte=period.start, events__received_at__lt=period.end)
    rows = sources.annotate(
        received=Count("events", filter=received), last_time=Max("events__received_at")
    )
    activity = [
        SourceActivity(source, source.received, source.last_event_at or source.last_time)
        for source in rows
    ]
    return sorted(
        activity, key=lambda item: (item.events > 0, item.source.agency.code, item.source.host)
    )
