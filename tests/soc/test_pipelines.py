"""Custom pySigma pipeline files in hunts and live detection, and invalid pipeline files."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.soc.support import rule_text
from tinhso.config import load as load_config
from tinhso.soc.detection import forget_ruleset, live_ruleset
from tinhso.soc.engine import Event, RuleSet, match_events
from tinhso.soc.engine.logsource import LogsourceMapping, PipelineError, load_pipeline
from tinhso.soc.management.commands.soc import Command

BADGE_CHANNEL = "Acme-Badge/Operational"
BADGE_PIPELINE = f"""
name: Acme badge readers
priority: 30
transformations:
  - id: acme_badge_channel
    type: add_condition
    conditions:
      Channel: {BADGE_CHANNEL}
      EventID: [7, 8]
    rule_conditions:
      - type: logsource
        product: acme
        category: badge_access
  - id: acme_badge_fields
    type: field_name_mapping
    mapping:
      Door: DoorName
    rule_conditions:
      - type: logsource
        product: acme
        category: badge_access
"""
BADGE_LOGSOURCE = {"product": "acme", "category": "badge_access"}
BADGE_DETECTION = {"selection": {"Door": "Server room"}, "condition": "selection"}

SECURITY_4688 = (
    Path("soc")
    / "evtx-attack-samples"
    / "Privilege Escalation"
    / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
)


@pytest.fixture
def badge_pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "acme-badge.yml"
    path.write_text(BADGE_PIPELINE, encoding="utf-8")
    return path


@pytest.fixture
def badge_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "badge.yml").write_text(rule_text(BADGE_DETECTION, BADGE_LOGSOURCE), encoding="utf-8")
    return folder


def _events(*records: dict[str, object]) -> list[Event]:
    return [Event(dict(record), dict(record)) for record in records]


def test_custom_pipeline_maps_new_logsource(badge_pipeline: Path) -> None:
    mapping = LogsourceMapping.from_files([badge_pipeline])
    (target,) = mapping.targets_for(BADGE_LOGSOURCE)
    assert target.channels == frozenset({BADGE_CHANNEL})
    assert target.event_ids == frozenset({"7", "8"})
    assert dict(target.field_map) == {"Door": "DoorName"}


def test_builtin_mapping_stays_with_custom_pipeline(badge_pipeline: Path) -> None:
    mapping = LogsourceMapping.from_files([badge_pipeline])
    targets = mapping.targets_for({"product": "windows", "category": "process_creation"})
    assert [target.event_ids for target in targets] == [frozenset({"1"}), frozenset({"4688"})]


def test_hunt_with_custom_pipeline(badge_pipeline: Path, badge_rules: Path) -> None:
    ruleset = RuleSet.from_paths([badge_rules], pipelines=[badge_pipeline])
    events = _events(
        {"Channel": BADGE_CHANNEL, "EventID": 7, "DoorName": "Server room"},
        {"Channel": BADGE_CHANNEL, "EventID": 7, "DoorName": "Lobby"},
        {"Channel": BADGE_CHANNEL, "EventID": 9, "DoorName": "Server room"},
        {"Channel": "Security", "EventID": 7, "DoorName": "Server room"},
        {"Channel": BADGE_CHANNEL, "EventID": 8, "DoorName": "server ROOM"},
    )
    hits = match_events(ruleset, events, [str(index) for index in range(len(events))])
    assert [hit.file for hit in hits] == ["0", "4"]


def test_hunt_without_pipeline_reads_rule_fields(badge_rules: Path) -> None:
    ruleset = RuleSet.from_paths([badge_rules])
    events = _events(
        {"Channel": BADGE_CHANNEL, "EventID": 7, "DoorName": "Server room"},
        {"Channel": "Other", "EventID": 1, "Door": "Server room"},
    )
    hits = match_events(ruleset, events, ["renamed", "plain"])
    assert [hit.file for hit in hits] == ["plain"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("transformations: [\n", "invalid YAML"),
        ("", "expected a YAML mapping"),
        ("- add_condition\n", "expected a YAML mapping"),
        ("transformations:\n  - type: no_such_type\n", "Unknown transformation type"),
        ("transformations:\n  - type: field_name_mapping\n", "mapping"),
        ("colour: blue\n", "colour"),
    ],
)
def test_invalid_pipeline_file_names_file_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "broken-pipeline.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError) as raised:
        load_pipeline(path)
    assert raised.value.path == path
    assert reason in raised.value.reason
    assert str(path) in str(raised.value)


def test_missing_pipeline_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="cannot read the file"):
        RuleSet.from_paths([tmp_path], pipelines=[tmp_path / "no-such-pipeline.yml"])


@pytest.fixture
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set English messages, because the command prints Vietnamese by default."""
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")


def _hunt(*arguments: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(Command(), "hunt", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.usefixtures("english_messages")
def test_command_rejects_invalid_pipeline(
    shared_data: Path, badge_rules: Path, tmp_path: Path
) -> None:
    path = tmp_path / "broken-pipeline.yml"
    path.write_text("transformations:\n  - type: no_such_type\n", encoding="utf-8")
    sample = str(shared_data / SECURITY_4688)
    with pytest.raises(CommandError, match="Invalid pySigma pipeline .*broken-pipeline.yml"):
        _hunt(sample, "--rules", str(badge_rules), "--pipeline", str(path))


@pytest.mark.usefixtures("english_messages")
def test_command_applies_pipelines_in_order(shared_data: Path, tmp_path: Path) -> None:
    # The first file maps a new category to Security 4688, the second renames its field.
    (tmp_path / "channel.yml").write_text(
        "transformations:\n"
        "  - type: add_condition\n"
        "    conditions: {Channel: Security, EventID: 4688}\n"
        "    rule_conditions: [{type: logsource, product: windows, category: new_process}]\n",
        encoding="utf-8",
    )
    (tmp_path / "fields.yml").write_text(
        "transformations:\n"
        "  - type: field_name_mapping\n"
        "    mapping: {Program: NewProcessName}\n"
        "    rule_conditions: [{type: logsource, product: windows, category: new_process}]\n",
        encoding="utf-8",
    )
    rules = tmp_path / "rules"
    rules.mkdir()
    detection = {"selection": {"Program|endswith": "\\notepad.exe"}, "condition": "selection"}
    logsource = {"product": "windows", "category": "new_process"}
    (rules / "new-process.yml").write_text(rule_text(detection, logsource), encoding="utf-8")
    sample = str(shared_data / SECURITY_4688)

    stdout, _stderr = _hunt(
        sample,
        "--rules",
        str(rules),
        "--pipeline",
        str(tmp_path / "channel.yml"),
        "--pipeline",
        str(tmp_path / "fields.yml"),
    )
    (row,) = [json.loads(line) for line in stdout.splitlines()]
    assert row["event"]["Event"]["System"]["EventID"] == 4688
    assert row["event"]["Event"]["EventData"]["NewProcessName"].endswith("\\notepad.exe")

    unmapped, _stderr = _hunt(sample, "--rules", str(rules))
    assert unmapped == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ()), ("a.yml", (Path("a.yml"),)), ("a.yml::b.yml", (Path("a.yml"), Path("b.yml")))],
)
def test_pipelines_setting_splits_paths(
    tmp_path: Path, raw: str, expected: tuple[Path, ...]
) -> None:
    environ = {"TINHSO_DEBUG": "1", "TINHSO_DATA_DIR": str(tmp_path), "TINHSO_SOC_PIPELINES": raw}
    assert load_config(environ).soc_pipelines == expected


@pytest.fixture
def live_settings(settings: Any, badge_rules: Path) -> Iterator[Any]:
    settings.TINHSO_SOC_RULES = [badge_rules]
    forget_ruleset()
    yield settings
    forget_ruleset()


def test_live_detection_applies_configured_pipelines(
    live_settings: Any, badge_pipeline: Path
) -> None:
    live_settings.TINHSO_SOC_PIPELINES = [badge_pipeline]
    (rule,) = live_ruleset(force_check=True).rules
    (target,) = rule.targets
    assert target.channels == frozenset({BADGE_CHANNEL})
    assert dict(target.field_map) == {"Door": "DoorName"}


def test_live_detection_reloads_changed_pipeline(live_settings: Any, badge_pipeline: Path) -> None:
    live_settings.TINHSO_SOC_PIPELINES = [badge_pipeline]
    live_ruleset(force_check=True)
    badge_pipeline.write_text(BADGE_PIPELINE.replace("DoorName", "Gate"), encoding="utf-8")
    (rule,) = live_ruleset(force_check=True).rules
    assert dict(rule.targets[0].field_map) == {"Door": "Gate"}


def test_live_detection_logs_invalid_pipeline(
    live_settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "broken-pipeline.yml"
    path.write_text("transformations:\n  - type: no_such_type\n", encoding="utf-8")
    live_settings.TINHSO_SOC_PIPELINES = [path]
    with caplog.at_level(logging.ERROR, logger="tinhso.soc.detection"):
        (rule,) = live_ruleset(force_check=True).rules
    assert rule.targets[0].channels is None
    assert "broken-pipeline.yml" in caplog.text
    assert "no_such_type" in caplog.text


def _mapping(tmp_path: Path, text: str) -> LogsourceMapping:
    path = tmp_path / "custom-pipeline.yml"
    path.write_text(text, encoding="utf-8")
    return LogsourceMapping.from_files([path])


ACME_CONDITION = "[{type: logsource, product: acme}]"


def test_field_mapping_alone_renames_without_prefilter(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        "transformations:\n"
        "  - type: field_name_mapping\n"
        "    mapping: {Door: DoorName}\n"
        f"    rule_conditions: {ACME_CONDITION}\n",
    )
    (target,) = mapping.targets_for({"product": "acme"})
    assert (target.channels, target.event_ids) == (None, None)
    assert dict(target.field_map) == {"Door": "DoorName"}


def test_rule_failure_leaves_no_target(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        "transformations:\n"
        "  - type: rule_failure\n"
        "    message: Acme logs are not collected\n"
        f"    rule_conditions: {ACME_CONDITION}\n",
    )
    assert mapping.targets_for({"product": "acme"}) == ()
    assert len(mapping.targets_for({"product": "windows", "service": "system"})) == 1


def test_conditions_on_other_fields_filter_events(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        "transformations:\n"
        "  - type: add_condition\n"
        "    conditions: {Channel: Acme, Provider: [Badge, Gate]}\n"
        f"    rule_conditions: {ACME_CONDITION}\n",
    )
    (target,) = mapping.targets_for({"product": "acme"})
    assert target.channels == frozenset({"Acme"})
    assert target.conditions == (("Provider", frozenset({"badge", "gate"})),)

    rule = RuleSet.from_text(rule_text(BADGE_DETECTION, {"product": "acme"})).rules[0].rule
    ruleset = RuleSet.from_rules([rule], mapping=mapping)
    events = _events(
        {"Channel": "Acme", "provider": "GATE", "Door": "Server room"},
        {"Channel": "Acme", "Provider": "Camera", "Door": "Server room"},
        {"Channel": "Acme", "Door": "Server room"},
    )
    hits = match_events(ruleset, events, ["gate", "camera", "none"])
    assert [hit.file for hit in hits] == ["gate"]


def test_unsupported_condition_is_skipped_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tinhso.soc.engine.logsource"):
        mapping = _mapping(
            tmp_path,
            "transformations:\n"
            "  - id: acme_wildcard\n"
            "    type: add_condition\n"
            "    conditions: {Channel: Acme, Provider: 'Badge*'}\n"
            f"    rule_conditions: {ACME_CONDITION}\n",
        )
        (target,) = mapping.targets_for({"product": "acme"})
    assert target.channels == frozenset({"Acme"})
    assert target.conditions == ()
    assert "acme_wildcard" in caplog.text


def test_custom_channel_narrows_builtin_branches(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        "transformations:\n"
        "  - type: add_condition\n"
        "    conditions: {Channel: Acme-EDR}\n"
        "    rule_conditions: [{type: logsource, product: windows, category: process_creation}]\n",
    )
    targets = mapping.targets_for({"product": "windows", "category": "process_creation"})
    # Sysmon AND Acme-EDR selects nothing; the audit branch no longer has the category.
    assert [target.channels for target in targets] == [
        frozenset({"Security"}),
        frozenset({"Acme-EDR"}),
    ]
