"""The built-in reference units agree with the official lists in the public data folder."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from tinhso.core.models import Unit
from tinhso.core.services import units as unit_service

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

AFTER = dt.date(2025, 7, 1)
BEFORE = dt.date(2025, 6, 30)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_new_phu_tho_communes_match_the_official_list(shared_data: Path) -> None:
    rows = _rows(shared_data / "admin/phutho_new_wards_2025-07.csv")
    phu_tho = unit_service.find_unit("25", AFTER)
    stored = {unit.code: unit.name for unit in unit_service.units_of(phu_tho, AFTER)}
    official = {row["ward_code"].zfill(5): row["ward_name"] for row in rows}
    assert len(official) == 148
    assert stored == official


def test_legacy_vinh_phuc_communes_match_the_official_list(shared_data: Path) -> None:
    rows = _rows(shared_data / "admin/vinhphuc_legacy_units_2025-01.csv")
    official = {
        (row["legacy_district_code"].zfill(3), row["legacy_ward_code"].zfill(5)) for row in rows
    }
    stored = set(
        Unit.objects.valid_on(BEFORE)
        .filter(parent__parent__code="26", parent__valid_to=BEFORE)
        .values_list("parent__code", "code")
    )
    assert len(official) == 121
    assert stored == official


def test_conversion_of_the_package_matches_the_official_table(shared_data: Path) -> None:
    rows = _rows(shared_data / "admin/vinhphuc_old_to_new_2025.csv")
    official = {(row["old_ward_code"].zfill(5), row["new_ward_code"].zfill(5)) for row in rows}
    old_codes = {old for old, _new in official}
    stored = set(
        Unit.objects.filter(code__in=old_codes, valid_to=BEFORE, level=3)
        .filter(successor_links__successor__valid_from=AFTER)
        .values_list("code", "successor_links__successor__code")
    )
    assert stored == official
    assert len({new for _old, new in official}) == 36
