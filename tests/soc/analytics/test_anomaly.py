"""The anomaly detectors on constructed records: each fires on its anomaly, stays silent on
normal history and below its minimum history, and explains itself in numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tinhso.soc.analytics import anomaly
from tinhso.soc.analytics.anomaly import (
    FailedLogonBurstParameters,
    FailureBaseline,
    LogonHourParameters,
    NewOriginParameters,
    OriginBaseline,
    ProcessBaseline,
    RareProcessParameters,
)
from tinhso.soc.analytics.records import LogonRecord, ProcessRecord

MORNING = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def logon(event_id: int, time: datetime, *, user: str = "an", success: bool = True,
          workstation: str = "pc-01", source_ip: str = "10.0.0.5") -> LogonRecord:  # fmt: skip
    return LogonRecord(event_id=event_id, time=time, user=user, host="dc01",
                       success=success, workstation=workstation, source_ip=source_ip)  # fmt: skip


def office_hours(total: int) -> dict[str, list[int]]:
    """A history of ``total`` logons spread over 08:00–17:00."""
    counts = [0] * 24
    for index in range(total):
        counts[8 + index % 10] += 1
    return {"an": counts}


# --- logon hour ------------------------------------------------------------------------------


def test_logon_hour_fires_at_never_seen_hour() -> None:
    night = MORNING.replace(hour=3)
    found = anomaly.logon_hour_anomalies([logon(7, night)], office_hours(100))

    assert len(found) == 1
    explanation = found[0].explanation
    assert found[0].rule_id == "anomaly.logon-hour"
    assert found[0].event_ids == (7,)
    assert found[0].tags == ("attack.t1078",)
    assert explanation["hour"] == 3
    assert explanation["usual_hours"] == list(range(8, 18))
    assert explanation["logons_at_hour"] == 0
    assert explanation["share_at_hour"] == 0.0
    assert explanation["history_size"] == 100
    assert explanation["min_history"] == 30
    assert explanation["hours_from_usual"] == 5
    assert explanation["observed"] == "03:00"
    assert explanation["baseline"] == ", ".join(f"{hour:02d}:00" for hour in range(8, 18))
    assert explanation["distance"] == 5
    assert explanation["key"] == "an@2026-03-02T03"


def test_logon_hour_fires_at_rare_hour() -> None:
    history = office_hours(200)
    history["an"][22] = 1
    found = anomaly.logon_hour_anomalies([logon(7, MORNING.replace(hour=22))], history)

    assert len(found) == 1
    assert found[0].explanation["logons_at_hour"] == 1
    assert found[0].explanation["share_at_hour"] == round(1 / 201, 4)


def test_logon_hour_silent_at_usual_hour() -> None:
    assert anomaly.logon_hour_anomalies([logon(7, MORNING)], office_hours(100)) == []


def test_logon_hour_silent_next_to_usual_hours() -> None:
    # 07:00 is never seen, but it is one hour before the usual 08:00.
    assert (
        anomaly.logon_hour_anomalies([logon(7, MORNING.replace(hour=7))], office_hours(100)) == []
    )
    # A user active around the clock has no hour far from a usual one.
    around_the_clock = {"an": [10] * 24}
    around_the_clock["an"][4] = 1
    assert anomaly.logon_hour_anomalies([logon(7, MORNING.replace(hour=4))], around_the_clock) == []


def test_logon_hour_silent_below_minimum_history() -> None:
    night = MORNING.replace(hour=3)
    assert anomaly.logon_hour_anomalies([logon(7, night)], office_hours(29)) == []
    assert anomaly.logon_hour_anomalies([logon(7, night)], {}) == []
    relaxed = LogonHourParameters(min_history=10)
    assert len(anomaly.logon_hour_anomalies([logon(7, night)], office_hours(29), relaxed)) == 1


def test_logon_hour_uses_local_time() -> None:
    from zoneinfo import ZoneInfo

    # 02:00 UTC is 09:00 in Hà Nội, an office hour there.
    early_utc = MORNING.replace(hour=2)
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    assert anomaly.logon_hour_anomalies([logon(7, early_utc)], office_hours(100), None, hanoi) == []
    assert len(anomaly.logon_hour_anomalies([logon(7, early_utc)], office_hours(100))) == 1


def test_logon_hour_groups_one_user_and_hour() -> None:
    night = MORNING.replace(hour=3)
    records = [logon(7, night), logon(8, night + timedelta(minutes=20))]
    found = anomaly.logon_hour_anomalies(records, office_hours(100))

    assert len(found) == 1
    assert found[0].event_ids == (7, 8)
    assert found[0].explanation["observed_logons"] == 2
    assert found[0].last_time == night + timedelta(minutes=20)


# --- new origin ------------------------------------------------------------------------------


def known_origins(logons: int) -> OriginBaseline:
    baseline = OriginBaseline()
    for index in range(logons):
        baseline.add("an", f"pc-0{index % 3 + 1}", f"10.0.0.{index % 3 + 1}")
    return baseline


def test_new_origin_fires_on_unknown_workstation_and_address() -> None:
    record = logon(9, MORNING, workstation="kali", source_ip="203.0.113.9")
    found = anomaly.new_origin_anomalies([record], known_origins(30))

    assert len(found) == 1
    explanation = found[0].explanation
    assert found[0].rule_id == "anomaly.logon-new-origin"
    assert explanation["new_workstation"] == "kali"
    assert explanation["new_source_ip"] == "203.0.113.9"
    assert explanation["known_origins_count"] == 6
    assert set(explanation["known_origins_examples"]) <= {"pc-01", "pc-02", "pc-03",
                                                           "10.0.0.1", "10.0.0.2", "10.0.0.3"}  # fmt: skip
    assert len(explanation["known_origins_examples"]) == 5
    assert explanation["history_size"] == 30
    assert explanation["min_history"] == 20
    assert explanation["observed"] == "kali"
    assert explanation["key"] == "an<-kali|203.0.113.9"


def test_new_origin_silent_on_known_workstation() -> None:
    record = logon(9, MORNING, workstation="pc-02", source_ip="10.9.9.9")
    assert anomaly.new_origin_anomalies([record], known_origins(30)) == []


def test_new_origin_silent_below_minimum_history() -> None:
    record = logon(9, MORNING, workstation="kali", source_ip="203.0.113.9")
    assert anomaly.new_origin_anomalies([record], known_origins(19)) == []
    relaxed = NewOriginParameters(min_history=5)
    assert len(anomaly.new_origin_anomalies([record], known_origins(19), relaxed)) == 1


def test_new_origin_skips_logon_without_origin() -> None:
    record = logon(9, MORNING, workstation="", source_ip="")
    assert anomaly.new_origin_anomalies([record], known_origins(30)) == []


# --- failed-logon bursts ---------------------------------------------------------------------


def failures(count: int, *, start: datetime = MORNING, spacing: timedelta = timedelta(seconds=5),
             user: str = "an", source_ip: str = "198.51.100.7", first_id: int = 100) -> list[LogonRecord]:  # fmt: skip
    return [
        logon(
            first_id + index,
            start + index * spacing,
            user=user,
            success=False,
            workstation="",
            source_ip=source_ip,
        )  # fmt: skip
        for index in range(count)
    ]


def quiet_baseline(windows: int = 144) -> FailureBaseline:
    """A day of baseline with one typo failure every third window."""
    baseline = FailureBaseline(history_windows=windows)
    for index in range(0, windows, 3):
        baseline.counts[("user", "an")][index] = 1
    return baseline


def test_failed_logon_burst_fires_above_floor() -> None:
    batch = failures(12)
    found = anomaly.failed_logon_bursts([r.event_id for r in batch], batch, quiet_baseline())

    by_key = {item.explanation["counted_by"]: item for item in found}
    assert set(by_key) == {"user", "source"}
    user_burst = by_key["user"].explanation
    assert by_key["user"].severity == "high"
    assert by_key["user"].tags == ("attack.credential-access", "attack.t1110")
    assert user_burst["observed"] == 12
    assert user_burst["baseline_median"] == 0.0
    assert user_burst["baseline_mad"] == 0.0
    assert user_burst["threshold"] == 5.0
    assert user_burst["excess"] == 7.0
    assert user_burst["window_seconds"] == 600
    assert user_burst["history_windows"] == 144
    assert user_burst["baseline"] == 5.0
    assert user_burst["distance"] == 7.0
    assert user_burst["key"] == "user=an@2026-03-02T09:10:00+00:00"
    assert by_key["source"].explanation["value"] == "198.51.100.7"
    assert by_key["source"].user == "an"


def test_failed_logon_burst_threshold_follows_noisy_baseline() -> None:
    baseline = FailureBaseline(history_windows=20)
    # A service account with a stale password fails 20 to 24 times in every window.
    for index in range(20):
        baseline.counts[("user", "svc")][index] = 20 + index % 5
    parameters = FailedLogonBurstParameters(min_history_windows=6)
    ordinary = failures(22, user="svc", source_ip="")
    assert (
        anomaly.failed_logon_bursts([r.event_id for r in ordinary], ordinary, baseline, parameters)
        == []
    )

    burst = failures(40, user="svc", source_ip="")
    found = anomaly.failed_logon_bursts([r.event_id for r in burst], burst, baseline, parameters)
    assert len(found) == 1
    explanation = found[0].explanation
    assert explanation["baseline_median"] == 22.0
    assert explanation["baseline_mad"] == 1.0
    assert explanation["threshold"] == 25.0
    assert explanation["robust_z"] == 18.0


def test_failed_logon_burst_silent_on_spread_failures() -> None:
    spread = failures(12, spacing=timedelta(minutes=3))
    assert anomaly.failed_logon_bursts([r.event_id for r in spread], spread, quiet_baseline()) == []


def test_failed_logon_burst_silent_below_minimum_history() -> None:
    batch = failures(30)
    ids = [r.event_id for r in batch]
    assert anomaly.failed_logon_bursts(ids, batch, quiet_baseline(windows=5)) == []
    assert len(anomaly.failed_logon_bursts(ids, batch, quiet_baseline(windows=6))) == 2


def test_failed_logon_burst_counts_stored_failures_before_batch() -> None:
    earlier = failures(6, first_id=1)
    batch = failures(6, start=MORNING + timedelta(seconds=40), first_id=50)
    found = anomaly.failed_logon_bursts(
        [r.event_id for r in batch], earlier + batch, quiet_baseline()
    )

    assert {item.explanation["observed"] for item in found} == {12}
    assert found[0].event_ids == tuple(range(1, 7)) + tuple(range(50, 56))
    # Without a new event in it, an old burst is not reported again.
    assert anomaly.failed_logon_bursts([], earlier + batch, quiet_baseline()) == []


# --- rare parent and child processes ---------------------------------------------------------


def process(event_id: int, parent: str, child: str, host: str = "ws-01") -> ProcessRecord:
    return ProcessRecord(event_id=event_id, time=MORNING, host=host, user="an",
                         parent=parent, child=child)  # fmt: skip


def estate(total: int = 600) -> ProcessBaseline:
    baseline = ProcessBaseline()
    baseline.add("explorer.exe", "chrome.exe", "ws-01", total - 2)
    baseline.add("winword.exe", "powershell.exe", "ws-07", 2)
    return baseline


def test_rare_process_pair_fires_on_rare_pairs() -> None:
    records = [process(1, "winword.exe", "powershell.exe"), process(2, "excel.exe", "cmd.exe")]
    found = anomaly.rare_process_pairs(records, estate())

    pairs = {item.explanation["pair"]: item.explanation for item in found}
    assert set(pairs) == {"winword.exe → powershell.exe", "excel.exe → cmd.exe"}
    rare = pairs["winword.exe → powershell.exe"]
    assert rare["times_seen"] == 2
    assert rare["hosts_seen"] == 1
    assert rare["hosts_examples"] == ["ws-07"]
    assert rare["history_size"] == 600
    assert rare["min_history"] == 500
    assert rare["max_seen"] == 3
    assert pairs["excel.exe → cmd.exe"]["times_seen"] == 0
    assert pairs["excel.exe → cmd.exe"]["baseline"] == 0
    assert pairs["excel.exe → cmd.exe"]["key"] == "excel.exe->cmd.exe@ws-01"
    assert found[0].rule_id == "anomaly.rare-process-pair"


def test_rare_process_pair_silent_on_common_pair() -> None:
    assert anomaly.rare_process_pairs([process(1, "explorer.exe", "chrome.exe")], estate()) == []


def test_rare_process_pair_silent_below_minimum_history() -> None:
    record = [process(1, "excel.exe", "cmd.exe")]
    assert anomaly.rare_process_pairs(record, estate(total=499)) == []
    relaxed = RareProcessParameters(min_history=100)
    assert len(anomaly.rare_process_pairs(record, estate(total=499), relaxed)) == 1


def test_rare_process_pair_groups_by_host() -> None:
    records = [process(1, "excel.exe", "cmd.exe"), process(2, "excel.exe", "cmd.exe"),
               process(3, "excel.exe", "cmd.exe", host="ws-02")]  # fmt: skip
    found = anomaly.rare_process_pairs(records, estate())

    assert [(item.host, item.event_ids) for item in found] == [("ws-01", (1, 2)), ("ws-02", (3,))]


def test_window_index_counts_from_start() -> None:
    window = timedelta(minutes=10)
    assert anomaly.window_index(MORNING, MORNING, window) == 0
    assert anomaly.window_index(MORNING + timedelta(minutes=25), MORNING, window) == 2
