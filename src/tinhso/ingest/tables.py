"""Reading tables that officials keep (CSV and XLSX) into rows of text, with clear errors."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.text import nfc

logger = logging.getLogger(__name__)

MAX_TABLE_BYTES = 200 * 1024 * 1024


@dataclass
class Table:
    """Rows of a file as dicts keyed by the header, with 1-based row numbers as in a spreadsheet."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str


def read_table(path: Path) -> Table:
    """Read a CSV or XLSX file; raise ImportFileError naming the problem and the fix."""
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
            return _read_csv(path.read_bytes(), path.name)
    except OSError as error:
        raise ImportFileError(
            _("File %(name)s cannot be read: %(error)s.")
            % {"name": path.name, "error": error.strerror},
            "file_unreadable",
        ) from None
    raise ImportFileError(
        _("File %(name)s has the extension %(suffix)s; use a CSV (UTF-8) or XLSX file.")
        % {"name": path.name, "suffix": suffix or "(none)"},
        "unsupported_format",
    )


def _read_csv(data: bytes, name: str) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "File %(name)s is not UTF-8 text: the byte at line %(line)s cannot be read. "
                'Save it again as "CSV UTF-8" (in Excel: File > Save As > CSV UTF-8).'
            )
            % {"name": name, "line": line},
            "wrong_encoding",
        ) from None
    if "\x00" in text:
        raise ImportFileError(
            _("File %(name)s contains binary data, not a CSV table.") % {"name": name},
            "unsupported_format",
        )

    sample = text[:20000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)

    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for line_number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [nfc(cell.strip()) for cell in cells]
            continue
        rows.append((line_number, _row_dict(header, cells)))
    if header is None:
        raise ImportFileError(_("File %(name)s is empty.") % {"name": name}, "empty_file")
    return Table(columns=header, rows=rows, encoding="utf-8")


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError(
            _(
                "File %(name)s is not a valid XLSX workbook (%(error)s). Open it in Excel and save it again as .xlsx."
            )
            % {"name": path.name, "error": type(error).__name__},
            "unsupported_format",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, dict[str, str]]] = []
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if value is None else _cell_text(value) for value in values]
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [nfc(cell.strip()) for cell in cells]
                continue
            rows.append((row_number, _row_dict(header, cells)))
    finally:
        workbook.close()
    if header is None:
        raise ImportFileError(_("File %(name)s is empty.") % {"name": path.name}, "empty_file")
    return Table(columns=header, rows=rows, encoding="xlsx")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _row_dict(header: list[str], cells: list[str]) -> dict[str, str]:
    row = {
        column: nfc(cells[i].strip()) if i < len(cells) else "" for i, column in enumerate(header)
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
