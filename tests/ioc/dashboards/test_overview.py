"""The overview: cards with change and target status, the JSON API, late list, empty state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from tests.ioc.dashboards.conftest import World, new_unit, province, store
from tinhso.core.models import Department
from tinhso.ioc.dashboards.builtin import HEADLINE_INDICATORS, OVERVIEW_SLUG
from tinhso.ioc.dashboards.models import Dashboard, Widget, WidgetKind
from tinhso.ioc.dashboards.services.overview import build_overview, indicator_dict, target_progress
from tinhso.ioc.dashboards.services.scope import province_scope
from tinhso.ioc.dashboards.services.series import province_series
from tinhso.ioc.models import DataValue, Indicator, Target
from tinhso.ioc.services import freshness
from tinhso.ioc.services.targets import TargetStatus, progress

pytestmark = pytest.mark.django_db


def _cards(client: Client) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/ioc/overview")
    assert response.status_code == 200
    return {card["indicator"]["code"]: card for card in response.json()["cards"]}


def test_api_shape(world: World, leader_client: Client) -> None:
    body = leader_client.get("/api/v1/ioc/overview").json()

    assert set(body) >= {"province", "as_of", "cards", "series", "late", "empty"}
    assert body["province"] == {"code": "25", "name": "Tỉnh Phú Thọ"}
    assert body["empty"] is False
    assert {"count", "shown", "departments"} <= set(body["late"])
    codes = [series["indicator"]["code"] for series in body["series"]]
    assert codes == [card["indicator"]["code"] for card in body["cards"]]


def test_card_change_against_last_year(world: World, leader_client: Client) -> None:
    card = _cards(leader_client)["A_THU_NS"]

    assert card["latest"]["period"] == "2024"
    assert card["latest"]["value"] == 1000.0
    assert card["latest"]["display"] == "1.000,0"
    assert card["latest"]["basis"] == "province"
    assert card["latest"]["partial"] is False
    value_id = DataValue.objects.get(indicator=world.revenue, period="2024").pk
    assert card["latest"]["url"] == f"/ioc/dashboards/value/{value_id}/"
    # (1000 - 800) / 800 = +25 %
    assert card["change"]["percent"] == 25.0
    assert card["change"]["display"] == "+25,0%"
    assert card["change"]["previous"]["value"] == 800.0


def test_card_falling_rate(world: World, leader_client: Client) -> None:
    card = _cards(leader_client)["B_TY_LE_NGHEO"]

    # (3 - 4) / 4 = -25 %
    assert card["change"]["percent"] == -25.0
    assert card["latest"]["display"] == "3,00"


@pytest.mark.parametrize(
    ("target_value", "higher_is_better", "status"),
    [
        (950.0, True, TargetStatus.ON_TRACK),  # 1000 / 950 >= 1
        (1050.0, True, TargetStatus.AT_RISK),  # 1000 / 1050 = 0.952
        (2000.0, True, TargetStatus.OFF_TRACK),  # 1000 / 2000 = 0.5
        (1100.0, False, TargetStatus.ON_TRACK),  # a ceiling: 1100 / 1000 >= 1
    ],
)
def test_card_target_colours(
    world: World,
    leader_client: Client,
    target_value: float,
    higher_is_better: bool,
    status: TargetStatus,
) -> None:
    Target.objects.create(
        indicator=world.revenue, unit=province(), year=2024, value=target_value,
        higher_is_better=higher_is_better,
    )  # fmt: skip

    card = _cards(leader_client)["A_THU_NS"]

    assert card["target"]["status"] == status.value
    assert card["target"]["year"] == 2024
    page = leader_client.get("/ioc/").content.decode()
    assert f"dash-card status-{status.value}" in page


def test_target_rules_match_targets_service(world: World) -> None:
    """The bulk classification agrees with targets.progress() on a value stored on the province."""
    target = Target.objects.create(
        indicator=world.revenue, unit=province(), year=2024, value=1050.0
    )
    scope = province_scope()
    assert scope is not None
    series = province_series(DataValue.objects.all(), [world.revenue], scope)[world.revenue.pk]
    as_of = dt.date(2025, 3, 1)

    bulk = target_progress(world.revenue, target, series, as_of)
    single = progress(world.revenue, province(), 2024, as_of)

    assert bulk.status == single.status
    assert bulk.current == single.current
    assert bulk.expected == single.expected


def test_province_total_from_communes(world: World, leader_client: Client) -> None:
    store(world.population, new_unit("08707"), "2025", 120_000)
    store(world.population, new_unit("04891"), "2025", 30_500)
    _compose_cards(world.population)

    card = _cards(leader_client)["C_DAN_SO"]

    assert card["latest"]["value"] == 150_500
    assert card["latest"]["display"] == "150.500"
    assert card["latest"]["basis"] == "communes"
    assert card["latest"]["count"] == 2
    assert card["latest"]["expected_count"] == 148
    assert card["latest"]["partial"] is True
    assert card["latest"]["url"] == (
        "/ioc/dashboards/computed/?indicator=C_DAN_SO&period=2025&basis=communes"
    )


def _compose_cards(*indicators: Indicator) -> None:
    overview = Dashboard.objects.get(slug=OVERVIEW_SLUG)
    for indicator in indicators:
        widget = Widget.objects.create(dashboard=overview, kind=WidgetKind.CARD)
        widget.indicators.add(indicator)


def test_composed_cards_replace_defaults(world: World, leader_client: Client) -> None:
    _compose_cards(world.rate)

    assert list(_cards(leader_client)) == ["B_TY_LE_NGHEO"]


def test_headline_indicators_lead_cards(world: World, leader_client: Client) -> None:
    population = Indicator.objects.create(
        code=HEADLINE_INDICATORS[5], name="Dân số trung bình", group=world.group
    )
    iip = Indicator.objects.create(
        code=HEADLINE_INDICATORS[0], name="Chỉ số IIP", group=world.group
    )
    store(population, province(), "2024", 1200.0)
    store(iip, province(), "2024", 105.8)

    codes = list(_cards(leader_client))

    assert codes[:2] == [HEADLINE_INDICATORS[0], HEADLINE_INDICATORS[5]]
    assert set(codes[2:]) == {"A_THU_NS", "B_TY_LE_NGHEO"}


def test_overview_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    for code in ("08707", "08713", "04891"):
        store(world.population, new_unit(code), "2025", 1000)
    values = DataValue.objects.all()

    # Scope (2), composed cards, candidates, latest periods, series, targets, late check.
    with django_assert_max_num_queries(10):
        build_overview(values)


def test_late_list_by_department(world: World, leader_client: Client) -> None:
    department = Department.objects.create(code="so-tc", name="Sở Tài chính")
    monthly = Indicator.objects.create(
        code="D_THU_THANG", name="Thu ngân sách tháng", group=world.group, department=department,
        periodicity="month", deadline_day=5,
    )  # fmt: skip

    late = leader_client.get("/api/v1/ioc/overview").json()["late"]

    assert late["count"] == 1
    assert late["departments"][0]["name"] == "Sở Tài chính"
    item = late["departments"][0]["items"][0]
    assert item["indicator"] == "D_THU_THANG"
    assert item["unit"] == "25"
    due = freshness.due_period(monthly, timezone.now())
    assert due is not None
    assert item["period"] == due[0].code
    page = leader_client.get("/ioc/").content.decode()
    assert "Sở Tài chính" in page


def test_empty_overview_explains_import(leader_client: Client) -> None:
    page = leader_client.get("/ioc/").content.decode()

    assert 'data-testid="empty-state"' in page
    assert "tinhso demo load DIR" in page
    assert "/ioc/import/" in page
    assert 'data-testid="map-empty"' in page
    assert 'data-testid="late-empty"' in page
    assert 'data-testid="live-empty"' in page
    assert (
        '<div id="alerts-panel" hx-get="/ioc/alerts/panel/" hx-trigger="load, every 30s"></div>'
        in page
    )


def test_overview_page_in_vietnamese(world: World, leader_client: Client) -> None:
    page = leader_client.get("/ioc/").content.decode()

    assert "Tổng quan toàn tỉnh" in page
    assert "cùng kỳ năm trước" in page
    assert "1.000,0" in page


def test_api_needs_key_or_session(world: World) -> None:
    assert Client().get("/api/v1/ioc/overview").status_code == 401


def test_indicator_names_follow_language(world: World) -> None:
    world.revenue.name_en = "Budget revenue"

    with translation.override("en"):
        english = indicator_dict(world.revenue)["name"]
    with translation.override("vi"):
        vietnamese = indicator_dict(world.revenue)["name"]

    assert english == "Budget revenue"
    assert vietnamese == "Thu ngân sách"
