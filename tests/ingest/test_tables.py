"""Reading CSV tables in UTF-8, legacy Vietnamese encodings and mixtures of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from tinhso.core.errors import ImportFileError
from tinhso.ingest.tables import decode_csv, read_table

NAME_UTF8 = "Tỉnh Vĩnh Phúc"
NAME_TCVN3 = b"T\xd8nh V\xdcnh Ph\xf3c"
NAME_VNI = "Tænh Vónh Phuùc".encode("cp1252")


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"unit,value\n" + NAME_UTF8.encode() + b",1\n", "utf-8"),
        (b"unit,value\n" + NAME_TCVN3 + b",1\n", "tcvn3"),
        (b"unit,value\n" + NAME_VNI + b",1\n", "vni"),
        (b"unit,value\n26,1\n", "ascii"),
    ],
)
def test_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == encoding
    assert table.rows[0][1]["unit"] in {NAME_UTF8, "26"}


def test_mixed_columns_are_decoded_each_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"a,b\n" + NAME_UTF8.encode() + b"," + NAME_TCVN3 + b"\n")
    table = read_table(path)
    assert table.encoding == "mixed"
    assert table.column_encodings == {"a": "utf-8", "b": "tcvn3"}
    assert table.rows[0][1] == {"a": NAME_UTF8, "b": NAME_UTF8}


def test_tied_column_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "tie.csv"
    # 0xE0 is "Ổ" in TCVN3 and "à" in VNI and Windows-1258: each reads as a syllable.
    path.write_bytes(b"name,value\nHa Noi,1\n\xe0,2\n")
    table = read_table(path, keep_undecodable=True)
    assert table.undecodable_columns == {"name": ["tcvn3", "vni", "windows-1258"]}
    assert "\ufffd" in table.rows[1][1]["name"]


def test_column_mixing_encodings_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed-column.csv"
    path.write_bytes(b"name,value\n" + NAME_UTF8.encode() + b",1\n" + NAME_TCVN3 + b",2\n")
    table = read_table(path, keep_undecodable=True)
    assert table.undecodable_columns == {"name": []}
    assert table.rows[0][1]["name"] == NAME_UTF8


def test_undecodable_column_is_an_error_by_default(tmp_path: Path) -> None:
    path = tmp_path / "tie.csv"
    path.write_bytes(b"name,value\n\xe0,2\n")
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert caught.value.message == (
        "File tie.csv: column name is not UTF-8 text and its encoding cannot be told "
        '(encodings that fit equally: tcvn3, vni, windows-1258). Save the file again as "CSV UTF-8" '
        "(in Excel: File > Save As > CSV UTF-8)."
    )


def test_semicolons_are_sniffed() -> None:
    decoded = decode_csv(b'"a";"b"\n1;2\n')
    assert decoded.records == [(1, ["a", "b"]), (2, ["1", "2"])]


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\x00\n")
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert caught.value.message == "File x.csv contains binary data, not a CSV table."


def test_xlsx_with_unknown_compression_method(tmp_path: Path) -> None:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["a", "b"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    # Set the compression method of every central-directory entry to 99, which zipfile lacks.
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        data[start + 10] = 99
        start = data.find(b"PK\x01\x02", start + 4)
    path = tmp_path / "method.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    assert caught.value.code == "unsupported_format"
