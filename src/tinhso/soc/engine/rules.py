"""Load Sigma rules from YAML: single rules, multi-document files and Sigma 1 rule collections."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tinhso.soc.engine.errors import RuleError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigmaRule:
    """A parsed Sigma rule before compilation."""

    id: str
    title: str
    level: str
    tags: tuple[str, ...]
    logsource: dict[str, str]
    detection: dict[str, Any]
    path: Path | None = None
    status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def attack_tags(self) -> tuple[str, ...]:
        """Tags of the ``attack.`` namespace (MITRE ATT&CK tactics and techniques)."""
        return tuple(tag for tag in self.tags if tag.startswith("attack."))


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Merge two rule documents the way Sigma 1 collections do: nested maps are merged."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _documents(text: str, path: Path | None) -> list[Any]:
    try:
        return [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.YAMLError as error:
        raise RuleError("invalid-yaml", f"invalid YAML: {error}", path=path) from error


def _resolve_collection(documents: list[Any], path: Path | None) -> Iterator[dict[str, Any]]:
    """Yield the rules of a file, applying ``action: global``, ``reset`` and ``repeat``."""
    global_part: dict[str, Any] = {}
    previous: dict[str, Any] | None = None
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise RuleError(
                "invalid-rule",
                f"YAML document {index + 1} is a {type(document).__name__}, expected a map",
                path=path,
            )
        action = document.get("action")
        body = {key: value for key, value in document.items() if key != "action"}
        if action == "global":
            global_part = _merge(global_part, body)
            continue
        if action == "reset":
            global_part = {}
            continue
        if action == "repeat":
            if previous is None:
                raise RuleError(
                    "invalid-rule", "'action: repeat' without a previous rule", path=path
                )
            previous = _merge(previous, body)
        elif action is None:
            previous = _merge(global_part, body)
        else:
            raise RuleError("invalid-rule", f"unknown collection action {action!r}", path=path)
        yield previous


def _rule_from_document(document: dict[str, Any], path: Path | None) -> SigmaRule | None:
    """Build a rule, or return None for a correlation or filter document, which are not rules."""
    rule_id = str(document.get("id") or "")
    if "correlation" in document or "filter" in document:
        logger.debug("Skipping non-detection document %s in %s", rule_id, path)
        return None
    detection = document.get("detection")
    if not isinstance(detection, dict):
        raise RuleError(
            "missing-detection", "the rule has no 'detection' map", rule_id=rule_id, path=path
        )
    if "condition" not in detection:
        raise RuleError(
            "missing-condition",
            "the 'detection' map has no 'condition'",
            rule_id=rule_id,
            path=path,
        )
    logsource = document.get("logsource") or {}
    if not isinstance(logsource, dict):
        raise RuleError(
            "invalid-logsource", "'logsource' must be a map", rule_id=rule_id, path=path
        )
    tags = document.get("tags") or []
    if not isinstance(tags, list):
        raise RuleError("invalid-rule", "'tags' must be a list", rule_id=rule_id, path=path)
    return SigmaRule(
        id=rule_id,
        title=str(document.get("title") or ""),
        level=str(document.get("level") or ""),
        tags=tuple(str(tag).lower() for tag in tags),
        logsource={str(key): str(value).lower() for key, value in logsource.items()},
        detection=detection,
        path=path,
        status=str(document.get("status") or ""),
        raw=document,
    )


def parse_rules(text: str, path: Path | None = None) -> list[SigmaRule]:
    """Parse the rules of one YAML text; raise RuleError for invalid YAML or an invalid rule."""
    rules = []
    for document in _resolve_collection(_documents(text, path), path):
        rule = _rule_from_document(document, path)
        if rule is not None:
            rules.append(rule)
    return rules


def load_rule_file(path: Path) -> list[SigmaRule]:
    """Load the rules of one ``.yml`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError("unreadable-file", f"cannot read the file: {error}", path=path) from error
    return parse_rules(text, path)


def rule_files(directory: Path) -> list[Path]:
    """Return the ``.yml`` and ``.yaml`` files under a directory (or the file itself), sorted."""
    if directory.is_file():
        return [directory]
    return sorted(
        candidate
        for candidate in directory.rglob("*")
        if candidate.suffix in (".yml", ".yaml") and candidate.is_file()
    )
