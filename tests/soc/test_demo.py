"""``tinhso soc demo``: public rules and attack samples through the collection path."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.soc.incidents.support import MSHTA_RULES, MSHTA_SAMPLE, RULES, SAMPLES
from tinhso.soc import detection
from tinhso.soc.management.commands.soc import Command
from tinhso.soc.models import Alert, Incident, LogSource, SecurityEvent

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


@pytest.fixture
def demo_folder(shared_data: Path, tmp_path: Path) -> Path:
    """A folder laid out like the public soc folder, with three rules and one sample."""
    folder = tmp_path / "soc"
    rules = folder / "sigma" / "rules" / "windows"
    rules.mkdir(parents=True)
    for name in MSHTA_RULES:
        shutil.copy(shared_data / RULES / name, rules)
    samples = folder / "evtx-attack-samples" / "Execution"
    samples.mkdir(parents=True)
    shutil.copy(shared_data / SAMPLES / MSHTA_SAMPLE, samples)
    return folder


@pytest.fixture
def live_rules(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    target = tmp_path / "live-rules"
    settings.TINHSO_SOC_RULES = [target]
    detection.forget_ruleset()
    yield target
    detection.forget_ruleset()


def run_demo(folder: Path) -> str:
    stdout = io.StringIO()
    call_command(Command(), "demo", str(folder), stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def test_demo_installs_rules_and_raises_incidents(demo_folder: Path, live_rules: Path) -> None:
    output = run_demo(demo_folder)

    assert len(list(live_rules.glob("*.yml"))) == len(MSHTA_RULES)
    assert "3 Sigma rules copied" in output
    assert SecurityEvent.objects.count() == 8
    assert LogSource.objects.get().retention_days > 365 * 50
    assert Alert.objects.count() > 0
    assert Incident.objects.count() > 0


def test_demo_again_stores_nothing_twice(demo_folder: Path, live_rules: Path) -> None:
    run_demo(demo_folder)
    alerts = Alert.objects.count()

    output = run_demo(demo_folder)

    assert "already holds rules" in output
    assert "0 stored, 8 already stored" in output
    assert SecurityEvent.objects.count() == 8
    assert Alert.objects.count() == alerts


def test_demo_rejects_folder_without_samples(tmp_path: Path, live_rules: Path) -> None:
    with pytest.raises(CommandError, match="evtx-attack-samples"):
        run_demo(tmp_path)
