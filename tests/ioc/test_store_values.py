"""Storing indicator values: idempotency, corrections with history, last value wins."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, DataValueVersion, Indicator, ReceivedKey
from tinhso.ioc.services.values import IncomingValue, store_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator() -> Indicator:
    return Indicator.objects.create(
        code="TEST.POP", name="Dân số trung bình", unit_of_measure="nghìn người"
    )


@pytest.fixture
def vinh_phuc() -> Unit:
    return Unit.objects.get(code="26", level=1)


def value(
    indicator: Indicator,
    unit: Unit,
    amount: float | None,
    period: str = "2016",
    key: str | None = None,
) -> IncomingValue:
    return IncomingValue(
        indicator_id=indicator.pk,
        unit_id=unit.pk,
        period=periods.parse(period),
        value=amount,
        idempotency_key=key,
    )


def test_new_values_are_created(indicator: Indicator, vinh_phuc: Unit) -> None:
    result = store_values(
        [value(indicator, vinh_phuc, 1066.0), value(indicator, vinh_phuc, 1054.5, "2015")]
    )
    assert result.created == 2
    stored = DataValue.objects.get(indicator=indicator, period="2016")
    assert stored.value == 1066.0
    assert (stored.period_start.isoformat(), stored.period_end.isoformat()) == (
        "2016-01-01",
        "2016-12-31",
    )


def test_same_value_again_is_unchanged(indicator: Indicator, vinh_phuc: Unit) -> None:
    store_values([value(indicator, vinh_phuc, 1066.0)])
    result = store_values([value(indicator, vinh_phuc, 1066.0)])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_correction_keeps_the_previous_version(indicator: Indicator, vinh_phuc: Unit) -> None:
    store_values([value(indicator, vinh_phuc, 1066.0)])
    result = store_values(
        [value(indicator, vinh_phuc, 1066.2)],
        document="Công văn 123/CTK",
        reason="số liệu chính thức",
    )
    stored = DataValue.objects.get(indicator=indicator)
    old = DataValueVersion.objects.get(data_value=stored)
    assert result.updated == 1
    assert (stored.value, stored.version) == (1066.2, 2)
    assert (old.value, old.version, old.document) == (1066.0, 1, "Công văn 123/CTK")


def test_redelivered_key_is_skipped(indicator: Indicator, vinh_phuc: Unit) -> None:
    store_values([value(indicator, vinh_phuc, 1.0, key="msg-1")])
    store_values([value(indicator, vinh_phuc, 2.0, key="msg-2")])
    result = store_values([value(indicator, vinh_phuc, 1.0, key="msg-1")])
    assert result.duplicates == 1
    assert result.duplicate_keys == ["msg-1"]
    assert DataValue.objects.get(indicator=indicator).value == 2.0


def test_duplicate_keys_within_a_batch(indicator: Indicator, vinh_phuc: Unit) -> None:
    result = store_values(
        [value(indicator, vinh_phuc, 1.0, key="k"), value(indicator, vinh_phuc, 1.0, key="k")]
    )
    assert (result.created, result.duplicates) == (1, 1)
    assert ReceivedKey.objects.filter(key="k").count() == 1


def test_last_value_for_a_cell_wins(indicator: Indicator, vinh_phuc: Unit) -> None:
    result = store_values([value(indicator, vinh_phuc, 1.0), value(indicator, vinh_phuc, 3.0)])
    assert result.created == 1
    assert DataValue.objects.get(indicator=indicator).value == 3.0


def test_large_batch_spans_chunks(indicator: Indicator) -> None:
    communes = list(Unit.objects.current().filter(level=3)[:1500])
    result = store_values([value(indicator, unit, float(i)) for i, unit in enumerate(communes)])
    assert result.created == 1500
    assert DataValue.objects.filter(indicator=indicator).count() == 1500


def test_new_source_keeps_the_previous_version(indicator: Indicator, vinh_phuc: Unit) -> None:
    sample = replace(value(indicator, vinh_phuc, 1066.0), source_detail="Mẫu dựng sẵn")
    official = replace(sample, source_detail="Average population by province.csv#2016")
    store_values([sample])

    result = store_values([official])

    stored = DataValue.objects.get(indicator=indicator)
    old = DataValueVersion.objects.get(data_value=stored)
    assert result.updated == 1
    assert (stored.source_detail, stored.version) == (official.source_detail, 2)
    assert old.source_detail == "Mẫu dựng sẵn"
