"""Explainable anomaly detectors over plain logon and process records, without Django.

Each detector compares records of a new batch with a baseline built from earlier events
and returns :class:`Anomaly` objects whose ``explanation`` contains the baseline, the
observed value and the distance between them as numbers. A detector reports nothing until
its baseline reaches a minimum history, and each explanation states that minimum.

Every explanation has the same four entries besides the detector's own numbers: ``key``
(what identifies the anomaly, so the alert layer counts a repeat instead of adding an
alert), ``observed``, ``baseline`` and, where a distance is defined, ``distance``.

The baselines are plain data, so :mod:`tinhso.soc.analytics.service` can fill them from
SQL aggregates and the tests can build them by hand.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from tinhso.soc.analytics.records import LogonRecord, ProcessRecord

LOGON_HOUR = "anomaly.logon-hour"
NEW_ORIGIN = "anomaly.logon-new-origin"
FAILED_LOGON_BURST = "anomaly.failed-logon-burst"
RARE_PROCESS_PAIR = "anomaly.rare-process-pair"

VALID_ACCOUNTS_TAGS = ("attack.t1078",)
BRUTE_FORCE_TAGS = ("attack.credential-access", "attack.t1110")

EXAMPLES = 5


@dataclass(frozen=True)
class Anomaly:
    """A detector's result: the rule, the events, the user and host, and the reason in numbers."""

    rule_id: str
    severity: str
    time: datetime
    last_time: datetime
    event_ids: tuple[int, ...]
    host: str
    user: str
    tags: tuple[str, ...]
    explanation: dict[str, Any]


def _anomaly(
    rule_id: str,
    severity: str,
    records: Sequence[LogonRecord] | Sequence[ProcessRecord],
    tags: tuple[str, ...],
    explanation: dict[str, Any],
    user: str = "",
) -> Anomaly:
    times = [record.time for record in records]
    return Anomaly(
        rule_id=rule_id,
        severity=severity,
        time=min(times),
        last_time=max(times),
        event_ids=tuple(sorted({record.event_id for record in records})),
        host=records[-1].host,
        user=user or records[-1].user,
        tags=tags,
        explanation={"detector": rule_id, **explanation},
    )


# --- logon hour ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogonHourParameters:
    """Settings of :func:`logon_hour_anomalies`.

    ``min_history``: successful logons of the user the baseline must hold (default 30).
    ``max_share``: an hour is rare when at most this share of the user's logons fell in it
    (default 0.02, so 2%). An hour never seen has share 0.
    ``min_hours_from_usual``: a rare hour is reported only this many hours or more away from
    the nearest usual hour (default 2), so logging on an hour earlier than usual is not.
    """

    min_history: int = 30
    max_share: float = 0.02
    min_hours_from_usual: int = 2


def _hour_distance(hour: int, hours: Iterable[int]) -> int | None:
    distances = [min((hour - usual) % 24, (usual - hour) % 24) for usual in hours]
    return min(distances) if distances else None


def logon_hour_anomalies(
    logons: Sequence[LogonRecord],
    hour_counts: Mapping[str, Sequence[int]],
    parameters: LogonHourParameters | None = None,
    timezone: tzinfo = UTC,
) -> list[Anomaly]:
    """Find successful logons at an hour the user never or rarely logged on before.

    ``hour_counts`` maps a user to 24 counts of earlier successful logons by local hour in
    ``timezone``. Logons of one user in the same hour form one anomaly.
    """
    parameters = parameters or LogonHourParameters()
    grouped: dict[tuple[str, int], list[LogonRecord]] = defaultdict(list)
    for logon in logons:
        if logon.success:
            grouped[(logon.user, logon.time.astimezone(timezone).hour)].append(logon)

    anomalies = []
    for (user, hour), records in sorted(grouped.items()):
        counts = list(hour_counts.get(user, [0] * 24))
        history = sum(counts)
        if history < parameters.min_history:
            continue
        share = counts[hour] / history
        if share > parameters.max_share:
            continue
        usual_hours = [h for h in range(24) if counts[h] / history > parameters.max_share]
        distance = _hour_distance(hour, usual_hours)
        if distance is not None and distance < parameters.min_hours_from_usual:
            continue
        anomalies.append(
            _anomaly(
                LOGON_HOUR,
                "medium",
                records,
                VALID_ACCOUNTS_TAGS,
                {
                    "key": f"{user}@{records[0].time.astimezone(timezone):%Y-%m-%d}T{hour:02d}",
                    "observed": f"{hour:02d}:00",
                    "baseline": ", ".join(f"{usual:02d}:00" for usual in usual_hours),
                    "distance": distance,
                    "user": user,
                    "hour": hour,
                    "usual_hours": usual_hours,
                    "logons_at_hour": counts[hour],
                    "share_at_hour": round(share, 4),
                    "max_share": parameters.max_share,
                    "hours_from_usual": distance,
                    "min_hours_from_usual": parameters.min_hours_from_usual,
                    "history_size": history,
                    "min_history": parameters.min_history,
                    "observed_logons": len(records),
                },
                user=user,
            )
        )
    return anomalies


# --- new origin ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOriginParameters:
    """Settings of :func:`new_origin_anomalies`.

    ``min_history``: successful logons of the user the baseline must hold (default 20).
    """

    min_history: int = 20


@dataclass
class OriginBaseline:
    """Earlier origins of each user (workstation names and source addresses with logon
    counts) and each user's number of successful logons."""

    workstations: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    addresses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    logons: Counter[str] = field(default_factory=Counter)

    def add(self, user: str, workstation: str, address: str, count: int = 1) -> None:
        self.logons[user] += count
        if workstation:
            self.workstations[user][workstation] += count
        if address:
            self.addresses[user][address] += count


def new_origin_anomalies(
    logons: Sequence[LogonRecord],
    baseline: OriginBaseline,
    parameters: NewOriginParameters | None = None,
) -> list[Anomaly]:
    """Find successful logons from a workstation or address the user never logged on from.

    A logon counts as new only when none of the origins it names is known for the user: a
    known workstation with a new address (DHCP) is not reported. Logons naming no remote
    origin are skipped.
    """
    # NOTE: logons that name only an address (no workstation) are reported at every new
    # address, so estates that hand out addresses by DHCP see some of these for roaming users.
    parameters = parameters or NewOriginParameters()
    grouped: dict[tuple[str, str, str], list[LogonRecord]] = defaultdict(list)
    for logon in logons:
        if not logon.success or not (logon.workstation or logon.source_ip):
            continue
        known_workstations = baseline.workstations.get(logon.user, Counter())
        known_addresses = baseline.addresses.get(logon.user, Counter())
        if logon.workstation in known_workstations or logon.source_ip in known_addresses:
            continue
        grouped[(logon.user, logon.workstation, logon.source_ip)].append(logon)

    anomalies = []
    for (user, workstation, address), records in sorted(grouped.items()):
        history = baseline.logons.get(user, 0)
        if history < parameters.min_history:
            continue
        known = baseline.workstations.get(user, Counter()) + baseline.addresses.get(user, Counter())
        anomalies.append(
            _anomaly(
                NEW_ORIGIN,
                "medium",
                records,
                VALID_ACCOUNTS_TAGS,
                {
                    "key": f"{user}<-{workstation}|{address}",
                    "observed": workstation or address,
                    "baseline": ", ".join(name for name, _ in known.most_common(EXAMPLES)),
                    "user": user,
                    "new_workstation": workstation,
                    "new_source_ip": address,
                    "known_origins_count": len(known),
                    "known_origins_examples": [name for name, _ in known.most_common(EXAMPLES)],
                    "logons_from_new_origin_before": 0,
                    "history_size": history,
                    "min_history": parameters.min_history,
                    "observed_logons": len(records),
                },
                user=user,
            )
        )
    return anomalies


# --- failed-logon bursts ---------------------------------------------------------------------


@dataclass(frozen=True)
class FailedLogonBurstParameters:
    """Settings of :func:`failed_logon_bursts`.

    ``window``: length of a counting window (default 10 minutes). ``k``: how many median
    absolute deviations (MAD, unscaled) above the median of the baseline windows a count
    must reach (default 3). ``floor``: the threshold is never below this many failures in
    one window (default 5). ``min_history_windows``: windows of stored events the baseline
    must cover (default 6, one hour at 10-minute windows).
    """

    window: timedelta = timedelta(minutes=10)
    k: float = 3.0
    floor: int = 5
    min_history_windows: int = 6


@dataclass
class FailureBaseline:
    """Failed-logon counts per key and baseline window, and how many windows the baseline covers.

    A key is ``("user", name)`` or ``("source", address or workstation)``. Windows without
    failures are absent from ``counts`` and count as zero.
    """

    history_windows: int
    counts: dict[tuple[str, str], Counter[int]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def window_counts(self, key: tuple[str, str]) -> list[int]:
        present = list(self.counts.get(key, Counter()).values())
        zeros = max(self.history_windows - len(present), 0)
        return present + [0] * zeros


def failure_keys(record: LogonRecord) -> list[tuple[str, str]]:
    """Return the keys a failed logon is counted under: its user and its source."""
    keys = []
    if record.user:
        keys.append(("user", record.user))
    source = record.source_ip or record.workstation
    if source:
        keys.append(("source", source))
    return keys


def _densest_window(records: Sequence[LogonRecord], window: timedelta) -> list[LogonRecord]:
    """Return the most records found within any span of ``window`` (sliding, end inclusive)."""
    ordered = sorted(records, key=lambda record: record.time)
    best: list[LogonRecord] = []
    start = 0
    for end, record in enumerate(ordered):
        while record.time - ordered[start].time >= window:
            start += 1
        if end + 1 - start > len(best):
            best = ordered[start : end + 1]
    return best


def _median_and_mad(counts: Sequence[int]) -> tuple[float, float]:
    if not counts:
        return 0.0, 0.0
    median = statistics.median(counts)
    mad = statistics.median(abs(count - median) for count in counts)
    return float(median), float(mad)


def failed_logon_bursts(
    batch_ids: Iterable[int],
    failures: Sequence[LogonRecord],
    baseline: FailureBaseline,
    parameters: FailedLogonBurstParameters | None = None,
) -> list[Anomaly]:
    """Find users and sources whose failed logons within one window exceed their baseline.

    ``failures`` are the failed logons of the batch together with the stored ones of the
    window before it, so a burst split across batches is counted whole. ``batch_ids`` marks
    which events are new, and only a burst containing one of them is reported. The threshold
    is ``max(floor, median + k * MAD)`` of the key's baseline window counts; a burst is
    reported when its count reaches the threshold.
    """
    parameters = parameters or FailedLogonBurstParameters()
    new_ids = set(batch_ids)
    if baseline.history_windows < parameters.min_history_windows:
        return []
    by_key: dict[tuple[str, str], list[LogonRecord]] = defaultdict(list)
    for record in failures:
        if not record.success:
            for key in failure_keys(record):
                by_key[key].append(record)

    anomalies = []
    for key, records in sorted(by_key.items()):
        burst = _densest_window(records, parameters.window)
        if not any(record.event_id in new_ids for record in burst):
            continue
        median, mad = _median_and_mad(baseline.window_counts(key))
        threshold = max(float(parameters.floor), median + parameters.k * mad)
        observed = len(burst)
        if observed < threshold:
            continue
        key_kind, key_value = key
        users = sorted({record.user for record in burst if record.user})
        anomalies.append(
            _anomaly(
                FAILED_LOGON_BURST,
                "high",
                burst,
                BRUTE_FORCE_TAGS,
                {
                    "key": f"{key_kind}={key_value}@{_window_start(burst[0].time, parameters.window)}",
                    "counted_by": key_kind,
                    "value": key_value,
                    "observed": observed,
                    "baseline": threshold,
                    "distance": observed - threshold,
                    "window_seconds": int(parameters.window.total_seconds()),
                    "baseline_median": median,
                    "baseline_mad": mad,
                    "k": parameters.k,
                    "floor": parameters.floor,
                    "threshold": threshold,
                    "excess": observed - threshold,
                    "robust_z": round((observed - median) / mad, 2) if mad else None,
                    "users": users[:EXAMPLES],
                    "user_count": len(users),
                    "history_windows": baseline.history_windows,
                    "min_history_windows": parameters.min_history_windows,
                },
                user=_burst_user(key_kind, key_value, users),
            )
        )
    return anomalies


def _burst_user(key_kind: str, key_value: str, users: list[str]) -> str:
    """Name the user of a burst: its key, or the only user a source tried."""
    if key_kind == "user":
        return key_value
    return users[0] if len(users) == 1 else ""


def _window_start(time: datetime, window: timedelta) -> str:
    """Return the start of the ``window``-long slot (counted from the Unix epoch) holding ``time``."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return (epoch + window_index(time, epoch, window) * window).isoformat()


def window_index(time: datetime, start: datetime, window: timedelta) -> int:
    """Return the number of the baseline window, counted from ``start``, that contains ``time``."""
    return math.floor((time - start) / window)


# --- rare parent and child processes ---------------------------------------------------------


@dataclass(frozen=True)
class RareProcessParameters:
    """Settings of :func:`rare_process_pairs`.

    ``max_seen``: a parent→child pair seen fewer than this many times across the estate in
    the baseline is rare (default 3). ``min_history``: process creations the baseline must
    hold (default 500).
    """

    max_seen: int = 3
    min_history: int = 500


@dataclass
class ProcessBaseline:
    """How often each parent→child pair was seen and on which hosts, and the total count."""

    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    hosts: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    total: int = 0

    def add(self, parent: str, child: str, host: str, count: int = 1) -> None:
        self.pairs[(parent, child)] += count
        if host:
            self.hosts[(parent, child)].add(host)
        self.total += count


def rare_process_pairs(
    processes: Sequence[ProcessRecord],
    baseline: ProcessBaseline,
    parameters: RareProcessParameters | None = None,
) -> list[Anomaly]:
    """Find process creations whose parent→child pair the estate rarely or never ran before.

    Creations of one pair on one host form one anomaly.
    """
    parameters = parameters or RareProcessParameters()
    if baseline.total < parameters.min_history:
        return []
    grouped: dict[tuple[str, str, str], list[ProcessRecord]] = defaultdict(list)
    for process in processes:
        if baseline.pairs.get(process.pair, 0) < parameters.max_seen:
            grouped[(process.parent, process.child, process.host)].append(process)

    anomalies = []
    for (parent, child, host), records in sorted(grouped.items()):
        seen = baseline.pairs.get((parent, child), 0)
        hosts = sorted(baseline.hosts.get((parent, child), set()))
        anomalies.append(
            _anomaly(
                RARE_PROCESS_PAIR,
                "medium",
                records,
                (),
                {
                    "key": f"{parent}->{child}@{host}",
                    "observed": f"{parent} → {child}",
                    "baseline": seen,
                    "parent": parent,
                    "child": child,
                    "pair": f"{parent} → {child}",
                    "times_seen": seen,
                    "max_seen": parameters.max_seen,
                    "hosts_seen": len(hosts),
                    "hosts_examples": hosts[:EXAMPLES],
                    "share_of_history": round(seen / baseline.total, 6),
                    "distinct_pairs": len(baseline.pairs),
                    "history_size": baseline.total,
                    "min_history": parameters.min_history,
                    "observed_creations": len(records),
                    "host": host,
                },
            )
        )
    return anomalies
