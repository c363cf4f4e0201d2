"""The SigmaHQ regression suite: each Windows rule fires on its own EVTX sample.

A case folder contains ``info.yml`` (the rule id and, for some cases, ``match_count``) and the
EVTX file. The rule file sits at the path that mirrors the case folder under the rule sets. Rules
renamed since then are found by their id.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SHARED_DATA
from tinhso.soc.engine import RuleSet, match_events, read_evtx

RULE_SETS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
SIGMA = Path("soc") / "sigma"
REGRESSION = SIGMA / "regression_data"

# Cases whose match_count is lower than the number of events that the rule, as written,
# matches in the sample. Each extra event is a genuine match, so the engine is not changed.
OVER_MATCHES = {
    "rules/windows/file/file_event/file_event_win_cred_dump_tools_dropped_files": (
        "the sample creates procdump.exe, procdump64.exe and procdump64a.exe, all three listed "
        "in the rule's TargetFilename|endswith values, but match_count is 1"
    ),
    "rules/windows/registry/registry_set/registry_set_change_security_zones": (
        "the sample sets three ZoneMap\\Domains values (http, https, *) to DWORD 2, each "
        "matching the rule, but match_count is 1"
    ),
}


def _windows_cases(root: Path) -> list[str]:
    base = root / REGRESSION
    if not base.is_dir():
        return []
    return sorted(
        info.parent.relative_to(base).as_posix()
        for info in base.rglob("info.yml")
        if "/windows/" in info.parent.relative_to(base).as_posix()
    )


def _params() -> list[Any]:
    params = []
    for case in _windows_cases(SHARED_DATA):
        marks = []
        if case in OVER_MATCHES:
            marks.append(pytest.mark.xfail(reason=OVER_MATCHES[case], strict=True))
        params.append(pytest.param(case, id=case, marks=marks))
    return params


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


def test_suite_has_windows_cases(shared_data: Path) -> None:
    assert len(_windows_cases(shared_data)) == 135


@pytest.mark.parametrize("case", _params())
def test_regression_case(shared_data: Path, case: str) -> None:
    folder = shared_data / REGRESSION / case
    info = yaml.safe_load((folder / "info.yml").read_text(encoding="utf-8"))
    rule_id = info["rule_metadata"][0]["id"]
    test_info = info["regression_tests_info"][0]
    ruleset = RuleSet.from_paths([_rule_path(shared_data, case, rule_id)])
    assert ruleset.rejected == []
    assert [compiled.rule.id for compiled in ruleset.rules] == [rule_id]

    events = read_evtx(shared_data / SIGMA / test_info["path"])
    hits = match_events(ruleset, events)
    assert len(hits) >= 1
    if test_info.get("match_count") is not None:
        assert len(hits) == test_info["match_count"]
