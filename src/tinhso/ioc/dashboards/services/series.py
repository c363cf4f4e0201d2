"""Province-level series of indicators, computed database-side in two queries for any number
of indicators.

For each indicator and period the province figure is, in order of preference:

1. the value stored on the current province itself;
2. the values of the former provinces merged into it, combined (before the 2025 reform);
3. the values of its current communes, combined (a province total).

Combined figures use the indicator's aggregation over units (sum, or mean for rates and
indices) and are ``partial`` when not every unit of their basis has a value.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import quote

from django.db.models import (
    Avg,
    Case,
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.urls import reverse

from tinhso.ioc import periods
from tinhso.ioc.dashboards.services.scope import ProvinceScope
from tinhso.ioc.models import Aggregation, DataValue, Indicator
from tinhso.ioc.periods import PeriodType

logger = logging.getLogger(__name__)

# Points of a trend chart by period type: ten years, or two to three years of shorter periods.
TREND_POINTS = {
    PeriodType.YEAR: 10,
    PeriodType.REPORT_YEAR: 10,
    PeriodType.HALF_YEAR: 10,
    PeriodType.NINE_MONTHS: 10,
    PeriodType.QUARTER: 12,
    PeriodType.MONTH: 24,
    PeriodType.REPORT_MONTH: 24,
    PeriodType.WEEK: 26,
    PeriodType.DAY: 31,
}
DEFAULT_TREND_POINTS = 12


class Basis(StrEnum):
    """The units a province figure was computed from."""

    PROVINCE = "province"
    UNIT = "unit"  # a value stored on the one unit a widget or unit dashboard shows
    FORMER_PROVINCES = "former_provinces"
    COMMUNES = "communes"


BASIS_RANK = {Basis.PROVINCE: 0, Basis.FORMER_PROVINCES: 1, Basis.COMMUNES: 2}


@dataclass
class Point:
    """The province figure of one indicator for one period, with where it came from."""

    period: str
    period_start: dt.date
    period_end: dt.date
    value: float | None
    basis: Basis
    count: int
    expected_count: int
    value_id: int | None = None  # the stored value, when the figure is one stored value

    @property
    def partial(self) -> bool:
        return self.count < self.expected_count

    @property
    def computed(self) -> bool:
        return self.value_id is None


@dataclass
class Series:
    indicator: Indicator
    points: list[Point] = field(default_factory=list)

    def by_period(self) -> dict[str, Point]:
        return {point.period: point for point in self.points}

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None


def _basis_case(scope: ProvinceScope) -> Case:
    whens = [When(unit_id=scope.province.pk, then=Value(0))]
    if scope.former_province_ids:
        whens.append(When(unit_id__in=scope.former_province_ids, then=Value(1)))
    return Case(*whens, default=Value(2), output_field=IntegerField())


def _type_filter(indicators: Iterable[Indicator]) -> Q:
    return reduce(
        or_,
        (Q(indicator_id=i.pk, period_type=i.periodicity) for i in indicators),
        Q(pk__in=[]),
    )


def latest_starts(
    values: QuerySet[DataValue], indicators: Sequence[Indicator], scope: ProvinceScope
) -> dict[int, dt.date]:
    """Return the start of the latest period with a value in scope, per indicator (one query).

    A correlated subquery per indicator lets the database walk the (indicator, period start)
    index backwards and stop at the first value in scope, instead of grouping every value.
    """
    if not indicators:
        return {}
    latest = (
        values.filter(
            indicator_id=OuterRef("pk"),
            period_type=OuterRef("periodicity"),
            disaggregation="",
            value__isnull=False,
            unit_id__in=scope.unit_ids,
        )
        .order_by("-period_start")
        .values("period_start")[:1]
    )
    rows = (
        Indicator.objects.filter(pk__in=[i.pk for i in indicators])
        .annotate(latest=Subquery(latest))
        .values_list("pk", "latest")
    )
    return {pk: start for pk, start in rows if start is not None}


def window_start(indicator: Indicator, latest_start: dt.date, points: int | None = None) -> dt.date:
    """Return the start of the trend window that ends with the period starting on ``latest_start``.

    The window also reaches back to the same period last year, for the change against it.
    """
    period_type = PeriodType(indicator.periodicity)
    count = points or TREND_POINTS.get(period_type, DEFAULT_TREND_POINTS)
    period = periods.containing(period_type, latest_start)
    earliest = period
    for _step in range(count - 1):
        earliest = periods.previous(earliest)
    try:
        last_year = periods.same_period_last_year(period)
    except periods.InvalidPeriodError:
        return earliest.start
    return min(earliest.start, last_year.start)


def province_series(
    values: QuerySet[DataValue],
    indicators: Sequence[Indicator],
    scope: ProvinceScope,
    *,
    since: dict[int, dt.date] | None = None,
    until: dict[int, dt.date] | None = None,
) -> dict[int, Series]:
    """Return the province series of ``indicators`` (one grouped query), keyed by indicator id.

    ``values`` is the caller's visible values (already passed through ``restrict``).
    ``since`` and ``until`` bound the period starts per indicator id.
    """
    result = {indicator.pk: Series(indicator) for indicator in indicators}
    if not indicators:
        return result
    windows = []
    for indicator in indicators:
        condition = Q(indicator_id=indicator.pk, period_type=indicator.periodicity)
        if since and indicator.pk in since:
            condition &= Q(period_start__gte=since[indicator.pk])
        if until and indicator.pk in until:
            condition &= Q(period_start__lte=until[indicator.pk])
        windows.append(condition)
    rows = (
        values.filter(reduce(or_, windows), disaggregation="", value__isnull=False)
        .filter(unit_id__in=scope.unit_ids)
        .annotate(basis_rank=_basis_case(scope))
        .values("indicator_id", "period", "period_start", "period_end", "basis_rank")
        .annotate(
            total=Sum("value"),
            mean=Avg("value"),
            largest=Max("value"),
            count=Count("id"),
            first_id=Min("id"),
        )
        .order_by()
    )
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["indicator_id"], row["period"])
        current = best.get(key)
        if current is None or row["basis_rank"] < current["basis_rank"]:
            best[key] = row

    by_indicator: dict[int, list[Point]] = defaultdict(list)
    indicator_by_id = {indicator.pk: indicator for indicator in indicators}
    for (indicator_id, _period), row in best.items():
        by_indicator[indicator_id].append(_point(indicator_by_id[indicator_id], row, scope))
    for indicator_id, points in by_indicator.items():
        points.sort(key=lambda point: point.period_start)
        result[indicator_id].points = points
    return result


def _point(indicator: Indicator, row: dict[str, Any], scope: ProvinceScope) -> Point:
    basis = [Basis.PROVINCE, Basis.FORMER_PROVINCES, Basis.COMMUNES][row["basis_rank"]]
    expected = {
        Basis.PROVINCE: 1,
        Basis.FORMER_PROVINCES: len(scope.former_province_ids),
        Basis.COMMUNES: len(scope.commune_ids),
    }[basis]
    count = int(row["count"])
    if count == 1 and basis is not Basis.COMMUNES:
        value, value_id = float(row["total"]), int(row["first_id"])
    else:
        value, value_id = combine(indicator, row), None
    return Point(
        period=row["period"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        value=value,
        basis=basis,
        count=count,
        expected_count=expected,
        value_id=value_id,
    )


def combine(indicator: Indicator, row: dict[str, Any]) -> float:
    """Combine the grouped values of several units by the indicator's aggregation over units."""
    if indicator.aggregation == Aggregation.SUM:
        return float(row["total"])
    if indicator.aggregation == Aggregation.MAX:
        return float(row["largest"])
    # NOTE: weighted means and "last value" fall back to the plain mean here, because the
    # weights (population, area) are other indicators that the grouped query does not join.
    return float(row["mean"])


@functools.cache
def _url_prefixes() -> tuple[str, str, str]:
    """Return the value page's URL around its id and the computed page's URL, reversed once."""
    value_url = reverse("ioc_dashboards:value", args=[0])
    head, _zero, tail = value_url.rpartition("0")
    return head, tail, reverse("ioc_dashboards:computed")


def provenance_url(indicator: Indicator, point: Point) -> str:
    """Return the page that shows where ``point`` came from.

    Built from prefixes reversed once: an overview has hundreds of points, and ``reverse``
    for each of them took a fifth of the overview's time.
    """
    head, tail, computed = _url_prefixes()
    if point.value_id is not None:
        return f"{head}{point.value_id}{tail}"
    return f"{computed}?indicator={quote(indicator.code)}&period={point.period}&basis={point.basis.value}"


def change_against_last_year(series: Series, point: Point) -> tuple[Point | None, float | None]:
    """Return last year's point of the same period and the change in percent against it."""
    try:
        previous_code = periods.same_period_last_year(periods.parse(point.period)).code
    except periods.InvalidPeriodError:
        return None, None
    previous = series.by_period().get(previous_code)
    if previous is None or not previous.value or point.value is None:
        return previous, None
    return previous, (point.value - previous.value) / abs(previous.value) * 100


def unit_series(
    values: QuerySet[DataValue],
    indicators: Sequence[Indicator],
    unit_id: int,
    *,
    since: dict[int, dt.date] | None = None,
    until: dict[int, dt.date] | None = None,
) -> dict[int, Series]:
    """Return the stored values of one unit as series (one query), keyed by indicator id."""
    result = {indicator.pk: Series(indicator) for indicator in indicators}
    if not indicators:
        return result
    windows = []
    for indicator in indicators:
        condition = Q(indicator_id=indicator.pk, period_type=indicator.periodicity)
        if since and indicator.pk in since:
            condition &= Q(period_start__gte=since[indicator.pk])
        if until and indicator.pk in until:
            condition &= Q(period_start__lte=until[indicator.pk])
        windows.append(condition)
    rows = (
        values.filter(reduce(or_, windows), unit_id=unit_id, disaggregation="")
        .order_by("period_start")
        .values_list("indicator_id", "period", "period_start", "period_end", "value", "id")
    )
    for indicator_id, period, start, end, value, value_id in rows:
        result[indicator_id].points.append(
            Point(period, start, end, value, Basis.UNIT, 1, 1, value_id)
        )
    return result
