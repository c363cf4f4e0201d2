"""Import of the GSO PX-Web tables: the real zip against its long-form oracle, and bad tables."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from tinhso.core.errors import ImportFileError
from tinhso.ingest.report import ImportReport
from tinhso.ioc.models import DataValue, Indicator, ValueStatus, ValueType
from tinhso.ioc.services.gso_import import import_gso

pytestmark = pytest.mark.django_db

ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
ORACLE = "stats/gso_2018_vinhphuc_long.csv"
MEMBER_PREFIX = "gso_06082019"
IIP = "gso.index-of-industrial-production-by-province"


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.fixture
def imported(shared_data: Path) -> ImportReport:
    return import_gso(shared_data / ZIP)


def stored(unit_code: str) -> dict[str, float | None]:
    """Values of one unit keyed by source detail (file inside the zip # column)."""
    return dict(
        DataValue.objects.filter(unit__code=unit_code, unit__level__lte=1).values_list(
            "source_detail", "value"
        )
    )


def oracle_rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / ORACLE).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_number(text: str) -> float | None:
    return None if text.strip() in {"", "..", "NA"} else float(text)


@pytest.mark.shared_data
def test_zip_loads_98_province_tables(imported: ImportReport) -> None:
    report = imported
    assert report.summary["tables_read"] == 334
    assert report.summary["tables_loaded"] == 98
    assert report.summary["tables_skipped"] == 236
    assert report.rejected == []


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("unit_code", "oracle_column"), [("26", "vinh_phuc_value"), ("VN", "whole_country_value")]
)
def test_every_oracle_value_is_stored(
    imported: ImportReport, shared_data: Path, unit_code: str, oracle_column: str
) -> None:
    values = stored(unit_code)
    mismatches = []
    for row in oracle_rows(shared_data):
        key = f"{MEMBER_PREFIX}/{row['category']}/{row['table']}.csv#{row['column']}"
        expected = expected_number(row[oracle_column])
        found = values.get(key, "absent")
        if expected is None and found == "absent":
            continue
        if found != expected:
            mismatches.append((row["table"], row["column"], expected, found))
    assert mismatches[:10] == []


@pytest.mark.shared_data
def test_oracle_values_count_matches_stored(imported: ImportReport, shared_data: Path) -> None:
    rows = oracle_rows(shared_data)
    expected = sum(1 for row in rows if expected_number(row["vinh_phuc_value"]) is not None)
    assert DataValue.objects.filter(unit__code="26", unit__level=1).count() == expected


@pytest.mark.shared_data
def test_industrial_production_index_2012_to_2016(imported: ImportReport) -> None:
    values = dict(
        DataValue.objects.filter(indicator__code=IIP, unit__code="26", unit__level=1).values_list(
            "period", "value"
        )
    )
    assert values == {"2012": 97.0, "2013": 114.0, "2014": 97.1, "2015": 101.6, "2016": 105.8}


@pytest.mark.shared_data
def test_industrial_production_index_is_an_index(imported: ImportReport) -> None:
    indicator = Indicator.objects.get(code=IIP)
    assert indicator.value_type == ValueType.INDEX
    assert indicator.name == "Chỉ số sản xuất công nghiệp (năm trước = 100)"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("item", "expected"),
    [("number-of-projects", 266.0), ("total-registered-capital-mill-usd", 3874.7)],
)
def test_accumulated_fdi_to_end_of_2016(imported: ImportReport, item: str, expected: float) -> None:
    code = "gso.foreign-direct-investment-projects-licensed-by-province-accum-1ff752f1." + item
    value = DataValue.objects.get(
        indicator__code=code, unit__code="26", unit__level=1, period="2016"
    )
    assert value.value == expected


@pytest.mark.shared_data
def test_fdi_capital_unit_comes_from_the_column(imported: ImportReport) -> None:
    indicator = Indicator.objects.get(
        code__startswith="gso.foreign-direct-investment-projects-licensed-by-province",
        name_en__endswith="Total registered capital (Mill. USD)",
    )
    assert indicator.unit_of_measure == "triệu USD"


@pytest.mark.shared_data
@pytest.mark.parametrize(("period", "expected"), [("2007", 1174.1), ("2008", 993.8)])
def test_average_population_drops_when_me_linh_left(
    imported: ImportReport, period: str, expected: float
) -> None:
    value = DataValue.objects.get(
        indicator__code="gso.average-population-by-province.total",
        unit__code="26", unit__level=1, period=period,
    )  # fmt: skip
    assert value.value == expected


@pytest.mark.shared_data
def test_values_are_approved_with_the_file_named(imported: ImportReport) -> None:
    value = DataValue.objects.get(indicator__code=IIP, unit__code="26", period="2012")
    assert value.status == ValueStatus.APPROVED
    assert value.source_detail == (
        f"{MEMBER_PREFIX}/Industry/Index of Industrial production by province.csv#2012"
    )


@pytest.mark.shared_data
def test_preliminary_values_carry_a_comment(imported: ImportReport) -> None:
    value = DataValue.objects.get(
        indicator__code="gso.average-population-by-province.total", unit__code="26", period="2016"
    )
    assert value.comment == "sơ bộ (preliminary)"


@pytest.mark.shared_data
def test_whole_country_goes_to_the_country_unit(imported: ImportReport) -> None:
    value = DataValue.objects.get(indicator__code=IIP, unit__code="VN", period="2016")
    assert value.value == 107.4


@pytest.mark.shared_data
def test_second_import_changes_nothing(imported: ImportReport, shared_data: Path) -> None:
    again = import_gso(shared_data / ZIP)
    assert again.summary["created"] == 0
    assert again.summary["updated"] == 0
    assert again.summary["unchanged"] == again.rows_accepted


@pytest.mark.shared_data
def test_out_of_order_year_is_reported(imported: ImportReport) -> None:
    warnings = [w for w in imported.warnings if w.code == "year_out_of_order"]
    assert [w.message for w in warnings] == [
        "Table gso_06082019/Agriculture, Forestry and Fishery/Area of water surface for the "
        "aquaculture by province.csv, column '1988': the year 1988 is out of order between "
        "1997 and 1999 (likely intended: 1998). Its values are kept under 1988 as written; "
        "correct the header and import the table again if the GSO confirms the year."
    ]


@pytest.mark.shared_data
def test_legacy_encoded_file_is_decoded(imported: ImportReport) -> None:
    # The one non-ASCII byte, 0xEC in "B?nh Dinh", spells "Bình" in VNI (and in Latin-1, which
    # writes the same letter with the same byte); TCVN3 would give "Bỡnh", not a syllable.
    name = (
        f"{MEMBER_PREFIX}/Administrative Unit, Land and Climate/"
        "Number of administrative units as of 31 December by province.csv"
    )
    assert imported.summary["file_encodings"] == {name: "vni"}
    assert [p for p in imported.problems if p.code == "undecodable_column"] == []


@pytest.mark.shared_data
def test_every_table_has_vietnamese_names(imported: ImportReport) -> None:
    unnamed = [p.message for p in imported.warnings if p.code == "no_vietnamese_name"]
    assert unnamed == []


@pytest.mark.shared_data
def test_other_provinces_are_counted(imported: ImportReport) -> None:
    assert imported.summary["rows_skipped"] > 98 * 60


def write_zip(path: Path, tables: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in tables.items():
            archive.writestr(name, text.encode("utf-8"))
    return path


TABLE = (
    '"Poverty rate by province by Cities, provincies and Year"\n\n'
    '"Cities, provincies";"2014";"2015";"Pre. 2016"\n'
    '" WHOLE COUNTRY";8.4;7.0;5.8\n'
    '"Vinh Phuc";3.6;2.9;..\n'
    '"Phu Tho";11.2;9.8;7.9\n'
)


def test_table_without_vinh_phuc_is_skipped(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "t.zip",
        {"Health/Poverty rate by province.csv": TABLE.replace("Vinh Phuc", "Ha Noi")},
    )
    report = import_gso(archive)
    assert [(p.code, p.message) for p in report.warnings] == [
        (
            "no_province_row",
            "Table Health/Poverty rate by province.csv is skipped: it has no row for Vinh Phuc.",
        )
    ]


def test_single_table_loads_province_and_country(tmp_path: Path) -> None:
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE, encoding="utf-8")
    report = import_gso(path)
    assert report.rows_accepted == 5
    assert report.summary["missing_values"] == 1
    assert report.summary["rows_skipped"] == 1


def test_percent_table_gets_percent_type(tmp_path: Path) -> None:
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE, encoding="utf-8")
    import_gso(path)
    assert Indicator.objects.get(code="gso.poverty-rate-by-province").value_type == "percent"


def test_non_number_cell_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE.replace("3.6;2.9", "3.6;n/a"), encoding="utf-8")
    report = import_gso(path)
    assert [p.message for p in report.rejected] == [
        "Table Poverty rate by province.csv, line 5 (Vinh Phuc), column '2015': 'n/a' is not "
        "a number."
    ]


def test_dry_run_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE, encoding="utf-8")
    report = import_gso(path, dry_run=True)
    assert report.summary["created"] == 5
    assert DataValue.objects.filter(indicator__code="gso.poverty-rate-by-province").count() == 0


def test_binary_table_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE.replace("2014", "20\x0014"), encoding="utf-8")
    report = import_gso(path)
    assert [p.message for p in report.rejected] == [
        "Table Poverty rate by province.csv contains binary data, not a CSV table."
    ]


def test_not_a_zip_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "tables.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ImportFileError) as caught:
        import_gso(path)
    assert (
        caught.value.message
        == "File tables.zip is not a valid zip archive. Zip the CSV tables again."
    )


def test_command_prints_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(TABLE, encoding="utf-8")
    call_command("ioc", "import-gso", str(path))
    out = capsys.readouterr().out
    assert "ioc.gso: 5 rows read, 5 accepted, 0 rejected, 0 warnings" in out
