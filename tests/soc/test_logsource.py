"""Log source pre-filters and the Security 4688 field mapping, on real rules and events."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soc.support import matched_indexes
from tinhso.soc.engine import RuleSet, match_events, read_evtx
from tinhso.soc.engine.logsource import SYSMON_CHANNEL, targets_for

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
        ({"product": "windows", "category": "image_load"}, {SYSMON_CHANNEL}, {"7"}),
        (
            {"product": "windows", "category": "registry_event"},
            {SYSMON_CHANNEL},
            {"12", "13", "14"},
        ),
        (
            {"product": "windows", "category": "ps_script"},
            {"Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"},
            {"4104"},
        ),
        ({"product": "windows", "category": "ps_classic_start"}, {"Windows PowerShell"}, {"400"}),
        ({"product": "windows", "category": "no_such_category"}, None, None),
        ({"product": "linux", "category": "process_creation"}, None, None),
    ],
)
def test_single_target(
    logsource: dict[str, str], channels: set[str] | None, event_ids: set[str] | None
) -> None:
    (target,) = targets_for(logsource)
    assert target.channels == (None if channels is None else frozenset(channels))
    assert target.event_ids == (None if event_ids is None else frozenset(event_ids))


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
