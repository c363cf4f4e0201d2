"""Anomaly detection over real EVTX attack samples stored as ``SecurityEvent`` rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from tests.soc.analytics.events import event_time, make_source, sample_events, store
from tinhso.soc.analytics.anomaly import (
    FailedLogonBurstParameters,
    RareProcessParameters,
)
from tinhso.soc.analytics.service import AnomalyParameters, anomaly_findings
from tinhso.soc.engine import Event
from tinhso.soc.models import LogSource

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

CHROME_LOGONS = "Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx"
KERBEROS_SPRAY = "Credential Access/kerberos_pwd_spray_4771.evtx"
SQL_SERVER_FAILURES = "Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx"
ATOMIC_RED_TEAM = "AutomatedTestingTools/PanacheSysmon_vs_AtomicRedTeam01.evtx"
MSHTA_MACRO = "Other/maldoc_mshta_via_shellbrowserwind_rundll32.evtx"

# Each sample contains seconds of log, so these tests waive the minimum history of the burst
# detector; the constructed-record tests check that minimum.
NO_MINIMUM = AnomalyParameters(failed_logon_burst=FailedLogonBurstParameters(min_history_windows=0))


def by_rule(findings: list, rule_id: str) -> list:
    return [finding for finding in findings if finding.rule_id == rule_id]


def test_kerberos_spray_is_failed_logon_burst() -> None:
    batch = store(make_source(), sample_events(KERBEROS_SPRAY))
    findings = by_rule(anomaly_findings(batch, NO_MINIMUM), "anomaly.failed-logon-burst")

    assert len(findings) == 1
    explanation = findings[0].explanation
    assert explanation["counted_by"] == "source"
    assert explanation["value"] == "172.16.66.1"
    # Two 4771 (bad password) and seven 4768 with status 0x6 (unknown user).
    assert explanation["observed"] == 9
    assert explanation["threshold"] == 5.0
    assert explanation["user_count"] == 9
    assert findings[0].severity == "high"
    assert "attack.t1110" in findings[0].tags
    assert len(findings[0].event_ids) == 9


def test_sql_server_failures_are_burst_per_client() -> None:
    batch = store(make_source("sql01"), sample_events(SQL_SERVER_FAILURES))
    findings = by_rule(anomaly_findings(batch, NO_MINIMUM), "anomaly.failed-logon-burst")

    assert [(f.explanation["counted_by"], f.explanation["value"]) for f in findings] == [
        ("source", "10.0.2.17")
    ]
    assert findings[0].explanation["observed"] == 10


def test_burst_silent_without_minimum_history() -> None:
    batch = store(make_source(), sample_events(KERBEROS_SPRAY))
    assert by_rule(anomaly_findings(batch), "anomaly.failed-logon-burst") == []


def test_burst_over_stored_quiet_history() -> None:
    """A day of stored single failures is the baseline; the spray exceeds it."""
    source = make_source()
    spray = sample_events(KERBEROS_SPRAY)
    single_failure = [event for event in spray if event.fields["EventID"] == 4771][:1]
    spray_time = event_time(spray[0].fields)
    for hour in range(1, 25):
        store(source, single_failure, shift=-timedelta(hours=hour))
    findings = by_rule(anomaly_findings(store(source, spray)), "anomaly.failed-logon-burst")

    assert len(findings) == 1
    explanation = findings[0].explanation
    assert explanation["value"] == "172.16.66.1"
    assert explanation["history_windows"] >= 6 * 23
    assert explanation["baseline_median"] == 0.0
    assert findings[0].time >= spray_time


def store_office_logons(source: LogSource, logon: Event, before: datetime) -> None:
    """Store the real logon twice a day, at 09:00 and 09:30 Hà Nội time, for 25 days."""
    for day in range(1, 26):
        morning = before.replace(hour=2, minute=0) - timedelta(days=day)
        store(source, [logon], at=morning)
        store(source, [logon], at=morning + timedelta(minutes=30))


def test_logon_hour_and_new_origin_from_stored_history() -> None:
    source = make_source("msedgewin10")
    logons = sample_events(CHROME_LOGONS)
    interactive = [e for e in logons if e.fields["EventID"] == 4624 and e.fields["LogonType"] == 2]
    assert interactive
    night = datetime(2026, 2, 20, 20, 30, tzinfo=UTC)  # 03:30 in Hà Nội
    store_office_logons(source, interactive[0], before=night)
    batch = store(source, interactive[:1], at=night,
                  changes={"WorkstationName": "KALI", "IpAddress": "203.0.113.50"})  # fmt: skip

    with translation.override("en"):
        findings = anomaly_findings(batch)
    hour = by_rule(findings, "anomaly.logon-hour")
    origin = by_rule(findings, "anomaly.logon-new-origin")

    assert len(hour) == 1
    assert hour[0].user == "ieuser"
    assert hour[0].explanation["hour"] == 3
    assert hour[0].explanation["usual_hours"] == [9]
    assert hour[0].explanation["history_size"] == 50
    assert hour[0].title == "Logon by ieuser at an unusual hour (03:00)"
    assert len(origin) == 1
    assert origin[0].explanation["new_workstation"] == "kali"
    assert origin[0].explanation["new_source_ip"] == "203.0.113.50"
    assert origin[0].explanation["known_origins_examples"] == ["msedgewin10"]
    assert origin[0].event_ids == (batch[0].pk,)


def test_usual_logon_is_silent() -> None:
    source = make_source("msedgewin10")
    interactive = [e for e in sample_events(CHROME_LOGONS) if e.fields["EventID"] == 4624
                   and e.fields["LogonType"] == 2]  # fmt: skip
    morning = datetime(2026, 2, 21, 2, 10, tzinfo=UTC)  # 09:10 in Hà Nội
    store_office_logons(source, interactive[0], before=morning)
    batch = store(source, interactive[:1], at=morning)

    assert anomaly_findings(batch) == []


def test_rare_process_pairs_against_estate() -> None:
    """A day of Atomic Red Team process creations is the estate's history; a macro then runs mshta."""
    source = make_source("ws")
    atomic = sample_events(ATOMIC_RED_TEAM)
    history = store(source, atomic, shift=-timedelta(days=1))
    common = next(
        event for event in atomic if event.fields.get("ParentImage", "").endswith("\\cmd.exe")
    )
    macro = sample_events(MSHTA_MACRO)
    move = event_time(history[-1].fields) - event_time(macro[0].fields) + timedelta(hours=1)
    batch = store(source, macro, shift=move)
    batch += store(source, [common], at=batch[-1].time + timedelta(seconds=1))
    findings = by_rule(anomaly_findings(batch), "anomaly.rare-process-pair")

    pairs = {finding.explanation["pair"] for finding in findings}
    assert pairs == {
        "explorer.exe → winword.exe",
        "explorer.exe → mshta.exe",
        "mshta.exe → rundll32.exe",
    }
    for finding in findings:
        assert finding.explanation["times_seen"] == 0
        assert finding.explanation["history_size"] == 511
        assert finding.host == "msedgewin10"
    stricter = AnomalyParameters(rare_process=RareProcessParameters(min_history=600))
    assert by_rule(anomaly_findings(batch, stricter), "anomaly.rare-process-pair") == []
