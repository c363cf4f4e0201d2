"""Hunting over real attack samples with all Windows rules, and the ``soc hunt`` command."""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tinhso.soc.cli.hunt import TIMELINE_COLUMNS
from tinhso.soc.engine import Hit, RuleSet, hunt
from tinhso.soc.management.commands.soc import Command

RULES = Path("soc") / "sigma" / "rules" / "windows"
SAMPLES = Path("soc") / "evtx-attack-samples"
CREDENTIAL_ACCESS = SAMPLES / "Credential Access"
SECURITY_4688 = SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
WMIPRVSE_RULE = RULES / "process_creation" / "proc_creation_win_wmiprvse_spawning_process.yml"


@pytest.fixture(scope="module")
def windows_rules(shared_data: Path) -> RuleSet:
    return RuleSet.from_paths([shared_data / RULES])


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command speaks Vietnamese unless told otherwise; these tests read English."""
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")


def _by_file(hits: list[Hit]) -> dict[str, list[tuple[str, str]]]:
    grouped: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for hit in hits:
        grouped[hit.file].append((hit.time, hit.rule_id))
    return {file: sorted(pairs) for file, pairs in grouped.items()}


def test_file_hits_do_not_depend_on_other_files(shared_data: Path, windows_rules: RuleSet) -> None:
    together, _summary = hunt(windows_rules, [shared_data / CREDENTIAL_ACCESS])
    files = sorted((shared_data / CREDENTIAL_ACCESS).glob("*.evtx"))
    alone: dict[str, list[tuple[str, str]]] = {}
    for file in files:
        hits, _ = hunt(windows_rules, [file])
        alone.update(_by_file(hits))
    assert _by_file(together) == alone


def test_small_batches_give_same_hits(shared_data: Path, windows_rules: RuleSet) -> None:
    large, _ = hunt(windows_rules, [shared_data / CREDENTIAL_ACCESS])
    small, _ = hunt(windows_rules, [shared_data / CREDENTIAL_ACCESS], batch_events=7)
    assert _by_file(small) == _by_file(large)


def test_timeline_is_sorted_by_time(shared_data: Path, windows_rules: RuleSet) -> None:
    hits, summary = hunt(windows_rules, [shared_data / CREDENTIAL_ACCESS])
    assert summary.hits == len(hits) > 0
    assert [hit.time for hit in hits] == sorted(hit.time for hit in hits)


def test_hit_carries_rule_metadata(shared_data: Path) -> None:
    ruleset = RuleSet.from_paths([shared_data / WMIPRVSE_RULE])
    (hit,) = hunt(ruleset, [shared_data / SECURITY_4688])[0]
    assert hit.rule_id == "d21374ff-f574-44a7-9998-4a8c8bf33d7d"
    assert hit.level == "medium"
    assert "attack.execution" in hit.tags
    assert all(tag.startswith("attack.") for tag in hit.tags)
    assert hit.computer == hit.event["Event"]["System"]["Computer"]


def _run(*arguments: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(Command(), *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_command_writes_jsonl(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.jsonl"
    _stdout, stderr = _run(
        "hunt",
        str(shared_data / SECURITY_4688),
        "--rules",
        str(shared_data / WMIPRVSE_RULE),
        "--out",
        str(out),
    )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["title"] for row in rows] == ["WmiPrvSE Spawned A Process"]
    assert set(rows[0]) == set(TIMELINE_COLUMNS)
    assert "1 rules loaded" in stderr
    assert "1 hits" in stderr


def test_command_writes_csv(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    _run(
        "hunt",
        str(shared_data / SECURITY_4688),
        "--rules",
        str(shared_data / WMIPRVSE_RULE),
        "--format",
        "csv",
        "--out",
        str(out),
    )
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [row["rule_id"] for row in rows] == ["d21374ff-f574-44a7-9998-4a8c8bf33d7d"]
    assert json.loads(rows[0]["event"])["Event"]["System"]["EventID"] == 4688


def test_command_lists_rejected_rules(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("title: x\ndetection: {sel: {A|nope: 1}, condition: sel}\n")
    (tmp_path / "good.yml").write_bytes((shared_data / WMIPRVSE_RULE).read_bytes())
    stdout, stderr = _run("hunt", str(shared_data / SECURITY_4688), "--rules", str(tmp_path))
    assert "unknown value modifier 'nope'" in stderr
    assert "1 rules rejected" in stderr
    assert len(stdout.splitlines()) == 1


def test_command_rejects_missing_rules_path(shared_data: Path, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no-such-folder"):
        _run("hunt", str(shared_data / SECURITY_4688), "--rules", str(tmp_path / "no-such-folder"))


def test_command_fills_placeholders(shared_data: Path, tmp_path: Path) -> None:
    rule = tmp_path / "expand.yml"
    rule.write_text(
        "title: Process of a watched image\n"
        "id: 00000000-0000-0000-0000-0000000000e1\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  selection: {Image|expand: '%watched%'}\n"
        "  condition: selection\n",
        encoding="utf-8",
    )
    arguments = ["hunt", str(shared_data / SECURITY_4688), "--rules", str(rule)]
    with pytest.raises(CommandError, match="No usable Sigma rule"):
        _run(*arguments)
    stdout, _stderr = _run(*arguments, "--placeholder", "watched=*\\notepad.exe")
    assert [json.loads(line)["rule_id"] for line in stdout.splitlines()] == [
        "00000000-0000-0000-0000-0000000000e1"
    ]


def test_command_rejects_bad_placeholder(shared_data: Path) -> None:
    with pytest.raises(CommandError, match="expected NAME=VALUE"):
        _run(
            "hunt",
            str(shared_data / SECURITY_4688),
            "--rules",
            str(shared_data / WMIPRVSE_RULE),
            "--placeholder",
            "novalue",
        )


def test_hunt_restores_garbage_collector(shared_data: Path) -> None:
    ruleset = RuleSet.from_paths([shared_data / WMIPRVSE_RULE])
    assert gc.isenabled()
    hunt(ruleset, [shared_data / SECURITY_4688])
    assert gc.isenabled()
    gc.disable()
    try:
        hunt(ruleset, [shared_data / SECURITY_4688])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_command_exits_1_on_unreadable_file(
    shared_data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    damaged = tmp_path / "damaged.evtx"
    damaged.write_bytes((shared_data / SECURITY_4688).read_bytes()[:5000])
    out = tmp_path / "timeline.jsonl"
    stderr = io.StringIO()
    arguments = [str(damaged), str(shared_data / SECURITY_4688)]

    with pytest.raises(CommandError) as raised:
        call_command(
            Command(), "hunt", *arguments, "--rules", str(shared_data / WMIPRVSE_RULE),
            "--out", str(out), stdout=io.StringIO(), stderr=stderr,
        )  # fmt: skip

    assert raised.value.returncode == 1
    assert "1 of 2 files could not be read" in str(raised.value)
    hits = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [hit["rule_id"] for hit in hits] == ["d21374ff-f574-44a7-9998-4a8c8bf33d7d"]
    assert stderr.getvalue().count(str(damaged)) == 1
    assert str(damaged) not in caplog.text


def test_command_help_documents_exit_status() -> None:
    parser = Command().create_parser("tinhso", "soc")
    actions = next(action for action in parser._actions if action.dest == "action")
    help_text = " ".join(actions.choices["hunt"].format_help().split())
    assert "1 when a file could not be read" in help_text
