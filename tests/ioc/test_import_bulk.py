"""Large batches: the same outcome on SQLite (row by row) and PostgreSQL (COPY and SQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, DataValueVersion, Indicator, ReceivedKey
from tinhso.ioc.services import bulk
from tinhso.ioc.services.values import IncomingValue, store_values

pytestmark = pytest.mark.django_db

COUNT = bulk.MIN_BULK_VALUES + 100


@pytest.fixture
def batch() -> list[IncomingValue]:
    indicator = Indicator.objects.create(code="BULK", name="Chỉ tiêu thử")
    units = list(Unit.objects.filter(level=3).order_by("id").values_list("id", flat=True)[:COUNT])
    period = periods.parse("2024")
    return [
        IncomingValue(indicator.pk, unit, period, float(i), idempotency_key=None)
        for i, unit in enumerate(units)
    ]


def test_path_follows_the_database() -> None:
    assert bulk.is_available(COUNT) == (connection.vendor == "postgresql")


def test_large_batch_is_created(batch: list[IncomingValue]) -> None:
    result = store_values(batch)
    assert (result.created, result.updated, result.unchanged) == (COUNT, 0, 0)
    assert DataValue.objects.filter(indicator__code="BULK").count() == COUNT


def test_large_batch_again_is_unchanged(batch: list[IncomingValue]) -> None:
    store_values(batch)
    result = store_values(batch)
    assert (result.created, result.updated, result.unchanged) == (0, 0, COUNT)


def test_large_batch_correction_keeps_versions(batch: list[IncomingValue]) -> None:
    store_values(batch)
    changed = [
        IncomingValue(v.indicator_id, v.unit_id, v.period, float(i) + 0.5 if i < 10 else v.value)
        for i, v in enumerate(batch)
    ]
    result = store_values(changed, reason="sửa số liệu")
    assert (result.updated, result.unchanged) == (10, COUNT - 10)
    versions = DataValueVersion.objects.filter(data_value__indicator__code="BULK")
    assert list(versions.order_by("value").values_list("value", flat=True)) == [
        float(i) for i in range(10)
    ]
    assert set(versions.values_list("reason", flat=True)) == {"sửa số liệu"}
    first = DataValue.objects.get(indicator__code="BULK", unit_id=batch[0].unit_id)
    assert (first.value, first.version) == (0.5, 2)


def test_large_batch_last_value_of_a_cell_wins(batch: list[IncomingValue]) -> None:
    repeated = [
        *batch,
        IncomingValue(batch[0].indicator_id, batch[0].unit_id, batch[0].period, -1.0),
    ]
    store_values(repeated)
    assert DataValue.objects.get(indicator__code="BULK", unit_id=batch[0].unit_id).value == -1.0


def test_large_batch_skips_seen_keys(batch: list[IncomingValue]) -> None:
    keyed = [
        IncomingValue(v.indicator_id, v.unit_id, v.period, v.value, idempotency_key=f"k{i}")
        for i, v in enumerate(batch)
    ]
    store_values(keyed[:10])
    result = store_values(keyed)
    assert result.duplicates == 10
    assert ReceivedKey.objects.filter(key__startswith="k").count() == COUNT


def test_large_batch_new_source_is_a_change(batch: list[IncomingValue]) -> None:
    store_values(batch)
    resourced = [
        IncomingValue(v.indicator_id, v.unit_id, v.period, v.value, source_detail="official.csv")
        for v in batch
    ]

    result = store_values(resourced)

    assert (result.updated, result.unchanged) == (COUNT, 0)
    first = DataValue.objects.get(indicator__code="BULK", unit_id=batch[0].unit_id)
    assert (first.source_detail, first.version) == ("official.csv", 2)
