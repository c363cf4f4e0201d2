"""Fuzz tests: arbitrary input into the table reader, the GSO parser and the importers.

Each importer may only raise its documented error (ImportFileError, GsoFormatError); every
other input must come back as a report.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tinhso.core.errors import ImportFileError
from tinhso.ingest.tables import decode_csv, read_table
from tinhso.ioc import gso
from tinhso.ioc.services.file_import import import_values
from tinhso.ioc.services.gso_import import import_gso

# No example database: failing examples are printed, and nothing is written to the work tree.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CSV_ALPHABET = st.sampled_from(
    list(',;"\n\r\t .-0123456789abcdefxyzVN') + list("ỉĩúđƠư") + ["\ufeff", "\x00", "%"]
)
CELL = st.one_of(
    st.text(CSV_ALPHABET, max_size=12),
    st.sampled_from(["..", "", "26", "Vinh Phuc", "2016", "Prel. 2016", "POP", "1,5", "x"]),
)


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["indicator", "unit", "period", "value"])
    sheet.append(["POP", "26", "2016", 1066.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX = xlsx_bytes()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_into_decode_csv(data: bytes) -> None:
    decoded = decode_csv(data)
    assert isinstance(decoded.records, list)


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_into_read_table(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"f{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(ImportFileError):
        read_table(path)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(XLSX)), flips=st.lists(
    st.tuples(st.integers(min_value=0, max_value=len(XLSX) - 1), st.integers(0, 255)), max_size=8
))  # fmt: skip
def test_corrupted_xlsx_into_read_table(
    tmp_path: Path, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(XLSX)
    for position, byte in flips:
        data[position] = byte
    path = tmp_path / "f.xlsx"
    path.write_bytes(bytes(data[:cut] if flips == [] else data))
    with contextlib.suppress(ImportFileError):
        read_table(path)


def pxweb_text(title: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [f'"{title}"', ""] if title else []
    lines.append(";".join(f'"{cell}"' for cell in header))
    lines += [";".join(row) for row in rows]
    return "\n".join(lines) + "\n"


HEADER_CELL = st.one_of(
    st.sampled_from(["2015", "Prel. 2016", "Pre.2016", "X2008", "2001-2002", "2004 Total",
                     "Total 1995", "Total area", "1988", "2008(*) Area (Km2)", "2016 (*)"]),
    st.text(CSV_ALPHABET, max_size=10),
)  # fmt: skip
TITLE = st.sampled_from(
    ["", "Poverty rate by province by Cities, provincies and Year",
     "Land use by province (As of 31 December 2015) by Cities, provincies and Land use",
     "A 2015 and 2016 table by Cities, provincies and Items"]
)  # fmt: skip
ROW = st.lists(CELL, min_size=1, max_size=6)


@FUZZ
@given(
    title=TITLE,
    header=st.lists(HEADER_CELL, min_size=0, max_size=6),
    rows=st.lists(ROW, max_size=5),
)
def test_pxweb_like_tables_into_gso_parser(
    title: str, header: list[str], rows: list[list[str]]
) -> None:
    text = pxweb_text(title, ["Cities, provincies", *header], rows)
    try:
        table = gso.parse_text(text, name="t")
    except gso.GsoFormatError:
        return
    for row in table.rows:
        for cell in row.cells:
            with contextlib.suppress(ValueError):
                gso.parse_value(cell)


@pytest.mark.django_db
@FUZZ
@given(title=TITLE, header=st.lists(HEADER_CELL, min_size=1, max_size=5),
       rows=st.lists(ROW, max_size=4), vinh_phuc=st.lists(CELL, max_size=6))  # fmt: skip
def test_pxweb_like_tables_into_gso_import(
    tmp_path: Path, title: str, header: list[str], rows: list[list[str]], vinh_phuc: list[str]
) -> None:
    text = pxweb_text(title, ["Cities, provincies", *header], [*rows, ['"Vinh Phuc"', *vinh_phuc]])
    path = tmp_path / "Poverty rate by province.csv"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(ImportFileError):
        import_gso(path, dry_run=True)


@pytest.mark.django_db
@FUZZ
@given(header=st.lists(st.one_of(st.sampled_from(["indicator", "unit", "period", "value",
       "prov", "year", "total.rev", "comment"]), st.text(CSV_ALPHABET, max_size=6)), max_size=6),
       rows=st.lists(ROW, max_size=5))  # fmt: skip
def test_csv_like_files_into_file_import(
    tmp_path: Path, header: list[str], rows: list[list[str]]
) -> None:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    path = tmp_path / "values.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with contextlib.suppress(ImportFileError):
        import_values(path, dry_run=True)


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=1500))
def test_random_bytes_into_file_import(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "values.csv"
    path.write_bytes(data)
    with contextlib.suppress(ImportFileError):
        import_values(path, dry_run=True)
