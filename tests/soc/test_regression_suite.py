"""The SigmaHQ regression suite: each Windows rule fires on its own EVTX sample.

A case folder contains ``info.yml`` (the rule id and, under ``regression_tests_info``, the EVTX
file and for some cases ``match_count``), the EVTX file and the same events as JSON. Every
case with an EVTX test is run, whatever folder it sits in, so that cases added later need no
change here. The rule file sits at the path that mirrors the case folder under the rule sets;
rules renamed since then are found by their id.

Counting follows SigmaHQ's own runner (tests/regression_tests_runner.py in SigmaHQ/sigma):
one match per event that the rule matches. Fewer matches than ``match_count`` fail. More
matches are reported as an over-match, which that runner also only warns about, once the test
has shown that every match is a different record of the file, so that no event was counted
twice.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SHARED_DATA
from tinhso.soc.engine import Hit, RuleSet, match_events, read_evtx

RULE_SETS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
SIGMA = Path("soc") / "sigma"
REGRESSION = SIGMA / "regression_data"


def _info(folder: Path) -> dict[str, Any]:
    info = yaml.safe_load((folder / "info.yml").read_text(encoding="utf-8"))
    return info if isinstance(info, dict) else {}


def _evtx_tests(info: dict[str, Any]) -> list[dict[str, Any]]:
    tests = info.get("regression_tests_info") or []
    return [test for test in tests if isinstance(test, dict) and test.get("type") == "evtx"]


def _evtx_cases(root: Path) -> list[str]:
    """Return the case folders, relative to the suite, that have at least one EVTX test."""
    base = root / REGRESSION
    if not base.is_dir():
        return []
    return sorted(
        info.parent.relative_to(base).as_posix()
        for info in base.rglob("info.yml")
        if _evtx_tests(_info(info.parent))
    )


@cache
def _rules_by_id(root: Path) -> dict[str, Path]:
    index = {}
    pattern = re.compile(r"^id:\s*(\S+)", re.MULTILINE)
    for rule_set in RULE_SETS:
        for path in (root / SIGMA / rule_set).rglob("*.yml"):
            match = pattern.search(path.read_text(encoding="utf-8"))
            if match:
                index[match.group(1)] = path
    return index


def _rule_path(root: Path, case: str, rule_id: str) -> Path:
    mirrored = root / SIGMA / f"{case}.yml"
    if mirrored.is_file():
        return mirrored
    return _rules_by_id(root)[rule_id]


def _json_records(folder: Path, evtx: Path) -> list[dict[str, Any]]:
    """Read the case's JSON rendering of the EVTX file: one JSON object after another."""
    path = evtx.with_suffix(".json")
    if not path.is_file():
        path = next(folder.glob("*.json"))
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    records: list[dict[str, Any]] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return records
        record, position = decoder.raw_decode(text, position)
        records.extend(record if isinstance(record, list) else [record])


def _record_id(hit: Hit) -> tuple[str, str, str]:
    system = hit.event["Event"]["System"]
    return (str(system.get("Computer")), str(system.get("Channel")), str(system["EventRecordID"]))


def test_suite_has_windows_cases(shared_data: Path) -> None:
    cases = _evtx_cases(shared_data)
    # This copy of the suite has 135 cases under a windows folder; more may be added.
    assert len([case for case in cases if "/windows/" in case]) >= 135
    assert len(cases) >= len([case for case in cases if "/windows/" in case])


@pytest.mark.parametrize("case", _evtx_cases(SHARED_DATA))
def test_regression_case(shared_data: Path, case: str) -> None:
    folder = shared_data / REGRESSION / case
    info = _info(folder)
    rule_id = info["rule_metadata"][0]["id"]
    ruleset = RuleSet.from_paths([_rule_path(shared_data, case, rule_id)])
    assert [str(error) for error in ruleset.rejected] == []
    assert rule_id in [compiled.rule.id for compiled in ruleset.rules]

    over_matches = []
    for test_info in _evtx_tests(info):
        evtx = shared_data / SIGMA / test_info["path"]
        events = read_evtx(evtx)
        # The reader returns every record of the file, as the case's JSON rendering lists them.
        assert len(events) == len(_json_records(folder, evtx))

        hits = [hit for hit in match_events(ruleset, events) if hit.rule_id == rule_id]
        records = [_record_id(hit) for hit in hits]
        assert len(set(records)) == len(records), "an event record was counted twice"

        expected = test_info.get("match_count")
        if expected is None:
            assert len(hits) >= 1
        else:
            assert len(hits) >= expected
            if len(hits) > expected:
                over_matches.append(
                    f"{evtx.name}: match_count is {expected} but the rule matches "
                    f"{len(hits)} different records (EventRecordID "
                    f"{', '.join(record[2] for record in records)})"
                )
    if over_matches:
        pytest.xfail("over-match: " + "; ".join(over_matches))
