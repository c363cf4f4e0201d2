"""Values of derived indicators, computed from their formulas over stored values."""

from __future__ import annotations

import logging

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.formulas import Reference, compile_formula
from tinhso.ioc.models import DataValue, Indicator, SourceKind, ValueStatus
from tinhso.ioc.services.values import IncomingValue, StoreResult, store_values

logger = logging.getLogger(__name__)


def evaluate(
    indicator: Indicator, unit: Unit, period_code: str, disaggregation: str = ""
) -> float | None:
    """The value of derived ``indicator`` for ``unit`` and ``period_code``; None when inputs are missing.

    References with a year offset ("{XK}[-1Y]") read the same period of an earlier year.
    """
    formula = compile_formula(indicator.formula)
    period = periods.parse(period_code)
    values: dict[Reference, float | None] = {}
    for reference in formula.references:
        target_period = period
        for _year in range(-reference.year_offset):
            target_period = periods.same_period_last_year(target_period)
        values[reference] = (
            DataValue.objects.filter(
                indicator__code=reference.code,
                unit=unit,
                period=target_period.code,
                disaggregation=disaggregation,
            )
            .values_list("value", flat=True)
            .first()
        )
    return formula.evaluate(values)


def materialize(indicator: Indicator) -> StoreResult:
    """Compute ``indicator`` wherever its inputs have values and store the results.

    The cells tried are those of the formula's first reference for the same period; values
    are stored as computed by the platform (source "derived") with the formula as source
    detail, so a changed input followed by another run corrects them with a version.
    """
    formula = compile_formula(indicator.formula)
    anchor = next(
        (ref for ref in formula.references if ref.year_offset == 0), formula.references[0]
    )
    cells = (
        DataValue.objects.filter(indicator__code=anchor.code)
        .values_list("unit_id", "period", "disaggregation")
        .distinct()
    )
    units = {unit.pk: unit for unit in Unit.objects.filter(pk__in={cell[0] for cell in cells})}
    computed: list[IncomingValue] = []
    for unit_id, period_code, disaggregation in cells:
        value = evaluate(indicator, units[unit_id], period_code, disaggregation)
        if value is None:
            continue
        computed.append(
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit_id,
                period=periods.parse(period_code),
                value=value,
                disaggregation=disaggregation,
                status=ValueStatus.APPROVED,
                source_kind=SourceKind.DERIVED,
                source_detail=indicator.formula[:400],
            )
        )
    result = store_values(computed, reason="derived")
    logger.info(
        "Derived %s: %s values computed, %s created, %s updated",
        indicator.code,
        len(computed),
        result.created,
        result.updated,
    )
    return result


def materialize_all() -> dict[str, StoreResult]:
    """Materialise every derived indicator; return the result per indicator code."""
    return {
        indicator.code: materialize(indicator)
        for indicator in Indicator.objects.exclude(formula="").order_by("code")
    }
