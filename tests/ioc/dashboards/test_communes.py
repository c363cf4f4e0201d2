"""The choropleth data, the commune tables and the history switch with partial marks."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.ioc.dashboards.conftest import (
    OLD_TIEN_PHONG,
    TIEN_PHONG,
    VAY_NUA,
    VINH_YEN,
    VINH_YEN_PREDECESSORS,
    World,
    new_unit,
    old_unit,
    store,
)
from tinhso.ioc.dashboards.services.communes import CLASS_COLOURS, classes

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_values(world: World) -> World:
    """2024 population of the old communes that became Vĩnh Yên and Tiền Phong."""
    for number, code in enumerate(VINH_YEN_PREDECESSORS, start=1):
        store(world.population, old_unit(code), "2024", 1000.0 * number)
    store(world.population, old_unit(OLD_TIEN_PHONG), "2024", 700.0)
    store(world.population, old_unit(VAY_NUA), "2024", 300.0)
    return world


def test_map_data_current_communes(world: World, leader_client: Client) -> None:
    store(world.population, new_unit(VINH_YEN), "2025", 120_000)
    store(world.population, new_unit(TIEN_PHONG), "2025", 30_000)

    data = leader_client.get("/ioc/dashboards/map/?indicator=C_DAN_SO&period=2025").json()

    assert data["period"] == "2025"
    assert data["periods"] == [{"code": "2025", "label": "2025"}]
    assert len(data["values"]) == 148
    vinh_yen = data["values"][VINH_YEN]
    assert vinh_yen["value"] == 120_000
    assert vinh_yen["display"] == "120.000"
    assert vinh_yen["url"].startswith("/ioc/dashboards/value/")
    assert vinh_yen["dashboard"] == f"/ioc/dashboards/units/{VINH_YEN}/?history=new"
    assert vinh_yen["colour"] in CLASS_COLOURS
    assert len(data["no_data"]) == 146
    missing_names = {unit["name"] for unit in data["no_data"]}
    assert "Phường Vĩnh Yên" not in missing_names
    assert sum(entry["count"] for entry in data["classes"]) == 2


def test_map_defaults_to_latest_period(world: World, leader_client: Client) -> None:
    store(world.population, new_unit(VINH_YEN), "2025", 1.0)
    store(world.population, old_unit(VINH_YEN), "2024", 2.0)

    data = leader_client.get("/ioc/dashboards/map/?indicator=C_DAN_SO").json()

    assert data["period"] == "2025"
    assert [p["code"] for p in data["periods"]] == ["2025", "2024"]


def test_reaggregated_history_marks_partial(old_values: World, leader_client: Client) -> None:
    data = leader_client.get(
        "/ioc/dashboards/map/?indicator=C_DAN_SO&period=2024&history=new"
    ).json()

    assert data["on_old_units"] is False
    # 1000 + 2000 + 3000 + 4000 from the four communes merged whole into Vĩnh Yên.
    assert data["values"][VINH_YEN]["value"] == 10_000
    assert data["values"][VINH_YEN]["partial"] is False
    # Xã Vầy Nưa went only partly into Tiền Phong, so its whole value overstates it.
    assert data["values"][TIEN_PHONG]["value"] == 1000
    assert data["values"][TIEN_PHONG]["partial"] is True
    assert data["partial_count"] >= 1
    assert data["values"][TIEN_PHONG]["url"] == (
        f"/ioc/dashboards/computed/?indicator=C_DAN_SO&period=2024&basis=reaggregated&unit={TIEN_PHONG}"
    )


def test_missing_predecessor_is_partial(old_values: World, leader_client: Client) -> None:
    old_values.population.values.filter(unit=old_unit("08731")).delete()

    data = leader_client.get("/ioc/dashboards/map/?indicator=C_DAN_SO&period=2024").json()

    assert data["values"][VINH_YEN]["value"] == 6000
    assert data["values"][VINH_YEN]["partial"] is True


def test_old_units_history(old_values: World, leader_client: Client) -> None:
    data = leader_client.get(
        "/ioc/dashboards/map/?indicator=C_DAN_SO&period=2024&history=old"
    ).json()

    assert data["on_old_units"] is True
    assert data["values"]["08713"]["name"] == "Phường Hội Hợp"
    assert data["values"]["08713"]["value"] == 2000
    assert data["values"]["08713"]["dashboard"] == ""


def test_unit_dashboard_history_switch(old_values: World, leader_client: Client) -> None:
    store(old_values.population, new_unit(TIEN_PHONG), "2025", 1100)

    new = leader_client.get(f"/ioc/dashboards/units/{TIEN_PHONG}/?history=new").content.decode()
    old = leader_client.get(f"/ioc/dashboards/units/{TIEN_PHONG}/?history=old").content.decode()

    assert "Xã Tiền Phong" in new
    assert 'data-testid="partial-mark"' in new
    assert ">1.000<" in new  # 700 + 300 re-aggregated for 2024
    assert ">1.100<" in new
    assert "Xã Vầy Nưa" in old
    assert ">700<" in old
    assert ">300<" in old
    assert 'data-testid="partial-mark"' not in old


def test_computed_page_lists_sources(old_values: World, leader_client: Client) -> None:
    page = leader_client.get(
        f"/ioc/dashboards/computed/?indicator=C_DAN_SO&period=2024&basis=reaggregated&unit={TIEN_PHONG}"
    ).content.decode()

    assert "Xã Vầy Nưa" in page
    assert "Xã Tiền Phong" in page
    assert 'data-testid="partial-mark"' in page
    assert page.count("/ioc/dashboards/value/") == 2


def test_sector_page(world: World, leader_client: Client) -> None:
    store(world.population, new_unit(VINH_YEN), "2025", 1.0)

    response = leader_client.get("/ioc/dashboards/sectors/kinh-te/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="choropleth"' in page
    assert "Thu ngân sách" in page
    assert '<option value="C_DAN_SO"' in page


def test_classes_cover_values() -> None:
    bins = classes([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])

    assert bins[0]["min"] == 1.0
    assert bins[-1]["max"] == 10.0
    assert sum(entry["count"] for entry in bins) == 10
    assert [entry["colour"] for entry in bins] == list(CLASS_COLOURS)
