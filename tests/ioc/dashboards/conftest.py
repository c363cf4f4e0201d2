"""Fixtures of the dashboard tests: indicators with values on the real units of Phú Thọ."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.accounts import login_verified, make_administrator
from tinhso.core.models import Role, Unit
from tinhso.core.services.units import REFORM_DATE, find_unit
from tinhso.ioc.models import Aggregation, Indicator, IndicatorGroup, ValueStatus
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values

PROVINCE_CODE = "25"
VINH_YEN = "08707"
# Xã Tiền Phong (04891) was formed from Xã Tiền Phong (04888) and part of Xã Vầy Nưa (04891).
TIEN_PHONG = "04891"
OLD_TIEN_PHONG = "04888"
VAY_NUA = "04891"
VINH_YEN_PREDECESSORS = ("08707", "08713", "08722", "08731")
BEFORE_REFORM = dt.date(2025, 6, 30)


def old_unit(code: str) -> Unit:
    return find_unit(code, BEFORE_REFORM, level=3)


def new_unit(code: str) -> Unit:
    return find_unit(code, REFORM_DATE, level=3)


def province() -> Unit:
    return find_unit(PROVINCE_CODE, REFORM_DATE, level=1)


def store(indicator: Indicator, unit: Unit, period: str, value: float, **fields: Any) -> None:
    store_values(
        [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit.pk,
                period=parse_period(period),
                value=value,
                status=fields.pop("status", ValueStatus.APPROVED),
                **fields,
            )
        ]
    )


@dataclass
class World:
    revenue: Indicator
    rate: Indicator
    population: Indicator
    group: IndicatorGroup


@pytest.fixture
def world(db: None) -> World:
    """Three indicators of the economy sector with values on the province and its communes."""
    group = IndicatorGroup.objects.create(code="kt-test", name="Kinh tế (thử)", sector="kinh-te")
    revenue = Indicator.objects.create(
        code="A_THU_NS", name="Thu ngân sách", group=group, unit_of_measure="tỷ đồng",
        aggregation=Aggregation.SUM, time_aggregation=Aggregation.SUM, decimals=1,
    )  # fmt: skip
    rate = Indicator.objects.create(
        code="B_TY_LE_NGHEO", name="Tỷ lệ hộ nghèo", group=group, unit_of_measure="%",
        aggregation=Aggregation.MEAN, time_aggregation=Aggregation.LAST, decimals=2,
    )  # fmt: skip
    population = Indicator.objects.create(
        code="C_DAN_SO", name="Dân số", group=group, unit_of_measure="người",
        aggregation=Aggregation.SUM, time_aggregation=Aggregation.LAST, decimals=0,
    )  # fmt: skip
    phu_tho = province()
    store(revenue, phu_tho, "2023", 800.0)
    store(revenue, phu_tho, "2024", 1000.0)
    store(rate, phu_tho, "2023", 4.0)
    store(rate, phu_tho, "2024", 3.0)
    return World(revenue, rate, population, group)


@pytest.fixture
def leader_client(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    return client


@pytest.fixture
def admin_client(make_user: Callable[..., Any]) -> Client:
    client = Client()
    login_verified(client, make_administrator(make_user))
    return client
