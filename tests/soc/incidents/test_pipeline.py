"""Detection end to end: a real EVTX attack sample and real SigmaHQ rules → alerts, incidents."""

from __future__ import annotations

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
