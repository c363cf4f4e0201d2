"""The built-in sample: its size and sources, what it stores, and how real imports replace it."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tinhso.core.models import Unit, UnitLevel
from tinhso.ingest.models import ImportBatch
from tinhso.ioc import sample
from tinhso.ioc.models import (
    DataValue,
    DataValueVersion,
    Indicator,
    IndicatorGroup,
    ValueStatus,
)
from tinhso.ioc.services.file_import import import_values
from tinhso.ioc.services.gso_import import import_gso

pytestmark = pytest.mark.django_db

ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
BUDGET = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"
IIP = "gso.index-of-industrial-production-by-province"
REVENUE = "ns-mof.thu-nsnn-tren-dia-ban"


def sample_rows(prefix: str) -> list[dict[str, str]]:
    return [row for row in sample.read_rows() if row["indicator"].startswith(prefix)]


def test_sample_files_stay_small() -> None:
    folder = resources.files(sample)
    size = sum(
        len(folder.joinpath(name).read_bytes()) for name in ("values.csv", "definitions.json")
    )

    assert size < 100 * 1024


def test_every_row_names_its_source() -> None:
    rows = sample.read_rows()

    assert rows
    assert all(row["source"].strip() for row in rows)
    assert {row["source"].split(",")[0] for row in sample_rows("gso.")} == {"Tổng cục Thống kê"}


def test_sample_covers_leader_indicators() -> None:
    codes = {row["indicator"] for row in sample.read_rows()}
    gso_codes = {code for code in codes if code.startswith("gso.")}

    assert 15 <= len(gso_codes) <= 25
    assert {IIP, REVENUE, "ns-mof.chi-nsdp", "dvhc-2025.dien-tich", "dvhc-2025.dan-so"} <= codes
    assert {int(row["period"]) for row in sample_rows("gso.")} <= set(range(2010, 2018))
    assert {int(row["period"]) for row in sample_rows("ns-mof.")} == set(range(2006, 2016))


def test_load_stores_approved_marked_values() -> None:
    result = sample.load_sample()

    stored = DataValue.objects.all()
    assert result.stored.created == len(sample.read_rows())
    assert stored.count() == len(sample.read_rows())
    assert set(stored.values_list("status", flat=True)) == {ValueStatus.APPROVED}
    assert all(
        detail.startswith(sample.SAMPLE_MARK)
        for detail in stored.values_list("source_detail", flat=True)
    )
    batch = ImportBatch.objects.get(kind=sample.KIND)
    assert set(stored.values_list("batch_id", flat=True)) == {batch.pk}
    assert result.report is not None
    assert result.report.problems == []


def test_published_figures_unchanged() -> None:
    sample.load_sample()

    iip = dict(DataValue.objects.filter(indicator__code=IIP).values_list("period", "value"))
    assert iip == {"2012": 97.0, "2013": 114.0, "2014": 97.1, "2015": 101.6, "2016": 105.8}
    assert DataValue.objects.get(indicator__code=REVENUE, period="2006").value == 4027000.0


def test_province_values_on_vinh_phuc() -> None:
    sample.load_sample()

    units = set(
        DataValue.objects.filter(indicator__code__startswith="gso.").values_list(
            "unit__code", "unit__level"
        )
    )
    assert units == {("26", UnitLevel.PROVINCE)}


def test_commune_values_on_36_new_communes() -> None:
    sample.load_sample()

    areas = DataValue.objects.filter(indicator__code="dvhc-2025.dien-tich").select_related("unit")
    population = DataValue.objects.filter(indicator__code="dvhc-2025.dan-so")
    assert areas.count() == 36
    assert population.count() == 36
    assert round(sum(row.value or 0 for row in areas), 1) == 1236.0
    reform = dt.date(2025, 7, 1)
    assert all(
        row.unit.level == UnitLevel.COMMUNE and row.unit.is_valid_on(reform) for row in areas
    )
    assert Indicator.objects.get(code="dvhc-2025.dan-so").reporting_level == UnitLevel.COMMUNE


def test_second_load_changes_nothing() -> None:
    sample.load_sample()
    versions = DataValueVersion.objects.count()

    again = sample.load_sample()

    assert (again.stored.created, again.stored.updated) == (0, 0)
    assert again.stored.unchanged == len(sample.read_rows())
    assert (again.groups_created, again.indicators_created) == (0, 0)
    assert DataValueVersion.objects.count() == versions


def test_edited_indicator_name_survives_reload() -> None:
    sample.load_sample()
    Indicator.objects.filter(code=IIP).update(name="Chỉ số IIP")

    sample.load_sample()

    assert Indicator.objects.get(code=IIP).name == "Chỉ số IIP"


@pytest.mark.shared_data
def test_gso_import_reuses_sample_cells(shared_data: Path) -> None:
    sample.load_sample()
    indicators_before = Indicator.objects.count()
    gso_cells = len(sample_rows("gso."))

    report = import_gso(shared_data / ZIP)

    # The sample's groups and indicators are the importer's own: it adds only what is missing.
    sample_codes = {row["indicator"] for row in sample_rows("gso.")}
    assert report.summary["indicators_created"] == Indicator.objects.count() - indicators_before
    assert Indicator.objects.filter(code__startswith="gso.").count() == (
        report.summary["indicators_created"] + len(sample_codes)
    )
    assert (
        IndicatorGroup.objects.filter(code__startswith="gso-").count()
        == (report.summary["tables_loaded"])
    )
    # Every sample cell is one the importer fills with the same number, from a new source,
    # so each gets a second version that names the GSO table.
    assert report.summary["updated"] == gso_cells
    assert report.summary["created"] + gso_cells == report.rows_accepted
    sample_cells = DataValue.objects.filter(indicator__code__in=sample_codes, version=2)
    assert sample_cells.count() == gso_cells
    assert not sample_cells.filter(source_detail__startswith=sample.SAMPLE_MARK).exists()
    kept = DataValueVersion.objects.filter(data_value__in=sample_cells)
    assert kept.count() == gso_cells
    assert all(version.source_detail.startswith(sample.SAMPLE_MARK) for version in kept)


@pytest.mark.shared_data
def test_budget_import_versions_sample_values(shared_data: Path) -> None:
    sample.load_sample()

    report = import_values(shared_data / BUDGET)

    # The file import stores submitted values, so each sample cell gets a new version.
    assert report.summary["updated"] == len(sample_rows("ns-mof."))
    row = DataValue.objects.get(indicator__code=REVENUE, period="2006")
    assert row.version == 2
    assert not row.source_detail.startswith(sample.SAMPLE_MARK)
    kept = DataValueVersion.objects.get(data_value=row, version=1)
    assert kept.source_detail.startswith(sample.SAMPLE_MARK)
    assert kept.value == row.value


def test_command_if_empty_loads_once() -> None:
    call_command("demo", "sample", "--if-empty", stdout=StringIO())
    assert DataValue.objects.count() == len(sample.read_rows())

    call_command("demo", "sample", "--if-empty", stdout=StringIO())

    assert ImportBatch.objects.filter(kind=sample.KIND).count() == 1


def test_command_if_empty_skips_database_with_values() -> None:
    indicator = Indicator.objects.create(code="KHAC", name="Chỉ tiêu khác")
    DataValue.objects.create(
        indicator=indicator,
        unit=Unit.objects.get(code="26", level=UnitLevel.PROVINCE),
        period="2016",
        period_type="year",
        period_start=dt.date(2016, 1, 1),
        period_end=dt.date(2016, 12, 31),
        value=1.0,
        source_kind="user",
    )

    call_command("demo", "sample", "--if-empty", stdout=StringIO())

    assert not ImportBatch.objects.filter(kind=sample.KIND).exists()
