"""Log source pre-filters read from the pySigma pipelines, on real rules and events."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigma.pipelines.common import windows_logsource_mapping
from sigma.pipelines.sysmon.sysmon import sysmon_generic_logsource_eventid_mapping

from tests.soc.support import matched_indexes
from tinhso.soc.engine import RuleSet, match_events, read_evtx
from tinhso.soc.engine.logsource import SECURITY_CHANNEL, SYSMON_CHANNEL, Target, targets_for

RULES = Path("soc") / "sigma" / "rules" / "windows"
# Rule "WmiPrvSE Spawned A Process" (process_creation, ParentImage|endswith \WmiPrvSe.exe).
WMIPRVSE_RULE = RULES / "process_creation" / "proc_creation_win_wmiprvse_spawning_process.yml"
SECURITY_4688 = (
    Path("soc")
    / "evtx-attack-samples"
    / "Privilege Escalation"
    / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
)


@pytest.mark.parametrize(
    ("logsource", "channels", "event_ids"),
    [
        ({"product": "windows", "service": "security"}, {"Security"}, None),
        ({"product": "windows", "service": "sysmon"}, {SYSMON_CHANNEL}, None),
        ({"product": "windows", "service": "system"}, {"System"}, None),
        ({"product": "windows", "service": "application"}, {"Application"}, None),
        (
            {"product": "windows", "service": "powershell"},
            {"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"},
            None,
        ),
        ({"product": "windows", "category": "image_load"}, {SYSMON_CHANNEL}, {"7"}),
        ({"product": "windows", "category": "network_connection"}, {SYSMON_CHANNEL}, {"3"}),
        ({"product": "windows", "category": "file_event"}, {SYSMON_CHANNEL}, {"11"}),
        ({"product": "windows", "category": "registry_delete"}, {SYSMON_CHANNEL}, {"12"}),
        ({"product": "windows", "category": "pipe_created"}, {SYSMON_CHANNEL}, {"17", "18"}),
        (
            {"product": "windows", "category": "ps_script"},
            {"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"},
            {"4104"},
        ),
        (
            {"product": "windows", "category": "ps_module"},
            {"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"},
            {"4103"},
        ),
        ({"product": "windows", "category": "ps_classic_start"}, {"Windows PowerShell"}, {"400"}),
        ({"product": "windows", "category": "no_such_category"}, None, None),
        ({"product": "linux", "category": "process_creation"}, None, None),
        # pysigma-pipeline-windows 2.0.1 maps no channel for this service.
        ({"product": "windows", "service": "iis-configuration"}, None, None),
    ],
)
def test_single_target(
    logsource: dict[str, str], channels: set[str] | None, event_ids: set[str] | None
) -> None:
    (target,) = targets_for(logsource)
    assert target.channels == (None if channels is None else frozenset(channels))
    assert target.event_ids == (None if event_ids is None else frozenset(event_ids))
    assert dict(target.field_map) == {}
    assert target.conditions == ()


@pytest.mark.parametrize(("service", "channels"), sorted(windows_logsource_mapping.items()))
def test_every_pipeline_service_maps_to_its_channels(
    service: str, channels: str | list[str]
) -> None:
    expected = frozenset([channels] if isinstance(channels, str) else channels)
    (target,) = targets_for({"product": "windows", "service": service})
    assert target.channels == expected
    assert target.event_ids is None


@pytest.mark.parametrize(
    ("category", "event_ids"), sorted(sysmon_generic_logsource_eventid_mapping.items())
)
def test_every_sysmon_category_has_sysmon_target(category: str, event_ids: int | list[int]) -> None:
    numbers = event_ids if isinstance(event_ids, list) else [event_ids]
    sysmon = Target(frozenset({SYSMON_CHANNEL}), frozenset(str(number) for number in numbers))
    assert sysmon in targets_for({"product": "windows", "category": category})


def test_targets_are_shared_per_logsource() -> None:
    first = targets_for({"product": "windows", "category": "process_creation"})
    second = targets_for({"product": "windows", "category": "process_creation"})
    assert first is second


def test_security_service_keeps_its_field_names() -> None:
    (target,) = targets_for({"product": "windows", "service": "security"})
    assert dict(target.field_map) == {}


@pytest.mark.parametrize(
    ("category", "operations"),
    [
        ("registry_set", {"existing registry value modified"}),
        ("registry_add", {"new registry value created"}),
        ("registry_event", {"existing registry value modified", "new registry value created"}),
    ],
)
def test_registry_targets_sysmon_and_security_4657(category: str, operations: set[str]) -> None:
    sysmon, security = targets_for({"product": "windows", "category": category})
    assert sysmon.channels == frozenset({SYSMON_CHANNEL})
    assert (security.channels, security.event_ids) == (
        frozenset({SECURITY_CHANNEL}),
        frozenset({"4657"}),
    )
    assert security.conditions == (("OperationType", frozenset(operations)),)
    # The registry mapping runs before the generic Security one, so Image is ProcessName.
    assert security.field_map["Image"] == "ProcessName"
    assert security.field_map["TargetObject"] == "ObjectName"
    assert security.rejected_fields == frozenset({"EventType", "NewName", "User"})


REGISTRY_SET = {"product": "windows", "category": "registry_set"}
EVIL_KEY = "HKLM\\Software\\Evil\\Run"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"Channel": SYSMON_CHANNEL, "EventID": 13, "TargetObject": EVIL_KEY}, [0]),
        (
            {
                "Channel": "Security",
                "EventID": 4657,
                "ObjectName": EVIL_KEY,
                "OperationType": "Existing registry value modified",
            },
            [0],
        ),
        (
            {
                "Channel": "Security",
                "EventID": 4657,
                "ObjectName": EVIL_KEY,
                "OperationType": "New registry value created",
            },
            [],
        ),
        # Raw records carry the message id, which the pipeline's condition does not accept.
        (
            {
                "Channel": "Security",
                "EventID": 4657,
                "ObjectName": EVIL_KEY,
                "OperationType": "%%1905",
            },
            [],
        ),
    ],
)
def test_registry_set_rule_on_sysmon_and_4657(
    event: dict[str, object], expected: list[int]
) -> None:
    detection = {"selection": {"TargetObject|endswith": "\\Evil\\Run"}, "condition": "selection"}
    assert matched_indexes(detection, [event], REGISTRY_SET) == expected


def test_rule_with_rejected_field_skips_4657() -> None:
    event = {
        "Channel": "Security",
        "EventID": 4657,
        "ObjectName": EVIL_KEY,
        "OperationType": "Existing registry value modified",
        "User": "alice",
    }
    detection = {
        "selection": {"TargetObject|endswith": "\\Evil\\Run", "User": "alice"},
        "condition": "selection",
    }
    assert matched_indexes(detection, [event], REGISTRY_SET) == []


def test_process_creation_targets_sysmon_and_security() -> None:
    sysmon, security = targets_for({"product": "windows", "category": "process_creation"})
    assert (sysmon.channels, sysmon.event_ids) == (frozenset({SYSMON_CHANNEL}), frozenset({"1"}))
    assert (security.channels, security.event_ids) == (frozenset({"Security"}), frozenset({"4688"}))
    assert security.field_map["Image"] == "NewProcessName"
    assert security.field_map["ParentImage"] == "ParentProcessName"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"Channel": SYSMON_CHANNEL, "EventID": 1, "Image": "C:\\x\\evil.exe"}, [0]),
        ({"Channel": SYSMON_CHANNEL, "EventID": 3, "Image": "C:\\x\\evil.exe"}, []),
        ({"Channel": "Security", "EventID": 4688, "NewProcessName": "C:\\x\\evil.exe"}, [0]),
        ({"Channel": "Security", "EventID": 4624, "NewProcessName": "C:\\x\\evil.exe"}, []),
        ({"Channel": "Application", "EventID": 1, "Image": "C:\\x\\evil.exe"}, []),
    ],
)
def test_rule_only_sees_its_logsource(event: dict[str, object], expected: list[int]) -> None:
    detection = {"selection": {"Image|endswith": "\\evil.exe"}, "condition": "selection"}
    logsource = {"product": "windows", "category": "process_creation"}
    assert matched_indexes(detection, [event], logsource) == expected


def test_real_4688_event_matches_process_creation_rule(shared_data: Path) -> None:
    ruleset = RuleSet.from_paths([shared_data / WMIPRVSE_RULE])
    hits = match_events(ruleset, read_evtx(shared_data / SECURITY_4688))
    assert [hit.title for hit in hits] == ["WmiPrvSE Spawned A Process"]
    assert hits[0].event["Event"]["System"]["EventID"] == 4688
