"""Queries over administrative units in time, and re-aggregation onto successor units."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone

from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Unit, UnitLevel, UnitLink
from tinhso.core.models.units import CODE_WIDTH

logger = logging.getLogger(__name__)

REFORM_DATE = dt.date(2025, 7, 1)
# ISO 3166 code of the country unit, which has no statistical code of its own.
COUNTRY_CODE = "VN"
DAY_BEFORE_REFORM = REFORM_DATE - dt.timedelta(days=1)


def code_candidates(raw: str | int) -> list[str]:
    """The canonical codes an official code may stand for, most likely first.

    Codes are accepted with or without leading zeros. The width as written decides the
    order: "8707" and "08707" give ["08707"]; "26" gives ["26", "026", "00026"], a province
    first; "243" gives ["243", "00243"], a district first.
    """
    text = str(raw).strip()
    if text.upper() == COUNTRY_CODE:
        return [COUNTRY_CODE]
    if text.endswith(".0"):  # spreadsheets turn codes into floats
        text = text[:-2]
    if not text.isdigit():
        return []
    digits = text.lstrip("0") or "0"
    widths = sorted(width for width in set(CODE_WIDTH.values()) if width >= len(text))
    return [digits.zfill(width) for width in widths]


def normalize_code(raw: str | int, level: UnitLevel | int) -> str | None:
    """The canonical code of ``raw`` at ``level``, or None when it is not a valid code there."""
    if UnitLevel(level) is UnitLevel.COUNTRY:
        return COUNTRY_CODE if str(raw).strip().upper() == COUNTRY_CODE else None
    width = CODE_WIDTH[UnitLevel(level)]
    text = str(raw).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > width:
        return None
    return digits.zfill(width)


def find_unit(
    code: str | int, date: dt.date | None = None, level: UnitLevel | int | None = None
) -> Unit:
    """The unit with ``code`` valid on ``date`` (today when None).

    When no unit with the code is valid on that date, the one that was valid most recently
    is returned, so that old codes still resolve. Raises UnknownUnitError otherwise.
    """
    candidates = code_candidates(code)
    if level is not None:
        canonical = normalize_code(code, level)
        candidates = [canonical] if canonical else []
    if not candidates:
        raise UnknownUnitError(str(code))

    on_date = date or timezone.localdate()
    for candidate in candidates:
        units = Unit.objects.filter(code=candidate)
        if level is not None:
            units = units.filter(level=level)
        found = units.valid_on(on_date).first()
        if found is None:
            # No unit with this code on that date: the one that ended most recently.
            found = units.filter(valid_to__isnull=False).order_by("-valid_to").first()
        if found is not None:
            return found
    raise UnknownUnitError(str(code))


def units_of(parent: Unit | None, date: dt.date) -> list[Unit]:
    """The units directly under ``parent`` (top-level units when None) valid on ``date``.

    After the 2025 reform a province's communes sit directly under it; before, under its
    districts. Both are "directly under" in the tree of the date asked for.
    """
    units = Unit.objects.valid_on(date)
    units = units.filter(parent__isnull=True) if parent is None else units.filter(parent=parent)
    return list(units.order_by("code"))


def predecessors(unit: Unit) -> list[UnitLink]:
    return list(
        UnitLink.objects.filter(successor=unit)
        .select_related("predecessor")
        .order_by("predecessor__code")
    )


def successors(unit: Unit) -> list[UnitLink]:
    return list(
        UnitLink.objects.filter(predecessor=unit)
        .select_related("successor")
        .order_by("successor__code")
    )


def successors_on(unit: Unit, date: dt.date) -> list[Unit]:
    """Follow succession links from ``unit`` to the units valid on ``date``, in code order.

    A unit still valid on ``date`` is its own answer: Tỉnh Vĩnh Phúc (26) on 30 November
    2025 gives Tỉnh Phú Thọ (25), which it merged into on 1 July 2025.
    """
    found: list[Unit] = []
    frontier = [unit]
    seen: set[int] = set()
    while frontier:
        current = frontier.pop()
        if current.pk in seen:
            continue
        seen.add(current.pk)
        if current.valid_to is None or current.valid_to >= date:
            found.append(current)
            continue
        frontier.extend(link.successor for link in successors(current))
    return sorted(found, key=lambda found_unit: found_unit.code)


# --- Re-aggregation ------------------------------------------------------------------------


class Aggregation(StrEnum):
    SUM = "sum"
    WEIGHTED_MEAN = "weighted_mean"
    LAST = "last"


@dataclass
class AggregatedValue:
    """A value carried over onto a successor unit, with the predecessors it came from."""

    unit: Unit
    value: float | None
    partial: bool = False
    contributors: list[Unit] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)


def reaggregate(
    values: Mapping[int, float],
    aggregation: Aggregation | str,
    *,
    weights: Mapping[int, float] | None = None,
    successor_date: dt.date = REFORM_DATE,
) -> dict[int, AggregatedValue]:
    """Carry ``values`` keyed by old unit id onto the units valid on ``successor_date``.

    ``sum`` adds the predecessors' values, ``weighted_mean`` averages them weighted by
    ``weights`` (population, area: keyed by old unit id, required), ``last`` takes the value
    of the predecessor listed last by code. A result is ``partial`` when a contributing
    predecessor went only partly into the successor (its whole value is counted, so the
    figure overstates the successor) or when a predecessor of the successor has no value.
    Returns results keyed by successor unit id.
    """
    aggregation = Aggregation(aggregation)
    if aggregation is Aggregation.WEIGHTED_MEAN and weights is None:
        raise ValueError("weighted_mean needs weights keyed by old unit id")

    links = (
        UnitLink.objects.filter(predecessor_id__in=list(values))
        .filter(
            Q(successor__valid_from__isnull=True) | Q(successor__valid_from__lte=successor_date)
        )
        .filter(Q(successor__valid_to__isnull=True) | Q(successor__valid_to__gte=successor_date))
        .select_related("predecessor", "successor")
    )
    by_successor: dict[int, list[UnitLink]] = defaultdict(list)
    for link in links:
        by_successor[link.successor_id].append(link)

    # Predecessors of each successor that have no value make the result partial too.
    all_predecessors: dict[int, list[Unit]] = defaultdict(list)
    for link in UnitLink.objects.filter(successor_id__in=list(by_successor)).select_related(
        "predecessor"
    ):
        all_predecessors[link.successor_id].append(link.predecessor)

    results: dict[int, AggregatedValue] = {}
    for successor_id, successor_links in by_successor.items():
        successor_links.sort(key=lambda link: link.predecessor.code)
        contributors = [link.predecessor for link in successor_links]
        missing = [unit for unit in all_predecessors[successor_id] if unit.pk not in values]
        result = AggregatedValue(
            unit=successor_links[0].successor,
            value=_combine(
                aggregation, [values[u.pk] for u in contributors], contributors, weights
            ),
            partial=any(link.partly for link in successor_links) or bool(missing),
            contributors=contributors,
            missing=missing,
        )
        results[successor_id] = result
    return results


def _combine(
    aggregation: Aggregation,
    numbers: list[float],
    units: Iterable[Unit],
    weights: Mapping[int, float] | None,
) -> float | None:
    if not numbers:
        return None
    if aggregation is Aggregation.SUM:
        return float(sum(numbers))
    if aggregation is Aggregation.LAST:
        return float(numbers[-1])
    if weights is None:
        raise ValueError("weighted_mean needs weights")
    unit_weights = [float(weights.get(unit.pk, 0.0)) for unit in units]
    total_weight = sum(unit_weights)
    if total_weight == 0:
        return None
    return sum(n * w for n, w in zip(numbers, unit_weights, strict=True)) / total_weight
