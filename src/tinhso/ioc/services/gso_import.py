"""Import of the General Statistics Office's PX-Web tables (one CSV, or a zip of them).

Each (table, column item) becomes one indicator with a stable code (:func:`gso.indicator_code`)
in a group per table. The rows of the chosen provinces (Vĩnh Phúc by default) are loaded
onto the province units valid in each year, and the whole-country row onto the country unit
"VN", as approved values whose ``source_detail`` names the file and the column. Rows of
other provinces and regions are counted and skipped. A table without a row for any chosen
province is skipped with the reason in the report.
"""

from __future__ import annotations

import logging
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services.units import COUNTRY_CODE, find_unit
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch
from tinhso.ingest.tables import MAX_TABLE_BYTES, decode_csv
from tinhso.ioc import gso, periods
from tinhso.ioc.models import (
    Aggregation,
    Indicator,
    IndicatorGroup,
    SourceKind,
    ValueStatus,
)
from tinhso.ioc.periods import PeriodType
from tinhso.ioc.services.file_import import ProgressCallback, UnitLookupError, UnitResolver
from tinhso.ioc.services.values import IncomingValue, store_values

logger = logging.getLogger(__name__)

KIND = "ioc.gso"
DEFAULT_PROVINCES = ("Vinh Phuc",)
WHOLE_COUNTRY = "WHOLE COUNTRY"
MAX_ZIP_MEMBERS = 5000


@dataclass
class _Source:
    """One CSV table: its path inside the zip (or its file name) and its bytes."""

    name: str
    data: bytes

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def category(self) -> str:
        parent = PurePosixPath(self.name).parent
        return parent.name if parent.name else ""


@dataclass
class _Loaded:
    table: gso.GsoTable
    source: _Source
    rows: list[tuple[gso.GsoRow, str]]  # (row, province name or WHOLE_COUNTRY)


@dataclass
class _Context:
    report: ImportReport
    provinces: tuple[str, ...]
    batch_id: int | None
    resolver: UnitResolver = field(default_factory=UnitResolver)
    encodings: Counter[str] = field(default_factory=Counter)


def import_gso(
    path: Path,
    *,
    provinces: tuple[str, ...] = DEFAULT_PROVINCES,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one PX-Web CSV table or every CSV table in a zip; return the report.

    ``progress`` is called with (tables read, tables in the file) after each table. Raises
    ImportFileError when the file itself cannot be read.
    """
    report = ImportReport(kind=KIND, source_name=str(path))
    batch = None if dry_run else start_batch(KIND, str(path))
    context = _Context(report, provinces, batch.pk if batch else None)
    try:
        sources = list(_sources(path))
    except ImportFileError as error:
        if batch is not None:
            finish_batch(batch, report, message=error.message, file_error=True)
        raise

    loaded: list[_Loaded] = []
    counts: Counter[str] = Counter()
    for done, source in enumerate(sources, start=1):
        table = _parse(source, context, counts)
        if table is not None:
            loaded.append(table)
        if progress is not None:
            progress(done, len(sources))

    try:
        with transaction.atomic():
            values = _values(loaded, context, counts)
            result = store_values(values, reason=_("GSO table import"))
            if dry_run:
                transaction.set_rollback(True)
        report.rows_accepted = result.accepted
        counts.update(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
    finally:
        report.summary.update(dict(counts))
        report.summary["encodings"] = dict(context.encodings)
        if batch is not None:
            finish_batch(batch, report)
    logger.info("GSO import %s: %s", path, dict(counts))
    return report


def _sources(path: Path) -> Iterator[_Source]:
    if not path.is_file():
        raise ImportFileError(_("File %(path)s does not exist.") % {"path": path}, "file_not_found")
    if path.suffix.lower() != ".zip":
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise ImportFileError(
                _("File %(path)s is larger than %(limit)s MB; split it into smaller files.")
                % {"path": path.name, "limit": MAX_TABLE_BYTES // (1024 * 1024)},
                "file_too_large",
            )
        yield _Source(path.name, path.read_bytes())
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(
            _("File %(name)s is not a valid zip archive. Zip the CSV tables again.")
            % {"name": path.name},
            "unsupported_format",
        ) from None
    with archive:
        members = sorted(
            (info for info in archive.infolist() if info.filename.lower().endswith(".csv")),
            key=lambda info: info.filename,
        )
        if not members or len(members) > MAX_ZIP_MEMBERS:
            raise ImportFileError(
                _(
                    "Zip archive %(name)s holds %(count)s CSV tables; it must hold between 1 "
                    "and %(limit)s."
                )
                % {"name": path.name, "count": len(members), "limit": MAX_ZIP_MEMBERS},
                "wrong_columns",
            )
        for info in members:
            if info.file_size > MAX_TABLE_BYTES:
                raise ImportFileError(
                    _("Table %(name)s in the zip is larger than %(limit)s MB.")
                    % {"name": info.filename, "limit": MAX_TABLE_BYTES // (1024 * 1024)},
                    "file_too_large",
                )
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise ImportFileError(
                    _("Table %(name)s in the zip cannot be read (%(error)s).")
                    % {"name": info.filename, "error": type(error).__name__},
                    "file_unreadable",
                ) from None
            yield _Source(info.filename, data)


def _parse(source: _Source, context: _Context, counts: Counter[str]) -> _Loaded | None:
    report = context.report
    counts["tables_read"] += 1
    if b"\x00" in source.data:
        counts["tables_failed"] += 1
        report.problems.append(
            RowProblem(
                source.name,
                "unsupported_format",
                _("Table %(file)s contains binary data, not a CSV table.") % {"file": source.name},
            )
        )
        return None
    decoded = decode_csv(source.data, delimiter=";")
    context.encodings[decoded.encoding] += 1
    if decoded.encoding not in {"utf-8", "ascii"}:
        report.summary.setdefault("file_encodings", {})[source.name] = decoded.encoding
    for index, candidates in decoded.undecodable_columns.items():
        report.problems.append(
            RowProblem(
                source.name,
                "undecodable_column",
                _(
                    "Table %(file)s: column %(column)s is not UTF-8 and its encoding cannot be "
                    "told (%(candidates)s fit equally). Its non-ASCII cells are left undecoded; "
                    "save the table as UTF-8 to read them."
                )
                % {
                    "file": source.name,
                    "column": index + 1,
                    "candidates": ", ".join(candidates) or _("none"),
                },
                fatal=False,
            )
        )
    labels = {gso.compact_name(cells[0]) for _number, cells in decoded.records if cells}
    needed = [p for p in context.provinces if gso.compact_name(p) in labels]
    if not needed:
        counts["tables_skipped"] += 1
        report.problems.append(
            RowProblem(
                source.name,
                "no_province_row",
                _("Table %(file)s is skipped: it has no row for %(provinces)s.")
                % {"file": source.name, "provinces": ", ".join(context.provinces)},
                fatal=False,
            )
        )
        return None
    try:
        table = gso.parse_records(decoded.records, name=source.stem, category=source.category)
    except gso.GsoFormatError as error:
        counts["tables_failed"] += 1
        report.problems.append(
            RowProblem(source.name, error.code, _format_error(source.name, error))
        )
        return None

    rows: list[tuple[gso.GsoRow, str]] = []
    for province in needed:
        row = table.row(province)
        if row is not None:
            rows.append((row, province))
    country = table.row(WHOLE_COUNTRY)
    if country is not None:
        rows.append((country, WHOLE_COUNTRY))
    counts["tables_loaded"] += 1
    counts["rows_skipped"] += len(table.rows) - len(rows)
    for warning in table.warnings:
        report.problems.append(
            RowProblem(
                source.name, warning.code.value, _warning_message(source.name, warning), fatal=False
            )
        )
    return _Loaded(table, source, rows)


def _format_error(name: str, error: gso.GsoFormatError) -> str:
    params = {"file": name, **error.params}
    if error.code == "no_year":
        return (
            _(
                "Table %(file)s: column %(column)r names no year and the title %(title)r "
                "states %(years)s, not one year. Add the year to the column or the title."
            )
            % params
        )
    if error.code == "invalid_school_year":
        return (
            _("Table %(file)s: column %(column)r is not a school year of two consecutive years.")
            % params
        )
    return (
        _(
            "Table %(file)s is not a PX-Web table: it needs a header row whose first cell "
            "names the provinces and whose other cells name years."
        )
        % params
    )


def _warning_message(name: str, warning: gso.GsoWarning) -> str:
    params = {"file": name, **warning.params}
    code = warning.code
    if code is gso.WarningCode.YEAR_OUT_OF_ORDER:
        return (
            _(
                "Table %(file)s, column %(column)r: the year %(year)s is out of order between "
                "%(previous)s and %(next)s (likely intended: %(likely)s). Its values are kept "
                "under %(year)s as written; correct the header and import the table again if "
                "the GSO confirms the year."
            )
            % params
        )
    if code is gso.WarningCode.DUPLICATE_COLUMN:
        return (
            _(
                "Table %(file)s, column %(column)r repeats the year and item of column "
                "%(first)r; its values replace those of the first column."
            )
            % params
        )
    if code is gso.WarningCode.SCHOOL_YEAR:
        return (
            _(
                "Table %(file)s has school-year columns such as %(example)r; each is stored "
                "under the calendar year in which the school year ends, with the school year "
                "in the comment."
            )
            % params
        )
    if code is gso.WarningCode.REPEATED_HEADER:
        return (
            _("Table %(file)s repeats its header row at line %(line)s; the copy is skipped.")
            % params
        )
    if code is gso.WarningCode.CELL_COUNT:
        return (
            _(
                "Table %(file)s, line %(line)s (%(row)s) has %(cells)s values for %(columns)s "
                "columns."
            )
            % params
        )
    return (
        _("Table %(file)s, line %(line)s (%(row)s), column %(column)r: %(value)r is not a number.")
        % params
    )


def _values(loaded: list[_Loaded], context: _Context, counts: Counter[str]) -> list[IncomingValue]:
    """Create the groups and indicators the tables need, and the values of the loaded rows."""
    indicators = _indicators(loaded, context)
    country = find_unit(COUNTRY_CODE)
    values: list[IncomingValue] = []
    for entry in loaded:
        table = entry.table
        for row, province in entry.rows:
            for column in table.columns:
                cell = row.cells[column.position] if column.position < len(row.cells) else ""
                try:
                    number = gso.parse_value(cell)
                except ValueError:
                    _not_a_number(context.report, entry, row, column, cell)
                    continue
                if number is None:
                    counts["missing_values"] += 1
                    continue
                context.report.rows_total += 1
                period = periods.year_period(column.year)
                unit = (
                    country
                    if province == WHOLE_COUNTRY
                    else _province(context, province, period, entry, row)
                )
                if unit is None:
                    continue
                values.append(
                    IncomingValue(
                        indicator_id=indicators[(table.slug, gso.slugify(column.item))].pk,
                        unit_id=unit.pk,
                        period=period,
                        value=number,
                        status=ValueStatus.APPROVED,
                        source_kind=SourceKind.IMPORT,
                        source_detail=f"{entry.source.name}#{column.label}",
                        batch_id=context.batch_id,
                        row=row.line,
                        comment=_comment(column),
                    )
                )
    return values


def _comment(column: gso.GsoColumn) -> str:
    notes = []
    if column.preliminary:
        notes.append(gso.PRELIMINARY_COMMENT)
    if column.school_year:
        notes.append(f"năm học {column.school_year} (school year)")
    return "; ".join(notes)


def _province(
    context: _Context, name: str, period: periods.Period, entry: _Loaded, row: gso.GsoRow
) -> Unit | None:
    try:
        return context.resolver.resolve(name, period, UnitLevel.PROVINCE)
    except UnitLookupError:
        context.report.problems.append(
            RowProblem(
                f"{entry.source.name}:{row.line}",
                "unknown_unit",
                _(
                    "Table %(file)s, line %(line)s: no province named %(name)r was valid in "
                    "%(period)s. Check the province name given to the import."
                )
                % {
                    "file": entry.source.name,
                    "line": row.line,
                    "name": name,
                    "period": period.code,
                },
            )
        )
        return None


def _not_a_number(
    report: ImportReport, entry: _Loaded, row: gso.GsoRow, column: gso.GsoColumn, cell: str
) -> None:
    report.rows_total += 1
    report.problems.append(
        RowProblem(
            f"{entry.source.name}:{row.line}",
            "not_a_number",
            _warning_message(
                entry.source.name,
                gso.GsoWarning(
                    gso.WarningCode.NOT_A_NUMBER,
                    {"line": row.line, "row": row.label, "column": column.label, "value": cell},
                ),
            ),
            field=column.label[:100],
            raw={"row": row.label, "column": column.label, "value": cell},
        )
    )


def _indicators(loaded: list[_Loaded], context: _Context) -> dict[tuple[str, str], Indicator]:
    """Return the indicator of each (table slug, item slug), creating the missing ones."""
    needed: dict[str, tuple[_Loaded, gso.GsoColumn]] = {}
    groups_needed: dict[str, _Loaded] = {}
    for entry in loaded:
        groups_needed.setdefault(gso.group_code(entry.table.slug), entry)
        for column in entry.table.columns:
            needed.setdefault(gso.indicator_code(entry.table.slug, column.item), (entry, column))

    groups = {g.code: g for g in IndicatorGroup.objects.filter(code__in=list(groups_needed))}
    new_groups = [
        _new_group(code, entry) for code, entry in groups_needed.items() if code not in groups
    ]
    IndicatorGroup.objects.bulk_create(new_groups)
    groups = {g.code: g for g in IndicatorGroup.objects.filter(code__in=list(groups_needed))}

    existing = {i.code: i for i in Indicator.objects.filter(code__in=list(needed))}
    new_indicators = []
    for code, (entry, column) in needed.items():
        if code in existing:
            continue
        indicator, known = _new_indicator(code, entry, column, groups)
        new_indicators.append(indicator)
        if not known:
            context.report.problems.append(
                RowProblem(
                    entry.source.name,
                    "no_vietnamese_name",
                    _(
                        "Indicator %(code)s was created with the English name %(name)r because "
                        "no Vietnamese name is known for it; edit its name in the administration."
                    )
                    % {"code": code, "name": indicator.name_en},
                    fatal=False,
                )
            )
    Indicator.objects.bulk_create(new_indicators)
    context.report.summary["groups_created"] = len(new_groups)
    context.report.summary["indicators_created"] = len(new_indicators)
    by_code = {i.code: i for i in Indicator.objects.filter(code__in=list(needed))}
    return {
        (entry.table.slug, gso.slugify(column.item)): by_code[code]
        for code, (entry, column) in needed.items()
    }


def _new_group(code: str, entry: _Loaded) -> IndicatorGroup:
    table = entry.table
    names = gso.describe(table.title, "")
    return IndicatorGroup(
        code=code,
        name=names.name[:300],
        name_en=table.title[:300],
        sector=table.category[:80],
        source=f"Tổng cục Thống kê (GSO), PX-Web: {table.category} / {table.title_line or table.title}"[
            :300
        ],
    )


def _new_indicator(
    code: str, entry: _Loaded, column: gso.GsoColumn, groups: dict[str, IndicatorGroup]
) -> tuple[Indicator, bool]:
    table = entry.table
    names = gso.describe(table.title, column.item)
    aggregation = Aggregation.MEAN if names.intensive else Aggregation.SUM
    stock = "as of" in table.title.lower() or "as of" in column.item.lower()
    unit_text = names.unit or "không ghi trong bảng nguồn"
    description = (
        f"Bảng PX-Web của Tổng cục Thống kê “{table.title_line or table.title}” "
        f"({table.category})"
        + (f", cột “{column.item}”" if column.item else "")
        + f". Đơn vị tính: {unit_text}."
    )
    return (
        Indicator(
            code=code,
            name=names.name,
            name_en=names.name_en,
            group=groups[gso.group_code(table.slug)],
            unit_of_measure=names.unit[:80],
            value_type=names.value_type,
            decimals=_decimals(entry, column),
            aggregation=aggregation,
            time_aggregation=Aggregation.LAST if stock and not names.intensive else aggregation,
            periodicity=PeriodType.YEAR.value,
            description=description,
            source=f"Tổng cục Thống kê (GSO), PX-Web: {table.category} / {table.title}"[:400],
        ),
        names.known,
    )


def _decimals(entry: _Loaded, column: gso.GsoColumn) -> int:
    places = 0
    for row, _province in entry.rows:
        if column.position < len(row.cells):
            text = row.cells[column.position].strip().strip('"')
            if "." in text:
                places = max(places, len(text.split(".", 1)[1]))
    return min(places, 4)
