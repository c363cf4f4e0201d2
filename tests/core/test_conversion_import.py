"""Import of the old-to-new conversion table: real file, bad rows, bad files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.legacy_text import to_cp1258
from tinhso.core.errors import ImportFileError
from tinhso.core.models import AuditEvent, Unit, UnitLink
from tinhso.core.services import units as unit_service
from tinhso.core.services.conversion import COLUMNS, import_conversion
from tinhso.ingest.models import BatchStatus, ImportBatch, QuarantineRecord

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2025, 6, 30)
GOOD_ROW = {
    "old_province_code": "26",
    "old_district_code": "243",
    "old_district_name": "Thành phố Vĩnh Yên",
    "old_ward_code": "8707",
    "old_ward_name": "Phường Tích Sơn",
    "is_partly_merged": "False",
    "new_province_code": "25",
    "new_ward_code": "8707",
    "new_ward_name": "Phường Vĩnh Yên",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.mark.shared_data
def test_real_table_maps_121_old_communes_to_36_new(shared_data: Path) -> None:
    report = import_conversion(shared_data / "admin/vinhphuc_old_to_new_2025.csv")
    assert report.rows_total == 121
    assert report.rows_accepted == 121
    assert report.rejected == []
    assert report.summary["old_communes"] == 121
    assert report.summary["new_communes"] == 36


@pytest.mark.shared_data
def test_real_table_is_idempotent(shared_data: Path) -> None:
    path = shared_data / "admin/vinhphuc_old_to_new_2025.csv"
    import_conversion(path)
    links_before = UnitLink.objects.count()
    units_before = Unit.objects.count()
    report = import_conversion(path)
    assert UnitLink.objects.count() == links_before
    assert Unit.objects.count() == units_before
    assert report.summary["links_existing"] == 121


@pytest.mark.shared_data
def test_tone_mark_placement_is_not_a_name_difference(shared_data: Path) -> None:
    report = import_conversion(shared_data / "admin/vinhphuc_old_to_new_2025.csv")
    assert [w for w in report.warnings if w.code == "name_differs"] == []


def test_creates_missing_old_units_valid_until_the_reform(tmp_path: Path) -> None:
    row = dict(
        GOOD_ROW,
        old_district_code="999",
        old_district_name="Huyện Thử Nghiệm",
        old_ward_code="99991",
        old_ward_name="Xã Thử Nghiệm",
    )
    report = import_conversion(write_csv(tmp_path / "new.csv", [row]))
    assert report.rows_accepted == 1
    ward = Unit.objects.get(code="99991")
    assert ward.valid_to == BEFORE
    assert ward.parent is not None
    assert ward.parent.name == "Huyện Thử Nghiệm"
    assert ward.parent.parent == unit_service.find_unit("26", BEFORE)
    assert ward.short_name == "Thử Nghiệm"
    assert ward.successor_links.get().successor.name == "Phường Vĩnh Yên"
    assert AuditEvent.objects.filter(
        action="create", object_type="core.unit", object_id=str(ward.pk)
    ).exists()


def test_partly_flag_is_stored(tmp_path: Path) -> None:
    row = dict(GOOD_ROW, is_partly_merged="True")
    import_conversion(write_csv(tmp_path / "partly.csv", [row]))
    link = UnitLink.objects.get(
        predecessor__code="08707", predecessor__valid_to=BEFORE, successor__code="08707"
    )
    assert link.partly is True
    assert link.kind == "split"


@pytest.mark.parametrize(
    ("change", "field", "code", "message"),
    [
        (
            {"old_ward_code": "abc"},
            "old_ward_code",
            "invalid_code",
            "Row 2, column old_ward_code: 'abc' is not an official code.",
        ),
        (
            {"new_ward_code": "99999"},
            "new_ward_code",
            "unknown_unit",
            "Row 2: no commune valid from 1 July 2025 has the code 99999.",
        ),
        (
            {"old_province_code": "98"},
            "old_province_code",
            "unknown_unit",
            "Row 2: no province valid before 1 July 2025 has the code 98.",
        ),
        (
            {"new_province_code": "01"},
            "new_province_code",
            "unknown_parent",
            "Row 2: the new commune Phường Vĩnh Yên belongs to province 25, not 01.",
        ),
        (
            {"is_partly_merged": "maybe"},
            "is_partly_merged",
            "invalid_value",
            "Row 2, column is_partly_merged: 'maybe' is neither True nor False",
        ),
        (
            {"old_ward_name": "Tích Sơn"},
            "old_ward_name",
            "invalid_name",
            "Row 2: the commune name 'Tích Sơn' does not start with Xã, Phường, Thị trấn or Đặc khu.",
        ),
        (
            {"old_district_name": "Vĩnh Yên"},
            "old_district_name",
            "invalid_name",
            "Row 2: the district name 'Vĩnh Yên' does not start with Huyện, Quận, Thị xã or Thành phố.",
        ),
    ],
)
def test_bad_row_is_quarantined_with_reason(
    tmp_path: Path, change: dict[str, str], field: str, code: str, message: str
) -> None:
    good = dict(GOOD_ROW, old_ward_code="8713", old_ward_name="Phường Hội Hợp")
    bad = dict(GOOD_ROW, **change)
    report = import_conversion(write_csv(tmp_path / "bad.csv", [bad, good]))

    assert report.rows_accepted == 1
    problem = next(p for p in report.rejected if p.field == field)
    assert problem.code == code
    assert problem.message.startswith(message)
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert batch.status == BatchStatus.PARTIAL
    assert QuarantineRecord.objects.filter(batch=batch, code=code, field=field).exists()


def test_bad_row_creates_no_units(tmp_path: Path) -> None:
    bad = dict(
        GOOD_ROW,
        old_district_code="998",
        old_district_name="Huyện Ma",
        old_ward_code="99981",
        old_ward_name="Xã Ma",
        new_ward_code="99999",
    )
    report = import_conversion(write_csv(tmp_path / "bad.csv", [bad]))
    assert report.rows_accepted == 0
    assert not Unit.objects.filter(code__in=["998", "99981"]).exists()
    assert ImportBatch.objects.get(pk=report.batch_id).status == BatchStatus.FAILED


def test_duplicate_pair_is_rejected(tmp_path: Path) -> None:
    report = import_conversion(write_csv(tmp_path / "dup.csv", [GOOD_ROW, GOOD_ROW]))
    assert report.rows_accepted == 1
    assert [p.code for p in report.rejected] == ["duplicate"]
    assert (
        report.rejected[0].message
        == "Row 3 repeats the pair 08707 → 08707 of row 2; delete one of them."
    )


def test_missing_columns_name_the_fix(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "cols.csv", [GOOD_ROW], columns=[c for c in COLUMNS if c != "new_ward_code"]
    )
    with pytest.raises(ImportFileError) as raised:
        import_conversion(path)
    assert raised.value.code == "wrong_columns"
    assert "lacks the columns new_ward_code" in raised.value.message
    assert ImportBatch.objects.get(source_name=str(path)).status == BatchStatus.FAILED


def test_windows_1258_file_is_converted(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.csv"
    text = ",".join(COLUMNS) + "\n" + ",".join(GOOD_ROW[c] for c in COLUMNS) + "\n"
    path.write_bytes(to_cp1258(text))
    report = import_conversion(path)
    assert report.rows_accepted == 1
    assert report.warnings == []


def test_undecodable_column_names_column_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "garbled.csv"
    header = ",".join(COLUMNS).encode()
    row = (
        ",".join(GOOD_ROW[c] for c in COLUMNS)
        .encode()
        .replace("Phường Tích Sơn".encode(), bytes(range(0x80, 0xA0)))
    )
    path.write_bytes(header + b"\n" + row + b"\n")
    with pytest.raises(ImportFileError) as raised:
        import_conversion(path)
    assert raised.value.code == "wrong_encoding"
    assert "old_ward_name" in raised.value.message
    assert "CSV UTF-8" in raised.value.message


def test_xlsx_is_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(COLUMNS)
    sheet.append([GOOD_ROW[c] if not c.endswith("_code") else int(GOOD_ROW[c]) for c in COLUMNS])
    path = tmp_path / "conversion.xlsx"
    workbook.save(path)
    report = import_conversion(path)
    assert report.rows_accepted == 1


def test_semicolon_separated_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "semicolon.csv"
    path.write_text(
        ";".join(COLUMNS) + "\n" + ";".join(GOOD_ROW[c] for c in COLUMNS) + "\n", encoding="utf-8"
    )
    assert import_conversion(path).rows_accepted == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.csv", b"", "empty_file"),
        ("table.ods", b"x", "unsupported_format"),
        ("broken.xlsx", b"not a zip", "unsupported_format"),
        ("binary.csv", b"a,b\x00,c\n", "unsupported_format"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as raised:
        import_conversion(path)
    assert raised.value.code == code


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as raised:
        import_conversion(tmp_path / "absent.csv")
    assert raised.value.code == "file_not_found"


def test_command_prints_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    out, err = io.StringIO(), io.StringIO()
    path = write_csv(tmp_path / "ok.csv", [GOOD_ROW])
    call_command("units", "import-conversion", str(path), stdout=out, stderr=err)
    assert "1 rows read, 1 accepted, 0 rejected" in out.getvalue()


def test_command_fails_when_nothing_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    bad = dict(GOOD_ROW, new_ward_code="99999")
    with pytest.raises(CommandError, match="No row was imported"):
        call_command(
            "units",
            "import-conversion",
            str(write_csv(tmp_path / "bad.csv", [bad])),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_command_reports_file_error_in_vietnamese_by_default(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command(
            "units", "import-conversion", str(path), stdout=io.StringIO(), stderr=io.StringIO()
        )


def test_partial_table_keeps_a_merge_a_merge(tmp_path: Path) -> None:
    # Tích Sơn is one of four communes merged into Phường Vĩnh Yên; a file with its row alone
    # must not turn the stored merge into a rename.
    import_conversion(write_csv(tmp_path / "one.csv", [GOOD_ROW]))
    link = UnitLink.objects.get(
        predecessor__code="08707", predecessor__valid_to=BEFORE, successor__code="08707"
    )
    assert link.kind == "merge"


def test_rejected_rows_are_counted_once(tmp_path: Path) -> None:
    bad = dict(GOOD_ROW, old_ward_code="abc", new_ward_code="xyz")
    report = import_conversion(write_csv(tmp_path / "two-problems.csv", [bad]))
    assert len(report.rejected) == 2
    assert report.rejected_rows == 1
    assert ImportBatch.objects.get(pk=report.batch_id).rows_rejected == 1
