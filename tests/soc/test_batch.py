"""Column batches: each event is read alone, whatever other events share its batch."""

from __future__ import annotations

import re

import numpy as np

from tests.soc.support import matched_indexes
from tinhso.soc.engine.batch import Column, EventBatch, required_literals
from tinhso.soc.engine.values import compile_item

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def test_column_compares_values_as_text() -> None:
    column = Column(5, np.array([0, 1, 2, 3]), [1, True, "1", 1.0])
    texts = [column.uniques[code] for code in column.inverse]
    assert texts == ["1", "true", "1", "1.0", None]


def test_column_reads_list_values_as_joined_text() -> None:
    column = Column(2, np.array([0, 1]), [["a", None, "b"], "a,,b"])
    assert column.uniques == [None, "a,,b"]
    assert column.inverse.tolist() == [1, 1]


def test_batch_reads_records_of_different_shapes() -> None:
    records: list[dict[str, object]] = [
        {"A": "x", "B": 1},
        {"B": 2},
        {"b": 3, "C": "z"},
        {"A": "y", "B": 1},
    ]
    batch = EventBatch(records)
    assert batch.column("b").values == ["1", "2", "3", "1"]
    assert batch.column("A").values == ["x", None, None, "y"]
    assert not batch.column("missing").present
    assert batch.column("missing").values == [None] * 4


def test_view_lists_only_fields_of_its_events() -> None:
    batch = EventBatch([{"A": "x"}, {"B": "y"}, {"A": "z", "C": "w"}])
    assert batch.view(np.array([1])).field_names() == ["B"]
    assert sorted(batch.view(np.array([0, 2])).field_names()) == ["A", "C"]


def test_needles_find_each_value_once() -> None:
    batch = EventBatch([{"A": "abcabc"}, {"A": "xabc"}, {"A": "ab"}, {"A": "abcd"}])
    column = batch.column("A")
    column.announce(False, ["abc", "\x00ab", "bc\x00", "\x00ab\x00"])
    index = column._index(False)
    assert index is not None
    assert index.values_with("abc").tolist() == [1, 2, 4]
    assert index.values_with("\x00ab").tolist() == [1, 3, 4]
    assert index.values_with("bc\x00").tolist() == [1, 2]
    assert index.values_with("\x00ab\x00").tolist() == [3]
    # A needle not announced is searched on demand.
    assert index.values_with("cd").tolist() == [4]


def test_missing_field_is_no_value_in_any_batch() -> None:
    detection = {"selection": {"Missing": "x"}, "condition": "not selection"}
    lacking = {"Channel": SYSMON, "EventID": 1, "Image": "a.exe"}
    having = {"Channel": SYSMON, "EventID": 1, "Image": "b.exe", "Missing": "x"}
    assert matched_indexes(detection, [lacking]) == [0]
    assert matched_indexes(detection, [lacking, having]) == [0]
    null_rule = {"selection": {"Missing": None}, "condition": "selection"}
    assert matched_indexes(null_rule, [lacking]) == [0]
    assert matched_indexes(null_rule, [having, lacking]) == [1]


def test_renamed_field_is_read_per_event() -> None:
    logsource = {"product": "windows", "category": "process_creation"}
    detection = {"selection": {"Image|endswith": "\\cmd.exe"}, "condition": "selection"}
    security = {
        "Channel": "Security",
        "EventID": 4688,
        "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
    }
    # A 4688 event without NewProcessName falls back to the rule's own field name.
    odd = {"Channel": "Security", "EventID": 4688, "Image": "C:\\x\\cmd.exe"}
    sysmon = {"Channel": SYSMON, "EventID": 1, "Image": "C:\\Windows\\cmd.exe"}
    events = [security, odd, sysmon]
    assert matched_indexes(detection, events, logsource) == [0, 1, 2]
    assert matched_indexes(detection, [odd], logsource) == [0]


def test_keyword_matches_any_field_of_the_event_only() -> None:
    logsource = {"product": "windows", "service": "system"}
    detection = {"keywords": ["mimikatz"], "condition": "keywords"}
    system = {"Channel": "System", "EventID": 7045, "ImagePath": "c:\\temp\\MIMIKATZ.exe"}
    clean = {"Channel": "System", "EventID": 7045, "ImagePath": "c:\\windows\\svc.exe"}
    other = {"Channel": SYSMON, "EventID": 1, "Image": "c:\\mimikatz.exe"}
    assert matched_indexes(detection, [clean, system, other], logsource) == [1]


def _general(modifiers: list[str], values: list[str]) -> re.Pattern[str]:
    test = compile_item("CommandLine", modifiers, values, {})
    general = test.pattern_sets[0].general
    assert general is not None
    return general


def test_required_literals_of_wildcard_patterns() -> None:
    general = _general(["windash", "contains"], ["-enc abc", "/decode"])
    assert required_literals(general) == ("enc abc", "decode")
    assert required_literals(_general([], ["*a?b*"])) == ("a",)
    # A pattern with no literal between its wildcards leaves nothing to search first.
    assert required_literals(_general([], ["*?*", "*x?y*"])) is None


def test_prefiltered_wildcards_match_as_before() -> None:
    detection = {
        "selection": {"CommandLine|windash|contains": ["-enc ", "-e JAB"], "Image": "*\\pw?h.exe"},
        "condition": "selection",
    }
    events = [
        {"Channel": SYSMON, "EventID": 1, "Image": "C:\\x\\pwsh.exe", "CommandLine": "pwsh /enc Z"},
        {
            "Channel": SYSMON,
            "EventID": 1,
            "Image": "C:\\x\\pwsh.exe",
            "CommandLine": "pwsh \u2013e JAB",
        },
        {"Channel": SYSMON, "EventID": 1, "Image": "C:\\x\\pwsh.exe", "CommandLine": "pwsh -en Z"},
        {"Channel": SYSMON, "EventID": 1, "Image": "C:\\x\\cmd.exe", "CommandLine": "cmd -enc Z"},
    ]
    logsource = {"product": "windows", "category": "process_creation"}
    assert matched_indexes(detection, events, logsource) == [0, 1]
