"""Import of indicator values from CSV and XLSX files, and the XLSX template of a group.

Two layouts are accepted:

- long: one value per row, with the columns ``indicator`` (code), ``unit`` (code or name),
  ``period`` (code), ``value`` and optionally ``disaggregation`` and ``comment``;
- wide: the template of an indicator group, with a unit column, a period column and one
  column per indicator, headed by the indicator's code or the group's alias for it.

Every row is checked before anything is written. Good values are stored through
:func:`tinhso.ioc.services.values.store_values` in one transaction; bad ones go to the
quarantine of the import batch with a message naming the row, column, value and fix.
The report counts values: one per row in the long layout, one per filled cell in the wide.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from tinhso.core.errors import ImportFileError
from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services.units import COUNTRY_CODE, code_candidates, find_unit
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch
from tinhso.ingest.tables import Table, read_table
from tinhso.ioc import periods
from tinhso.ioc.models import Indicator, IndicatorGroup, ValueStatus, ValueType
from tinhso.ioc.periods import InvalidPeriodError, Period
from tinhso.ioc.reference_groups import BUILTIN_GROUPS, GroupSpec, ensure_group
from tinhso.ioc.services.values import IncomingValue, store_values
from tinhso.text import fold

logger = logging.getLogger(__name__)

KIND = "ioc.values"
PROGRESS_EVERY = 1000
# A row whose first cell starts with this is a note, like the description row of a template.
COMMENT_MARK = "#"

ProgressCallback = Callable[[int, int], None]

# Accepted headers of the long layout and of the unit and period columns, folded.
LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator code", "chi tieu", "ma chi tieu"),
    "unit": ("unit", "unit code", "don vi", "ma don vi", "dia ban"),
    "period": ("period", "ky", "ky bao cao"),
    "value": ("value", "gia tri"),
    "disaggregation": ("disaggregation", "phan to"),
    "comment": ("comment", "ghi chu"),
}
MISSING_IN_WIDE = frozenset({"", "..", "-"})


# --- Units by code or name -------------------------------------------------------------------

# Type prefixes of unit names, folded, with the type they stand for.
_TYPE_PREFIXES = {
    "thanh pho ": "thanh pho", "tp. ": "thanh pho", "tp.": "thanh pho", "tp ": "thanh pho",
    "tinh ": "tinh", "huyen ": "huyen", "quan ": "quan", "thi xa ": "thi xa",
    "thi tran ": "thi tran", "phuong ": "phuong", "xa ": "xa", "dac khu ": "dac khu",
}  # fmt: skip
_COUNTRY_NAMES = frozenset({"vn", "vietnam", "wholecountry", "canuoc", "toanquoc"})


def _name_key(name: str) -> tuple[str, str]:
    """(type prefix, name without prefix, spaces and punctuation), folded."""
    folded = fold(name)
    prefix = ""
    for written, unit_type in _TYPE_PREFIXES.items():
        if folded.startswith(written):
            prefix, folded = unit_type, folded[len(written) :]
            break
    return prefix, re.sub(r"[^a-z0-9]", "", folded)


class UnitLookupError(LookupError):
    """No unit, or several, fit a code or name; ``candidates`` lists the several."""

    def __init__(self, text: str, candidates: list[Unit] | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.candidates = candidates or []


@dataclass
class UnitResolver:
    """Lookup of units by official code or by name, valid during a period, with a cache.

    Names match ignoring diacritics, case, punctuation and the type prefix ("Tỉnh",
    "Thành phố", "Xã" ...). A name without a prefix that fits units of several levels
    means the largest of them ("Vinh Phuc" in 2016 is the province, not a commune of that
    name). In 2026 the same name fits only Phường Vĩnh Phúc, so callers that expect one
    level pass it to :meth:`resolve`.
    """

    _units: list[Unit] | None = None
    _by_code: dict[str, list[Unit]] | None = None
    _by_name: dict[str, list[Unit]] | None = None
    _cache: dict[tuple[str, str, UnitLevel | None], Unit | UnitLookupError] = field(
        default_factory=dict
    )

    def resolve(self, text: str, period: Period, level: UnitLevel | None = None) -> Unit:
        """Return the unit that ``text`` names during ``period``, of ``level`` when given."""
        key = (text, period.code, level)
        found = self._cache.get(key)
        if found is None:
            try:
                found = self._resolve(text.strip(), period)
                if level is not None and found.level != level:
                    raise UnitLookupError(text)
            except UnitLookupError as error:
                found = error
            self._cache[key] = found
        if isinstance(found, UnitLookupError):
            raise found
        return found

    def _resolve(self, text: str, period: Period) -> Unit:
        if not text:
            raise UnitLookupError(text)
        candidates_by_code = code_candidates(text)
        if candidates_by_code:
            return self._by_code_on(text, candidates_by_code, period)
        prefix, name = _name_key(text)
        if not prefix and name in _COUNTRY_NAMES:
            return find_unit(COUNTRY_CODE)
        candidates = self._names().get(name, [])
        for day in (period.end, period.start):
            valid = [unit for unit in candidates if unit.is_valid_on(day)]
            if prefix:
                valid = [unit for unit in valid if _name_key(unit.name)[0] == prefix]
            if valid:
                top = min(unit.level for unit in valid)
                valid = [unit for unit in valid if unit.level == top]
                if len(valid) > 1:
                    raise UnitLookupError(text, valid)
                return valid[0]
        raise UnitLookupError(text)

    def _by_code_on(self, text: str, candidates: list[str], period: Period) -> Unit:
        """Return the unit of the first candidate code valid at the end of ``period``, like find_unit.

        Without a unit valid on that day, the one that ended most recently is taken. The
        units are read once per import, because a query per row dominated large imports.
        """
        if COUNTRY_CODE in candidates:
            return find_unit(COUNTRY_CODE)
        by_code = self._codes()
        for candidate in candidates:
            units = by_code.get(candidate, [])
            valid = [unit for unit in units if unit.is_valid_on(period.end)]
            if valid:
                return min(valid, key=lambda unit: unit.pk)
            ended = [unit for unit in units if unit.valid_to is not None]
            if ended:
                return max(ended, key=lambda unit: unit.valid_to or period.end)
        raise UnitLookupError(text)

    def _codes(self) -> dict[str, list[Unit]]:
        if self._by_code is None:
            self._by_code = {}
            for unit in self._all_units():
                self._by_code.setdefault(unit.code, []).append(unit)
        return self._by_code

    def _all_units(self) -> list[Unit]:
        if self._units is None:
            self._units = list(
                Unit.objects.only(
                    "id", "code", "name", "short_name", "level", "valid_from", "valid_to"
                )
            )
        return self._units

    def _names(self) -> dict[str, list[Unit]]:
        if self._by_name is None:
            self._by_name = {}
            for unit in self._all_units():
                keys = {_name_key(unit.name)[1], _name_key(unit.short_name)[1]} - {""}
                for key in keys:
                    self._by_name.setdefault(key, []).append(unit)
        return self._by_name


# --- Numbers ---------------------------------------------------------------------------------

_PLAIN = re.compile(r"^-?\d+(?:\.\d+)?$")
_COMMA_DECIMAL = re.compile(r"^-?\d+,\d+$")
_VI_GROUPED = re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_EN_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


class NumberError(ValueError):
    """Text that is no number (``ambiguous`` False) or that reads as two numbers."""

    def __init__(self, text: str, readings: tuple[str, str] | None = None) -> None:
        super().__init__(text)
        self.readings = readings


def parse_number(text: str) -> float:
    """Read a number written with a dot or a comma as decimal separator.

    Thousands separators are accepted where the reading is unique: "1.234.567",
    "1.234,5" (Vietnamese) and "1,234,567", "1,234.5" (English). "30,509" and "30.509"
    followed by nothing else are different: a comma with exactly three digits after it
    may be either separator, so it is rejected, while a single dot is always a decimal
    separator. Spaces inside the number and a trailing "%" are ignored.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if _PLAIN.match(cleaned):
        return float(cleaned)
    if _COMMA_DECIMAL.match(cleaned):
        whole, fraction = cleaned.split(",")
        if len(fraction) == 3:
            raise NumberError(text, (f"{whole}{fraction}", f"{whole}.{fraction}"))
        return float(f"{whole}.{fraction}")
    if _VI_GROUPED.match(cleaned) and (cleaned.count(".") > 1 or "," in cleaned):
        return float(cleaned.replace(".", "").replace(",", "."))
    if _EN_GROUPED.match(cleaned) and (cleaned.count(",") > 1 or "." in cleaned):
        return float(cleaned.replace(",", ""))
    raise NumberError(text)


# --- Layout ----------------------------------------------------------------------------------


def _folded_header(header: str) -> str:
    return fold(header).replace("_", " ").strip()


@dataclass
class Layout:
    """Columns of the table that hold the pieces of a value."""

    long: bool
    unit_column: str
    period_column: str
    indicator_column: str = ""
    value_column: str = ""
    disaggregation_column: str = ""
    comment_column: str = ""
    # Wide layout: indicator columns (None for a column that names no known indicator).
    indicator_columns: dict[str, Indicator | None] = field(default_factory=dict)
    group: IndicatorGroup | None = None


def _find_column(table: Table, accepted: tuple[str, ...]) -> str:
    for column in table.columns:
        if _folded_header(column) in accepted:
            return column
    return ""


def detect_layout(table: Table, group_code: str | None, name: str) -> Layout:
    """Work out the layout of ``table``; raise ImportFileError when it fits none."""
    found = {key: _find_column(table, accepted) for key, accepted in LONG_COLUMNS.items()}
    if all(found[key] for key in ("indicator", "unit", "period", "value")):
        return Layout(
            long=True,
            unit_column=found["unit"],
            period_column=found["period"],
            indicator_column=found["indicator"],
            value_column=found["value"],
            disaggregation_column=found["disaggregation"],
            comment_column=found["comment"],
        )

    spec = _group_spec(table, group_code, name)
    group = _group(group_code, spec, name)
    unit_aliases = LONG_COLUMNS["unit"] + (spec.unit_columns if spec else ())
    period_aliases = LONG_COLUMNS["period"] + (spec.period_columns if spec else ())
    unit_column = _find_column(table, tuple(_folded_header(a) for a in unit_aliases))
    period_column = _find_column(table, tuple(_folded_header(a) for a in period_aliases))
    if not unit_column or not period_column:
        raise ImportFileError(
            _(
                "File %(name)s has neither the long layout (columns indicator, unit, period, "
                "value) nor a wide layout (a unit column, a period column and one column per "
                "indicator). Its columns are %(found)s. Download the template of the indicator "
                "group (tinhso ioc template GROUP) and fill it in."
            )
            % {"name": name, "found": ", ".join(table.columns) or "-"},
            "wrong_columns",
        )

    by_header = _indicators_by_header(group, spec)
    indicator_columns = {
        column: by_header.get(_folded_header(column))
        for column in table.columns
        if column not in {unit_column, period_column} and column.strip()
    }
    if not any(indicator_columns.values()):
        raise ImportFileError(
            _(
                "File %(name)s: none of the columns %(columns)s names an indicator. Head each "
                "column with an indicator code, or choose the indicator group with --group."
            )
            % {"name": name, "columns": ", ".join(indicator_columns) or "-"},
            "wrong_columns",
        )
    return Layout(
        long=False,
        unit_column=unit_column,
        period_column=period_column,
        indicator_columns=indicator_columns,
        group=group,
    )


def _group_spec(table: Table, group_code: str | None, name: str) -> GroupSpec | None:
    if group_code is not None:
        return BUILTIN_GROUPS.get(group_code)
    headers = {_folded_header(column) for column in table.columns}
    for spec in BUILTIN_GROUPS.values():
        aliases = {_folded_header(item.column) for item in spec.indicators}
        if aliases <= headers:
            return spec
    return None


def _group(group_code: str | None, spec: GroupSpec | None, name: str) -> IndicatorGroup | None:
    if spec is not None:
        return ensure_group(spec)
    if group_code is None:
        return None
    group = IndicatorGroup.objects.filter(code=group_code).first()
    if group is None:
        raise ImportFileError(
            _(
                "No indicator group has the code %(code)s. Built-in groups: %(builtin)s; other "
                "groups are created in the administration."
            )
            % {"code": group_code, "builtin": ", ".join(sorted(BUILTIN_GROUPS))},
            "unknown_group",
        )
    return group


def _indicators_by_header(
    group: IndicatorGroup | None, spec: GroupSpec | None
) -> dict[str, Indicator]:
    """Indicators by folded column header: codes of every indicator, and the group's aliases."""
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    by_header = {_folded_header(code): indicator for code, indicator in indicators.items()}
    if spec is not None:
        for item in spec.indicators:
            if item.code in indicators:
                by_header[_folded_header(item.column)] = indicators[item.code]
    return by_header


def template_headers(group: IndicatorGroup) -> list[tuple[str, Indicator]]:
    """(column header, indicator) of a group's template, in the order of the template."""
    spec = BUILTIN_GROUPS.get(group.code)
    indicators = list(group.indicators.order_by("code"))
    if spec is None:
        return [(indicator.code, indicator) for indicator in indicators]
    by_code = {indicator.code: indicator for indicator in indicators}
    headers = [
        (item.column, by_code[item.code]) for item in spec.indicators if item.code in by_code
    ]
    listed = {item.code for item in spec.indicators}
    headers += [(i.code, i) for i in indicators if i.code not in listed]
    return headers


# --- Checking rows ---------------------------------------------------------------------------


@dataclass
class _Checker:
    """Checks cells one by one and collects the values and the problems."""

    table: Table
    layout: Layout
    report: ImportReport
    status: str
    batch_id: int | None
    source_detail: str
    units: UnitResolver = field(default_factory=UnitResolver)
    indicators: dict[str, Indicator | None] = field(default_factory=dict)
    periods_seen: dict[str, Period | InvalidPeriodError] = field(default_factory=dict)
    first_row_of_cell: dict[tuple[int, int, str, str], int] = field(default_factory=dict)
    values: list[IncomingValue] = field(default_factory=list)

    def problem(self, line: int, column: str, code: str, message: str, row: dict[str, str]) -> None:
        self.report.problems.append(RowProblem(f"row {line}", code, message, field=column, raw=row))

    def undecodable(self, line: int, row: dict[str, str]) -> bool:
        """Report each cell of ``row`` that could not be decoded; True if there was one."""
        bad = False
        if not self.table.undecodable_columns:
            return False
        for column, candidates in self.table.undecodable_columns.items():
            if "\ufffd" in row.get(column, ""):
                bad = True
                self.problem(
                    line,
                    column,
                    "undecodable_text",
                    _(
                        "Row %(row)s, column %(column)s: the text could not be decoded "
                        "(encodings that fit equally: %(candidates)s). Save the file as "
                        '"CSV UTF-8" and import it again.'
                    )
                    % {
                        "row": line,
                        "column": column,
                        "candidates": ", ".join(candidates) or _("none"),
                    },
                    row,
                )
        return bad

    def period(self, line: int, row: dict[str, str]) -> Period | None:
        column = self.layout.period_column
        text = row.get(column, "").strip()
        parsed = self.periods_seen.get(text)
        if parsed is None:
            try:
                parsed = periods.parse(text)
            except InvalidPeriodError as error:
                parsed = error
            self.periods_seen[text] = parsed
        if isinstance(parsed, InvalidPeriodError):
            self.problem(
                line,
                column,
                "invalid_period",
                _(
                    "Row %(row)s, column %(column)s: %(value)r is not a period code. Write "
                    "periods as 2025 (year), 2025Q1 (quarter), 202501 (month), 2025R07 "
                    "(reporting month) or 20250105 (day)."
                )
                % {"row": line, "column": column, "value": text},
                row,
            )
            return None
        return parsed

    def unit(self, line: int, row: dict[str, str], period: Period) -> Unit | None:
        column = self.layout.unit_column
        text = row.get(column, "").strip()
        try:
            return self.units.resolve(text, period)
        except UnitLookupError as error:
            if error.candidates:
                message = _(
                    "Row %(row)s, column %(column)s: the name %(value)r fits several units "
                    "valid in %(period)s (%(candidates)s). Write the unit's code instead."
                ) % {
                    "row": line,
                    "column": column,
                    "value": text,
                    "period": period.code,
                    "candidates": ", ".join(f"{u.code} {u.name}" for u in error.candidates),
                }
                code = "ambiguous_unit"
            else:
                message = _(
                    "Row %(row)s, column %(column)s: no administrative unit valid in "
                    "%(period)s has the code or name %(value)r. Write the official code of the "
                    "General Statistics Office (with or without leading zeros) or the unit's name."
                ) % {"row": line, "column": column, "value": text, "period": period.code}
                code = "unknown_unit"
            self.problem(line, column, code, message, row)
            return None

    def indicator(self, line: int, row: dict[str, str], column: str) -> Indicator | None:
        if self.layout.long:
            code = row.get(column, "").strip()
            if code not in self.indicators:
                self.indicators[code] = Indicator.objects.filter(code=code).first()
            found = self.indicators[code]
        else:
            code = column
            found = self.layout.indicator_columns.get(column)
        if found is None:
            self.problem(
                line,
                column,
                "unknown_indicator",
                _(
                    "Row %(row)s, column %(column)s: no indicator has the code %(value)r. Use "
                    "a code from the indicator list of the group, or create the indicator first."
                )
                % {"row": line, "column": column, "value": code},
                row,
            )
        return found

    def number(
        self, line: int, row: dict[str, str], column: str, indicator: Indicator
    ) -> float | None:
        text = row.get(column, "").strip()
        params = {"row": line, "column": column, "value": text, "indicator": indicator.code}
        if not text:
            self.problem(
                line,
                column,
                "missing_value",
                _(
                    "Row %(row)s, column %(column)s: the value is empty. Enter a number or delete the row."
                )
                % params,
                row,
            )
            return None
        try:
            number = parse_number(text)
        except NumberError as error:
            if error.readings:
                message = _(
                    "Row %(row)s, column %(column)s: %(value)r can be read as %(first)s or "
                    "%(second)s. Write the number without a thousands separator and with a dot "
                    "as decimal separator."
                ) % {**params, "first": error.readings[0], "second": error.readings[1]}
                self.problem(line, column, "ambiguous_number", message, row)
            else:
                message = (
                    _(
                        "Row %(row)s, column %(column)s: %(value)r is not a number. Write numbers "
                        "like 1234.5 or 1234,5, without units."
                    )
                    % params
                )
                self.problem(line, column, "not_a_number", message, row)
            return None
        return self._check_number(line, row, column, indicator, number)

    def _check_number(
        self, line: int, row: dict[str, str], column: str, indicator: Indicator, number: float
    ) -> float | None:
        params = {
            "row": line,
            "column": column,
            "value": f"{number:g}",
            "indicator": indicator.code,
        }
        if indicator.value_type == ValueType.PERCENT and number > 100:
            self.problem(
                line,
                column,
                "percent_over_100",
                _(
                    "Row %(row)s, column %(column)s: %(value)s is over 100, but indicator "
                    "%(indicator)s is a percentage. Write percentages as numbers from 0 to 100."
                )
                % params,
                row,
            )
            return None
        if indicator.value_type == ValueType.INTEGER and not number.is_integer():
            self.problem(
                line,
                column,
                "not_integer",
                _(
                    "Row %(row)s, column %(column)s: indicator %(indicator)s counts whole "
                    "units, but %(value)s has a fraction. Check the value."
                )
                % params,
                row,
            )
            return None
        low, high = indicator.min_value, indicator.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            self.problem(
                line,
                column,
                "out_of_range",
                _(
                    "Row %(row)s, column %(column)s: %(value)s is outside the plausible range "
                    "of indicator %(indicator)s (%(minimum)s to %(maximum)s). Check the value; "
                    "if it is right, widen the indicator's plausible range."
                )
                % {
                    **params,
                    "minimum": "-" if low is None else f"{low:g}",
                    "maximum": "-" if high is None else f"{high:g}",
                },
                row,
            )
            return None
        return number

    def periodicity(
        self, line: int, row: dict[str, str], indicator: Indicator, period: Period
    ) -> bool:
        if period.type.value == indicator.periodicity:
            return True
        column = self.layout.period_column
        self.problem(
            line,
            column,
            "wrong_periodicity",
            _(
                "Row %(row)s, column %(column)s: indicator %(indicator)s is reported per "
                "%(expected)s, but %(value)r is a period of type %(found)s. Use a period of the "
                "indicator's periodicity."
            )
            % {
                "row": line,
                "column": column,
                "indicator": indicator.code,
                "expected": indicator.get_periodicity_display(),
                "value": period.code,
                "found": period.type.value,
            },
            row,
        )
        return False

    def add(
        self,
        line: int,
        row: dict[str, str],
        column: str,
        indicator: Indicator,
        unit: Unit,
        period: Period,
        number: float,
        disaggregation: str = "",
        comment: str = "",
    ) -> None:
        cell = (indicator.pk, unit.pk, period.code, disaggregation)
        first = self.first_row_of_cell.get(cell)
        if first is not None:
            self.problem(
                line,
                column,
                "duplicate_cell",
                _(
                    "Row %(row)s, column %(column)s: row %(first)s already gives a value for "
                    "indicator %(indicator)s, unit %(unit)s and period %(period)s. Delete one "
                    "of the two."
                )
                % {
                    "row": line,
                    "column": column,
                    "first": first,
                    "indicator": indicator.code,
                    "unit": unit.code,
                    "period": period.code,
                },
                row,
            )
            return
        self.first_row_of_cell[cell] = line
        self.values.append(
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit.pk,
                period=period,
                value=number,
                disaggregation=disaggregation,
                status=self.status,
                source_detail=self.source_detail,
                batch_id=self.batch_id,
                row=line,
                comment=comment,
            )
        )

    def check_long(self, line: int, row: dict[str, str]) -> None:
        self.report.rows_total += 1
        if self.undecodable(line, row) or self.extra_cells(line, row):
            return
        layout = self.layout
        indicator = self.indicator(line, row, layout.indicator_column)
        period = self.period(line, row)
        unit = self.unit(line, row, period) if period is not None else None
        if indicator is None or period is None or unit is None:
            return
        if not self.periodicity(line, row, indicator, period):
            return
        number = self.number(line, row, layout.value_column, indicator)
        if number is None:
            return
        disaggregation = (
            row.get(layout.disaggregation_column, "") if layout.disaggregation_column else ""
        )
        comment = row.get(layout.comment_column, "") if layout.comment_column else ""
        self.add(
            line, row, layout.value_column, indicator, unit, period, number,
            disaggregation[:200], comment,
        )  # fmt: skip

    def check_wide(self, line: int, row: dict[str, str]) -> None:
        filled = [
            column
            for column in self.layout.indicator_columns
            if row.get(column, "").strip() not in MISSING_IN_WIDE
        ]
        self.report.rows_total += len(filled)
        if not filled or self.undecodable(line, row) or self.extra_cells(line, row):
            return
        period = self.period(line, row)
        unit = self.unit(line, row, period) if period is not None else None
        if period is None or unit is None:
            return
        for column in filled:
            indicator = self.indicator(line, row, column)
            if indicator is None or not self.periodicity(line, row, indicator, period):
                continue
            number = self.number(line, row, column, indicator)
            if number is not None:
                self.add(line, row, column, indicator, unit, period, number)

    def extra_cells(self, line: int, row: dict[str, str]) -> bool:
        if not row.get("__extra__"):
            return False
        self.problem(
            line,
            "",
            "wrong_columns",
            _(
                "Row %(row)s has more cells than the header has columns; check for a stray "
                "separator."
            )
            % {"row": line},
            row,
        )
        return True


# --- Import ----------------------------------------------------------------------------------


def import_values(
    path: Path,
    *,
    group_code: str | None = None,
    dry_run: bool = False,
    status: str = ValueStatus.SUBMITTED,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the values in ``path`` (CSV or XLSX); return the report.

    ``progress`` is called with (rows checked, rows in the file) every 1000 rows and once
    more when the values are stored. With ``dry_run`` everything, including the creation of
    a built-in group, runs inside a transaction that is rolled back. The report then shows
    what an import would create, update and leave unchanged, and no import batch is
    recorded. Raises ImportFileError when the file as a whole cannot be read.
    """
    if not dry_run:
        return _import(path, group_code, status, progress, dry_run=False)
    try:
        with transaction.atomic():
            raise _DryRunRollback(_import(path, group_code, status, progress, dry_run=True))
    except _DryRunRollback as rollback:
        return rollback.report


class _DryRunRollback(Exception):
    """Raised to roll back a dry run; carries its report out of the transaction."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.source_name)
        self.report = report


def _import(
    path: Path,
    group_code: str | None,
    status: str,
    progress: ProgressCallback | None,
    *,
    dry_run: bool,
) -> ImportReport:
    report = ImportReport(kind=KIND, source_name=str(path))
    batch = None if dry_run else start_batch(KIND, str(path))
    try:
        table = read_table(path, keep_undecodable=True)
        layout = detect_layout(table, group_code, path.name)
    except ImportFileError as error:
        if batch is not None:
            finish_batch(batch, report, message=error.message, file_error=True)
        raise

    report.summary.update(
        {
            "encoding": table.encoding,
            "column_encodings": table.column_encodings,
            "undecodable_columns": table.undecodable_columns,
            "layout": "long" if layout.long else "wide",
            "group": layout.group.code if layout.group else "",
            "dry_run": dry_run,
        }
    )
    checker = _Checker(
        table=table,
        layout=layout,
        report=report,
        status=status,
        batch_id=batch.pk if batch else None,
        source_detail=path.name[:400],
    )
    total = len(table.rows)
    check = checker.check_long if layout.long else checker.check_wide
    for done, (line, row) in enumerate(table.rows, start=1):
        first_cell = next(iter(row.values()), "")
        if not first_cell.startswith(COMMENT_MARK):
            check(line, row)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)

    try:
        reason = _("Imported from file %(name)s") % {"name": path.name}
        result = store_values(checker.values, reason=reason)
        report.rows_accepted = result.accepted
        report.summary.update(
            {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
    finally:
        if batch is not None:
            finish_batch(batch, report)
    if progress is not None:
        progress(total, total)
    logger.info(
        "Value import %s: %s values read, %s accepted, %s rejected (dry run %s)",
        path, report.rows_total, report.rows_accepted, len(report.rejected), dry_run,
    )  # fmt: skip
    return report


# --- Template --------------------------------------------------------------------------------


def write_template(group: IndicatorGroup, path: Path) -> Path:
    """Write the XLSX import template of ``group`` to ``path``.

    Row 1 holds the column headers the importer reads, row 2 Vietnamese descriptions (it
    starts with "#", so the importer skips it). The unit column offers the provinces and the
    country valid today as a list; indicator columns accept only numbers, whole numbers for
    integer indicators, within the plausible range where one is set.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = template_headers(group)
    workbook = Workbook()
    sheet = workbook.create_sheet("du-lieu", 0)
    workbook.remove(workbook.worksheets[1])
    sheet.title = "du-lieu"
    sheet.append(["unit", "period", *(header for header, _indicator in headers)])
    sheet.append(
        [
            "# Mã hoặc tên đơn vị hành chính",
            "Kỳ: 2025 (năm), 2025Q1 (quý), 202501 (tháng), 2025R07 (tháng báo cáo)",
            *(
                f"{indicator.name} ({indicator.unit_of_measure})"
                if indicator.unit_of_measure
                else indicator.name
                for _header, indicator in headers
            ),
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True)

    units = workbook.create_sheet("don-vi")
    today = timezone.localdate()
    unit_rows = Unit.objects.valid_on(today).filter(level__lte=1).order_by("level", "code")
    for unit in unit_rows:
        units.append([unit.code, unit.name])
    units.sheet_state = "hidden"
    if units.max_row > 0:
        unit_list = DataValidation(
            type="list", formula1=f"='don-vi'!$A$1:$A${units.max_row}", allow_blank=True
        )
        unit_list.error = "Chọn mã đơn vị trong danh sách hoặc nhập mã khác của Tổng cục Thống kê."
        unit_list.showErrorMessage = False
        sheet.add_data_validation(unit_list)
        unit_list.add("A3:A10000")

    for position, (_header, indicator) in enumerate(headers, start=3):
        letter = get_column_letter(position)
        kind: Literal["whole", "decimal"] = (
            "whole" if indicator.value_type == ValueType.INTEGER else "decimal"
        )
        low = indicator.min_value
        high = indicator.max_value
        if indicator.value_type == ValueType.PERCENT:
            low = 0 if low is None else low
            high = 100 if high is None else min(high, 100)
        if low is not None and high is not None:
            validation = DataValidation(
                type=kind, operator="between", formula1=str(low), formula2=str(high)
            )
        elif low is not None:
            validation = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(low))
        elif high is not None:
            validation = DataValidation(type=kind, operator="lessThanOrEqual", formula1=str(high))
        else:
            validation = DataValidation(
                type=kind, operator="between", formula1="-1E+300", formula2="1E+300"
            )
        validation.error = "Nhập một số trong khoảng hợp lệ của chỉ tiêu."
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}3:{letter}10000")
    workbook.save(path)
    return path
