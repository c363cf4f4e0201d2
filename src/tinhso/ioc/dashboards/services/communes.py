"""Values of one indicator and period per commune, for the choropleth map and the commune
tables, on the current communes or on the units valid before the 2025 reform.

A period that ended before 1 July 2025 has its values on the old communes. The history
switch shows them as they were (``old``) or re-aggregated onto the current communes
(``new``) with :func:`tinhso.core.services.units.reaggregate`, which marks a result
partial when a predecessor went only partly into the commune or has no value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from tinhso.core.models import Unit
from tinhso.core.services import units as unit_service
from tinhso.ioc import periods
from tinhso.ioc.dashboards.services.scope import ProvinceScope, old_communes
from tinhso.ioc.models import Aggregation, DataValue, Indicator

logger = logging.getLogger(__name__)

# A sequential blue palette with five classes, light to dark; no-data units are grey.
CLASS_COLOURS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA_COLOUR = "#c8c8c8"


class History(StrEnum):
    """The display of values of periods before the reform."""

    NEW = "new"  # re-aggregated onto the current communes
    OLD = "old"  # on the units valid at the time


@dataclass
class CommuneValue:
    unit: Unit
    value: float | None
    url: str = ""
    partial: bool = False
    contributors: list[Unit] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)


@dataclass
class CommuneTable:
    indicator: Indicator
    period: periods.Period
    history: History
    rows: list[CommuneValue]

    @property
    def on_old_units(self) -> bool:
        return self.history is History.OLD and self.period.end < unit_service.REFORM_DATE

    @property
    def missing(self) -> list[CommuneValue]:
        return [row for row in self.rows if row.value is None]


def _reaggregation_mode(indicator: Indicator) -> unit_service.Aggregation:
    if indicator.aggregation == Aggregation.SUM:
        return unit_service.Aggregation.SUM
    if indicator.aggregation == Aggregation.LAST:
        return unit_service.Aggregation.LAST
    # Means, weighted means and maxima are carried over as weighted means with equal weights.
    # NOTE: a weighted-mean indicator should use the values of its weight indicator here.
    return unit_service.Aggregation.WEIGHTED_MEAN


def reaggregate_onto(
    unit: Unit, indicator: Indicator, numbers: dict[int, float]
) -> unit_service.AggregatedValue | None:
    """Re-aggregate the values of ``unit``'s predecessors (keyed by old unit id) onto it."""
    if not numbers:
        return None
    mode = _reaggregation_mode(indicator)
    weights = (
        dict.fromkeys(numbers, 1.0) if mode is unit_service.Aggregation.WEIGHTED_MEAN else None
    )
    return unit_service.reaggregate(numbers, mode, weights=weights).get(unit.pk)


def reaggregated_url(indicator: Indicator, period: str, unit: Unit) -> str:
    query = urlencode(
        {"indicator": indicator.code, "period": period, "basis": "reaggregated", "unit": unit.code}
    )
    return f"{reverse('ioc_dashboards:computed')}?{query}"


def commune_table(
    values: QuerySet[DataValue],
    indicator: Indicator,
    period: periods.Period,
    scope: ProvinceScope,
    history: History = History.NEW,
) -> CommuneTable:
    """Return the value of every commune of the province for ``indicator`` and ``period``."""
    before_reform = period.end < unit_service.REFORM_DATE
    if before_reform and history is History.OLD:
        units = old_communes(scope)
        return CommuneTable(indicator, period, history, _stored(values, indicator, period, units))
    current = list(Unit.objects.filter(pk__in=scope.commune_ids).order_by("code"))
    if not before_reform:
        return CommuneTable(indicator, period, history, _stored(values, indicator, period, current))
    return CommuneTable(
        indicator, period, history, _reaggregated(values, indicator, period, scope, current)
    )


def _stored(
    values: QuerySet[DataValue], indicator: Indicator, period: periods.Period, units: list[Unit]
) -> list[CommuneValue]:
    rows = values.filter(
        indicator=indicator,
        period=period.code,
        disaggregation="",
        unit_id__in=[u.pk for u in units],
    ).values_list("unit_id", "value", "id")
    found = {unit_id: (value, value_id) for unit_id, value, value_id in rows}
    result = []
    for unit in units:
        value, value_id = found.get(unit.pk, (None, None))
        url = reverse("ioc_dashboards:value", args=[value_id]) if value_id else ""
        result.append(CommuneValue(unit, value, url))
    return result


def old_values(
    values: QuerySet[DataValue], indicator: Indicator, period: periods.Period, units: list[Unit]
) -> dict[int, float]:
    rows = values.filter(
        indicator=indicator, period=period.code, disaggregation="", value__isnull=False,
        unit_id__in=[u.pk for u in units],
    ).values_list("unit_id", "value")  # fmt: skip
    return {unit_id: float(value) for unit_id, value in rows if value is not None}


def _reaggregated(
    values: QuerySet[DataValue],
    indicator: Indicator,
    period: periods.Period,
    scope: ProvinceScope,
    current: list[Unit],
) -> list[CommuneValue]:
    numbers = old_values(values, indicator, period, old_communes(scope))
    mode = _reaggregation_mode(indicator)
    weights = (
        dict.fromkeys(numbers, 1.0) if mode is unit_service.Aggregation.WEIGHTED_MEAN else None
    )
    results = unit_service.reaggregate(numbers, mode, weights=weights) if numbers else {}
    rows = []
    for unit in current:
        result = results.get(unit.pk)
        if result is None:
            rows.append(CommuneValue(unit, None))
            continue
        rows.append(
            CommuneValue(
                unit,
                result.value,
                reaggregated_url(indicator, period.code, unit),
                result.partial,
                result.contributors,
                result.missing,
            )
        )
    return rows


def classes(numbers: list[float], count: int = len(CLASS_COLOURS)) -> list[dict[str, Any]]:
    """Split ``numbers`` into up to ``count`` quantile classes with their colours."""
    if not numbers:
        return []
    ordered = sorted(numbers)
    bounds = []
    for index in range(count + 1):
        position = round(index * (len(ordered) - 1) / count)
        bounds.append(ordered[position])
    result: list[dict[str, Any]] = []
    for index in range(count):
        low, high = bounds[index], bounds[index + 1]
        if result and low == result[-1]["max"] and high == low:
            continue
        members = [n for n in ordered if (n >= low if index == 0 else n > low) and n <= high]
        result.append(
            {"min": low, "max": high, "count": len(members), "colour": CLASS_COLOURS[index]}
        )
    return result


def colour_of(value: float, bins: list[dict[str, Any]]) -> str:
    for entry in bins:
        if value <= entry["max"]:
            return str(entry["colour"])
    return str(bins[-1]["colour"]) if bins else NO_DATA_COLOUR
