"""Parsing of the General Statistics Office's PX-Web tables exported as CSV.

No Django here. A table as the GSO site exports it looks like this (semicolon-separated)::

    "Index of Industrial production by province by Cities, provincies and Year"

    "Cities, provincies";"2012";"2013";"2014";"2015";"2016"
    " WHOLE COUNTRY";104.8;105.9;107.6;109.8;107.4
    "Vinh Phuc";97.0;114.0;97.1;101.6;105.8

The title line ends in " by <dimensions>" (" chia theo ..." in part of the export). The first
header cell names the row dimension and the other cells are the columns, in one of these
forms, all found in the GSO export of 2018:

- a year: ``2016``, a preliminary year: ``Prel. 2016``, ``Pre.2016``, ``Pre. 2016``, a year
  as R writes a column name: ``X2016``, or a school year: ``2001-2002``;
- a year and an item in either order: ``2004 Primary``, ``Crude birth rate Prel. 2016``;
- an item alone, when the title states the year: "Land use by province (As of 31 December
  2015)" with the columns ``Total area``, ``Forestry land``;
- footnote marks ``(*)`` and ``(**)`` anywhere in a cell.

Missing values are written ``..``. Tables that R rewrote have no title line, a header row
that repeats, and quoted numbers. Functions here return structured warnings (a code and
its parameters); the importer turns them into messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum

from tinhso.text import fold, nfc

PRELIMINARY_COMMENT = "sơ bộ (preliminary)"
CODE_PREFIX = "gso."
GROUP_PREFIX = "gso-"
MAX_CODE_LENGTH = 120
MAX_GROUP_CODE_LENGTH = 80
MAX_TABLE_PART = 70

_FOOTNOTE = re.compile(r"\(\*+\)|\*+")
_SPACES = re.compile(r"\s+")
_YEAR = r"(?:(?P<prel>Prel?\.)\s*)?X?(?P<year>(?:19|20)\d\d)(?:\s*-\s*(?P<end>(?:19|20)\d\d))?"
_YEAR_ONLY = re.compile(rf"^{_YEAR}$")
_YEAR_FIRST = re.compile(rf"^{_YEAR}\s+(?P<item>.+)$")
_YEAR_LAST = re.compile(rf"^(?P<item>.+?)\s+{_YEAR}$")
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
MISSING_MARKS = frozenset({"..", "...", "-", ""})


class WarningCode(StrEnum):
    YEAR_OUT_OF_ORDER = "year_out_of_order"
    DUPLICATE_COLUMN = "duplicate_column"
    SCHOOL_YEAR = "school_year"
    REPEATED_HEADER = "repeated_header"
    CELL_COUNT = "cell_count"
    NOT_A_NUMBER = "not_a_number"


@dataclass(frozen=True)
class GsoWarning:
    """Something odd in a table that the importer reports without rejecting the table."""

    code: WarningCode
    params: dict[str, str | int]


class GsoFormatError(ValueError):
    """A file that is not a PX-Web table; ``code`` is stable and ``params`` fill the message."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class GsoColumn:
    """A header cell read as a year and an item; ``label`` is the cell as written."""

    position: int
    label: str
    year: int
    item: str
    preliminary: bool
    school_year: str = ""


@dataclass(frozen=True)
class GsoRow:
    label: str
    line: int
    cells: list[str]


@dataclass
class GsoTable:
    """One PX-Web table: its title, columns and rows as text."""

    name: str
    category: str
    title: str
    title_line: str
    row_dimension: str
    columns: list[GsoColumn]
    rows: list[GsoRow]
    warnings: list[GsoWarning] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.title)

    def row(self, label: str) -> GsoRow | None:
        """Return the first row whose label folds to the same words as ``label``."""
        wanted = compact_name(label)
        for row in self.rows:
            if compact_name(row.label) == wanted:
                return row
        return None


def compact_name(name: str) -> str:
    """``name`` folded, without spaces or punctuation: "Thua Thien - Hue" -> "thuathienhue"."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; "HIV/AIDS" and "HIV-AIDS" give "hiv-aids"."""
    cleaned = _FOOTNOTE.sub(" ", fold(text))
    return re.sub(r"[^a-z0-9]+", "-", cleaned).strip("-")


def clean_label(text: str) -> str:
    """``text`` without footnote marks and with single spaces."""
    return _SPACES.sub(" ", _FOOTNOTE.sub(" ", nfc(text))).strip()


def _shorten(code: str, limit: int) -> str:
    """``code`` cut to ``limit`` characters, ending in a hash of the whole when cut."""
    if len(code) <= limit:
        return code
    digest = hashlib.sha1(code.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{code[: limit - 9].rstrip('-.')}-{digest}"


def indicator_code(table_slug: str, item: str) -> str:
    """Return the stable code of a table's item: ``gso.<table>`` or ``gso.<table>.<item>``."""
    if not item:
        return _shorten(CODE_PREFIX + table_slug, MAX_CODE_LENGTH)
    item_slug = slugify(item)
    code = f"{CODE_PREFIX}{table_slug}.{item_slug}"
    if len(code) <= MAX_CODE_LENGTH:
        return code
    # The table part is cut to the same length for every item of a table, and the item
    # part gets the rest, so that codes of one table share their prefix.
    table_part = _shorten(table_slug, MAX_TABLE_PART)
    item_room = MAX_CODE_LENGTH - len(CODE_PREFIX) - len(table_part) - 1
    return f"{CODE_PREFIX}{table_part}.{_shorten(item_slug, item_room)}"


def group_code(table_slug: str) -> str:
    return _shorten(GROUP_PREFIX + table_slug, MAX_GROUP_CODE_LENGTH)


# --- Parsing ---------------------------------------------------------------------------------


def split_records(text: str) -> list[tuple[int, list[str]]]:
    """Split PX-Web CSV text into numbered records (semicolon-separated, double quotes)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    return list(enumerate(reader, start=1))


def parse_records(
    records: list[tuple[int, list[str]]], *, name: str, category: str = ""
) -> GsoTable:
    """Read a PX-Web table from its CSV records; raise GsoFormatError if it is not one.

    ``name`` is the table's file name without extension, used as the title when the file
    has no title line.
    """
    filled = [(number, cells) for number, cells in records if any(c.strip() for c in cells)]
    title_line = ""
    header: list[str] | None = None
    header_line = 0
    body: list[tuple[int, list[str]]] = []
    warnings: list[GsoWarning] = []
    for number, cells in filled:
        if header is None:
            if len([c for c in cells if c.strip()]) == 1 and not title_line and len(cells) == 1:
                title_line = clean_label(cells[0].lstrip("\ufeff"))
                continue
            if len(cells) < 2:
                raise GsoFormatError("no_header", line=number)
            header = [nfc(cell.lstrip("\ufeff")).strip() for cell in cells]
            header_line = number
            continue
        if [nfc(cell).strip() for cell in cells] == header:
            warnings.append(GsoWarning(WarningCode.REPEATED_HEADER, {"line": number}))
            continue
        body.append((number, cells))
    if header is None:
        raise GsoFormatError("no_header", line=0)

    title = _table_title(title_line, header[0]) or clean_label(name)
    columns = _read_columns(header, title, header_line, warnings)
    rows = []
    for number, cells in body:
        if len(cells) != len(header):
            warnings.append(
                GsoWarning(
                    WarningCode.CELL_COUNT,
                    {
                        "line": number,
                        "row": cells[0].strip(),
                        "cells": len(cells) - 1,
                        "columns": len(header) - 1,
                    },
                )
            )
        rows.append(GsoRow(label=nfc(cells[0]).strip(), line=number, cells=cells[1:]))
    return GsoTable(
        name=name,
        category=category,
        title=title,
        title_line=title_line,
        row_dimension=header[0],
        columns=columns,
        rows=rows,
        warnings=warnings,
    )


def parse_text(text: str, *, name: str, category: str = "") -> GsoTable:
    return parse_records(split_records(text), name=name, category=category)


def _table_title(title_line: str, row_dimension: str) -> str:
    """Return the title without its " by <dimensions>" or " chia theo <dimensions>" tail."""
    if not title_line:
        return ""
    first_dimension = clean_label(row_dimension).split(",")[0].strip().lower()
    for marker in (" chia theo ", " by "):
        cut = title_line.rfind(marker)
        dimensions = title_line[cut + len(marker) :].lower()
        if cut > 0 and first_dimension and dimensions.startswith(first_dimension):
            return clean_label(title_line[:cut])
    return clean_label(title_line)


def _read_columns(
    header: list[str], title: str, header_line: int, warnings: list[GsoWarning]
) -> list[GsoColumn]:
    title_years = sorted(set(_TITLE_YEAR.findall(title)))
    columns: list[GsoColumn] = []
    for position, label in enumerate(header[1:]):
        text = clean_label(label)
        item = ""
        match = _YEAR_ONLY.match(text) or _YEAR_FIRST.match(text) or _YEAR_LAST.match(text)
        if match is None:
            if len(title_years) != 1:
                raise GsoFormatError(
                    "no_year", column=label, title=title, years=", ".join(title_years) or "-"
                )
            columns.append(GsoColumn(position, label, int(title_years[0]), text, preliminary=False))
            continue
        item = match.groupdict().get("item") or ""
        year = int(match.group("year"))
        school_year = ""
        if match.group("end"):
            end = int(match.group("end"))
            if end != year + 1:
                raise GsoFormatError("invalid_school_year", column=label)
            school_year = f"{year}-{end}"
            # The school year ends in the second calendar year, when its results are counted.
            year = end
        columns.append(
            GsoColumn(
                position,
                label,
                year,
                clean_label(item),
                preliminary=bool(match.group("prel")),
                school_year=school_year,
            )
        )
    if not columns:
        raise GsoFormatError("no_columns", line=header_line)
    _check_order(columns, warnings)
    return columns


def _check_order(columns: list[GsoColumn], warnings: list[GsoWarning]) -> None:
    """Warn about years out of order within an item and about repeated (item, year) pairs.

    The years of an item should rise from left to right, so the columns off the longest
    rising run are out of order. Where the run skips exactly one year, and that year differs
    from the misplaced one in a single digit, it is named as the likely intended year.
    """
    seen: dict[tuple[str, int], GsoColumn] = {}
    for column in columns:
        key = (slugify(column.item), column.year)
        if key in seen:
            warnings.append(
                GsoWarning(
                    WarningCode.DUPLICATE_COLUMN,
                    {"column": column.label, "first": seen[key].label},
                )
            )
        else:
            seen[key] = column
    if any(column.school_year for column in columns):
        warnings.append(
            GsoWarning(
                WarningCode.SCHOOL_YEAR,
                {"example": next(c.label for c in columns if c.school_year)},
            )
        )

    by_item: dict[str, list[GsoColumn]] = {}
    for column in columns:
        by_item.setdefault(slugify(column.item), []).append(column)
    for item_columns in by_item.values():
        keep = _longest_rising(item_columns)
        for index, column in enumerate(item_columns):
            if index in keep:
                continue
            before = [c.year for i, c in enumerate(item_columns[:index]) if i in keep]
            after = [c.year for i, c in enumerate(item_columns) if i > index and i in keep]
            previous_year = before[-1] if before else None
            next_year = after[0] if after else None
            warnings.append(
                GsoWarning(
                    WarningCode.YEAR_OUT_OF_ORDER,
                    {
                        "column": column.label,
                        "year": column.year,
                        "previous": previous_year if previous_year is not None else "-",
                        "next": next_year if next_year is not None else "-",
                        "likely": _likely_year(column.year, previous_year, next_year) or "-",
                    },
                )
            )


def _longest_rising(columns: list[GsoColumn]) -> set[int]:
    """Indexes of a longest strictly rising run of years (ties go to the earlier columns)."""
    count = len(columns)
    length = [1] * count
    parent = [-1] * count
    for i in range(count):
        for j in range(i):
            if columns[j].year < columns[i].year and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
                parent[i] = j
    if not count:
        return set()
    best = max(range(count), key=lambda i: (length[i], -i))
    chosen: set[int] = set()
    while best != -1:
        chosen.add(best)
        best = parent[best]
    return chosen


def _likely_year(year: int, previous: int | None, following: int | None) -> int | None:
    if previous is None or following is None or following - previous != 2:
        return None
    candidate = previous + 1
    differing = sum(1 for a, b in zip(str(year), str(candidate), strict=True) if a != b)
    return candidate if differing == 1 else None


def parse_value(cell: str) -> float | None:
    """Read the number in a cell, or None for a missing value. Raise ValueError otherwise."""
    text = cell.strip().strip('"').strip()
    if text in MISSING_MARKS:
        return None
    if not _NUMBER.match(text):
        raise ValueError(text)
    return float(text)


def title_years(title: str) -> list[int]:
    return sorted({int(year) for year in _TITLE_YEAR.findall(title)})


# --- Vietnamese names ------------------------------------------------------------------------

# Value types that the title alone does not show. "index" is against the previous year: the
# GSO publishes the provincial index of industrial production that way (values near 100).
PERCENT = "percent"
INDEX = "index"
INTEGER = "integer"

# Vietnamese names of the tables of the GSO export of 2018 that have a row for Vĩnh Phúc,
# keyed by the slug of the English title, with the value type where it is not a plain number.
TABLES_VI: dict[str, tuple[str, str]] = {
    "land-use-by-province-as-of-31-december-2015": ("Hiện trạng sử dụng đất (tại 31/12/2015)", ""),
    "number-of-administrative-units-as-of-31-december-by-province": ("Số đơn vị hành chính (tại 31/12)", INTEGER),
    "structure-of-used-land-by-province-as-of-31-december-2015": ("Cơ cấu đất sử dụng (tại 31/12/2015)", PERCENT),
    "area-of-concentrated-planted-forest-by-province": ("Diện tích rừng trồng mới tập trung", ""),
    "area-of-destroyed-forest-by-province": ("Diện tích rừng bị chặt phá", ""),
    "area-of-fired-forest-by-province": ("Diện tích rừng bị cháy", ""),
    "area-of-forest-as-of-31-december-by-province": ("Diện tích rừng (tại 31/12)", ""),
    "area-of-water-surface-for-the-aquaculture-by-province": ("Diện tích mặt nước nuôi trồng thủy sản", ""),
    "gross-output-of-wood-by-province": ("Sản lượng gỗ khai thác", ""),
    "number-of-buffaloes-as-of-annual-1st-october-by-province": ("Số lượng trâu (tại 1/10 hằng năm)", ""),
    "number-of-cattles-as-of-annual-1st-by-province": ("Số lượng bò (tại 1/10 hằng năm)", ""),
    "number-of-farms-by-kinds-of-manufacturing-sector-and-by-province": ("Số trang trại phân theo lĩnh vực sản xuất", INTEGER),
    "number-of-farms-by-province": ("Số trang trại", INTEGER),
    "number-of-pigs-as-of-annual-1st-october-by-province": ("Số lượng lợn (tại 1/10 hằng năm)", ""),
    "number-of-poultry-as-of-annual-1st-october-by-province": ("Số lượng gia cầm (tại 1/10 hằng năm)", ""),
    "planted-area-of-cereals-by-province": ("Diện tích gieo trồng cây lương thực có hạt", ""),
    "planted-area-of-maize-by-province": ("Diện tích gieo trồng ngô", ""),
    "planted-area-of-paddy-by-province": ("Diện tích gieo trồng lúa cả năm", ""),
    "planted-area-of-spring-paddy-by-province": ("Diện tích gieo trồng lúa đông xuân", ""),
    "planted-area-of-sweet-potatoes-by-province": ("Diện tích gieo trồng khoai lang", ""),
    "planted-area-of-winter-paddy-by-province": ("Diện tích gieo trồng lúa mùa", ""),
    "production-of-aquaculture-by-province": ("Sản lượng thủy sản nuôi trồng", ""),
    "production-of-aquaculture-fish-by-province": ("Sản lượng cá nuôi", ""),
    "production-of-aquaculture-shrimp-by-province": ("Sản lượng tôm nuôi", ""),
    "production-of-cereals-by-province": ("Sản lượng lương thực có hạt", ""),
    "production-of-cereals-per-capita-by-province": ("Sản lượng lương thực có hạt bình quân đầu người", ""),
    "production-of-fishery-by-province": ("Sản lượng thủy sản", ""),
    "production-of-fishery-caught-by-province": ("Sản lượng thủy sản khai thác", ""),
    "production-of-maize-by-province": ("Sản lượng ngô", ""),
    "production-of-paddy-by-province": ("Sản lượng lúa cả năm", ""),
    "production-of-spring-paddy-by-province": ("Sản lượng lúa đông xuân", ""),
    "production-of-sweet-potatoes-by-province": ("Sản lượng khoai lang", ""),
    "production-of-winter-paddy-by-province": ("Sản lượng lúa mùa", ""),
    "yield-of-maize-by-province": ("Năng suất ngô", ""),
    "yield-of-paddy-by-province": ("Năng suất lúa cả năm", ""),
    "yield-of-spring-paddy-by-province": ("Năng suất lúa đông xuân", ""),
    "yield-of-winter-paddy-by-province": ("Năng suất lúa mùa", ""),
    "number-of-classes-of-general-education-as-of-30-september-by-province": ("Số lớp học phổ thông (tại 30/9)", INTEGER),
    "number-of-direct-teaching-teachers-of-general-education-as-of-30-september-by-province": ("Số giáo viên phổ thông trực tiếp giảng dạy (tại 30/9)", INTEGER),
    "number-of-direct-teaching-woman-teachers-of-general-education-as-of-30-september-by-province": ("Số giáo viên nữ phổ thông trực tiếp giảng dạy (tại 30/9)", INTEGER),
    "number-of-ethnic-minority-direct-teaching-teachers-of-general-education-as-of-30-september-by-some-provinces": ("Số giáo viên phổ thông người dân tộc thiểu số trực tiếp giảng dạy (tại 30/9)", INTEGER),
    "number-of-ethnic-minority-pupils-of-general-education-as-of-30-september-by-some-provinces": ("Số học sinh phổ thông người dân tộc thiểu số (tại 30/9)", INTEGER),
    "number-of-pupils-of-general-education-as-of-30-september-by-province": ("Số học sinh phổ thông (tại 30/9)", INTEGER),
    "number-of-school-of-general-education-as-of-30-september-by-province": ("Số trường học phổ thông (tại 30/9)", INTEGER),
    "number-of-schoolgirls-of-general-education-as-of-30-september-by-province": ("Số học sinh nữ phổ thông (tại 30/9)", INTEGER),
    "number-of-schools-classes-teachers-and-pupils-of-kindergarten-education-as-of-30-september-by-province": ("Số trường, lớp, giáo viên và học sinh mầm non (tại 30/9)", ""),
    "number-of-teachers-students-in-universities-and-colleges-by-province": ("Số giảng viên và sinh viên đại học, cao đẳng", INTEGER),
    "percentage-of-graduates-compared-with-total-candidates-upper-secondary": ("Tỷ lệ học sinh tốt nghiệp trung học phổ thông so với số dự thi", PERCENT),
    "average-collected-solid-waste-treated-per-day-by-province": ("Lượng chất thải rắn được thu gom và xử lý bình quân một ngày", ""),
    "average-dwelling-area-per-capita-by-type-of-house-and-by-province": ("Diện tích nhà ở bình quân đầu người phân theo loại nhà", ""),
    "difference-between-the-highest-income-quintile-and-the-lowest-income-quintile-on-monthly-average-income-per-capita-at-current-prices-by-province": ("Chênh lệch thu nhập bình quân đầu người một tháng giữa nhóm thu nhập cao nhất và nhóm thấp nhất (giá hiện hành)", ""),
    "monthly-average-income-per-capita-at-current-prices-by-income-quintile-and-by-province": ("Thu nhập bình quân đầu người một tháng theo nhóm thu nhập (giá hiện hành)", ""),
    "monthly-average-income-per-capita-at-current-prices-by-income-source-and-by-province": ("Thu nhập bình quân đầu người một tháng theo nguồn thu (giá hiện hành)", ""),
    "number-of-editorial-offices-by-province": ("Số cơ quan báo chí", INTEGER),
    "number-of-health-establishments-under-provincial-departments-of-health-by-province": ("Số cơ sở y tế do Sở Y tế quản lý", INTEGER),
    "number-of-libraries-under-local-management-by-province": ("Thư viện do địa phương quản lý", ""),
    "number-of-medical-staff-under-provincial-departments-of-health-by-province": ("Số nhân lực y tế do Sở Y tế quản lý", INTEGER),
    "number-of-patient-beds-under-provincial-departments-of-health-by-province": ("Số giường bệnh do Sở Y tế quản lý", INTEGER),
    "number-of-people-infected-with-hiv-aids-and-number-of-aids-deaths-by-province": ("Số người nhiễm HIV/AIDS và số người tử vong do AIDS", INTEGER),
    "number-of-pharmaceutical-staffs-under-provincial-departments-of-health-by-province": ("Số nhân lực ngành dược do Sở Y tế quản lý", INTEGER),
    "percentage-of-children-under-1-year-old-immunized-fully-caccinations-by-province": ("Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ", PERCENT),
    "percentage-of-household-using-electricity-by-province": ("Tỷ lệ hộ sử dụng điện", PERCENT),
    "percentage-of-households-having-house-by-type-of-house-and-by-province": ("Tỷ lệ hộ có nhà ở phân theo loại nhà", PERCENT),
    "poverty-rate-by-province": ("Tỷ lệ hộ nghèo", PERCENT),
    "index-of-industrial-production-by-province": ("Chỉ số sản xuất công nghiệp (năm trước = 100)", INDEX),
    "foreign-direct-investment-projects-licensed-by-province-accumulation-of-projects-having-effect-as-of-31-12-2016": ("Dự án đầu tư trực tiếp nước ngoài được cấp phép (lũy kế các dự án còn hiệu lực đến 31/12/2016)", ""),
    "foreign-direct-investment-projects-licensed-in-2016-by-province": ("Dự án đầu tư trực tiếp nước ngoài được cấp phép năm 2016", ""),
    "area-population-and-population-density-by-province": ("Diện tích, dân số và mật độ dân số", ""),
    "average-age-of-first-marriage-by-province": ("Tuổi kết hôn trung bình lần đầu", ""),
    "average-population-by-province": ("Dân số trung bình", ""),
    "crude-birth-rate-crude-death-rate-and-natural-increase-rate-by-province": ("Tỷ suất sinh thô, tỷ suất chết thô và tỷ lệ tăng tự nhiên", ""),
    "in-migration-rate-out-migration-rate-and-net-migration-rate-by-province": ("Tỷ suất nhập cư, xuất cư và di cư thuần", ""),
    "infant-mortality-rate-by-province": ("Tỷ suất chết của trẻ em dưới 1 tuổi", ""),
    "labour-force-at-15-years-of-age-and-above-by-province": ("Lực lượng lao động từ 15 tuổi trở lên", ""),
    "number-of-divorce-cases-cleared-up-by-province-and-by-level": ("Số vụ ly hôn đã xét xử phân theo cấp xét xử", INTEGER),
    "percentage-of-employed-workers-at-15-years-of-age-and-above-among-population-by-province": ("Tỷ lệ lao động từ 15 tuổi trở lên đang làm việc so với dân số", PERCENT),
    "percentage-of-literate-population-at-15-years-of-age-and-above-by-province": ("Tỷ lệ dân số từ 15 tuổi trở lên biết chữ", PERCENT),
    "percentage-of-trained-employed-workers-at-15-years-of-age-and-above-by-province": ("Tỷ lệ lao động từ 15 tuổi trở lên đang làm việc đã qua đào tạo", PERCENT),
    "population-growth-rate-by-province": ("Tỷ lệ tăng dân số", PERCENT),
    "sex-ratio-of-population-by-province": ("Tỷ số giới tính của dân số (số nam trên 100 nữ)", ""),
    "total-fertility-rate-by-province": ("Tổng tỷ suất sinh", ""),
    "under-five-mortality-rate-by-province": ("Tỷ suất chết của trẻ em dưới 5 tuổi", ""),
    "number-of-commercial-centers-as-of-annual-december-31st-by-province": ("Số trung tâm thương mại (tại 31/12 hằng năm)", INTEGER),
    "number-of-markets-as-of-annual-december-31st-by-province": ("Số chợ (tại 31/12 hằng năm)", INTEGER),
    "number-of-supermarkets-as-of-annual-december-31st-by-province": ("Số siêu thị (tại 31/12 hằng năm)", INTEGER),
    "retail-sales-of-goods-and-services-at-current-prices-by-province": ("Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng (giá hiện hành)", ""),
    "spatial-cost-of-living-index-among-provinces-ha-noi-100": ("Chỉ số giá sinh hoạt theo không gian giữa các tỉnh (Hà Nội = 100)", ""),
    "turnover-of-travelling-at-current-prices-by-province": ("Doanh thu du lịch lữ hành (giá hiện hành)", ""),
    "number-of-passengers-carried-by-province": ("Số lượt hành khách vận chuyển", ""),
    "number-of-passengers-carried-by-the-road-by-province": ("Số lượt hành khách vận chuyển bằng đường bộ", ""),
    "number-of-passengers-traffic-by-province": ("Số lượt hành khách luân chuyển", ""),
    "number-of-passengers-traffic-by-the-road-by-province": ("Số lượt hành khách luân chuyển bằng đường bộ", ""),
    "volume-of-freight-carried-by-province": ("Khối lượng hàng hóa vận chuyển", ""),
    "volume-of-freight-carried-by-the-road-by-province": ("Khối lượng hàng hóa vận chuyển bằng đường bộ", ""),
    "volume-of-freight-carried-by-the-waterway-by-province": ("Khối lượng hàng hóa vận chuyển bằng đường thủy", ""),
    "volume-of-freight-traffic-by-province": ("Khối lượng hàng hóa luân chuyển", ""),
    "volume-of-freight-traffic-by-the-road-by-province": ("Khối lượng hàng hóa luân chuyển bằng đường bộ", ""),
    "volume-of-freight-traffic-by-the-waterway-by-province": ("Khối lượng hàng hóa luân chuyển bằng đường thủy", ""),
}  # fmt: skip

# Vietnamese names of the column items, keyed by the slug of the English item.
ITEMS_VI: dict[str, str] = {
    "agricultural-production-land": "Đất sản xuất nông nghiệp",
    "agriculture-forestry-fishery": "Nông, lâm nghiệp và thủy sản",
    "aids-patients-alive-accumulation-as-of-dec-31": "Bệnh nhân AIDS còn sống lũy kế đến 31/12",
    "aids-patients-new-case": "Bệnh nhân AIDS mới phát hiện",
    "area-km2": "Diện tích",
    "area-of-forest": "Diện tích rừng",
    "assistant-pharmacists": "Dược tá",
    "average-population-thous-pers": "Dân số trung bình",
    "cities-under-provinces": "Thành phố thuộc tỉnh",
    "class": "Lớp học",
    "communes": "Xã",
    "crude-birth-rate": "Tỷ suất sinh thô",
    "crude-death-rate": "Tỷ suất chết thô",
    "cultivation-farm": "Trang trại trồng trọt",
    "district-level": "Cấp huyện",
    "doctor": "Bác sĩ",
    "female": "Nữ",
    "fishing-farm": "Trang trại nuôi trồng thủy sản",
    "forestry-land": "Đất lâm nghiệp",
    "general-average": "Bình quân chung",
    "hiv-infected-people-alive-accumulation-as-of-dec-31": "Người nhiễm HIV còn sống lũy kế đến 31/12",
    "hiv-infected-people-new-case": "Người nhiễm HIV mới phát hiện",
    "homestead-land": "Đất ở",
    "hospital": "Bệnh viện",
    "in-migration-rate": "Tỷ suất nhập cư",
    "less-temporary-house": "Nhà thiếu kiên cố",
    "livestock-farm": "Trang trại chăn nuôi",
    "lower-and-upper-secondary": "Trung học cơ sở và trung học phổ thông",
    "lower-secondary": "Trung học cơ sở",
    "male": "Nam",
    "medical-service-unit": "Trạm y tế xã, phường, cơ quan, xí nghiệp",
    "midwife": "Hộ sinh",
    "monthly-average-income-per-capita-thous-dongs-the-lowest-income-quintile": "Thu nhập bình quân đầu người một tháng của nhóm thu nhập thấp nhất",
    "monthly-average-income-per-capita-thous-dongs-the-highest-income-quintile": "Thu nhập bình quân đầu người một tháng của nhóm thu nhập cao nhất",
    "natural-forest": "Rừng tự nhiên",
    "natural-increase-rate": "Tỷ lệ tăng tự nhiên",
    "net-migration-rate": "Tỷ suất di cư thuần",
    "newplanted-are": "Diện tích rừng trồng mới",
    "non-agriculture-forestry-fishery": "Phi nông, lâm nghiệp và thủy sản",
    "number-of-aids-deaths": "Số người tử vong do AIDS",
    "number-of-books-in-library-thous-copies": "Số sách trong thư viện",
    "number-of-libraries-unit": "Số thư viện",
    "number-of-projects": "Số dự án",
    "nurse": "Y tá, điều dưỡng",
    "of-which-public-student": "Trong đó: sinh viên trường công lập",
    "of-which-public-teacher": "Trong đó: giảng viên trường công lập",
    "others": "Khác",
    "out-migration-rate": "Tỷ suất xuất cư",
    "permanent-house": "Nhà kiên cố",
    "pharmacists-of-high-degree": "Dược sĩ cao cấp",
    "pharmacists-of-middle-degree": "Dược sĩ trung cấp",
    "physician": "Y sĩ",
    "planted-forest": "Rừng trồng",
    "population-density-person-km2": "Mật độ dân số",
    "primary": "Tiểu học",
    "primary-and-lower-secondary": "Tiểu học và trung học cơ sở",
    "proportion-of-forest-coverage": "Tỷ lệ che phủ rừng",
    "provincial-level": "Cấp tỉnh",
    "pupil-thous-pupil": "Học sinh",
    "quintile-1": "Nhóm 1",
    "quintile-2": "Nhóm 2",
    "quintile-3": "Nhóm 3",
    "quintile-4": "Nhóm 4",
    "quintile-5": "Nhóm 5",
    "regional-polyclinic": "Phòng khám đa khoa khu vực",
    "rural": "Nông thôn",
    "rural-districts": "Huyện",
    "salary-wage": "Tiền lương, tiền công",
    "sanatorium-and-rehabilitation-hospital": "Bệnh viện điều dưỡng và phục hồi chức năng",
    "school": "Trường học",
    "semi-permanent-house": "Nhà bán kiên cố",
    "simple-permanent-house": "Nhà đơn sơ",
    "specially-used-land": "Đất chuyên dùng",
    "student": "Sinh viên",
    "teacher": "Giảng viên",
    "teacher-pers": "Giáo viên",
    "the-highest-income-quintile-compared-with-the-lowest-income-quintile-time": "Chênh lệch giữa nhóm thu nhập cao nhất và nhóm thấp nhất",
    "total": "Tổng số",
    "total-area": "Tổng diện tích",
    "total-of-collected-solid-waste": "Tổng lượng chất thải rắn được thu gom",
    "total-of-collected-solid-waste-treated-in-accordance-with-corresponding-defined-national-criteria": "Lượng chất thải rắn được xử lý đạt tiêu chuẩn quốc gia",
    "total-registered-capital-mill-usd": "Tổng vốn đăng ký",
    "town-districts": "Thị trấn",
    "towns": "Thị xã",
    "upper-secondary": "Trung học phổ thông",
    "urban": "Thành thị",
    "urban-districts": "Quận",
    "wards": "Phường",
}

# Units as the GSO writes them in parentheses, with their Vietnamese form.
UNITS_VI: dict[str, str] = {
    "%": "%",
    "km2": "km²",
    "pers.": "người",
    "person/km2": "người/km²",
    "thous. pers.": "nghìn người",
    "thous. pupil": "nghìn học sinh",
    "thous. copies": "nghìn bản",
    "thous. dongs": "nghìn đồng",
    "mill. usd": "triệu USD",
    "unit": "đơn vị",
    "time": "lần",
}
_UNIT_IN_PARENTHESES = re.compile(r"\(([^()]{1,20})\)")
# Words of quantities that are averaged, not added, over units ("average population" adds up).
_INTENSIVE_WORDS = (
    "rate", "per capita", "yield", "ratio", "index", "density", "percentage",
    "structure", "proportion", "difference", "(time)", "average age",
)  # fmt: skip


@dataclass(frozen=True)
class IndicatorNames:
    """Names, unit and kind of one (table, item) indicator; ``known`` is False without a Vietnamese name."""

    name: str
    name_en: str
    unit: str
    value_type: str
    intensive: bool
    known: bool


def describe(title: str, item: str) -> IndicatorNames:
    """Vietnamese and English names, unit of measure and value type of a table's item.

    The unit is taken only from the item or the title as the GSO wrote them; the export
    states no unit for most tables. Tables missing from :data:`TABLES_VI` keep their
    English title as the Vietnamese name and come back with ``known`` False.
    """
    table_slug = slugify(title)
    table_vi, table_kind = TABLES_VI.get(table_slug, ("", ""))
    item_slug = slugify(item)
    item_vi = ITEMS_VI.get(item_slug, "") if item else ""
    known = bool(table_vi) and (not item or bool(item_vi))

    name_en = f"{title} – {item}" if item else title
    name = f"{table_vi or title} – {item_vi or item}" if item else (table_vi or title)

    unit = ""
    for text in (item, title):
        for match in _UNIT_IN_PARENTHESES.finditer(text):
            unit = UNITS_VI.get(match.group(1).strip().lower(), unit)
        if unit:
            break

    lowered = f"{title} {item}".lower()
    value_type = table_kind or "number"
    if "previous year = 100" in lowered:
        value_type = INDEX
    elif unit == "%" or lowered.startswith(("percentage", "structure")):
        value_type = PERCENT
    elif value_type == INTEGER and unit and unit not in {"người", "đơn vị"}:
        # "Thous. pupil" and "Thous. copies" are counts in thousands, so they have decimals.
        value_type = "number"
    intensive = value_type in {PERCENT, INDEX} or any(w in lowered for w in _INTENSIVE_WORDS)
    return IndicatorNames(name[:400], name_en[:400], unit, value_type, intensive, known)
