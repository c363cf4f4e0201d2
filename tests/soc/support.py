"""Helpers for the Sigma engine tests: build rules and events in a few lines."""

from __future__ import annotations

from typing import Any

import yaml

from tinhso.soc.engine import Event, RuleSet, match_events


def rule_text(detection: dict[str, Any], logsource: dict[str, str] | None = None) -> str:
    """Return the YAML of a minimal rule with this detection."""
    document = {
        "title": "Test rule",
        "id": "00000000-0000-0000-0000-000000000001",
        "level": "high",
        "tags": ["attack.execution", "attack.t1059", "detection.threat-hunting"],
        "logsource": logsource or {"product": "windows"},
        "detection": detection,
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def matched_indexes(
    detection: dict[str, Any],
    events: list[dict[str, Any]],
    logsource: dict[str, str] | None = None,
) -> list[int]:
    """Return the positions of the events that the rule with this detection matches."""
    ruleset = RuleSet.from_text(rule_text(detection, logsource))
    if ruleset.rejected:
        raise ruleset.rejected[0]
    labels = [str(index) for index in range(len(events))]
    hits = match_events(ruleset, [Event(dict(event), dict(event)) for event in events], labels)
    return [int(hit.file) for hit in hits]


def match_one(detection: dict[str, Any], event: dict[str, Any]) -> bool:
    """Return whether the rule with this detection matches the single event."""
    return matched_indexes(detection, [event]) == [0]
