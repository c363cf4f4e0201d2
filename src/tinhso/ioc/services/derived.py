"""Values of derived indicators, computed from their formulas over stored values."""

from __future__ import annotations

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.formulas import Reference, compile_formula
from tinhso.ioc.models import DataValue, Indicator


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
