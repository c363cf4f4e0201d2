"""The provenance pages: one stored value with its versions, and a computed province total."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.ioc.dashboards.conftest import TIEN_PHONG, VINH_YEN, World, new_unit, province, store
from tinhso.core.models import Role
from tinhso.ingest.models import ImportBatch
from tinhso.ioc.models import DataValue, SourceKind, ValueStatus
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values

pytestmark = pytest.mark.django_db


def test_value_page_shows_provenance_and_versions(
    world: World, admin_client: Client, make_user: Callable[..., Any]
) -> None:
    officer = make_user("canbo-so", Role.PROVINCIAL_LEADER, first_name="Lan")
    batch = ImportBatch.objects.create(kind="ioc.values", source_name="thu-ngan-sach-2024.xlsx")
    store_values(
        [
            IncomingValue(
                indicator_id=world.revenue.pk, unit_id=province().pk, period=parse_period("2024"),
                value=1234.5, status=ValueStatus.SUBMITTED, source_kind=SourceKind.IMPORT,
                source_detail="Sheet1!C7", batch_id=batch.pk, row=7, entered_by_id=officer.pk,
            )
        ],
        document="Công văn 12/STC",
        reason="Số quyết toán",
    )  # fmt: skip
    value = DataValue.objects.get(indicator=world.revenue, period="2024")
    DataValue.objects.filter(pk=value.pk).update(approved_by=officer, approved_at=timezone.now())

    page = admin_client.get(f"/ioc/dashboards/value/{value.pk}/").content.decode()

    assert "Thu ngân sách" in page
    assert "Tỉnh Phú Thọ" in page
    assert "1.234,5" in page
    assert "Sheet1!C7" in page
    assert "thu-ngan-sach-2024.xlsx" in page
    assert f"/admin/ingest/importbatch/{batch.pk}/change/" in page
    assert page.count("canbo-so") >= 2  # entered and approved
    assert 'data-testid="versions"' in page
    assert "Công văn 12/STC" in page
    # The first state, 1000 from the fixture, is the superseded version 1.
    assert ">1000<" in page or ">1.000<" in page


def test_value_outside_scope_is_not_found(world: World, make_user: Callable[..., Any]) -> None:
    store(world.population, new_unit(TIEN_PHONG), "2025", 10)
    value = DataValue.objects.get(indicator=world.population)
    officer = Client()
    officer.force_login(make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=new_unit(VINH_YEN)))

    assert officer.get(f"/ioc/dashboards/value/{value.pk}/").status_code == 404


def test_province_total_page_lists_values(world: World, leader_client: Client) -> None:
    store(world.population, new_unit(VINH_YEN), "2025", 120_000)
    store(world.population, new_unit(TIEN_PHONG), "2025", 30_500)

    page = leader_client.get(
        "/ioc/dashboards/computed/?indicator=C_DAN_SO&period=2025&basis=communes"
    ).content.decode()

    assert "150.500" in page
    assert "Phường Vĩnh Yên" in page
    assert "Xã Tiền Phong" in page
    assert page.count("/ioc/dashboards/value/") == 2
    assert 'data-testid="computed-missing"' in page
    assert 'data-testid="partial-mark"' in page


def test_computed_page_rejects_unknown_basis(world: World, leader_client: Client) -> None:
    response = leader_client.get("/ioc/dashboards/computed/?indicator=C_DAN_SO&period=2025&basis=x")

    assert response.status_code == 404
