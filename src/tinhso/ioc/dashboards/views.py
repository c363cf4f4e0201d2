"""Pages of the leaders' dashboards: the overview, sector and commune dashboards, composed
dashboards, the choropleth data and the provenance of every number."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tinhso.core.access import STAFF, policy, restrict
from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services import units as unit_service
from tinhso.ioc import periods
from tinhso.ioc.dashboards import live
from tinhso.ioc.dashboards.models import Dashboard, Sector, Widget, WidgetKind, dashboards_for
from tinhso.ioc.dashboards.services import series as series_service
from tinhso.ioc.dashboards.services.communes import (
    NO_DATA_COLOUR,
    CommuneTable,
    History,
    classes,
    colour_of,
    commune_table,
    reaggregate_onto,
    reaggregated_url,
)
from tinhso.ioc.dashboards.services.labels import format_number, period_label
from tinhso.ioc.dashboards.services.overview import (
    build_overview,
    card_dict,
    chart_point_dict,
    indicator_dict,
)
from tinhso.ioc.dashboards.services.provenance import province_figure, reaggregated_figure
from tinhso.ioc.dashboards.services.scope import ProvinceScope, old_communes, province_scope
from tinhso.ioc.models import DataValue, Indicator

logger = logging.getLogger(__name__)

SECTOR_CARDS = 8
MAP_PERIODS_SHOWN = 40
# A commune page re-aggregates each period before the reform with two queries, so it shows
# the latest periods of the first indicators only.
UNIT_INDICATORS_SHOWN = 12
UNIT_PERIODS_SHOWN = 12


def visible_values(request: HttpRequest) -> QuerySet[DataValue]:
    return restrict(DataValue.objects.all(), request.user)


def _scope_or_404() -> ProvinceScope:
    scope = province_scope()
    if scope is None:
        raise Http404(_("No administrative units yet; run tinhso setup."))
    return scope


def _history(request: HttpRequest) -> History:
    return History.OLD if request.GET.get("history") == History.OLD.value else History.NEW


def map_indicators(
    values: QuerySet[DataValue], scope: ProvinceScope, indicators: QuerySet[Indicator] | None = None
) -> list[Indicator]:
    """Indicators with a value on a commune of the province, now or before the reform."""
    old_ids = [unit.pk for unit in old_communes(scope)]
    on_communes = values.filter(
        indicator_id=OuterRef("pk"), unit_id__in=[*scope.commune_ids, *old_ids], disaggregation=""
    )
    base = indicators if indicators is not None else Indicator.objects.all()
    return list(base.filter(Exists(on_communes)).order_by("code"))


def overview_context(request: HttpRequest) -> dict[str, Any]:
    """Return the context of the overview page, which ``ioc:home`` renders."""
    values = visible_values(request)
    overview = build_overview(values)
    scope = province_scope()
    map_choices = map_indicators(values, scope) if scope is not None else []
    events = live.recent_events(request.user)
    return {
        "overview": overview,
        "sectors": Sector.objects.order_by("position", "code"),
        "dashboards": dashboards_for(request.user)
        .filter(sector__isnull=True)
        .exclude(slug="tong-quan"),
        "map_indicators": map_choices,
        "map_selected": request.GET.get("map", ""),
        "history": _history(request).value,
        "as_of": timezone.localdate(),
        "events": [live.event_dict(event) for event in events],
        "last_event_id": events[0].pk if events else 0,
    }


@policy(STAFF)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """List the sectors and the dashboards the user may open."""
    return render(
        request,
        "ioc_dashboards/index.html",
        {
            "sectors": Sector.objects.order_by("position", "code"),
            "dashboards": dashboards_for(request.user),
            "can_compose": getattr(request.user, "is_administrator", False),
        },
    )


# --- Sector and commune dashboards -------------------------------------------------------------


def sector_cards(
    values: QuerySet[DataValue], indicators: list[Indicator], scope: ProvinceScope
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the cards and the chart series of ``indicators`` at province level."""
    latest = series_service.latest_starts(values, indicators, scope)
    since = {
        i.pk: series_service.window_start(i, latest[i.pk]) for i in indicators if i.pk in latest
    }
    all_series = series_service.province_series(values, indicators, scope, since=since)
    today = timezone.localdate()
    cards, charts = [], []
    for indicator in indicators:
        series = all_series[indicator.pk]
        cards.append(card_dict(indicator, series, None, today))
        charts.append(
            {
                "indicator": indicator_dict(indicator),
                "points": [chart_point_dict(indicator, p) for p in series.points],
            }
        )
    return cards, charts


def _indicators_with_values(
    values: QuerySet[DataValue], indicators: QuerySet[Indicator], scope: ProvinceScope
) -> list[Indicator]:
    has_values = values.filter(
        indicator_id=OuterRef("pk"), period_type=OuterRef("periodicity"), unit_id__in=scope.unit_ids,
        disaggregation="",
    )  # fmt: skip
    return list(indicators.filter(Exists(has_values)).select_related("group").order_by("code"))


@policy(STAFF)
@require_GET
def sector_dashboard(request: HttpRequest, sector_code: str) -> HttpResponse:
    """Show a sector: province cards and trends, the commune map and table, and its widgets."""
    sector = get_object_or_404(Sector, code=sector_code)
    scope = _scope_or_404()
    values = visible_values(request)
    indicators = _indicators_with_values(values, sector.indicators(), scope)
    cards, charts = sector_cards(values, indicators[:SECTOR_CARDS], scope)
    dashboards = [d for d in sector.dashboards.all() if d.is_shared_with(request.user)]
    widgets = [
        w
        for d in dashboards
        for w in d.widgets.prefetch_related("indicators").select_related("unit")
    ]
    return render(
        request,
        "ioc_dashboards/sector.html",
        {
            "sector": sector,
            "cards": cards,
            "charts": charts,
            "indicator_total": len(indicators),
            "map_indicators": map_indicators(values, scope, sector.indicators()),
            "history": _history(request).value,
            "province_code": scope.province.code,
            "widgets": mark_maps(
                [widget_data(w, values, scope, request) for w in widgets], page_has_map=True
            ),
        },
    )


def _history_row(period: str) -> dict[str, Any]:
    return {"period": period, "label": period_label(period), "value": None, "display": "—",
            "url": "", "partial": False, "cells": []}  # fmt: skip


def commune_history(
    values: QuerySet[DataValue], indicator: Indicator, unit: Unit, history: History
) -> dict[str, Any]:
    """Return the rows of a commune's history table for one indicator, latest period first.

    After the reform each row is the commune's stored value. Before it, ``new`` gives the
    predecessors' values re-aggregated onto the commune per period, and ``old`` lists each
    predecessor's value in its own column.
    """
    links = unit_service.predecessors(unit)
    predecessors = [link.predecessor for link in links]
    stored = (
        values.filter(
            indicator=indicator,
            disaggregation="",
            period_type=indicator.periodicity,
            unit_id__in=[unit.pk, *[p.pk for p in predecessors]],
        )  # fmt: skip
        .order_by("-period_start")
        .values_list("period", "unit_id", "value", "id")
    )
    by_period: dict[str, dict[int, tuple[float | None, int]]] = {}
    for period, unit_id, value, value_id in stored:
        if period not in by_period and len(by_period) == UNIT_PERIODS_SHOWN:
            break
        by_period.setdefault(period, {})[unit_id] = (value, value_id)

    value_url = reverse("ioc_dashboards:value", args=[0])[:-2]
    rows = []
    for period, cells in by_period.items():
        row = _history_row(period)
        if unit.pk in cells:
            value, value_id = cells[unit.pk]
            row.update(
                value=value,
                display=format_number(value, indicator.decimals),
                url=f"{value_url}{value_id}/",
            )
        elif history is History.OLD:
            for predecessor in predecessors:
                value, value_id = cells.get(predecessor.pk, (None, 0))
                url = f"{value_url}{value_id}/" if value_id else ""
                row["cells"].append(
                    {
                        "value": value,
                        "display": format_number(value, indicator.decimals),
                        "url": url,
                    }
                )
        else:
            numbers = {pk: v for pk, (v, _id) in cells.items() if v is not None}
            result = reaggregate_onto(unit, indicator, numbers)
            if result is not None:
                row.update(
                    value=result.value,
                    display=format_number(result.value, indicator.decimals),
                    partial=result.partial,
                    url=reaggregated_url(indicator, period, unit),
                )
        rows.append(row)
    return {"indicator": indicator, "rows": rows, "predecessors": predecessors}


@policy(STAFF)
@require_GET
def unit_dashboard(request: HttpRequest, unit_code: str) -> HttpResponse:
    """Show one commune: its indicators with history before and after the reform."""
    _scope_or_404()
    try:
        unit = unit_service.find_unit(unit_code, timezone.localdate(), level=UnitLevel.COMMUNE)
    except UnknownUnitError:
        raise Http404(_("No commune has this code.")) from None
    values = visible_values(request)
    history = _history(request)
    sector = Sector.objects.filter(code=request.GET.get("sector", "")).first()
    predecessor_ids = [link.predecessor_id for link in unit_service.predecessors(unit)]
    on_unit = values.filter(
        indicator_id=OuterRef("pk"), unit_id__in=[unit.pk, *predecessor_ids], disaggregation=""
    )
    base = sector.indicators() if sector is not None else Indicator.objects.all()
    indicators = list(base.filter(Exists(on_unit)).order_by("code")[:UNIT_INDICATORS_SHOWN])
    tables = [commune_history(values, indicator, unit, history) for indicator in indicators]
    return render(
        request,
        "ioc_dashboards/unit.html",
        {
            "unit": unit,
            "sector": sector,
            "sectors": Sector.objects.order_by("position", "code"),
            "history": history.value,
            "tables": tables,
            "predecessors": unit_service.predecessors(unit),
            "reform_date": unit_service.REFORM_DATE,
        },
    )


# --- Choropleth data -----------------------------------------------------------------------


def _periods_on_communes(
    values: QuerySet[DataValue], indicator: Indicator, scope: ProvinceScope
) -> list[str]:
    old_ids = [unit.pk for unit in old_communes(scope)]
    codes = (
        values.filter(
            indicator=indicator,
            disaggregation="",
            period_type=indicator.periodicity,
            unit_id__in=[*scope.commune_ids, *old_ids],
        )  # fmt: skip
        .order_by("-period_start")
        .values_list("period", flat=True)
        .distinct()
    )
    return list(codes[:MAP_PERIODS_SHOWN])


def table_dict(
    table: CommuneTable, indicator: Indicator, history: History, sector_code: str = ""
) -> dict[str, Any]:
    numbers = [row.value for row in table.rows if row.value is not None]
    bins = classes(numbers)
    suffix = f"?history={history.value}" + (f"&sector={sector_code}" if sector_code else "")
    return {
        "indicator": indicator_dict(indicator),
        "period": table.period.code,
        "period_label": period_label(table.period.code),
        "history": history.value,
        "on_old_units": table.on_old_units,
        "classes": [
            {
                **entry,
                "label": f"{format_number(entry['min'], indicator.decimals)} – {format_number(entry['max'], indicator.decimals)}",
            }
            for entry in bins
        ],
        "no_data_colour": NO_DATA_COLOUR,
        "values": {
            row.unit.code: {
                "name": row.unit.name,
                "value": row.value,
                "display": format_number(row.value, indicator.decimals),
                "colour": colour_of(row.value, bins) if row.value is not None else NO_DATA_COLOUR,
                "url": row.url,
                "partial": row.partial,
                "dashboard": ""
                if table.on_old_units
                else reverse("ioc_dashboards:unit", args=[row.unit.code]) + suffix,
            }
            # Communes with a value come first, so a province with data for some communes
            # does not open its table on a page of dashes.
            for row in sorted(table.rows, key=lambda row: row.value is None)
        },
        "no_data": [{"code": row.unit.code, "name": row.unit.name} for row in table.missing],
        "partial_count": sum(1 for row in table.rows if row.partial),
    }


def _empty_map(indicator: Indicator | None) -> JsonResponse:
    return JsonResponse(
        {
            "indicator": indicator_dict(indicator) if indicator else None,
            "periods": [],
            "values": {},
            "classes": [],
            "no_data": [],
        }
    )


@policy(STAFF)
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    """Return one indicator's values per commune for a period, with legend classes, as JSON."""
    scope = _scope_or_404()
    values = visible_values(request)

    code = request.GET.get("indicator", "")
    if code:
        indicator = Indicator.objects.filter(code=code).first()
        if indicator is None:
            message = _("No indicator has the code %(code)s.") % {"code": code[:120]}
            return JsonResponse({"error": message}, status=404)
    else:
        # Without a choice, the first indicator with commune values, as the map's menu shows it.
        choices = map_indicators(values, scope)
        if not choices:
            return _empty_map(None)
        indicator = choices[0]

    available = _periods_on_communes(values, indicator, scope)
    period_code = request.GET.get("period", "") or (available[0] if available else "")
    if not period_code:
        return _empty_map(indicator)
    try:
        period = periods.parse(period_code)
    except periods.InvalidPeriodError:
        logger.info(
            "Map data rejected the period %r of indicator %s", period_code[:20], indicator.code
        )
        message = _("%(code)s is not a period code.") % {"code": period_code[:20]}
        return JsonResponse({"error": message}, status=400)

    history = _history(request)
    table = commune_table(values, indicator, period, scope, history)
    data = table_dict(table, indicator, history, request.GET.get("sector", "")[:60])
    data["periods"] = [{"code": c, "label": period_label(c)} for c in available]
    boundary_date = (
        unit_service.DAY_BEFORE_REFORM if table.on_old_units else unit_service.REFORM_DATE
    )
    data["boundary_date"] = boundary_date.isoformat()
    return JsonResponse(data)


# --- Composed dashboards --------------------------------------------------------------------


def mark_maps(items: list[dict[str, Any]], *, page_has_map: bool) -> list[dict[str, Any]]:
    """Mark the map widgets after the page's first map, which link to the overview's map instead."""
    drawn = page_has_map
    for item in items:
        if item["kind"] == WidgetKind.MAP and item["indicators"]:
            item["map_drawn"] = drawn
            drawn = True
    return items


def widget_data(
    widget: Widget, values: QuerySet[DataValue], scope: ProvinceScope, request: HttpRequest
) -> dict[str, Any]:
    """Return what a widget shows: cards, chart series, a commune table or map settings."""
    indicators = list(widget.indicators.all())
    data: dict[str, Any] = {"widget": widget, "kind": widget.kind, "indicators": indicators, "cards": [], "charts": [], "table": None,
                            "source_id": f"widget-series-{widget.pk}"}  # fmt: skip
    if not indicators:
        return data
    since = (
        {i.pk: periods.parse(widget.period_from).start for i in indicators}
        if widget.period_from
        else None
    )
    until = (
        {i.pk: periods.parse(widget.period_to).start for i in indicators}
        if widget.period_to
        else None
    )
    if widget.kind in {WidgetKind.CARD, WidgetKind.LINE, WidgetKind.BAR}:
        if widget.unit_id:
            all_series = series_service.unit_series(
                values, indicators, widget.unit_id, since=since, until=until
            )
        else:
            if since is None:
                latest = series_service.latest_starts(values, indicators, scope)
                since = {
                    i.pk: series_service.window_start(i, latest[i.pk])
                    for i in indicators
                    if i.pk in latest
                }
            all_series = series_service.province_series(
                values, indicators, scope, since=since, until=until
            )
        today = timezone.localdate()
        for indicator in indicators:
            series = all_series[indicator.pk]
            data["cards"].append(card_dict(indicator, series, None, today))
            data["charts"].append(
                {
                    "indicator": indicator_dict(indicator),
                    "points": [chart_point_dict(indicator, p) for p in series.points],
                }
            )
        data["chart_data"] = {"kind": widget.kind, "series": data["charts"]}
    elif widget.kind == WidgetKind.TABLE:
        indicator = indicators[0]
        code = widget.period_to or next(iter(_periods_on_communes(values, indicator, scope)), "")
        if code:
            history = _history(request)
            data["table"] = table_dict(
                commune_table(values, indicator, periods.parse(code), scope, history),
                indicator,
                history,
            )
    else:
        data["map_indicators"] = indicators
        data["map_selected"] = indicators[0].code
    return data


@policy(STAFF)
@require_GET
def dashboard_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a composed dashboard to the roles it is shared with; others get 404."""
    dashboard = get_object_or_404(Dashboard.objects.select_related("sector"), slug=slug)
    if not dashboard.is_shared_with(request.user):
        raise Http404
    scope = _scope_or_404()
    values = visible_values(request)
    widgets = dashboard.widgets.prefetch_related("indicators").select_related("unit")
    return render(
        request,
        "ioc_dashboards/dashboard.html",
        {
            "dashboard": dashboard,
            "widgets": mark_maps(
                [widget_data(w, values, scope, request) for w in widgets], page_has_map=False
            ),
            "can_compose": getattr(request.user, "is_administrator", False),
            "history": _history(request).value,
            "province_code": scope.province.code,
        },
    )


# --- Provenance -----------------------------------------------------------------------------


@policy(STAFF)
@require_GET
def value_provenance(request: HttpRequest, value_id: int) -> HttpResponse:
    """Show where one stored value came from and every earlier version of it."""
    value = get_object_or_404(
        visible_values(request).select_related(
            "indicator",
            "indicator__department",
            "unit",
            "batch",
            "entered_by",
            "approved_by",
            "api_key",
        ),
        pk=value_id,
    )
    return render(
        request,
        "ioc_dashboards/value.html",
        {
            "value": value,
            "display": format_number(value.value, value.indicator.decimals),
            "period_label": period_label(value.period),
            "versions": list(value.versions.order_by("-version")),
            "can_open_batch": getattr(request.user, "is_administrator", False),
        },
    )


@policy(STAFF)
@require_GET
def computed_provenance(request: HttpRequest) -> HttpResponse:
    """Show the stored values that a computed figure combines, and the units without one."""
    scope = _scope_or_404()
    values = visible_values(request)
    indicator = get_object_or_404(Indicator, code=request.GET.get("indicator", ""))
    try:
        period = periods.parse(request.GET.get("period", ""))
    except periods.InvalidPeriodError:
        raise Http404(_("The period code is missing or invalid.")) from None
    basis = request.GET.get("basis", "")
    if basis == "reaggregated":
        try:
            unit = unit_service.find_unit(
                request.GET.get("unit", ""), unit_service.REFORM_DATE, level=UnitLevel.COMMUNE
            )
        except UnknownUnitError:
            raise Http404(_("No commune has this code.")) from None
        figure = reaggregated_figure(values, indicator, period, unit)
    elif basis in {
        series_service.Basis.COMMUNES.value,
        series_service.Basis.FORMER_PROVINCES.value,
    }:
        figure = province_figure(values, indicator, period, series_service.Basis(basis), scope)
    else:
        raise Http404(_("Unknown basis of a computed figure."))
    return render(
        request,
        "ioc_dashboards/computed.html",
        {
            "figure": figure,
            "display": format_number(figure.value, indicator.decimals),
            "period_label": period_label(period.code),
            "province": scope.province,
            "sources": [
                (row, format_number(row.value, indicator.decimals)) for row in figure.sources
            ],
        },
    )
