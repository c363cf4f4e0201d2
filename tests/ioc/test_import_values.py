"""General file import of indicator values: the MoF budget file, row checks, template, XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tests.legacy_text import to_cp1258
from tinhso.core.errors import ImportFileError
from tinhso.core.models import UnitLevel
from tinhso.ingest.models import QuarantineRecord
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, Indicator, IndicatorGroup, ValueType
from tinhso.ioc.services.file_import import (
    UnitLookupError,
    UnitResolver,
    import_values,
    parse_number,
    write_template,
)

pytestmark = pytest.mark.django_db

BUDGET = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"
LONG = ["indicator", "unit", "period", "value"]


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.fixture
def indicators() -> dict[str, Indicator]:
    group = IndicatorGroup.objects.create(code="test-pop", name="Dân số")
    return {
        "POP": Indicator.objects.create(
            code="POP", name="Dân số trung bình", group=group, min_value=0, max_value=5000
        ),
        "RATE": Indicator.objects.create(
            code="RATE", name="Tỷ lệ hộ nghèo", group=group, value_type=ValueType.PERCENT
        ),
        "SCHOOLS": Indicator.objects.create(
            code="SCHOOLS", name="Số trường học", group=group, value_type=ValueType.INTEGER
        ),
    }


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.shared_data
def test_budget_file_loads_onto_old_province(shared_data: Path) -> None:
    report = import_values(shared_data / BUDGET, group_code="ns-mof")
    assert report.rejected == []
    assert report.rows_accepted == 70
    revenue = DataValue.objects.get(
        indicator__code="ns-mof.thu-nsnn-tren-dia-ban", unit__code="26", unit__level=1,
        period="2015",
    )  # fmt: skip
    assert revenue.value == 21990000


@pytest.mark.shared_data
def test_budget_group_is_found_without_group_option(shared_data: Path) -> None:
    report = import_values(shared_data / BUDGET)
    assert report.summary["group"] == "ns-mof"


@pytest.mark.shared_data
def test_budget_net_column_is_revenue_minus_expenditure(shared_data: Path) -> None:
    import_values(shared_data / BUDGET, group_code="ns-mof")
    by_code: dict[str, dict[str, float | None]] = {}
    for code, period, value in DataValue.objects.filter(
        indicator__group__code="ns-mof"
    ).values_list("indicator__code", "period", "value"):
        by_code.setdefault(code, {})[period] = value
    revenue = by_code["ns-mof.thu-nsnn-tren-dia-ban"]
    spending = by_code["ns-mof.chi-nsdp"]
    net = by_code["ns-mof.chenh-lech-thu-chi"]
    differences = {
        year: round(revenue[year] - spending[year] - net[year], 6)  # type: ignore[operator]
        for year in revenue
    }
    assert set(differences.values()) == {0.0}


@pytest.mark.shared_data
def test_budget_indicators_say_unit_is_not_stated(shared_data: Path) -> None:
    import_values(shared_data / BUDGET, group_code="ns-mof")
    indicator = Indicator.objects.get(code="ns-mof.chi-nsdp")
    assert indicator.name == "Chi ngân sách địa phương"
    assert "không ghi đơn vị tính" in indicator.description


def test_long_layout_stores_values(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    path = write_csv(
        tmp_path / "long.csv",
        [LONG, ["POP", "26", "2016", "1066.0"], ["POP", "Tỉnh Vĩnh Phúc", "2015", "1054,5"]],
    )
    report = import_values(path)
    assert report.rows_accepted == 2
    assert DataValue.objects.get(indicator__code="POP", period="2015").value == 1054.5


BAD_ROWS = [
    (["NOPE", "26", "2016", "1"], "unknown_indicator",
     "Row 2, column indicator: no indicator has the code 'NOPE'. Use a code from the indicator "
     "list of the group, or create the indicator first."),
    (["POP", "98765", "2016", "1"], "unknown_unit",
     "Row 2, column unit: no administrative unit valid in 2016 has the code or name '98765'. Write "
     "the official code of the General Statistics Office (with or without leading zeros) or the "
     "unit's name."),
    (["POP", "26", "2016Q5", "1"], "invalid_period",
     "Row 2, column period: '2016Q5' is not a period code. Write periods as 2025 (year), 2025Q1 "
     "(quarter), 202501 (month), 2025R07 (reporting month) or 20250105 (day)."),
    (["POP", "26", "201601", "1"], "wrong_periodicity",
     "Row 2, column period: indicator POP is reported per year, but '201601' is a period of "
     "type month. Use a period of the indicator's periodicity."),
    (["POP", "26", "2016", "abc"], "not_a_number",
     "Row 2, column value: 'abc' is not a number. Write numbers like 1234.5 or 1234,5, without "
     "units."),
    (["POP", "26", "2016", "30,509"], "ambiguous_number",
     "Row 2, column value: '30,509' can be read as 30509 or 30.509. Write the number without a "
     "thousands separator and with a dot as decimal separator."),
    (["POP", "26", "2016", "9000"], "out_of_range",
     "Row 2, column value: 9000 is outside the plausible range of indicator POP (0 to 5000). "
     "Check the value; if it is right, widen the indicator's plausible range."),
    (["RATE", "26", "2016", "104.5"], "percent_over_100",
     "Row 2, column value: 104.5 is over 100, but indicator RATE is a percentage. Write "
     "percentages as numbers from 0 to 100."),
    (["SCHOOLS", "26", "2016", "362.5"], "not_integer",
     "Row 2, column value: indicator SCHOOLS counts whole units, but 362.5 has a fraction. "
     "Check the value."),
    (["POP", "26", "2016", ""], "missing_value",
     "Row 2, column value: the value is empty. Enter a number or delete the row."),
]  # fmt: skip


@pytest.mark.parametrize(("row", "code", "message"), BAD_ROWS)
def test_bad_row_is_quarantined_with_message(
    tmp_path: Path, indicators: dict[str, Indicator], row: list[str], code: str, message: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", [LONG, row, ["POP", "26", "2010", "1007.6"]])
    report = import_values(path)
    assert [(p.code, p.message) for p in report.rejected] == [(code, message)]
    assert report.rows_accepted == 1
    assert QuarantineRecord.objects.filter(batch_id=report.batch_id, code=code).count() == 1


def test_duplicate_cell_names_the_first_row(
    tmp_path: Path, indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path / "dup.csv", [LONG, ["POP", "26", "2016", "1"], ["POP", "Vinh Phuc", "2016", "2"]]
    )
    report = import_values(path)
    assert [p.message for p in report.rejected] == [
        "Row 3, column value: row 2 already gives a value for indicator POP, unit 26 and period "
        "2016. Delete one of the two."
    ]


def test_ambiguous_unit_name_asks_for_a_code(
    tmp_path: Path, indicators: dict[str, Indicator]
) -> None:
    path = write_csv(tmp_path / "amb.csv", [LONG, ["POP", "Xã Tân Lập", "2016", "1"]])
    report = import_values(path)
    assert [p.code for p in report.rejected] == ["ambiguous_unit"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1066", 1066.0), ("1066.5", 1066.5), ("1066,5", 1066.5), ("1.234.567", 1234567.0),
     ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("1 234,5", 1234.5), ("12,5%", 12.5),
     ("-3.9", -3.9)],
)  # fmt: skip
def test_parse_number_forms(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1e5", "nan", "inf", "1,234", "12..5", "--1", "1_000"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="."):
        parse_number(text)


def test_dry_run_stores_nothing(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    path = write_csv(tmp_path / "long.csv", [LONG, ["POP", "26", "2016", "1066"]])
    report = import_values(path, dry_run=True)
    assert report.summary["created"] == 1
    assert DataValue.objects.count() == 0
    assert report.batch_id is None


@pytest.mark.shared_data
def test_dry_run_creates_no_builtin_group(shared_data: Path) -> None:
    report = import_values(shared_data / BUDGET, group_code="ns-mof", dry_run=True)
    assert report.summary["created"] == 70
    assert not IndicatorGroup.objects.filter(code="ns-mof").exists()


def test_second_import_is_unchanged(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    path = write_csv(tmp_path / "long.csv", [LONG, ["POP", "26", "2016", "1066"]])
    import_values(path)
    report = import_values(path)
    assert (report.summary["created"], report.summary["unchanged"]) == (0, 1)


def test_progress_reaches_the_total(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    rows = [LONG] + [["POP", "26", str(year), "1"] for year in range(1000, 3500)]
    path = write_csv(tmp_path / "long.csv", rows)
    calls: list[tuple[int, int]] = []
    import_values(path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258"])
def test_unit_names_in_any_encoding(
    tmp_path: Path, indicators: dict[str, Indicator], encoding: str
) -> None:
    rows = [LONG] + [
        ["POP", name, "2016", "1"]
        for name in ["Tỉnh Vĩnh Phúc", "Tỉnh Phú Thọ", "Tỉnh Hòa Bình", "Thành phố Hà Nội"]
    ]
    path = tmp_path / "names.csv"
    text = "\n".join(",".join(row) for row in rows) + "\n"
    data = text.encode("utf-8") if encoding == "utf-8" else to_cp1258(text)
    path.write_bytes(data)
    report = import_values(path)
    assert report.summary["encoding"] == ("utf-8" if encoding == "utf-8" else "windows-1258")
    assert report.rows_accepted == 4


def test_template_round_trip(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    group = IndicatorGroup.objects.get(code="test-pop")
    path = write_template(group, tmp_path / "template.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["du-lieu"]
    assert [c.value for c in sheet[1]] == ["unit", "period", "POP", "RATE", "SCHOOLS"]
    assert str(sheet["A2"].value).startswith("#")
    sheet.append(["26", "2016", 1066, 2.9, 362])
    workbook.save(path)
    report = import_values(path, group_code="test-pop")
    assert report.rejected == []
    assert report.rows_accepted == 3


def test_template_has_validation_lists(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    group = IndicatorGroup.objects.get(code="test-pop")
    sheet = load_workbook(write_template(group, tmp_path / "t.xlsx"))["du-lieu"]
    kinds = sorted(v.type for v in sheet.data_validations.dataValidation)
    assert kinds == ["decimal", "decimal", "list", "whole"]


def test_wide_unknown_column_is_quarantined(
    tmp_path: Path, indicators: dict[str, Indicator]
) -> None:
    path = write_csv(
        tmp_path / "wide.csv", [["unit", "period", "POP", "XYZ"], ["26", "2016", "1", "2"]]
    )
    report = import_values(path)
    assert [p.code for p in report.rejected] == ["unknown_indicator"]
    assert report.rows_accepted == 1


def test_xlsx_long_layout(tmp_path: Path, indicators: dict[str, Indicator]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(LONG)
    sheet.append(["POP", 26, 2016, 1066.0])
    workbook.save(tmp_path / "long.xlsx")
    report = import_values(tmp_path / "long.xlsx")
    assert report.rows_accepted == 1


def test_file_without_layout_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(ImportFileError) as caught:
        import_values(path)
    assert caught.value.code == "wrong_columns"


def test_command_template_and_dry_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    out = tmp_path / "ns.xlsx"
    call_command("ioc", "template", "ns-mof", "--out", str(out))
    header = [c.value for c in load_workbook(out)["du-lieu"][1]]
    assert header[:4] == ["unit", "period", "total.rev", "ratio"]
    path = write_csv(
        tmp_path / "b.csv", [["prov", "year", "total.rev"], ["Vinh Phuc", "2006", "4027000"]]
    )
    call_command("ioc", "import", str(path), "--group", "ns-mof", "--dry-run")
    printed = capsys.readouterr().out
    assert "Dry run: nothing was stored." in printed


def test_command_template_needs_xlsx_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    out = tmp_path / "ns.csv"

    with pytest.raises(CommandError, match="ending in .xlsx, not ns.csv"):
        call_command("ioc", "template", "ns-mof", "--out", str(out))

    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "period", "code", "still_valid"),
    [
        ("Vinh Phuc", "2016", "26", False),
        ("Tỉnh Vĩnh Phúc", "2016", "26", False),
        ("26", "2016", "26", False),
        ("TP. Hồ Chí Minh", "2016", "79", False),
        ("Thành phố Hà Nội", "2016", "01", False),
        ("Vinh Phuc", "2026", "08716", True),
        ("Phú Thọ", "2016", "25", False),
        ("Phú Thọ", "2026", "25", True),
        ("Cả nước", "2016", "VN", True),
        ("Whole country", "2016", "VN", True),
    ],
)
def test_units_resolve_by_code_or_name(
    text: str, period: str, code: str, still_valid: bool
) -> None:
    unit = UnitResolver().resolve(text, periods.parse(period))
    assert (unit.code, unit.valid_to is None) == (code, still_valid)


def test_unit_name_of_other_level_is_unknown() -> None:
    with pytest.raises(UnitLookupError):
        UnitResolver().resolve("Vinh Phuc", periods.parse("2026"), UnitLevel.PROVINCE)
