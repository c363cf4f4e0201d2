"""The report's data source: which units a regime's unit code means in a period."""

from __future__ import annotations

import pytest

from tinhso.ioc.periods import parse as parse_period
from tinhso.reports.data import DatabaseSource

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("period", "codes", "name"),
    [
        ("2016", ["26"], "tỉnh Vĩnh Phúc"),
        ("202511", ["25"], "tỉnh Phú Thọ"),
        ("2030", ["25"], "tỉnh Phú Thọ"),
    ],
)
def test_units_after_merger_are_successors(period: str, codes: list[str], name: str) -> None:
    source = DatabaseSource()

    units = source.units("26", parse_period(period))

    assert [unit.code for unit in units] == codes
    assert source.unit_name("26", parse_period(period)) == name


def test_unknown_unit_code_is_named() -> None:
    source = DatabaseSource()

    assert source.units("99", parse_period("2016")) == []
    assert source.unit_name("99", parse_period("2016")) == "đơn vị hành chính mã 99"
