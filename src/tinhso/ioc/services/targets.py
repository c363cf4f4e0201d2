"""Progress of an indicator against its plan target (chỉ tiêu kế hoạch) of the year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.models import Aggregation, DataValue, Indicator, Target

# A value within this share of the pace or level it needs is "at risk" rather than off track.
AT_RISK_MARGIN = 0.1


class TargetStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"
    NO_TARGET = "no_target"


@dataclass(frozen=True)
class Progress:
    """The position of an indicator against its target on ``as_of``, with the reason in words."""

    status: TargetStatus
    target: float | None
    current: float | None
    expected: float | None
    explanation: str


def progress(indicator: Indicator, unit: Unit, year: int, as_of: dt.date) -> Progress:
    """Compare the year's value so far with the pace needed to reach the target by year end.

    For indicators summed over time (revenue, investment) the expected value is the target
    times the share of the year elapsed; for the others (rates, indices) it is the target.
    """
    target = Target.objects.filter(indicator=indicator, unit=unit, year=year).first()
    if target is None:
        return Progress(
            TargetStatus.NO_TARGET, None, None, None, _("No target is set for this year.")
        )

    year_period = periods.year_period(year)
    values = DataValue.objects.filter(
        indicator=indicator,
        unit=unit,
        disaggregation="",
        period_start__gte=year_period.start,
        period_end__lte=min(as_of, year_period.end),
    ).order_by("period_end")
    cumulative = indicator.time_aggregation == Aggregation.SUM
    numbers = [v.value for v in values if v.value is not None]
    if not numbers:
        return Progress(
            TargetStatus.NO_DATA,
            target.value,
            None,
            None,
            _("No value has been reported this year."),
        )

    if cumulative:
        yearly = values.filter(period=year_period.code).first()
        current = (
            yearly.value
            if yearly is not None and yearly.value is not None
            else _sum_of_finest(values)
        )
        expected = target.value * year_period.elapsed_fraction(as_of)
    else:
        current = numbers[-1]
        expected = target.value

    ratio = (current / expected) if expected else 1.0
    if not target.higher_is_better:
        ratio = (expected / current) if current else 1.0
    if ratio >= 1:
        status = TargetStatus.ON_TRACK
    elif ratio >= 1 - AT_RISK_MARGIN:
        status = TargetStatus.AT_RISK
    else:
        status = TargetStatus.OFF_TRACK
    explanation = _(
        "%(current)s against %(expected)s needed by %(date)s to reach the target %(target)s for %(year)s."
    ) % {
        "current": round(current, 2),
        "expected": round(expected, 2),
        "date": as_of.strftime("%d/%m/%Y"),
        "target": target.value,
        "year": year,
    }
    return Progress(status, target.value, current, expected, explanation)


def _sum_of_finest(values: object) -> float:
    """Sum the values of the shortest period type present, so months are not added to quarters."""
    rows = list(values)  # type: ignore[call-overload]
    shortest = min(rows, key=lambda row: (row.period_end - row.period_start).days)
    return float(
        sum(
            row.value
            for row in rows
            if row.value is not None and row.period_type == shortest.period_type
        )
    )
