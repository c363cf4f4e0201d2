"""Detection end to end: a real EVTX attack sample and real SigmaHQ rules → alerts, incidents."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.soc.incidents.support import (
    MSHTA_RULES,
    MSHTA_SAMPLE,
    RULES,
    SAMPLES,
    SHELL_SPAWN_RULE,
    make_agency,
    store_evtx,
)
from tinhso.ioc.models import Event
from tinhso.soc import detection
from tinhso.soc.incidents import grouping
from tinhso.soc.models import Alert, Incident, SecurityEvent

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def rules(shared_data: Path, tmp_path: Path, settings: Any) -> Path:
    """A rule folder with three real process-creation rules and one broken rule."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in MSHTA_RULES:
        shutil.copy(shared_data / RULES / name, folder)
    (folder / "broken.yml").write_text("title: no detection\nid: broken-1\n", encoding="utf-8")
    settings.TINHSO_SOC_RULES = [folder]
    detection.forget_ruleset()
    yield folder
    detection.forget_ruleset()


@pytest.fixture
def events(shared_data: Path) -> list[SecurityEvent]:
    return store_evtx(shared_data / SAMPLES / MSHTA_SAMPLE, make_agency())


def test_evtx_sample_raises_alerts_and_incident(
    rules: Path, events: list[SecurityEvent], caplog: pytest.LogCaptureFixture
) -> None:
    assert len(events) == 8
    with caplog.at_level("WARNING", logger="tinhso.soc.detection"):
        alerts = detection.detect_events(events)

    assert "Rejected Sigma rule broken-1" in caplog.text
    assert {alert.rule_id for alert in alerts} == {
        SHELL_SPAWN_RULE,
        "b98d0db6-511d-45de-ad02-e82a98729620",
        "92626ddd-662c-49e3-ac59-f6535f12d189",
    }
    shell = Alert.objects.filter(rule_id=SHELL_SPAWN_RULE)
    assert shell.count() == 2  # two matching events, two seconds apart
    incident = Incident.objects.get(rule_id=SHELL_SPAWN_RULE)
    assert incident.alert_count == 2
    assert incident.host == "IEWIN7"
    assert incident.severity == "high"
    assert "attack.t1059.001" in incident.tags
    alert = shell.first()
    assert alert is not None
    assert alert.agency is not None
    assert alert.agency.code == "so-khcn"
    matched = alert.events.get()
    assert matched.fields["Image"].lower().endswith(".exe")
    assert Incident.objects.count() == 3
    # The sample's events are from 2019: history opens incidents but does not page leaders.
    assert Event.objects.filter(event_type="soc.incident").count() == 0


def test_recent_high_incidents_reach_feed(
    rules: Path, events: list[SecurityEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouping, "FEED_MAX_EVENT_AGE", dt.timedelta(days=365 * 30))
    detection.detect_events(events)
    # Two high incidents reach the IOC feed; the low scheduled-task one does not.
    assert Event.objects.filter(event_type="soc.incident").count() == 2


def test_detect_command_is_idempotent(rules: Path, events: list[SecurityEvent]) -> None:
    detection.detect_events(events)
    alerts, incidents = Alert.objects.count(), Incident.objects.count()

    stdout = io.StringIO()
    call_command("soc", "detect", "--since", "2019-05-21", stdout=stdout, stderr=io.StringIO())

    assert "8" in stdout.getvalue()
    assert Alert.objects.count() == alerts
    assert Incident.objects.count() == incidents
    assert set(Alert.objects.values_list("count", flat=True)) == {2}


def test_rules_reload_when_files_change(rules: Path, events: list[SecurityEvent]) -> None:
    assert len(detection.live_ruleset(force_check=True).rules) == 3
    (rules / "proc_creation_win_schtasks_creation.yml").unlink()
    assert len(detection.live_ruleset(force_check=True).rules) == 2


def test_failing_detector_leaves_others(
    rules: Path, events: list[SecurityEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(batch: object) -> list[object]:
        raise RuntimeError("model file missing")

    monkeypatch.setattr(detection, "anomaly_findings", broken)
    assert detection.detect_events(events)
    assert Alert.objects.exists()


CORRELATION = """
title: Repeated suspicious shell spawns on one host
id: 6f1c1d44-7c55-4bb8-9d0c-3f7d2a1e9b01
level: critical
tags:
  - attack.execution
correlation:
  type: event_count
  rules:
    - 3a6586ad-127a-4d3b-a677-1e6eacdf8fde
  group-by:
    - Computer
  timespan: 1m
  condition:
    gte: 2
  generate: true
"""
CORRELATION_ID = "6f1c1d44-7c55-4bb8-9d0c-3f7d2a1e9b01"


def test_correlation_spans_batches(
    rules: Path, events: list[SecurityEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grouping, "FEED_MAX_EVENT_AGE", dt.timedelta(days=365 * 30))
    (rules / "correlation.yml").write_text(CORRELATION, encoding="utf-8")
    detection.forget_ruleset()
    ordered = sorted(events, key=lambda event: (event.time, event.pk))
    shell = [event.pk for event in ordered if event.fields.get("EventRecordID") in (4127, 4129)]
    split = next(index for index, event in enumerate(ordered) if event.pk == shell[1])

    detection.detect_events(ordered[:split])
    assert not Alert.objects.filter(kind="correlation").exists()
    detection.detect_events(ordered[split:])

    alert = Alert.objects.get(kind="correlation")
    assert alert.rule_id == CORRELATION_ID
    assert alert.severity == "critical"
    assert alert.host == "IEWIN7"
    assert sorted(alert.events.values_list("pk", flat=True)) == sorted(shell)
    assert alert.explanation["count"] == 2
    assert alert.explanation["group"] == {"Computer": "IEWIN7"}
    assert Alert.objects.filter(rule_id=SHELL_SPAWN_RULE).count() == 2  # generate: true
    incident = Incident.objects.get(rule_id=CORRELATION_ID)
    assert Event.objects.filter(message_id=f"soc-incident-{incident.pk}-critical").exists()


def test_correlation_hides_member_rule(rules: Path, events: list[SecurityEvent]) -> None:
    text = CORRELATION.replace("  generate: true\n", "")
    (rules / "correlation.yml").write_text(text, encoding="utf-8")
    detection.forget_ruleset()

    detection.detect_events(events)

    assert Alert.objects.filter(kind="correlation").count() == 1
    assert not Alert.objects.filter(rule_id=SHELL_SPAWN_RULE).exists()


def test_detect_command_correlates(rules: Path, events: list[SecurityEvent]) -> None:
    (rules / "correlation.yml").write_text(CORRELATION, encoding="utf-8")
    detection.forget_ruleset()
    call_command("soc", "detect", stdout=io.StringIO(), stderr=io.StringIO())
    assert Alert.objects.filter(kind="correlation").count() == 1


def test_unreadable_rules_leave_other_detectors(
    events: list[SecurityEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinhso.soc.findings import Finding

    def broken_rules(**_options: object) -> object:
        raise PermissionError("rule folder not readable")

    def one_anomaly(batch: list[SecurityEvent]) -> list[Finding]:
        event = batch[0]
        return [
            Finding(
                kind="anomaly", rule_id="anomaly.test", title="Test anomaly", severity="low",
                time=event.time, host=event.host, user=event.user, event_ids=(event.pk,),
                explanation={"key": "k"},
            )
        ]  # fmt: skip

    monkeypatch.setattr(detection, "live_ruleset", broken_rules)
    monkeypatch.setattr(detection, "anomaly_findings", one_anomaly)

    (alert,) = detection.detect_events(events)
    assert alert.rule_id == "anomaly.test"
