"""The leaders' overview: cards, trend series and late submissions in one JSON-ready dict.

The whole overview takes a fixed number of queries whatever the number of cards: one for
the card indicators, one for their latest periods, one for the series, one for the targets,
and the late-submission check of :mod:`tinhso.ioc.services.freshness`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.ioc import periods
from tinhso.ioc.dashboards.builtin import HEADLINE_INDICATORS, OVERVIEW_SLUG
from tinhso.ioc.dashboards.models import Sector, Widget, WidgetKind
from tinhso.ioc.dashboards.services import series as series_service
from tinhso.ioc.dashboards.services.labels import format_number, period_label
from tinhso.ioc.dashboards.services.scope import ProvinceScope, province_scope
from tinhso.ioc.models import Aggregation, DataValue, Indicator, Target
from tinhso.ioc.services import freshness
from tinhso.ioc.services.targets import AT_RISK_MARGIN, TargetStatus

logger = logging.getLogger(__name__)

CARDS_PER_SECTOR = 2
MAX_CARDS = 12
LATE_SHOWN = 50


@dataclass(frozen=True)
class TargetProgress:
    status: TargetStatus
    target: float
    current: float | None
    expected: float | None


def card_indicators(values: QuerySet[DataValue], scope: ProvinceScope) -> list[Indicator]:
    """Return the overview's card indicators (one query, two when the overview is composed).

    The cards of the overview dashboard's card widgets come first. Without any, the
    overview picks the indicators with a target for the province, then the headline
    indicators that have data, then the first indicators with data of each sector.
    """
    chosen = list(
        Indicator.objects.filter(
            pk__in=Widget.objects.filter(
                dashboard__slug=OVERVIEW_SLUG, kind=WidgetKind.CARD
            ).values("indicators")
        ).select_related("group")
    )
    if chosen:
        return chosen[:MAX_CARDS]

    sectors = list(Sector.objects.order_by("position", "code"))
    has_values = values.filter(
        indicator_id=OuterRef("pk"),
        period_type=OuterRef("periodicity"),
        unit_id__in=scope.unit_ids,
        disaggregation="",
        value__isnull=False,
    )
    has_target = Target.objects.filter(indicator_id=OuterRef("pk"), unit_id=scope.province.pk)
    candidates = (
        Indicator.objects.filter(Exists(has_values))
        .annotate(has_target=Exists(has_target))
        .select_related("group")
        .order_by("code")
    )
    with_target = [i for i in candidates if i.has_target]
    picked: OrderedDict[int, Indicator] = OrderedDict((i.pk, i) for i in with_target)
    by_code = {i.code: i for i in candidates}
    for code in HEADLINE_INDICATORS:
        if code in by_code:
            picked.setdefault(by_code[code].pk, by_code[code])
    for sector in sectors:
        in_sector = [
            i
            for i in candidates
            if i.group is not None
            and (i.group.sector in sector.group_sectors or i.group.code in sector.group_codes)
        ]
        for indicator in in_sector[:CARDS_PER_SECTOR]:
            picked.setdefault(indicator.pk, indicator)
    if not picked:
        picked.update((i.pk, i) for i in list(candidates)[:MAX_CARDS])
    return list(picked.values())[:MAX_CARDS]


def target_progress(
    indicator: Indicator, target: Target, series: series_service.Series, as_of: dt.date
) -> TargetProgress:
    """Classify the province figure against its target by the rules of ``targets.progress``.

    Indicators summed over time compare the year's total so far with the target times the
    share of the year elapsed. The others compare their latest value with the target.
    """
    year = periods.year_period(target.year)
    in_year = [
        p
        for p in series.points
        if p.value is not None
        and p.period_start >= year.start
        and p.period_end <= min(as_of, year.end)
    ]
    if not in_year:
        return TargetProgress(TargetStatus.NO_DATA, target.value, None, None)
    if indicator.time_aggregation == Aggregation.SUM:
        current = float(sum(p.value for p in in_year if p.value is not None))
        expected = target.value * year.elapsed_fraction(as_of)
    else:
        current = float(in_year[-1].value or 0.0)
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
    return TargetProgress(status, target.value, current, expected)


def _targets(
    indicators: Sequence[Indicator], scope: ProvinceScope, years: set[int]
) -> dict[tuple[int, int], Target]:
    rows = Target.objects.filter(
        indicator_id__in=[i.pk for i in indicators], unit_id=scope.province.pk, year__in=years
    )
    return {(t.indicator_id, t.year): t for t in rows}


def status_label(status: TargetStatus) -> str:
    labels = {
        TargetStatus.ON_TRACK: _("on track"),
        TargetStatus.AT_RISK: _("at risk"),
        TargetStatus.OFF_TRACK: _("off track"),
        TargetStatus.NO_DATA: _("no value this year"),
        TargetStatus.NO_TARGET: _("no target"),
    }
    return labels[status]


def indicator_dict(indicator: Indicator) -> dict[str, Any]:
    """Return the fields of ``indicator`` that pages and the API show; names in the active language."""
    name = indicator.display_name
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "name": name,
        # Templates read display_name from models and from these dicts alike.
        "display_name": name,
        "name_en": indicator.name_en,
        "unit_of_measure": indicator.unit_of_measure,
        "decimals": indicator.decimals,
        "periodicity": indicator.periodicity,
    }


def point_dict(indicator: Indicator, point: series_service.Point) -> dict[str, Any]:
    return {
        "period": point.period,
        "label": period_label(point.period),
        "value": point.value,
        "display": format_number(point.value, indicator.decimals),
        "basis": point.basis.value,
        "count": point.count,
        "expected_count": point.expected_count,
        "partial": point.partial,
        "url": series_service.provenance_url(indicator, point),
    }


def chart_point_dict(indicator: Indicator, point: series_service.Point) -> dict[str, Any]:
    """Return the fields a chart needs of a point; the page formats the number itself."""
    return {
        "period": point.period,
        "label": period_label(point.period),
        "value": point.value,
        "partial": point.partial,
        "url": series_service.provenance_url(indicator, point),
    }


def card_dict(
    indicator: Indicator,
    series: series_service.Series,
    target: Target | None,
    as_of: dt.date,
) -> dict[str, Any]:
    """Return one card: the latest figure, its change against last year and its target status."""
    card: dict[str, Any] = {
        "indicator": indicator_dict(indicator),
        "latest": None,
        "change": None,
        "target": None,
    }
    latest = series.latest
    if latest is None:
        return card
    card["latest"] = point_dict(indicator, latest)
    previous, percent = series_service.change_against_last_year(series, latest)
    if previous is not None:
        card["change"] = {
            "previous": point_dict(indicator, previous),
            "percent": None if percent is None else round(percent, 2),
            "display": "—"
            if percent is None
            else f"{'+' if percent >= 0 else ''}{format_number(percent, 1)}%",
        }
    if target is not None:
        progress = target_progress(indicator, target, series, as_of)
        card["target"] = {
            "year": target.year,
            "value": progress.target,
            "display": format_number(progress.target, indicator.decimals),
            "current": progress.current,
            "expected": progress.expected,
            "status": progress.status.value,
            "status_label": status_label(progress.status),
            "document": target.document,
        }
    return card


def late_list(scope: ProvinceScope, now: dt.datetime | None = None) -> dict[str, Any]:
    """Return the late submissions grouped by owning department, latest first within each."""
    items = freshness.late_submissions(scope.province, now)
    departments: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for item in items[:LATE_SHOWN]:
        department = item.indicator.department
        key = department.code if department else ""
        entry = departments.setdefault(
            key,
            {
                "code": key,
                "name": department.name if department else _("No owning department"),
                "items": [],
            },
        )
        entry["items"].append(
            {
                "indicator": item.indicator.code,
                "indicator_name": item.indicator.display_name,
                "unit": item.unit.code,
                "unit_name": item.unit.name,
                "period": item.period.code,
                "deadline": timezone.localtime(item.deadline).strftime("%d/%m/%Y %H:%M"),
                "late_days": item.late_by.days,
                "late_hours": item.late_by.seconds // 3600,
                "submitted": item.submitted_at is not None,
            }
        )
    return {
        "count": len(items),
        "shown": min(len(items), LATE_SHOWN),
        "departments": list(departments.values()),
    }


def build_overview(values: QuerySet[DataValue], now: dt.datetime | None = None) -> dict[str, Any]:
    """Return the overview for the values the caller may see."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    scope = province_scope(today)
    if scope is None:
        return {"province": None, "cards": [], "series": [], "late": {"count": 0, "shown": 0, "departments": []},
                "empty": True, "as_of": today.isoformat()}  # fmt: skip
    indicators = card_indicators(values, scope)
    latest = series_service.latest_starts(values, indicators, scope)
    since = {
        i.pk: series_service.window_start(i, latest[i.pk]) for i in indicators if i.pk in latest
    }
    all_series = series_service.province_series(values, indicators, scope, since=since)
    years = {s.latest.period_start.year for s in all_series.values() if s.latest is not None}
    targets = _targets(indicators, scope, years) if years else {}

    cards = []
    chart_series = []
    for indicator in indicators:
        series = all_series[indicator.pk]
        latest_point = series.latest
        target = (
            targets.get((indicator.pk, latest_point.period_start.year)) if latest_point else None
        )
        cards.append(card_dict(indicator, series, target, today))
        points = series.points[
            -series_service.TREND_POINTS.get(periods.PeriodType(indicator.periodicity), 12) :
        ]
        chart_series.append(
            {
                "indicator": indicator_dict(indicator),
                "points": [chart_point_dict(indicator, p) for p in points],
            }
        )
    return {
        "province": {"code": scope.province.code, "name": scope.province.name},
        "as_of": today.isoformat(),
        "cards": cards,
        "series": chart_series,
        "late": late_list(scope, now),
        "empty": not any(card["latest"] for card in cards),
        "links": {"import": reverse("ioc:import_start"), "map": reverse("ioc_dashboards:map_data")},
    }
