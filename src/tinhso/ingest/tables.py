"""Reading tables that officials keep (CSV and XLSX) into rows of text, with clear errors.

CSV files come in UTF-8 or in a legacy Vietnamese encoding (TCVN3, VNI, Windows-1258), and
files pasted together from several sources mix them. :func:`decode_csv` decodes the whole
file when one encoding fits it without doubt, and otherwise decodes each column on its own.
A column that fits no encoding, or fits two that give different text, is reported in
``Table.undecodable_columns``. Its non-ASCII cells keep U+FFFD in place of the bytes that
could not be read, so importers reject those cells instead of storing a guess.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.ioc.encodings import (
    AmbiguousEncodingError,
    DecodedText,
    UndecodableTextError,
    decode,
    legacy_readings,
)
from tinhso.text import nfc

logger = logging.getLogger(__name__)

MAX_TABLE_BYTES = 200 * 1024 * 1024


@dataclass
class Table:
    """Rows of a file as dicts keyed by the header, with 1-based row numbers as in a spreadsheet.

    ``encoding`` is "utf-8", "ascii", a legacy encoding (see :mod:`tinhso.ioc.encodings`),
    "mixed" when columns differ, "unknown" when no non-ASCII column could be decoded, or
    "xlsx". ``column_encodings`` lists the columns that contain non-ASCII text.
    ``undecodable_columns`` maps each column that could not be decoded to the encodings
    that fit it equally well (empty when none fits).
    """

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str
    column_encodings: dict[str, str] = field(default_factory=dict)
    undecodable_columns: dict[str, list[str]] = field(default_factory=dict)


def read_table(path: Path, *, keep_undecodable: bool = False) -> Table:
    """Read a CSV or XLSX file; raise ImportFileError naming the problem and the fix.

    A CSV column that cannot be decoded raises ImportFileError, unless ``keep_undecodable``
    is set by a caller that rejects the affected rows itself (see the module docstring).
    """
    if not path.is_file():
        raise ImportFileError(_("File %(path)s does not exist.") % {"path": path}, "file_not_found")
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise ImportFileError(
            _("File %(path)s is larger than %(limit)s MB; split it into smaller files.")
            % {"path": path.name, "limit": MAX_TABLE_BYTES // (1024 * 1024)},
            "file_too_large",
        )
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm"}:
            return _read_xlsx(path)
        if suffix in {".csv", ".txt", ".tsv"}:
            return _read_csv(path.read_bytes(), path.name, keep_undecodable)
    except OSError as error:
        raise ImportFileError(
            _("File %(name)s cannot be read: %(error)s.")
            % {"name": path.name, "error": error.strerror},
            "file_unreadable",
        ) from None
    raise ImportFileError(
        _("File %(name)s has the extension %(suffix)s; use a CSV or XLSX file.")
        % {"name": path.name, "suffix": suffix or "(none)"},
        "unsupported_format",
    )


def _read_csv(data: bytes, name: str, keep_undecodable: bool) -> Table:
    if b"\x00" in data:
        raise ImportFileError(
            _("File %(name)s contains binary data, not a CSV table.") % {"name": name},
            "unsupported_format",
        )
    decoded = decode_csv(data)

    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for line_number, cells in decoded.records:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [nfc(cell.strip()) for cell in cells]
            continue
        rows.append((line_number, _row_dict(header, cells)))
    if header is None:
        raise ImportFileError(_("File %(name)s is empty.") % {"name": name}, "empty_file")
    undecodable = {
        (header[i] if i < len(header) else str(i + 1)): candidates
        for i, candidates in decoded.undecodable_columns.items()
    }
    if undecodable and not keep_undecodable:
        column, candidates = next(iter(undecodable.items()))
        raise ImportFileError(
            _(
                "File %(name)s: column %(column)s is not UTF-8 text and its encoding cannot be "
                "told (encodings that fit equally: %(candidates)s). Save the file again as "
                '"CSV UTF-8" (in Excel: File > Save As > CSV UTF-8).'
            )
            % {"name": name, "column": column, "candidates": ", ".join(candidates) or _("none")},
            "wrong_encoding",
        )
    return Table(
        columns=header,
        rows=rows,
        encoding=decoded.encoding,
        column_encodings={
            header[i]: encoding
            for i, encoding in decoded.column_encodings.items()
            if i < len(header)
        },
        undecodable_columns=undecodable,
    )


def decode_bytes(data: bytes) -> DecodedText:
    """Decode ``data``; raise AmbiguousEncodingError rather than pick between equal readings."""
    return decode(data)


@dataclass
class DecodedCsv:
    """CSV records as text, with the encoding of the file and of its non-ASCII columns."""

    records: list[tuple[int, list[str]]]
    encoding: str
    column_encodings: dict[int, str] = field(default_factory=dict)
    undecodable_columns: dict[int, list[str]] = field(default_factory=dict)


def decode_csv(data: bytes, delimiter: str | None = None) -> DecodedCsv:
    """Split CSV bytes into records of text; see the module docstring for the decoding.

    ``delimiter`` is sniffed among comma, semicolon and tab when None. Record numbers count
    CSV records from 1, as a spreadsheet numbers rows.
    """
    try:
        whole = decode_bytes(data)
    except UndecodableTextError:
        whole = None
    if whole is not None:
        records = _split(whole.text, delimiter)
        encodings_found = {}
        if whole.encoding != "ascii":
            encodings_found = dict.fromkeys(_non_ascii_columns(records), whole.encoding)
        return DecodedCsv(records, whole.encoding, encodings_found)

    # Latin-1 maps every byte to one character, so the structure (delimiters, quotes and
    # line ends are ASCII in every encoding here) survives and each cell's bytes come back.
    raw_records = _split(data.decode("latin-1"), delimiter)
    column_encodings: dict[int, str] = {}
    undecodable: dict[int, list[str]] = {}
    decoders: dict[int, str] = {}
    for index in sorted(_non_ascii_columns(raw_records)):
        cells = [cells[index] for _, cells in raw_records if index < len(cells)]
        column_bytes = b"\n".join(cell.encode("latin-1") for cell in cells if not cell.isascii())
        try:
            decoded = decode_bytes(column_bytes)
        except AmbiguousEncodingError as error:
            undecodable[index] = error.candidates
            continue
        except UndecodableTextError:
            undecodable[index] = []
            continue
        column_encodings[index] = decoded.encoding
        decoders[index] = decoded.encoding

    records = [
        (number, [_decode_cell(cell, decoders.get(index)) for index, cell in enumerate(cells)])
        for number, cells in raw_records
    ]
    found = set(column_encodings.values())
    if len(found) > 1:
        encoding = "mixed"
    elif found:
        encoding = found.pop()
    else:
        encoding = "unknown"
    return DecodedCsv(records, encoding, column_encodings, undecodable)


def _decode_cell(cell: str, encoding: str | None) -> str:
    if cell.isascii():
        return cell
    raw = cell.encode("latin-1")
    if encoding is None:
        return raw.decode("utf-8", errors="replace")
    if encoding in {"utf-8", "ascii"}:
        return unicodedata.normalize("NFC", raw.decode("utf-8-sig"))
    return decode_bytes_as(raw, encoding)


def decode_bytes_as(data: bytes, encoding: str) -> str:
    """Decode ``data`` in the named legacy encoding (as :func:`decode_bytes` names them)."""
    for name, text in legacy_readings(data):
        if name == encoding:
            return text
    return data.decode("utf-8", errors="replace")


def _split(text: str, delimiter: str | None) -> list[tuple[int, list[str]]]:
    if delimiter is None:
        try:
            sniffed = csv.Sniffer().sniff(text[:20000], delimiters=",;\t")
            delimiter = sniffed.delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    return [(number, cells) for number, cells in enumerate(reader, start=1)]


def _non_ascii_columns(records: list[tuple[int, list[str]]]) -> set[int]:
    return {index for _, cells in records for index, cell in enumerate(cells) if not cell.isascii()}


# Exceptions that openpyxl 3.1 raises on a damaged workbook: a broken zip, a missing part,
# bad XML (ElementTree and lxml parse errors subclass SyntaxError), bad compression, or
# values its reader cannot convert. tests/ioc/test_import_fuzz.py feeds such workbooks in.
_XLSX_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, TypeError,
    IndexError, AttributeError, EOFError, SyntaxError, zlib.error,
    # zipfile raises these for a compression method it lacks and for an encrypted member.
    NotImplementedError, RuntimeError,
)  # fmt: skip


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _XLSX_ERRORS as error:
        raise _invalid_xlsx(path, error) from None
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        if not workbook.worksheets:
            raise ImportFileError(
                _("File %(name)s has no worksheet.") % {"name": path.name}, "empty_file"
            )
        sheet = workbook.worksheets[0]
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if value is None else _cell_text(value) for value in values]
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [nfc(cell.strip()) for cell in cells]
                continue
            rows.append((row_number, _row_dict(header, cells)))
    except _XLSX_ERRORS as error:
        raise _invalid_xlsx(path, error) from None
    finally:
        workbook.close()
    if header is None:
        raise ImportFileError(_("File %(name)s is empty.") % {"name": path.name}, "empty_file")
    return Table(columns=header, rows=rows, encoding="xlsx")


def _invalid_xlsx(path: Path, error: Exception) -> ImportFileError:
    logger.info("Workbook %s cannot be read: %s", path.name, type(error).__name__)
    return ImportFileError(
        _(
            "File %(name)s is not a valid XLSX workbook (%(error)s). Open it in Excel and save "
            "it again as .xlsx."
        )
        % {"name": path.name, "error": type(error).__name__},
        "unsupported_format",
    )


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean_cell(cell: str) -> str:
    stripped = cell.strip()
    return stripped if stripped.isascii() else nfc(stripped)


def _row_dict(header: list[str], cells: list[str]) -> dict[str, str]:
    row = {
        column: _clean_cell(cells[i]) if i < len(cells) else "" for i, column in enumerate(header)
    }
    if len(cells) > len(header):
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            row["__extra__"] = "|".join(extra)
    return row


def require_columns(table: Table, required: list[str], name: str) -> None:
    """Raise ImportFileError listing the columns of ``required`` that ``table`` lacks."""
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ImportFileError(
            _(
                "File %(name)s lacks the columns %(missing)s. The first row must name the columns "
                "%(required)s; it names %(found)s."
            )
            % {
                "name": name,
                "missing": ", ".join(missing),
                "required": ", ".join(required),
                "found": ", ".join(table.columns) or "-",
            },
            "wrong_columns",
        )
