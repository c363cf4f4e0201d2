"""Anomaly detection over stored events, against baselines built from earlier events.

The baselines come from the ``SecurityEvent`` rows of a bounded look-back before the batch
(30 days by default), aggregated in SQL by user, hour, origin, minute or process
pair, so a baseline costs a few grouped queries and not a scan of every stored event. The
detectors themselves live in :mod:`tinhso.soc.analytics.anomaly`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import ExtractHour, Lower, TruncMinute
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.soc.analytics import anomaly
from tinhso.soc.analytics.anomaly import (
    Anomaly,
    FailedLogonBurstParameters,
    FailureBaseline,
    LogonHourParameters,
    NewOriginParameters,
    OriginBaseline,
    ProcessBaseline,
    RareProcessParameters,
)
from tinhso.soc.analytics.records import (
    FAILURE_EVENT_IDS,
    IGNORED_LOGON_TYPES,
    SECURITY_CHANNEL,
    SUCCESS_EVENT_IDS,
    SYSMON_CHANNEL,
    LogonRecord,
    ProcessRecord,
    logon_record,
    origin_address,
    origin_name,
    process_record,
    text,
)
from tinhso.soc.findings import Finding
from tinhso.soc.models import AlertKind, SecurityEvent

logger = logging.getLogger(__name__)

# The fields the failed-logon baseline groups by; with the event ID and channel they are all
# that :func:`logon_record` reads from a failure.
FAILURE_FIELDS = ("TargetUserName", "IpAddress", "WorkstationName", "Workstation", "Status", "Data")
PROCESS_FIELDS = ("Image", "ParentImage", "NewProcessName", "ParentProcessName")


@dataclass(frozen=True)
class AnomalyParameters:
    """Settings of every detector; ``lookback`` bounds the baselines (default 30 days)."""

    lookback: timedelta = timedelta(days=30)
    logon_hour: LogonHourParameters = field(default_factory=LogonHourParameters)
    new_origin: NewOriginParameters = field(default_factory=NewOriginParameters)
    failed_logon_burst: FailedLogonBurstParameters = field(
        default_factory=FailedLogonBurstParameters
    )
    rare_process: RareProcessParameters = field(default_factory=RareProcessParameters)


def anomaly_findings(
    events: Sequence[SecurityEvent], parameters: AnomalyParameters | None = None
) -> list[Finding]:
    """Return the events that depart from their user's or host's baseline, explained.

    ``events`` are stored events of one batch. Each baseline covers ``parameters.lookback``
    before the earliest event of the batch, so the batch never counts in its own baseline.
    """
    parameters = parameters or AnomalyParameters()
    stored = [event for event in events if event.pk is not None]
    if not stored:
        return []
    start = min(event.time for event in stored)
    since = start - parameters.lookback
    logons, processes = _read_records(stored)

    anomalies: list[Anomaly] = []
    successes = [logon for logon in logons if logon.success]
    if successes:
        users = {logon.user for logon in successes}
        anomalies += anomaly.logon_hour_anomalies(
            successes,
            _hour_counts(users, since, start),
            parameters.logon_hour,
            timezone.get_current_timezone(),
        )
        anomalies += anomaly.new_origin_anomalies(
            successes, _origin_baseline(users, since, start), parameters.new_origin
        )
    failures = [logon for logon in logons if not logon.success]
    if failures:
        anomalies += _failed_logon_bursts(stored, failures, since, start, parameters)
    if processes:
        anomalies += anomaly.rare_process_pairs(
            processes, _process_baseline(since, start), parameters.rare_process
        )
    if anomalies:
        logger.info("%s anomalies in a batch of %s events", len(anomalies), len(stored))
    return [to_finding(found) for found in anomalies]


def _host(event: SecurityEvent) -> str:
    return (event.host or text(event.fields.get("Computer"))).lower()


def _read_records(
    events: Sequence[SecurityEvent],
) -> tuple[list[LogonRecord], list[ProcessRecord]]:
    logons, processes = [], []
    for event in events:
        fields = event.fields if isinstance(event.fields, dict) else {}
        logon = logon_record(fields, event.pk, event.time, _host(event))
        if logon is not None:
            logons.append(logon)
            continue
        process = process_record(fields, event.pk, event.time, _host(event))
        if process is not None:
            processes.append(process)
    return logons, processes


# --- baselines -------------------------------------------------------------------------------


def _successful_logons(users: set[str], since: datetime, until: datetime) -> QuerySet[Any]:
    return (
        SecurityEvent.objects.filter(
            time__gte=since,
            time__lt=until,
            event_id__in=SUCCESS_EVENT_IDS,
            channel=SECURITY_CHANNEL,
        )
        .annotate(account=Lower(KT("fields__TargetUserName")))
        .filter(account__in=users)
    )


def _hour_counts(users: set[str], since: datetime, until: datetime) -> dict[str, list[int]]:
    """Count each user's successful logons by local hour, grouped in SQL."""
    rows = (
        _successful_logons(users, since, until)
        .values("account", "fields__LogonType", hour=ExtractHour("time"))
        .annotate(logons=Count("pk"))
    )
    counts: dict[str, list[int]] = {}
    for row in rows:
        if text(row["fields__LogonType"]) in IGNORED_LOGON_TYPES:
            continue
        counts.setdefault(row["account"], [0] * 24)[row["hour"]] += row["logons"]
    return counts


def _origin_baseline(users: set[str], since: datetime, until: datetime) -> OriginBaseline:
    """Collect each user's earlier workstations and addresses with counts, grouped in SQL."""
    rows = (
        _successful_logons(users, since, until)
        .values("account", "fields__LogonType", "fields__WorkstationName", "fields__IpAddress")
        .annotate(logons=Count("pk"))
    )
    baseline = OriginBaseline()
    for row in rows:
        if text(row["fields__LogonType"]) in IGNORED_LOGON_TYPES:
            continue
        baseline.add(
            row["account"],
            origin_name(row["fields__WorkstationName"]),
            origin_address(row["fields__IpAddress"]),
            row["logons"],
        )
    return baseline


def _failure_events() -> QuerySet[SecurityEvent]:
    return SecurityEvent.objects.filter(event_id__in=FAILURE_EVENT_IDS)


def _failed_logon_bursts(
    batch: Sequence[SecurityEvent],
    failures: Sequence[LogonRecord],
    since: datetime,
    start: datetime,
    parameters: AnomalyParameters,
) -> list[Anomaly]:
    window = parameters.failed_logon_burst.window
    end = max(event.time for event in batch)
    # Failures stored in the window before the batch belong to a burst that the batch ends.
    recent = _failure_events().filter(time__gte=start - window, time__lte=end)
    records = list(failures)
    batch_ids = {event.pk for event in batch}
    for event in recent.only("pk", "time", "host", "fields"):
        if event.pk in batch_ids:
            continue
        record = logon_record(event.fields, event.pk, event.time, _host(event))
        if record is not None and not record.success:
            records.append(record)
    baseline = _failure_baseline(failures, since, start - window, window)
    return anomaly.failed_logon_bursts(batch_ids, records, baseline, parameters.failed_logon_burst)


def _failure_baseline(
    failures: Sequence[LogonRecord], since: datetime, until: datetime, window: timedelta
) -> FailureBaseline:
    """Count earlier failures of the batch's users and sources per window, grouped by minute.

    The baseline starts at the first event stored in the look-back (of any kind), so an
    estate that started sending logs an hour ago has an hour of baseline, not thirty days.
    """
    first = SecurityEvent.objects.filter(time__gte=since, time__lt=until).aggregate(
        first=Min("time")
    )["first"]
    if first is None:
        return FailureBaseline(history_windows=0)
    first = first.replace(second=0, microsecond=0)
    baseline = FailureBaseline(history_windows=max(anomaly.window_index(until, first, window), 0))

    users = {record.user for record in failures if record.user}
    addresses = {record.source_ip for record in failures if record.source_ip}
    addresses |= {f"::ffff:{address}" for address in addresses}
    stations = {record.workstation for record in failures if record.workstation}
    rows = (
        _failure_events()
        .filter(time__gte=first, time__lt=until)
        .annotate(
            account=Lower(KT("fields__TargetUserName")),
            address=Lower(KT("fields__IpAddress")),
            station=Lower(KT("fields__Workstation")),
            station_name=Lower(KT("fields__WorkstationName")),
        )
        .filter(
            Q(account__in=users)
            | Q(address__in=addresses)
            | Q(station__in=stations)
            | Q(station_name__in=stations)
            # SQL Server keeps the login and client in a list that SQL cannot index portably.
            | Q(event_id="18456")
        )
        .values(
            "event_id",
            "channel",
            *(f"fields__{name}" for name in FAILURE_FIELDS),
            minute=TruncMinute("time"),
        )
        .annotate(failures=Count("pk"))
    )
    for row in rows:
        fields = {name: row[f"fields__{name}"] for name in FAILURE_FIELDS}
        fields.update(EventID=row["event_id"], Channel=row["channel"])
        record = logon_record(fields, 0, row["minute"], "")
        if record is None or record.success:
            continue
        index = anomaly.window_index(row["minute"], first, window)
        for key in anomaly.failure_keys(record):
            baseline.counts[key][index] += row["failures"]
    return baseline


def _process_baseline(since: datetime, until: datetime) -> ProcessBaseline:
    """Count parent→child pairs across the estate, grouped in SQL by host and image paths."""
    rows = (
        SecurityEvent.objects.filter(time__gte=since, time__lt=until)
        .filter(
            Q(event_id="1", channel=SYSMON_CHANNEL) | Q(event_id="4688", channel=SECURITY_CHANNEL)
        )
        .values("host", "event_id", "channel", *(f"fields__{name}" for name in PROCESS_FIELDS))
        .annotate(creations=Count("pk"))
    )
    baseline = ProcessBaseline()
    for row in rows:
        fields = {name: row[f"fields__{name}"] for name in PROCESS_FIELDS}
        fields.update(EventID=row["event_id"], Channel=row["channel"])
        process = process_record(fields, 0, until, (row["host"] or "").lower())
        if process is not None:
            baseline.add(process.parent, process.child, process.host, row["creations"])
    return baseline


# --- findings --------------------------------------------------------------------------------


def _title(found: Anomaly) -> str:
    explanation = found.explanation
    if found.rule_id == anomaly.LOGON_HOUR:
        return _("Logon by %(user)s at an unusual hour (%(hour)02d:00)") % {
            "user": explanation["user"],
            "hour": explanation["hour"],
        }
    if found.rule_id == anomaly.NEW_ORIGIN:
        origin = explanation["new_workstation"] or explanation["new_source_ip"]
        return _("Logon by %(user)s from a new origin %(origin)s") % {
            "user": explanation["user"],
            "origin": origin,
        }
    if found.rule_id == anomaly.FAILED_LOGON_BURST:
        values = {"count": explanation["observed"], "value": explanation["value"]}
        if explanation["counted_by"] == "user":
            return _("Burst of %(count)s failed logons for user %(value)s") % values
        return _("Burst of %(count)s failed logons from %(value)s") % values
    return _("Rare process %(child)s started by %(parent)s on %(host)s") % {
        "child": explanation["child"],
        "parent": explanation["parent"],
        "host": found.host,
    }


def to_finding(found: Anomaly) -> Finding:
    """Turn a detector's anomaly into the finding the alert pipeline takes."""
    return Finding(
        kind=AlertKind.ANOMALY.value,
        rule_id=found.rule_id,
        title=_title(found),
        severity=found.severity,
        time=found.time,
        host=found.host,
        user=found.user,
        tags=found.tags,
        event_ids=found.event_ids,
        explanation=found.explanation,
        last_time=found.last_time,
    )


def stored_batches(
    since: datetime | None, until: datetime | None, size: int = 5000
) -> Iterator[list[SecurityEvent]]:
    """Yield stored events of a time range in time order, ``size`` at a time, for re-runs."""
    events = SecurityEvent.objects.order_by("time", "pk")
    if since is not None:
        events = events.filter(time__gte=since)
    if until is not None:
        events = events.filter(time__lt=until)
    last: tuple[datetime, int] | None = None
    while True:
        page = events
        if last is not None:
            page = page.filter(Q(time__gt=last[0]) | Q(time=last[0], pk__gt=last[1]))
        batch = list(page[:size])
        if not batch:
            return
        yield batch
        last = (batch[-1].time, batch[-1].pk)
