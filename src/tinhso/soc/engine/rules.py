"""Load Sigma rules from YAML: single rules, multi-document files and Sigma 1 rule collections.

A file may also contain Sigma correlation rules (documents with a ``correlation`` map), next to
the rules they reference or apart from them. They are parsed by
:func:`tinhso.soc.engine.correlation.parse_correlation`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tinhso.soc.engine.correlation import CorrelationRule, parse_correlation
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
    # The optional unique name by which correlation rules may reference the rule.
    name: str = ""

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
    """Build a rule, or return None for a filter document, which is not a rule."""
    rule_id = str(document.get("id") or "")
    if "filter" in document:
        # NOTE: Sigma filters (a separate part of the specification) are not applied yet.
        logger.info("Skipping Sigma filter document %s in %s", rule_id or "-", path)
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
        name=str(document.get("name") or ""),
    )


@dataclass
class RuleDocuments:
    """The detection rules and correlation rules of one YAML text.

    ``rejected`` contains the errors of invalid correlation documents. The other documents of
    the text are still loaded.
    """

    rules: list[SigmaRule] = field(default_factory=list)
    correlations: list[CorrelationRule] = field(default_factory=list)
    rejected: list[RuleError] = field(default_factory=list)


def parse_documents(text: str, path: Path | None = None) -> RuleDocuments:
    """Parse the rules and correlation rules of one YAML text.

    Raise RuleError for invalid YAML or an invalid detection rule, which reject the whole text.
    An invalid correlation goes to ``rejected`` instead.
    """
    parsed = RuleDocuments()
    for document in _resolve_collection(_documents(text, path), path):
        if "correlation" in document:
            try:
                parsed.correlations.append(parse_correlation(document, path))
            except RuleError as error:
                parsed.rejected.append(error)
            continue
        rule = _rule_from_document(document, path)
        if rule is not None:
            parsed.rules.append(rule)
    return parsed


def parse_rules(text: str, path: Path | None = None) -> list[SigmaRule]:
    """Parse the detection rules of one YAML text; raise RuleError for any invalid document."""
    parsed = parse_documents(text, path)
    if parsed.rejected:
        raise parsed.rejected[0]
    return parsed.rules


def load_rule_documents(path: Path) -> RuleDocuments:
    """Load the rules and correlation rules of one ``.yml`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError("unreadable-file", f"cannot read the file: {error}", path=path) from error
    return parse_documents(text, path)


def load_rule_file(path: Path) -> list[SigmaRule]:
    """Load the detection rules of one ``.yml`` file."""
    parsed = load_rule_documents(path)
    if parsed.rejected:
        raise parsed.rejected[0]
    return parsed.rules


def rule_files(directory: Path) -> list[Path]:
    """Return the ``.yml`` and ``.yaml`` files under a directory (or the file itself), sorted."""
    if directory.is_file():
        return [directory]
    return sorted(
        candidate
        for candidate in directory.rglob("*")
        if candidate.suffix in (".yml", ".yaml") and candidate.is_file()
    )
