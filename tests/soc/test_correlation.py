"""Sigma correlation rules: each type over events whose times the test sets, and the errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from tinhso.soc.engine import (
    CorrelationEngine,
    CorrelationHit,
    Event,
    Hit,
    RuleSet,
    correlate,
    match_events,
    parse_time,
    timeline,
)
from tinhso.soc.management.commands.soc import Command

START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
FAILED_ID = "00000000-0000-0000-0000-00000000c001"
SUCCESS_ID = "00000000-0000-0000-0000-00000000c002"
CORRELATION_ID = "00000000-0000-0000-0000-00000000c0c0"

BASE_RULES = [
    {
        "title": "Failed logon",
        "id": FAILED_ID,
        "name": "failed_logon",
        "level": "low",
        "logsource": {"product": "windows", "service": "security"},
        "detection": {"selection": {"EventID": 4625}, "condition": "selection"},
    },
    {
        "title": "Successful logon",
        "id": SUCCESS_ID,
        "name": "successful_logon",
        "level": "informational",
        "logsource": {"product": "windows", "service": "security"},
        "detection": {"selection": {"EventID": 4624}, "condition": "selection"},
    },
]


def _correlation(body: dict[str, Any], **attributes: Any) -> dict[str, Any]:
    return {
        "title": "Test correlation",
        "id": CORRELATION_ID,
        "level": "high",
        "tags": ["attack.credential-access", "attack.t1110"],
        **attributes,
        "correlation": body,
    }


def _text(*documents: dict[str, Any]) -> str:
    return yaml.safe_dump_all([*BASE_RULES, *documents], sort_keys=False)


def _event(seconds: float, event_id: int, **fields: Any) -> Event:
    time = (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    record = {
        "EventID": event_id,
        "Channel": "Security",
        "Computer": "ws1.example.test",
        "TimeCreated": time,
        **fields,
    }
    return Event(record, dict(record))


def _ruleset(*documents: dict[str, Any]) -> RuleSet:
    ruleset = RuleSet.from_text(_text(*documents))
    assert [str(error) for error in ruleset.rejected] == []
    return ruleset


def _run(ruleset: RuleSet, events: list[Event]) -> list[Hit | CorrelationHit]:
    labels = [str(index) for index in range(len(events))]
    return timeline(ruleset.correlations, match_events(ruleset, events, labels))


def _correlation_hits(ruleset: RuleSet, events: list[Event]) -> list[CorrelationHit]:
    return [hit for hit in _run(ruleset, events) if isinstance(hit, CorrelationHit)]


def _failures(*seconds: float, **fields: Any) -> list[Event]:
    return [_event(second, 4625, **fields) for second in seconds]


EVENT_COUNT = {
    "type": "event_count",
    "rules": ["failed_logon"],
    "group-by": ["TargetUserName"],
    "timespan": "1m",
    "condition": {"gte": 3},
}


def test_event_count_fires_with_metadata() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    (hit,) = _correlation_hits(ruleset, _failures(0, 10, 20, TargetUserName="alice"))
    assert hit.rule_id == CORRELATION_ID
    assert hit.title == "Test correlation"
    assert hit.level == "high"
    assert hit.tags == ("attack.credential-access", "attack.t1110")
    assert hit.group == (("TargetUserName", "alice"),)
    assert hit.count == 3
    assert hit.first_time == "2026-03-01T08:00:00Z"
    assert hit.last_time == "2026-03-01T08:00:20Z"
    assert [event.file for event in hit.events] == ["0", "1", "2"]
    assert hit.kind == "correlation"


@pytest.mark.parametrize(
    ("seconds", "fires"),
    [
        # The third hit exactly one timespan after the first is still inside the window.
        ((0, 30, 60), True),
        ((0, 30, 60.5), False),
        ((0, 59, 60, 119), True),
    ],
)
def test_event_count_window_edge(seconds: tuple[float, ...], fires: bool) -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    hits = _correlation_hits(ruleset, _failures(*seconds, TargetUserName="alice"))
    assert len(hits) == int(fires)


def test_event_count_groups_apart() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    events = [
        *_failures(0, 1, TargetUserName="alice"),
        *_failures(2, 3, TargetUserName="bob"),
        *_failures(4, TargetUserName="alice"),
    ]
    (hit,) = _correlation_hits(ruleset, events)
    assert hit.group == (("TargetUserName", "alice"),)
    assert [event.file for event in hit.events] == ["0", "1", "4"]


def test_missing_group_field_is_own_group() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    events = [
        *_failures(0, 1, TargetUserName="alice"),
        # No TargetUserName, and an empty one: both are "no value", one group.
        *_failures(2),
        *_failures(3, TargetUserName=""),
        *_failures(4),
    ]
    (hit,) = _correlation_hits(ruleset, events)
    assert hit.group == (("TargetUserName", None),)
    assert [event.file for event in hit.events] == ["2", "3", "4"]


def test_missing_group_field_does_not_join_others() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    events = [*_failures(0, 1, TargetUserName="alice"), *_failures(2)]
    assert _correlation_hits(ruleset, events) == []


def test_burst_gives_one_hit() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    # After firing, the group starts again: six hits in a minute give two correlation hits.
    hits = _correlation_hits(ruleset, _failures(0, 1, 2, 3, 4, 5, TargetUserName="alice"))
    assert [hit.count for hit in hits] == [3, 3]


def test_event_count_without_group_by() -> None:
    body = {**EVENT_COUNT, "group-by": []}
    ruleset = _ruleset(_correlation(body))
    events = [*_failures(0, TargetUserName="alice"), *_failures(1, 2, TargetUserName="bob")]
    (hit,) = _correlation_hits(ruleset, events)
    assert hit.group == ()


@pytest.mark.parametrize(
    ("condition", "seconds", "expected"),
    [
        # A range is complete only when the window closes, so 4 hits do not match 2..3.
        ({"gt": 1, "lte": 3}, (0, 10), [2]),
        ({"gt": 1, "lte": 3}, (0, 10, 20, 30), []),
        ({"eq": 2}, (0, 10, 100, 110), [2, 2]),
        ({"lt": 2}, (0, 100), [1, 1]),
        ({"neq": 2}, (0, 10, 20), [3]),
    ],
)
def test_event_count_upper_bounds(
    condition: dict[str, int], seconds: tuple[float, ...], expected: list[int]
) -> None:
    ruleset = _ruleset(_correlation({**EVENT_COUNT, "condition": condition}))
    hits = _correlation_hits(ruleset, _failures(*seconds, TargetUserName="alice"))
    assert [hit.count for hit in hits] == expected


VALUE_COUNT = {
    "type": "value_count",
    "rules": [FAILED_ID],
    "group-by": ["IpAddress"],
    "timespan": "5m",
    "condition": {"field": "TargetUserName", "gte": 3},
}


def test_value_count_counts_distinct_values() -> None:
    ruleset = _ruleset(_correlation(VALUE_COUNT))
    events = [
        _event(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        _event(10, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        _event(20, 4625, IpAddress="10.0.0.9", TargetUserName="bob"),
        _event(30, 4625, IpAddress="10.0.0.7", TargetUserName="carol"),
        _event(40, 4625, IpAddress="10.0.0.9", TargetUserName="carol"),
    ]
    (hit,) = _correlation_hits(ruleset, events)
    assert hit.group == (("IpAddress", "10.0.0.9"),)
    assert hit.count == 3
    assert [event.file for event in hit.events] == ["0", "1", "2", "4"]


def test_value_count_ignores_missing_value() -> None:
    ruleset = _ruleset(_correlation(VALUE_COUNT))
    events = [
        _event(0, 4625, IpAddress="10.0.0.9", TargetUserName="alice"),
        _event(10, 4625, IpAddress="10.0.0.9"),
        _event(20, 4625, IpAddress="10.0.0.9", TargetUserName="bob"),
    ]
    assert _correlation_hits(ruleset, events) == []


TEMPORAL = {
    "type": "temporal",
    "rules": ["failed_logon", "successful_logon"],
    "group-by": ["TargetUserName"],
    "timespan": "1m",
}


@pytest.mark.parametrize(
    ("correlation_type", "events", "fires"),
    [
        ("temporal", [(0, 4625), (60, 4624)], True),
        ("temporal", [(0, 4624), (30, 4625)], True),
        ("temporal", [(0, 4625), (61, 4624)], False),
        ("temporal", [(0, 4625), (10, 4625)], False),
        ("temporal_ordered", [(0, 4625), (30, 4624)], True),
        ("temporal_ordered", [(0, 4624), (30, 4625)], False),
        ("temporal_ordered", [(0, 4624), (10, 4625), (20, 4624)], True),
        ("temporal_ordered", [(0, 4625), (60, 4624)], True),
        ("temporal_ordered", [(0, 4625), (61, 4624)], False),
    ],
)
def test_temporal(correlation_type: str, events: list[tuple[int, int]], fires: bool) -> None:
    ruleset = _ruleset(_correlation({**TEMPORAL, "type": correlation_type}))
    timed = [_event(second, event_id, TargetUserName="alice") for second, event_id in events]
    hits = _correlation_hits(ruleset, timed)
    assert len(hits) == int(fires)


@pytest.mark.parametrize(("failures", "fires"), [(1, False), (2, True)])
def test_temporal_ordered_repeated_rule(failures: int, fires: bool) -> None:
    body = {**TEMPORAL, "type": "temporal_ordered", "rules": ["failed_logon", "failed_logon"]}
    ruleset = _ruleset(_correlation(body))
    hits = _correlation_hits(ruleset, _failures(*range(failures), TargetUserName="alice"))
    assert len(hits) == int(fires)


def test_temporal_needs_same_group() -> None:
    ruleset = _ruleset(_correlation(TEMPORAL))
    events = [
        _event(0, 4625, TargetUserName="alice"),
        _event(10, 4624, TargetUserName="bob"),
    ]
    assert _correlation_hits(ruleset, events) == []


def test_temporal_count_condition() -> None:
    body = {**TEMPORAL, "condition": {"gte": 1}}
    ruleset = _ruleset(_correlation(body))
    hits = _correlation_hits(ruleset, [_event(0, 4624, TargetUserName="alice")])
    assert [hit.count for hit in hits] == [1]


def test_aliases_group_by_other_fields() -> None:
    body = {
        **TEMPORAL,
        "group-by": ["account"],
        "aliases": {
            "account": {"failed_logon": "TargetUserName", "successful_logon": "SubjectUserName"}
        },
    }
    ruleset = _ruleset(_correlation(body))
    events = [
        _event(0, 4625, TargetUserName="alice", SubjectUserName="-"),
        _event(10, 4624, TargetUserName="-", SubjectUserName="alice"),
    ]
    (hit,) = _correlation_hits(ruleset, events)
    assert hit.group == (("account", "alice"),)


@pytest.mark.parametrize(("generate", "rule_hits"), [(False, 0), (True, 3)])
def test_generate_controls_rule_hits(generate: bool, rule_hits: int) -> None:
    ruleset = _ruleset(_correlation({**EVENT_COUNT, "generate": generate}))
    rows = _run(ruleset, _failures(0, 1, 2, TargetUserName="alice"))
    assert sum(1 for row in rows if isinstance(row, Hit)) == rule_hits
    assert sum(1 for row in rows if isinstance(row, CorrelationHit)) == 1


def test_unreferenced_rule_hits_stay() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    rows = _run(ruleset, [_event(0, 4624, TargetUserName="alice")])
    assert [row.rule_id for row in rows] == [SUCCESS_ID]


def test_timeline_sorted_by_time() -> None:
    ruleset = _ruleset(_correlation({**EVENT_COUNT, "generate": True}))
    rows = _run(ruleset, [*_failures(0, 1, 2, TargetUserName="alice"), _event(3, 4624)])
    assert [row.kind for row in rows] == ["rule", "rule", "rule", "correlation", "rule"]
    assert [row.time for row in rows] == sorted(row.time for row in rows)


CHAIN = [
    {
        "title": "Failed logons followed by a successful logon",
        "id": "00000000-0000-0000-0000-00000000c0c1",
        "level": "critical",
        "correlation": {
            "type": "temporal_ordered",
            "rules": ["many_failed_logons", "successful_logon"],
            "group-by": ["TargetUserName"],
            "timespan": "10m",
        },
    },
    {
        "title": "Many failed logons",
        "id": "00000000-0000-0000-0000-00000000c0c2",
        "name": "many_failed_logons",
        "correlation": {
            "type": "event_count",
            "rules": ["failed_logon"],
            "group-by": ["TargetUserName"],
            "timespan": "10m",
            "condition": {"gte": 3},
        },
    },
]


def test_chained_correlation() -> None:
    ruleset = _ruleset(*CHAIN)
    events = [
        *_failures(0, 60, 120, TargetUserName="alice"),
        _event(180, 4624, TargetUserName="alice"),
        # Bob logs on without the failures first: no hit for him.
        _event(190, 4624, TargetUserName="bob"),
    ]
    rows = _run(ruleset, events)
    # Neither correlation generates, so the rule hits and the inner correlation's hit are
    # left out, Bob's logon included.
    assert [(row.kind, row.rule_id) for row in rows] == [
        ("correlation", "00000000-0000-0000-0000-00000000c0c1"),
    ]
    outer = rows[0]
    assert isinstance(outer, CorrelationHit)
    assert outer.group == (("TargetUserName", "alice"),)
    assert [event.file for event in outer.events] == ["0", "1", "2", "3"]
    assert outer.first_time == "2026-03-01T08:00:00Z"
    assert outer.last_time == "2026-03-01T08:03:00Z"


def test_stream_feeds_hits_in_time_order() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    engine = ruleset.correlations.engine()
    hits = match_events(ruleset, _failures(0, 10, 20, TargetUserName="alice"))
    assert engine.feed(hits[0]) == []
    assert engine.feed(hits[1]) == []
    (fired,) = engine.feed(hits[2])
    assert fired.count == 3


def test_stream_evicts_old_windows() -> None:
    ruleset = _ruleset(_correlation(EVENT_COUNT))
    engine = ruleset.correlations.engine()
    for hit in match_events(ruleset, _failures(0, 10, TargetUserName="alice")):
        engine.feed(hit)
    assert engine.open_hits() == 2
    assert engine.advance(START + timedelta(seconds=70)) == []
    assert engine.open_hits() == 1
    assert engine.advance(START + timedelta(seconds=71)) == []
    assert engine.open_hits() == 0


def test_stream_closes_upper_bound_window() -> None:
    ruleset = _ruleset(_correlation({**EVENT_COUNT, "condition": {"lt": 3}}))
    engine = ruleset.correlations.engine()
    for hit in match_events(ruleset, _failures(0, 10, TargetUserName="alice")):
        assert engine.feed(hit) == []
    # The window of the first hit is complete only once its timespan has passed.
    assert engine.advance(START + timedelta(seconds=60)) == []
    (fired,) = engine.advance(START + timedelta(seconds=61))
    assert fired.count == 2


def test_stream_matches_whole_hunt() -> None:
    ruleset = _ruleset(*CHAIN)
    events = [*_failures(0, 60, 120, TargetUserName="alice"), _event(180, 4624)]
    events[-1].fields["TargetUserName"] = "alice"
    hits = match_events(ruleset, events)
    engine = CorrelationEngine(ruleset.correlations.correlations)
    streamed = [fired for hit in hits for fired in engine.feed(hit)] + engine.flush()
    assert streamed == correlate(ruleset.correlations, hits)


def test_correlation_in_other_file(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump_all(BASE_RULES), encoding="utf-8")
    (tmp_path / "correlations").mkdir()
    (tmp_path / "correlations" / "mr_brute_force.yml").write_text(
        yaml.safe_dump(_correlation(EVENT_COUNT)), encoding="utf-8"
    )
    ruleset = RuleSet.from_paths([tmp_path])
    assert ruleset.rejected == []
    assert len(ruleset.rules) == 2
    assert [linked.members for linked in ruleset.correlations.correlations] == [(FAILED_ID,)]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({**EVENT_COUNT, "rules": ["no_such_rule"]}, "unknown-rule-reference", "'no_such_rule'"),
        ({**EVENT_COUNT, "timespan": "5x"}, "invalid-timespan", "invalid timespan '5x'"),
        ({**EVENT_COUNT, "timespan": "0m"}, "invalid-timespan", "must be positive"),
        ({**EVENT_COUNT, "timespan": "1 h"}, "invalid-timespan", "such as 90m"),
        ({k: v for k, v in EVENT_COUNT.items() if k != "timespan"}, "invalid-timespan", "no"),
        ({**EVENT_COUNT, "type": "event_sum"}, "invalid-correlation", "'event_sum'"),
        ({**EVENT_COUNT, "type": "value_sum"}, "unsupported-correlation", "not supported"),
        (
            {k: v for k, v in EVENT_COUNT.items() if k != "condition"},
            "missing-condition",
            "needs a 'condition'",
        ),
        ({**EVENT_COUNT, "condition": {"more": 3}}, "invalid-condition", "'more'"),
        ({**EVENT_COUNT, "condition": {"gte": "3"}}, "invalid-condition", "whole number"),
        ({**EVENT_COUNT, "condition": "failed_logon"}, "invalid-condition", "is an expression"),
        ({**VALUE_COUNT, "condition": {"gte": 3}}, "invalid-condition", "needs 'field'"),
        ({**EVENT_COUNT, "rules": []}, "invalid-correlation", "names no 'rules'"),
        ({**EVENT_COUNT, "generate": "yes"}, "invalid-correlation", "'generate'"),
        (
            {**TEMPORAL, "aliases": {"account": {"other_rule": "User"}}},
            "invalid-correlation",
            "'other_rule'",
        ),
    ],
)
def test_invalid_correlation_rejected(body: dict[str, Any], code: str, message: str) -> None:
    ruleset = RuleSet.from_text(_text(_correlation(body)))
    (error,) = ruleset.rejected
    assert error.code == code
    assert message in error.reason
    assert error.rule_id == CORRELATION_ID
    # The base rules of the same file are still loaded.
    assert len(ruleset.rules) == 2
    assert ruleset.correlations.correlations == []


def test_correlation_cycle_rejected() -> None:
    first = {**_correlation(EVENT_COUNT), "name": "first", "id": "c-first"}
    first["correlation"] = {**EVENT_COUNT, "rules": ["second"]}
    second = {**_correlation(EVENT_COUNT), "name": "second", "id": "c-second"}
    second["correlation"] = {**EVENT_COUNT, "rules": ["first"]}
    ruleset = RuleSet.from_text(_text(first, second))
    assert sorted((error.rule_id, error.code) for error in ruleset.rejected) == [
        ("c-first", "correlation-cycle"),
        ("c-second", "correlation-cycle"),
    ]


def test_correlation_on_rejected_rule() -> None:
    broken = {
        "title": "Broken",
        "id": "00000000-0000-0000-0000-00000000c0ff",
        "logsource": {"product": "windows"},
        "detection": {"selection": {"Image|sortof": "x"}, "condition": "selection"},
    }
    body = {**EVENT_COUNT, "rules": ["00000000-0000-0000-0000-00000000c0ff"]}
    ruleset = RuleSet.from_text(_text(broken, _correlation(body)))
    assert sorted(error.code for error in ruleset.rejected) == [
        "rejected-rule-reference",
        "unknown-modifier",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-24T23:43:34.1364217Z", datetime(2025, 10, 24, 23, 43, 34, 136421, UTC)),
        ("2025-10-24T23:43:34Z", datetime(2025, 10, 24, 23, 43, 34, tzinfo=UTC)),
        ("2025-10-24 23:43:34.134", datetime(2025, 10, 24, 23, 43, 34, 134000, UTC)),
        ("2025-10-25T06:43:34+07:00", datetime(2025, 10, 24, 23, 43, 34, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


# The regression sample of this rule creates three credential dump tools within 0.1 s.
CRED_DUMP_RULE = Path("soc/sigma/rules/windows/file/file_event")
CRED_DUMP_CASE = Path(
    "soc/sigma/regression_data/rules/windows/file/file_event/"
    "file_event_win_cred_dump_tools_dropped_files"
)


def _hunt_command(shared_data: Path, tmp_path: Path, generate: bool, fmt: str) -> str:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = shared_data / CRED_DUMP_RULE / "file_event_win_cred_dump_tools_dropped_files.yml"
    (rules / rule.name).write_bytes(rule.read_bytes())
    correlation = _correlation(
        {
            "type": "event_count",
            "rules": ["8fbf3271-1ef6-4e94-8210-03c2317947f6"],
            "group-by": ["Computer", "User"],
            "timespan": "1s",
            "condition": {"gte": 3},
            "generate": generate,
        },
        title="Several credential dump tools dropped",
    )
    (rules / "mr_cred_dump_burst.yml").write_text(yaml.safe_dump(correlation), encoding="utf-8")
    out = tmp_path / f"timeline.{fmt}"
    stderr = io.StringIO()
    call_command(
        Command(),
        "hunt",
        str(shared_data / CRED_DUMP_CASE),
        "--rules",
        str(rules),
        "--format",
        fmt,
        "--out",
        str(out),
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert "1 correlation rules loaded, 1 correlation hits" in stderr.getvalue()
    return out.read_text(encoding="utf-8")


@pytest.fixture
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")


@pytest.mark.usefixtures("english_messages")
def test_command_writes_correlation_jsonl(shared_data: Path, tmp_path: Path) -> None:
    text = _hunt_command(shared_data, tmp_path, generate=False, fmt="jsonl")
    (row,) = [json.loads(line) for line in text.splitlines()]
    assert row["kind"] == "correlation"
    assert row["rule_id"] == CORRELATION_ID
    assert row["title"] == "Several credential dump tools dropped"
    assert row["host"] == "ar-win-dc.attackrange.local"
    summary = row["event"]["correlation"]
    assert summary["type"] == "event_count"
    assert summary["group"] == {
        "Computer": "ar-win-dc.attackrange.local",
        "User": "ATTACKRANGE\\Administrator",
    }
    assert summary["count"] == 3
    assert [event["event_record_id"] for event in summary["events"]] == [26359, 26366, 26373]
    assert row["time"] == summary["last_time"] == "2025-10-24T23:43:34.183790Z"


@pytest.mark.usefixtures("english_messages")
def test_command_writes_kind_column_csv(shared_data: Path, tmp_path: Path) -> None:
    text = _hunt_command(shared_data, tmp_path, generate=True, fmt="csv")
    rows = list(csv.DictReader(text.splitlines()))
    assert [row["kind"] for row in rows] == ["rule", "rule", "rule", "correlation"]
    assert list(rows[0])[-1] == "kind"
    assert json.loads(rows[3]["event"])["correlation"]["count"] == 3


def test_invalid_correlation_file_named(tmp_path: Path) -> None:
    path = tmp_path / "mr_bad.yml"
    path.write_text(_text(_correlation({**EVENT_COUNT, "timespan": "1w"})), encoding="utf-8")
    ruleset = RuleSet.from_paths([tmp_path])
    (error,) = ruleset.rejected
    assert error.rule_id == CORRELATION_ID
    assert error.path == path
    assert f"rule {CORRELATION_ID}, file {path}: invalid timespan '1w'" in str(error)
    assert len(ruleset.rules) == 2


def test_chained_events_in_time_order() -> None:
    def inner(name: str, rule: str) -> dict[str, Any]:
        return {
            "title": name,
            "id": f"c-{name}",
            "name": name,
            "correlation": {
                "type": "event_count",
                "rules": [rule],
                "group-by": ["TargetUserName"],
                "timespan": "1m",
                "condition": {"gte": 2},
            },
        }

    outer = _correlation({**TEMPORAL, "rules": ["failures", "successes"]})
    ruleset = _ruleset(
        outer, inner("failures", "failed_logon"), inner("successes", "successful_logon")
    )
    events = [
        _event(second, event_id, TargetUserName="alice")
        for second, event_id in [(0, 4625), (1, 4624), (2, 4625), (3, 4624)]
    ]
    (hit,) = _correlation_hits(ruleset, events)
    assert [event.file for event in hit.events] == ["0", "1", "2", "3"]
    assert [member.rule_id for member in hit.members] == ["c-failures", "c-successes"]
