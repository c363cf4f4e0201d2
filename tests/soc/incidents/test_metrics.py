"""Dashboard figures: counts by severity and status, MTTA and MTTR, ATT&CK heatmap, sources."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.soc.incidents.support import finding_for, make_agency, make_event, make_source
from tinhso.soc.incidents import attack, metrics
from tinhso.soc.incidents.alerts import raise_alerts
from tinhso.soc.models import Alert, Incident, IncidentStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def incident_at(
    created: dt.datetime, ack_minutes: float | None, resolve_minutes: float | None
) -> Incident:
    incident = Incident.objects.create(
        title="t", severity="high", host="h", rule_id="r", first_seen=created, last_seen=created
    )
    fields: dict[str, object] = {"created_at": created}
    if ack_minutes is not None:
        fields["acknowledged_at"] = created + dt.timedelta(minutes=ack_minutes)
        fields["status"] = IncidentStatus.ACKNOWLEDGED
    if resolve_minutes is not None:
        fields["resolved_at"] = created + dt.timedelta(minutes=resolve_minutes)
        fields["status"] = IncidentStatus.RESOLVED
    Incident.objects.filter(pk=incident.pk).update(**fields)
    return incident


def test_mtta_mttr_from_timestamps() -> None:
    day = NOW - dt.timedelta(days=1)
    incident_at(day, 10, 70)
    incident_at(day, 20, None)
    incident_at(day, 60, 250)
    incident_at(day, None, None)
    # Opened before the period: not counted.
    incident_at(NOW - dt.timedelta(days=30), 1000, 5000)

    posture = metrics.compute(metrics.Period.last_days(7, now=NOW))

    assert posture.mtta.count == 3
    assert posture.mtta.median == 20 * 60
    assert posture.mtta.mean == 30 * 60
    assert posture.mttr.count == 2
    assert posture.mttr.median == 160 * 60
    assert posture.mttr.mean == 160 * 60
    assert posture.incidents_total == 4
    assert posture.incidents_by_status == {
        "new": 1,
        "acknowledged": 1,
        "resolved": 2,
        "closed": 0,
    }
    assert posture.open_total == 2


def test_no_incident_no_durations() -> None:
    posture = metrics.compute(metrics.Period.last_days(7, now=NOW))
    assert posture.mtta == metrics.Durations(0, None, None)
    assert posture.alerts_total == 0
    assert posture.heatmap == []


def test_counts_heatmap_and_tops() -> None:
    health = make_agency("so-yt", "Sở Y tế")
    finance = make_agency("so-tc", "Sở Tài chính")
    first = make_source(health, host="BV-01")
    second = make_source(finance, host="TC-01")
    raise_alerts(
        [
            finding_for(
                make_event(first), "a", "high", tags=("attack.execution", "attack.t1059.001")
            ),
            finding_for(make_event(first), "b", "low", tags=("attack.t1218.005",)),
            finding_for(make_event(first), "d", "low", tags=("attack.stealth", "attack.t1685")),
            finding_for(
                make_event(second),
                "c",
                "critical",
                tags=("attack.execution", "attack.persistence", "attack.t1053.005"),
            ),
        ]
    )
    posture = metrics.compute(metrics.Period.last_days(1))

    assert posture.alerts_total == 4
    assert posture.alerts_by_severity["high"] == 1
    assert posture.alerts_by_severity["critical"] == 1
    assert posture.incidents_by_severity["low"] == 2
    assert posture.top_hosts == [("BV-01", 3), ("TC-01", 1)]
    assert posture.top_agencies[0] == ("Sở Y tế", "so-yt", 3)
    assert posture.open_high == 2
    assert posture.open_incidents[0].severity == "critical"

    cells = {
        (column.tactic, item.id): count
        for column in posture.heatmap
        for item, count in column.techniques
    }
    assert cells == {
        ("execution", "T1059.001"): 1,
        # A known technique counts under its own ATT&CK tactics, whatever the rule names.
        ("execution", "T1053.005"): 1,
        ("persistence", "T1053.005"): 1,
        ("privilege-escalation", "T1053.005"): 1,
        ("defense-evasion", "T1218.005"): 1,
        # ATT&CK v18.1 lacks T1685, so it counts under the rule's tactic, a newer one.
        ("stealth", "T1685"): 1,
    }
    tactics = [column.tactic for column in posture.heatmap]
    assert tactics == sorted(tactics, key=lambda name: attack.tactic_order()[name])
    assert {item.id: count for item, count in posture.top_techniques} == {
        "T1059.001": 1,
        "T1053.005": 1,
        "T1218.005": 1,
        "T1685": 1,
    }
    assert sum(posture.alerts_per_day[-1][1].values()) == 4
    assert [column.tactic for column in posture.heatmap].index("stealth") == 4


def test_heatmap_ignores_other_tactics_of_rule() -> None:
    tags = ("attack.credential-access", "attack.resource-development", "attack.t1003")
    assert attack.cells(tags) == [("credential-access", "T1003")]


def test_unknown_technique_labelled_once() -> None:
    unknown = attack.technique("T1685")
    assert not unknown.known
    assert unknown.label == "T1685"
    assert attack.technique("T1003").label == "T1003 OS Credential Dumping"
    assert attack.cells(("attack.t1685",)) == [("other", "T1685")]


def test_top_hosts_ignore_letter_case() -> None:
    agency = make_agency()
    upper = make_source(agency, host="MSEDGEWIN10")
    lower = make_source(agency, host="msedgewin10", kind="evtx")
    raise_alerts(
        [
            finding_for(make_event(upper), "a"),
            finding_for(make_event(lower), "b"),
            finding_for(make_event(make_source(agency, host="WS-02")), "c"),
        ]
    )
    posture = metrics.compute(metrics.Period.last_days(1))
    assert posture.top_hosts == [("MSEDGEWIN10", 2), ("WS-02", 1)]


def test_attack_names_from_data() -> None:
    assert attack.technique("T1059.001").name == "Command and Scripting Interpreter: PowerShell"
    assert attack.tactics()[0].shortname == "reconnaissance"
    assert attack.technique("T9999").name == "T9999"
    assert attack.parse_tags(["attack.privilege_escalation", "attack.t1055", "attack.g0007"]) == (
        ["privilege-escalation"],
        ["T1055"],
    )


def test_agency_filter() -> None:
    health = make_agency("so-yt", "Sở Y tế")
    raise_alerts([finding_for(make_event(make_source(health, host="BV-01")))])
    raise_alerts([finding_for(make_event(make_source(host="WS-09")), "other")])
    posture = metrics.compute(metrics.Period.last_days(1), agency=health)
    assert posture.alerts_total == 1
    assert posture.incidents_total == 1
    assert Alert.objects.count() == 2


def test_silent_sources() -> None:
    agency = make_agency()
    active = make_source(agency, host="ACTIVE")
    make_source(agency, host="SILENT")
    make_event(active)
    period = metrics.Period.of_dates(timezone.localdate(), timezone.localdate())
    activity = {item.source.host: item for item in metrics.source_activity(period)}
    assert activity["ACTIVE"].events == 1
    assert not activity["ACTIVE"].silent
    assert activity["SILENT"].silent
