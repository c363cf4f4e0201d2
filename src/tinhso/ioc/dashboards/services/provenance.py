"""The provenance of computed numbers: the stored values that a province total or a
re-aggregation combines, and the units without a value."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db.models import QuerySet

from tinhso.core.models import Unit
from tinhso.core.services import units as unit_service
from tinhso.ioc import periods
from tinhso.ioc.dashboards.services import series as series_service
from tinhso.ioc.dashboards.services.communes import reaggregate_onto
from tinhso.ioc.dashboards.services.scope import ProvinceScope
from tinhso.ioc.models import DataValue, Indicator

logger = logging.getLogger(__name__)


@dataclass
class ComputedFigure:
    """A computed figure with the stored values it combines and the units without one."""

    indicator: Indicator
    period: periods.Period
    basis: str
    value: float | None
    partial: bool
    unit: Unit | None = None
    sources: list[DataValue] = field(default_factory=list)
    missing: list[Unit] = field(default_factory=list)


def province_figure(
    values: QuerySet[DataValue],
    indicator: Indicator,
    period: periods.Period,
    basis: series_service.Basis,
    scope: ProvinceScope,
) -> ComputedFigure:
    """Return a province figure computed from the former provinces' or the communes' values."""
    if basis is series_service.Basis.FORMER_PROVINCES:
        unit_ids = list(scope.former_province_ids)
    else:
        unit_ids = list(scope.commune_ids)
    sources = list(
        values.filter(
            indicator=indicator, period=period.code, disaggregation="", unit_id__in=unit_ids
        )
        .filter(value__isnull=False)
        .select_related("unit")
        .order_by("unit__code")
    )
    found = {row.unit_id for row in sources}
    missing = list(Unit.objects.filter(pk__in=set(unit_ids) - found).order_by("code"))
    row = {
        "total": sum(v.value for v in sources if v.value is not None),
        "mean": (sum(v.value for v in sources if v.value is not None) / len(sources))
        if sources
        else None,
        "largest": max((v.value for v in sources if v.value is not None), default=None),
    }
    value = series_service.combine(indicator, row) if sources else None
    return ComputedFigure(
        indicator, period, basis.value, value, bool(missing), sources=sources, missing=missing
    )


def reaggregated_figure(
    values: QuerySet[DataValue], indicator: Indicator, period: periods.Period, unit: Unit
) -> ComputedFigure:
    """Return the value of old communes re-aggregated onto ``unit``, with the values used."""
    predecessor_ids = [link.predecessor_id for link in unit_service.predecessors(unit)]
    sources = list(
        values.filter(
            indicator=indicator, period=period.code, disaggregation="", unit_id__in=predecessor_ids
        )
        .select_related("unit")
        .order_by("unit__code")
    )
    numbers = {row.unit_id: row.value for row in sources if row.value is not None}
    result = reaggregate_onto(unit, indicator, numbers)
    if result is None:
        missing = list(Unit.objects.filter(pk__in=predecessor_ids).order_by("code"))
        return ComputedFigure(
            indicator, period, "reaggregated", None, True, unit=unit, missing=missing
        )
    return ComputedFigure(
        indicator, period, "reaggregated", result.value, result.partial, unit=unit,
        sources=sources, missing=result.missing,
    )  # fmt: skip
