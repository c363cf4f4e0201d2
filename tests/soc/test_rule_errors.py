"""Rules that cannot be compiled raise RuleError with the rule id, file and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.soc.support import match_one, matched_indexes, rule_text
from tinhso.soc.engine import RuleError, RuleSet, compile_rule, load_rule_file, parse_rules
from tinhso.soc.engine.safe_regex import MAX_TIMEOUTS

RULE_ID = "00000000-0000-0000-0000-000000000001"


def _compile_all(text: str) -> None:
    for rule in parse_rules(text, Path("test.yml")):
        compile_rule(rule)


@pytest.mark.parametrize(
    ("detection", "code", "message"),
    [
        (
            {"sel": {"Image|sortof": "x"}, "condition": "sel"},
            "unknown-modifier",
            "unknown value modifier 'sortof'",
        ),
        (
            {"sel": {"Image|re": "(a+)+$"}, "condition": "sel"},
            "dangerous-regex",
            "nested unbounded quantifiers",
        ),
        (
            {"sel": {"Image|re": "(\\w*\\s?)*x"}, "condition": "sel"},
            "dangerous-regex",
            "can backtrack exponentially",
        ),
        (
            {"sel": {"Image|re": "(unclosed"}, "condition": "sel"},
            "invalid-regex",
            "invalid regular expression '(unclosed'",
        ),
        (
            {"sel": {"Image|i": "x"}, "condition": "sel"},
            "invalid-modifier",
            "needs the 're' modifier",
        ),
        (
            {"sel": {"Ip|cidr": "10.0.0.0/33"}, "condition": "sel"},
            "invalid-value",
            "invalid CIDR network",
        ),
        ({"sel": {"Count|gt": "many"}, "condition": "sel"}, "invalid-value", "needs a number"),
        (
            {"sel": {"Image|wide": "x"}, "condition": "sel"},
            "invalid-modifier",
            "must be followed by base64",
        ),
        (
            {"sel": {"Image|base64": "a*"}, "condition": "sel"},
            "invalid-value",
            "cannot encode a value with wildcards",
        ),
        (
            {"sel": {"User|expand": "%Admins%"}, "condition": "sel"},
            "unknown-placeholder",
            "%Admins%",
        ),
        ({"sel": {"Image": "x"}, "condition": "other"}, "unknown-identifier", "'other'"),
        (
            {"sel": {"Image": "x"}, "condition": "1 of filter_*"},
            "unknown-identifier",
            "matches no search identifier",
        ),
        (
            {"sel": {"Image": "x"}, "condition": "sel | count() > 5"},
            "unsupported-aggregation",
            "aggregations",
        ),
        ({"sel": {"Image": "x"}, "condition": "(sel"}, "invalid-condition", "not closed"),
        ({"sel": {"Image": "x"}, "condition": "sel and"}, "invalid-condition", "ends too early"),
        ({"sel": {}, "condition": "sel"}, "invalid-selection", "empty"),
        ({"sel": {"Image": []}, "condition": "sel"}, "invalid-value", "empty value list"),
        ({"sel": {"Image": "x"}}, "missing-condition", "no 'condition'"),
        ({"sel": {"Image": "x"}, "condition": ""}, "invalid-condition", "empty"),
        ({"sel": {"Image": "x"}, "condition": 5}, "invalid-condition", "string or a list"),
        ({"sel": {"Image": "x"}, "condition": "sel )"}, "invalid-condition", "unexpected ')'"),
        ({"sel": {"Image|re": "(?:a|b+)*c"}, "condition": "sel"}, "dangerous-regex", "nested"),
        ({"sel": {"Image|re": "(x+x+)+y"}, "condition": "sel"}, "dangerous-regex", "nested"),
        ({"sel": {"Image|re": "([a-z]{2,})*$"}, "condition": "sel"}, "dangerous-regex", "nested"),
        ({"sel": {"Image|exists": "yes"}, "condition": "sel"}, "invalid-value", "true or false"),
        ({"sel": {"Image|fieldref": ["A", "B"]}, "condition": "sel"}, "invalid-value", "one field"),
        (
            {"sel": {"Image|fieldref|neq": "A"}, "condition": "sel"},
            "invalid-modifier",
            "'fieldref'",
        ),
        ({"sel": {"Image|exists|neq": True}, "condition": "sel"}, "invalid-modifier", "'exists'"),
        ({"sel": {"|neq": "x"}, "condition": "sel"}, "invalid-modifier", "needs a field"),
        ({"sel": {"Time|hour": "late"}, "condition": "sel"}, "invalid-value", "whole numbers"),
        (
            {"sel": {"Time|hour|contains": 3}, "condition": "sel"},
            "invalid-modifier",
            "cannot be combined with 'contains'",
        ),
        ({"sel": {"Count|lt": [1, 2]}, "condition": "sel"}, "invalid-value", "exactly one number"),
        (
            {"sel": {"Image": None, "User|all": [None, "x"]}, "condition": "sel"},
            "invalid-value",
            "null",
        ),
        ({"sel": {"Image": {"nested": 1}}, "condition": "sel"}, "invalid-value", "nested dict"),
    ],
)
def test_rule_rejected(detection: dict[str, Any], code: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        _compile_all(rule_text(detection))
    assert caught.value.code == code
    assert message in str(caught.value)
    assert caught.value.rule_id == RULE_ID
    assert caught.value.path == Path("test.yml")


def test_missing_detection_rejected() -> None:
    text = "title: No detection\nid: 00000000-0000-0000-0000-0000000000d1\nlogsource: {}\n"
    with pytest.raises(RuleError) as caught:
        parse_rules(text, Path("test.yml"))
    assert caught.value.code == "missing-detection"
    assert caught.value.rule_id == "00000000-0000-0000-0000-0000000000d1"
    assert "no 'detection' map" in str(caught.value)


def test_invalid_yaml_in_text() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules("title: x\ndetection:\n  sel: [a\n", Path("inline.yml"))
    assert caught.value.code == "invalid-yaml"
    assert caught.value.path == Path("inline.yml")
    assert "invalid YAML" in caught.value.reason


def test_invalid_yaml_names_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("title: x\ndetection: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rule_file(path)
    assert caught.value.code == "invalid-yaml"
    assert str(path) in str(caught.value)


def test_ruleset_keeps_good_rules(tmp_path: Path) -> None:
    (tmp_path / "good.yml").write_text(
        rule_text({"sel": {"A": "x"}, "condition": "sel"}), encoding="utf-8"
    )
    (tmp_path / "bad.yml").write_text(
        rule_text({"sel": {"A|nope": "x"}, "condition": "sel"}), encoding="utf-8"
    )
    (tmp_path / "broken.yml").write_text("detection: {", encoding="utf-8")
    ruleset = RuleSet.from_paths([tmp_path])
    assert len(ruleset.rules) == 1
    assert sorted(error.code for error in ruleset.rejected) == ["invalid-yaml", "unknown-modifier"]


def test_multi_document_collection() -> None:
    text = """\
action: global
title: Collection
logsource: {product: windows}
detection:
  condition: sel
---
id: 00000000-0000-0000-0000-00000000000a
detection:
  sel: {Image: a.exe}
---
id: 00000000-0000-0000-0000-00000000000b
detection:
  sel: {Image: b.exe}
"""
    rules = parse_rules(text)
    assert [rule.id for rule in rules] == [
        "00000000-0000-0000-0000-00000000000a",
        "00000000-0000-0000-0000-00000000000b",
    ]
    assert all(rule.title == "Collection" for rule in rules)
    assert all(rule.detection["condition"] == "sel" for rule in rules)


def test_every_windows_rule_compiles(shared_data: Path) -> None:
    ruleset = RuleSet.from_paths([shared_data / "soc" / "sigma" / "rules" / "windows"])
    assert [str(error) for error in ruleset.rejected] == []
    assert len(ruleset.rules) == 2407


def test_slow_regex_times_out_as_no_match(caplog: pytest.LogCaptureFixture) -> None:
    # Alternation without nested quantifiers passes the compile check but still backtracks
    # exponentially on this value; the search timeout stops it.
    detection = {"sel": {"CommandLine|re": "^(a|aa)+$"}, "condition": "sel"}
    with caplog.at_level("WARNING", logger="tinhso.soc.engine.safe_regex"):
        matched = match_one(detection, {"CommandLine": "a" * 60 + "b"})
    assert matched is False
    assert "timed out" in caplog.text


def test_slow_regex_disabled_after_timeouts(caplog: pytest.LogCaptureFixture) -> None:
    detection = {"sel": {"CommandLine|re": "^(a|aa)+$"}, "condition": "sel"}
    # Distinct values, so that each one is searched: the first MAX_TIMEOUTS time out, the
    # rest are not searched at all.
    events = [{"CommandLine": "a" * (60 + index) + "b"} for index in range(MAX_TIMEOUTS + 2)]
    with caplog.at_level("WARNING", logger="tinhso.soc.engine.safe_regex"):
        assert matched_indexes(detection, events) == []
    assert caplog.text.count("timed out on a value") == MAX_TIMEOUTS
    assert "is disabled" in caplog.text
