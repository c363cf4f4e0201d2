"""Reading real EVTX files, and damaged copies of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tinhso.soc.engine import EvtxError, RuleSet, hunt, read_evtx
from tinhso.soc.engine.evtx_reader import _decode

SAMPLES = Path("soc") / "evtx-attack-samples"
# A Sysmon log of 565 events spread over several 64 KiB chunks.
MULTI_CHUNK = SAMPLES / "AutomatedTestingTools" / "PanacheSysmon_vs_AtomicRedTeam01.evtx"
SECURITY_4688 = SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
# Fields taken from the System element; they win over an EventData field of the same name.
SYSTEM_FIELDS = {"EventID", "Channel", "Computer", "TimeCreated", "Provider_Name", "Version"}


def test_read_counts_events(shared_data: Path) -> None:
    assert len(read_evtx(shared_data / MULTI_CHUNK)) == 565


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Channel", "Security"),
        ("EventID", 4688),
        ("Provider_Name", "Microsoft-Windows-Security-Auditing"),
        ("NewProcessName", "C:\\Windows\\System32\\notepad.exe"),
        ("ParentProcessName", "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"),
    ],
)
def test_flat_record_fields(shared_data: Path, field: str, expected: object) -> None:
    events = [
        event for event in read_evtx(shared_data / SECURITY_4688) if event.fields["EventID"] == 4688
    ]
    assert events[0].fields[field] == expected


def test_flatten_matches_nested_reading(shared_data: Path) -> None:
    """Flattening gives the fields of a plain recursive reading, where the first name wins."""

    def leaves(node: object, name: str, found: dict[str, object]) -> None:
        if not isinstance(node, dict):
            found.setdefault(name, node)
            return
        if "#text" in node:
            found.setdefault(name, node["#text"])
        for key, value in node.items():
            if key == "#attributes" and isinstance(value, dict):
                for attribute, attribute_value in value.items():
                    found.setdefault(attribute, attribute_value)
            elif key != "#text":
                leaves(value, key, found)

    for event in read_evtx(shared_data / MULTI_CHUNK)[:50]:
        expected: dict[str, object] = {}
        leaves(event.original["Event"].get("EventData"), "EventData", expected)
        for name, value in expected.items():
            assert event.fields[name] == value or name in SYSTEM_FIELDS


def test_decode_accepts_integers_beyond_64_bits() -> None:
    assert _decode('{"a": 18446744073709551616}') == {"a": 18446744073709551616}
    assert _decode('{"a": "b"}') == {"a": "b"}


def test_flat_record_keeps_original(shared_data: Path) -> None:
    event = read_evtx(shared_data / SECURITY_4688)[0]
    assert event.original["Event"]["System"]["Computer"] == event.fields["Computer"]


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        (2000, "the header announces 15 chunks"),
        (4096 + 30000, "truncated: the header announces"),
        (4096 + 65536 + 100, "truncated: the header announces"),
    ],
)
def test_truncated_file_is_an_error(
    shared_data: Path, tmp_path: Path, size: int, reason: str
) -> None:
    damaged = tmp_path / "damaged.evtx"
    damaged.write_bytes((shared_data / MULTI_CHUNK).read_bytes()[:size])
    with pytest.raises(EvtxError) as caught:
        read_evtx(damaged)
    assert reason in str(caught.value)
    assert str(damaged) in str(caught.value)


def test_not_an_evtx_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.evtx"
    path.write_bytes(b"plain text, not an event log" * 200)
    with pytest.raises(EvtxError, match="no 'ElfFile' header"):
        read_evtx(path)


def test_hunt_skips_damaged_file_and_continues(shared_data: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "a_damaged.evtx"
    damaged.write_bytes((shared_data / MULTI_CHUNK).read_bytes()[: 4096 + 30000])
    intact = tmp_path / "b_intact.evtx"
    shutil.copyfile(shared_data / SECURITY_4688, intact)
    rules = RuleSet.from_paths(
        [shared_data / "soc" / "sigma" / "rules" / "windows" / "process_creation"]
    )

    hits, summary = hunt(rules, [tmp_path])

    assert summary.files == 2
    assert [failure.path for failure in summary.files_failed] == [damaged]
    assert summary.events == len(read_evtx(intact))
    assert {hit.file for hit in hits} == {str(intact)}
