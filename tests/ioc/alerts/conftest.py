"""Fixtures of the alert tests: users of every role, an indicator, two communes, a store helper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from tests.accounts import current_vinh_yen, make_department, make_role_users
from tinhso.core.models import Department, Unit, UnitLevel, User
from tinhso.ioc.models import Indicator
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, StoreResult, store_values


@dataclass
class World:
    users: dict[str, User]
    department: Department
    other_department: Department
    indicator: Indicator
    commune: Unit
    other_commune: Unit


@pytest.fixture(autouse=True)
def vietnamese() -> None:
    translation.activate("vi")


@pytest.fixture
def world(make_user: Callable[..., Any]) -> World:
    department = make_department()
    other = make_department("so-yt", "Sở Y tế")
    users = make_role_users(make_user, department)
    indicator = Indicator.objects.create(
        code="MN.SONG", name="Mực nước sông Phó Đáy", unit_of_measure="cm",
        periodicity="month", department=department, decimals=0,
    )  # fmt: skip
    commune = current_vinh_yen()
    other_commune = (
        Unit.objects.filter(level=UnitLevel.COMMUNE, valid_to__isnull=True)
        .exclude(pk=commune.pk)
        .order_by("code")
        .first()
    )
    assert other_commune is not None
    return World(users, department, other, indicator, commune, other_commune)


Store = Callable[..., StoreResult]


@pytest.fixture
def store(django_capture_on_commit_callbacks: Any) -> Store:
    """Store values as an ingest path does and run the callbacks the commit would run."""

    def run(
        indicator: Indicator, unit: Unit, values: dict[str, float], **fields: Any
    ) -> StoreResult:
        incoming = [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit.pk,
                period=parse_period(code),
                value=value,
                **fields,
            )  # fmt: skip
            for code, value in values.items()
        ]
        with django_capture_on_commit_callbacks(execute=True):
            return store_values(incoming)

    return run
