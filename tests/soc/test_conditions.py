"""Sigma conditions: boolean operators, parentheses, quantifiers and selection shapes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.soc.support import matched_indexes
from tinhso.soc.engine import flatten_event

# Events 0..3 cover the four combinations of "a" and "b".
EVENTS = [
    {"A": "yes", "B": "yes"},
    {"A": "yes", "B": "no"},
    {"A": "no", "B": "yes"},
    {"A": "no", "B": "no"},
]
SELECTIONS = {
    "sel_a": {"A": "yes"},
    "sel_b": {"B": "yes"},
    "_private": {"A": "no"},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("sel_a", [0, 1]),
        ("sel_a and sel_b", [0]),
        ("sel_a or sel_b", [0, 1, 2]),
        ("not sel_a", [2, 3]),
        ("sel_a and not sel_b", [1]),
        ("not sel_a and not sel_b", [3]),
        ("not (sel_a or sel_b)", [3]),
        ("sel_a or sel_b and not sel_a", [0, 1, 2]),
        ("(sel_a or sel_b) and not sel_a", [2]),
        ("SEL_A", None),
        ("1 of sel_*", [0, 1, 2]),
        ("any of sel_*", [0, 1, 2]),
        ("all of sel_*", [0]),
        ("1 of them", [0, 1, 2]),
        ("all of them", [0]),
        ("_private and not 1 of sel_*", [3]),
        ("sel_a AND NOT sel_b", [1]),
        # A pattern without "_" also matches, and "them" leaves out names starting with "_".
        ("1 of sel*", [0, 1, 2]),
        ("all of sel*", [0]),
        ("1 of *_b", [0, 2]),
        ("not not sel_a", [0, 1]),
        ("((sel_a) and (not (sel_b)))", [1]),
        ("not 1 of them", [3]),
        ("not all of them", [1, 2, 3]),
        ("all of them or _private", [0, 2, 3]),
        ("1 of them and 1 of _priv*", [2]),
    ],
)
def test_condition(condition: str, expected: list[int] | None) -> None:
    detection: dict[str, Any] = {**SELECTIONS, "condition": condition}
    if expected is None:
        with pytest.raises(Exception, match="unknown-identifier"):
            matched_indexes(detection, EVENTS)
        return
    assert matched_indexes(detection, EVENTS) == expected


def test_condition_list_is_or() -> None:
    detection = {**SELECTIONS, "condition": ["sel_a and sel_b", "not sel_a and not sel_b"]}
    assert matched_indexes(detection, EVENTS) == [0, 3]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # A map: every field must match.
        ({"A": "yes", "B": "yes"}, [0]),
        # A list of maps: any map may match.
        ([{"A": "yes", "B": "no"}, {"A": "no", "B": "yes"}], [1, 2]),
        # A value list: any value may match.
        ({"B": ["no", "maybe"]}, [1, 3]),
        # A keyword list: any keyword anywhere in the event.
        (["maybe", "no"], [1, 2, 3]),
    ],
)
def test_selection_shape(selection: Any, expected: list[int]) -> None:
    detection = {"selection": selection, "condition": "selection"}
    assert matched_indexes(detection, EVENTS) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # The field is missing from every event: the selection is false, so its negation holds.
        ("selection", []),
        ("not selection", [0, 1, 2, 3]),
        ("sel_a and not selection", [0, 1]),
    ],
)
def test_missing_field_is_no_value(condition: str, expected: list[int]) -> None:
    detection = {
        "selection": {"FieldNoEventHas|contains": "x"},
        "sel_a": {"A": "yes"},
        "condition": condition,
    }
    assert matched_indexes(detection, EVENTS) == expected


def test_missing_field_in_some_events() -> None:
    events = [{"A": "yes", "Extra": "x"}, {"A": "yes"}]
    detection = {
        "sel_a": {"A": "yes"},
        "filter": {"Extra": "x"},
        "condition": "sel_a and not filter",
    }
    assert matched_indexes(detection, events) == [1]


def test_field_names_ignore_case() -> None:
    # The same field spelled two ways in one batch, as different Windows versions do.
    events = [{"ImagePath": "C:\\a.exe"}, {"imagepath": "C:\\a.exe"}, {"IMAGEPATH": "C:\\b.exe"}]
    detection = {"selection": {"ImagePath|endswith": "\\a.exe"}, "condition": "selection"}
    assert matched_indexes(detection, events) == [0, 1]


def test_spaced_field_names_match() -> None:
    # Windows Defender writes "Threat Name"; SigmaHQ rules write ThreatName.
    record = {
        "Event": {
            "System": {
                "EventID": 1116,
                "Channel": "Microsoft-Windows-Windows Defender/Operational",
            },
            "EventData": {"Threat Name": "Virus:DOS/EICAR_Test_File", "ThreatID": "2147519003"},
        }
    }
    fields = flatten_event(record)
    assert fields["ThreatName"] == "Virus:DOS/EICAR_Test_File"
    assert fields["Threat Name"] == "Virus:DOS/EICAR_Test_File"
    detection = {"selection": {"ThreatName|endswith": "EICAR_Test_File"}, "condition": "selection"}
    assert matched_indexes(detection, [fields]) == [0]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("keywords", [1, 2, 3]),
        ("keywords and not sel_a", [2, 3]),
        ("1 of key* and sel_b", [2]),
    ],
)
def test_keyword_list_in_condition(condition: str, expected: list[int]) -> None:
    detection: dict[str, Any] = {"keywords": ["no", "maybe"], **SELECTIONS, "condition": condition}
    assert matched_indexes(detection, EVENTS) == expected
