"""The composer: creating dashboards, adding, editing, reordering and removing widgets, and
sharing dashboards by role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from tests.ioc.dashboards.conftest import VINH_YEN, World, new_unit, store
from tinhso.core.models import Role
from tinhso.ioc.dashboards.builtin import BUILTIN_SECTORS, ensure_builtin
from tinhso.ioc.dashboards.forms import WidgetForm
from tinhso.ioc.dashboards.models import Dashboard, Sector, Widget, WidgetKind

pytestmark = pytest.mark.django_db


def _create(admin_client: Client, roles: list[str]) -> Dashboard:
    response = admin_client.post(
        "/ioc/dashboards/compose/",
        {
            "slug": "giao-ban",
            "title": "Giao ban tuần",
            "description": "",
            "sector": "",
            "roles": roles,
        },
    )
    assert response.status_code == 302
    return Dashboard.objects.get(slug="giao-ban")


def _add_widget(admin_client: Client, kind: str, indicators: list[int], **fields: str) -> Widget:
    before = set(Widget.objects.values_list("pk", flat=True))
    data = {"kind": kind, "title": fields.pop("title", kind), "indicators": indicators, "unit_code": "",
            "period_from": "", "period_to": "", **fields}  # fmt: skip
    response = admin_client.post("/ioc/dashboards/compose/giao-ban/widgets/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Widget.objects.exclude(pk__in=before).get()


def test_builtin_sectors_exist_once() -> None:
    assert ensure_builtin(Sector, Dashboard) == 0
    codes = set(Sector.objects.values_list("code", flat=True))
    assert {spec.code for spec in BUILTIN_SECTORS} <= codes
    assert Dashboard.objects.filter(sector__code="giao-duc").count() == 1


def test_compose_widgets(world: World, admin_client: Client) -> None:
    dashboard = _create(admin_client, [Role.PROVINCIAL_LEADER.value])
    card = _add_widget(admin_client, WidgetKind.CARD, [world.revenue.pk], title="Thu ngân sách")
    line = _add_widget(
        admin_client, WidgetKind.LINE, [world.revenue.pk, world.rate.pk], period_from="2020"
    )
    table = _add_widget(admin_client, WidgetKind.TABLE, [world.population.pk], unit_code="")

    assert [w.pk for w in dashboard.widgets.all()] == [card.pk, line.pk, table.pk]
    assert line.period_from == "2020"

    admin_client.post(
        f"/ioc/dashboards/compose/giao-ban/widgets/{table.pk}/move/", {"direction": "up"}
    )
    assert [w.pk for w in dashboard.widgets.all()] == [card.pk, table.pk, line.pk]

    response = admin_client.post(
        f"/ioc/dashboards/compose/giao-ban/widgets/{card.pk}/",
        {
            "kind": "bar",
            "title": "Thu theo năm",
            "indicators": [world.revenue.pk],
            "unit_code": VINH_YEN,
            "period_from": "",
            "period_to": "",
        },  # fmt: skip
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.kind == "bar"
    assert card.unit == new_unit(VINH_YEN)

    admin_client.post(f"/ioc/dashboards/compose/giao-ban/widgets/{line.pk}/delete/")
    assert [w.pk for w in dashboard.widgets.all()] == [card.pk, table.pk]


def test_widget_form_rejects_bad_input(world: World) -> None:
    form = WidgetForm(
        {
            "kind": "card",
            "title": "",
            "indicators": [world.revenue.pk, world.rate.pk],
            "unit_code": "99999",
            "period_from": "2024",
            "period_to": "năm ngoái",
        },  # fmt: skip
    )

    assert not form.is_valid()
    assert "unit_code" in form.errors
    assert "period_to" in form.errors
    assert "99999" in form.errors["unit_code"][0]


def test_widget_form_rejects_reversed_periods(world: World) -> None:
    form = WidgetForm(
        {
            "kind": "line",
            "indicators": [world.revenue.pk],
            "period_from": "2024",
            "period_to": "2020",
        }
    )

    assert not form.is_valid()
    assert "period_to" in form.errors


def test_dashboard_renders_widgets(
    world: World, admin_client: Client, leader_client: Client
) -> None:
    _create(admin_client, [Role.PROVINCIAL_LEADER.value])
    _add_widget(admin_client, WidgetKind.CARD, [world.revenue.pk])
    _add_widget(admin_client, WidgetKind.LINE, [world.rate.pk])
    _add_widget(admin_client, WidgetKind.TABLE, [world.population.pk])
    _add_widget(admin_client, WidgetKind.MAP, [world.population.pk])
    _add_widget(admin_client, WidgetKind.MAP, [world.revenue.pk])
    store(world.population, new_unit(VINH_YEN), "2025", 5)

    page = leader_client.get("/ioc/dashboards/d/giao-ban/").content.decode()

    assert page.count('data-testid="widget"') == 5
    # One map per page: the second map widget links to the overview's map.
    assert page.count('data-testid="choropleth"') == 1
    assert "/ioc/?map=A_THU_NS" in page
    assert "1.000,0" in page
    assert 'id="widget-series-' in page
    assert 'data-testid="widget-table"' in page


def test_sharing_by_role(world: World, admin_client: Client, make_user: Callable[..., Any]) -> None:
    _create(admin_client, [Role.PROVINCIAL_LEADER.value])
    leader, analyst = Client(), Client()
    leader.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    analyst.force_login(make_user("phantich", Role.SECURITY_ANALYST))

    assert leader.get("/ioc/dashboards/d/giao-ban/").status_code == 200
    assert analyst.get("/ioc/dashboards/d/giao-ban/").status_code == 404
    assert "Giao ban tuần" in leader.get("/ioc/dashboards/").content.decode()
    assert "Giao ban tuần" not in analyst.get("/ioc/dashboards/").content.decode()


def test_empty_roles_share_with_all_staff(
    admin_client: Client, make_user: Callable[..., Any]
) -> None:
    _create(admin_client, [])
    analyst = Client()
    analyst.force_login(make_user("phantich", Role.SECURITY_ANALYST))

    assert analyst.get("/ioc/dashboards/d/giao-ban/").status_code == 200


def test_composer_is_for_administrators(leader_client: Client) -> None:
    assert leader_client.get("/ioc/dashboards/compose/").status_code == 403
    assert (
        leader_client.post("/ioc/dashboards/compose/", {"slug": "x", "title": "x"}).status_code
        == 403
    )
    assert not Dashboard.objects.filter(slug="x").exists()


def test_composer_lists_role_names(admin_client: Client) -> None:
    _create(admin_client, [Role.PROVINCIAL_LEADER.value])

    page = admin_client.get("/ioc/dashboards/compose/").content.decode()

    with translation.override("vi"):
        label = str(Role.PROVINCIAL_LEADER.label)
    assert label in page
