"""Import of the official old→new conversion table of the 2025 commune reform.

Each row names an old commune (with its district and province) and the new commune that
absorbed it. Importing creates the old districts and communes, valid until 30 June 2025,
where they are missing, and links each old commune to its new one. Rows are checked in
full before anything is written, so a bad row creates nothing; good rows are written in
one transaction, and bad rows go to quarantine with the reason.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.models import Unit, UnitLevel, UnitLink, UnitType
from tinhso.core.services.reference import link_kind
from tinhso.core.services.units import DAY_BEFORE_REFORM, REFORM_DATE, normalize_code
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch
from tinhso.ingest.tables import read_table, require_columns
from tinhso.text import same_name

logger = logging.getLogger(__name__)

KIND = "units.conversion"
COLUMNS = [
    "old_province_code",
    "old_district_code",
    "old_district_name",
    "old_ward_code",
    "old_ward_name",
    "is_partly_merged",
    "new_province_code",
    "new_ward_code",
    "new_ward_name",
]
TRUE_WORDS = {"true", "1", "yes", "x", "có", "co", "đúng"}
FALSE_WORDS = {"false", "0", "no", "", "không", "khong", "sai"}

DISTRICT_PREFIXES = [
    ("Thành phố ", UnitType.THANH_PHO_THUOC_TINH),
    ("Thị xã ", UnitType.THI_XA),
    ("Huyện ", UnitType.HUYEN),
    ("Quận ", UnitType.QUAN),
]
COMMUNE_PREFIXES = [
    ("Thị trấn ", UnitType.THI_TRAN),
    ("Phường ", UnitType.PHUONG),
    ("Xã ", UnitType.XA),
    ("Đặc khu ", UnitType.DAC_KHU),
]


@dataclass
class ConversionRow:
    """A checked row, ready to write."""

    line: int
    old_province: Unit
    district_code: str
    district_name: str
    district_type: UnitType
    ward_code: str
    ward_name: str
    ward_type: UnitType
    partly: bool
    new_ward: Unit


def import_conversion(path: Path) -> ImportReport:
    """Import the conversion table at ``path`` (CSV or XLSX); return the report.

    Raises ImportFileError when the file as a whole cannot be read; row problems are in
    the report and in the quarantine of its batch.
    """
    report = ImportReport(kind=KIND, source_name=str(path))
    batch = start_batch(KIND, str(path))
    try:
        table = read_table(path)
        require_columns(table, COLUMNS, path.name)
    except ImportFileError as error:
        finish_batch(batch, report, message=error.message, file_error=True)
        raise

    report.rows_total = len(table.rows)
    checked = _check_rows(table.rows, report)
    try:
        with transaction.atomic():
            summary = _write_rows(checked, report)
    finally:
        finish_batch(batch, report)
    report.summary.update(summary)
    logger.info("Conversion import %s: %s", path, summary)
    return report


def _check_rows(
    rows: list[tuple[int, dict[str, str]]], report: ImportReport
) -> list[ConversionRow]:
    checked: list[ConversionRow] = []
    first_line_of_pair: dict[tuple[str, str], int] = {}
    old_provinces = {
        u.code: u for u in Unit.objects.filter(level=UnitLevel.PROVINCE, valid_to__isnull=False)
    }
    new_communes = {
        u.code: u
        for u in Unit.objects.filter(level=UnitLevel.COMMUNE, valid_to__isnull=True).select_related(
            "parent"
        )
    }

    for line, row in rows:
        problems: list[RowProblem] = []

        def problem(field: str, code: str, message: str) -> None:
            problems.append(RowProblem(f"row {line}", code, message, field=field, raw=row))  # noqa: B023

        province_code = normalize_code(row["old_province_code"], UnitLevel.PROVINCE)
        district_code = normalize_code(row["old_district_code"], UnitLevel.DISTRICT)
        ward_code = normalize_code(row["old_ward_code"], UnitLevel.COMMUNE)
        new_province_code = normalize_code(row["new_province_code"], UnitLevel.PROVINCE)
        new_ward_code = normalize_code(row["new_ward_code"], UnitLevel.COMMUNE)

        for field, value, code in [
            ("old_province_code", row["old_province_code"], province_code),
            ("old_district_code", row["old_district_code"], district_code),
            ("old_ward_code", row["old_ward_code"], ward_code),
            ("new_province_code", row["new_province_code"], new_province_code),
            ("new_ward_code", row["new_ward_code"], new_ward_code),
        ]:
            if code is None:
                problem(
                    field,
                    "invalid_code",
                    _(
                        "Row %(row)s, column %(field)s: %(value)r is not an official code. "
                        "Use the numeric code of the General Statistics Office, for example 8707 or 08707."
                    )
                    % {"row": line, "field": field, "value": value},
                )

        old_province = old_provinces.get(province_code or "")
        if province_code and old_province is None:
            problem(
                "old_province_code",
                "unknown_unit",
                _(
                    "Row %(row)s: no province valid before 1 July 2025 has the code %(code)s. "
                    "Load the reference data first (tinhso units load-reference) or correct the code."
                )
                % {"row": line, "code": province_code},
            )

        new_ward = new_communes.get(new_ward_code or "")
        if new_ward_code and new_ward is None:
            problem(
                "new_ward_code",
                "unknown_unit",
                _(
                    "Row %(row)s: no commune valid from 1 July 2025 has the code %(code)s. "
                    "Check the code against the list of new communes."
                )
                % {"row": line, "code": new_ward_code},
            )
        elif (
            new_ward is not None
            and new_province_code
            and new_ward.parent
            and new_ward.parent.code != new_province_code
        ):
            problem(
                "new_province_code",
                "unknown_parent",
                _(
                    "Row %(row)s: the new commune %(ward)s belongs to province %(actual)s, not %(given)s."
                )
                % {
                    "row": line,
                    "ward": new_ward.name,
                    "actual": new_ward.parent.code,
                    "given": new_province_code,
                },
            )

        district_type = _type_from_name(row["old_district_name"], DISTRICT_PREFIXES)
        if district_type is None:
            problem(
                "old_district_name",
                "invalid_name",
                _(
                    "Row %(row)s: the district name %(name)r does not start with Huyện, Quận, Thị xã or Thành phố."
                )
                % {"row": line, "name": row["old_district_name"]},
            )
        ward_type = _type_from_name(row["old_ward_name"], COMMUNE_PREFIXES)
        if ward_type is None:
            problem(
                "old_ward_name",
                "invalid_name",
                _(
                    "Row %(row)s: the commune name %(name)r does not start with Xã, Phường, Thị trấn or Đặc khu."
                )
                % {"row": line, "name": row["old_ward_name"]},
            )

        partly_text = row["is_partly_merged"].strip().lower()
        if partly_text not in TRUE_WORDS | FALSE_WORDS:
            problem(
                "is_partly_merged",
                "invalid_value",
                _(
                    "Row %(row)s, column is_partly_merged: %(value)r is neither True nor False "
                    "(1/0, yes/no, có/không and an empty cell for False are accepted too)."
                )
                % {"row": line, "value": row["is_partly_merged"]},
            )

        if row.get("__extra__"):
            problem(
                "",
                "wrong_columns",
                _(
                    "Row %(row)s has more cells than the header has columns; check for a stray separator."
                )
                % {"row": line},
            )

        pair = (ward_code or "", new_ward_code or "")
        if not problems and pair in first_line_of_pair:
            problem(
                "old_ward_code",
                "duplicate",
                _(
                    "Row %(row)s repeats the pair %(old)s → %(new)s of row %(first)s; delete one of them."
                )
                % {
                    "row": line,
                    "old": ward_code,
                    "new": new_ward_code,
                    "first": first_line_of_pair[pair],
                },
            )

        if (
            problems
            or old_province is None
            or new_ward is None
            or district_code is None
            or ward_code is None
            or district_type is None
            or ward_type is None
        ):
            report.problems.extend(problems)
            continue
        first_line_of_pair[pair] = line
        checked.append(
            ConversionRow(
                line=line,
                old_province=old_province,
                district_code=district_code,
                district_name=row["old_district_name"],
                district_type=district_type,
                ward_code=ward_code,
                ward_name=row["old_ward_name"],
                ward_type=ward_type,
                partly=partly_text in TRUE_WORDS,
                new_ward=new_ward,
            )
        )
    return checked


def _type_from_name(name: str, prefixes: list[tuple[str, UnitType]]) -> UnitType | None:
    for prefix, unit_type in prefixes:
        if name.startswith(prefix):
            return unit_type
    return None


def _write_rows(rows: list[ConversionRow], report: ImportReport) -> dict[str, int]:
    """Create missing old units and the links; runs inside the caller's transaction."""
    counts = Counter[str]()
    districts: dict[str, Unit] = {}
    wards: dict[str, Unit] = {}

    for row in rows:
        district = districts.get(row.district_code)
        if district is None:
            district, created = _get_or_create_old_unit(
                row.district_code,
                UnitLevel.DISTRICT,
                row.district_name,
                row.district_type,
                row.old_province,
            )
            districts[row.district_code] = district
            counts["districts_created" if created else "districts_existing"] += 1
            _warn_name(report, row.line, district, row.district_name)

        ward = wards.get(row.ward_code)
        if ward is None:
            ward, created = _get_or_create_old_unit(
                row.ward_code, UnitLevel.COMMUNE, row.ward_name, row.ward_type, district
            )
            wards[row.ward_code] = ward
            counts["communes_created" if created else "communes_existing"] += 1
            _warn_name(report, row.line, ward, row.ward_name)

    # Links already stored count too, so importing part of a table keeps a merge a merge.
    successors_of: dict[int, set[int]] = defaultdict(set)
    predecessors_of: dict[int, set[int]] = defaultdict(set)
    stored = UnitLink.objects.filter(
        Q(predecessor__in=list(wards.values())) | Q(successor__in={row.new_ward.pk for row in rows})
    ).values_list("predecessor_id", "successor_id")
    for predecessor_id, successor_id in stored:
        successors_of[predecessor_id].add(successor_id)
        predecessors_of[successor_id].add(predecessor_id)
    for row in rows:
        successors_of[wards[row.ward_code].pk].add(row.new_ward.pk)
        predecessors_of[row.new_ward.pk].add(wards[row.ward_code].pk)

    for row in rows:
        ward = wards[row.ward_code]
        kind = link_kind(
            partly=row.partly,
            successors=len(successors_of[ward.pk]),
            predecessors=len(predecessors_of[row.new_ward.pk]),
            renamed=ward.name != row.new_ward.name,
        )
        link, created = UnitLink.objects.get_or_create(
            predecessor=ward,
            successor=row.new_ward,
            defaults={
                "kind": kind,
                "partly": row.partly,
                "effective_date": REFORM_DATE,
                "source": report.source_name[-200:],
            },
        )
        if not created and (link.partly != row.partly or link.kind != kind):
            link.partly = row.partly
            link.kind = kind
            link.save()
            counts["links_updated"] += 1
        counts["links_created" if created else "links_existing"] += 1
        report.rows_accepted += 1

    counts["new_communes"] = len({row.new_ward.code for row in rows})
    counts["old_communes"] = len({row.ward_code for row in rows})
    return dict(counts)


def _get_or_create_old_unit(
    code: str, level: UnitLevel, name: str, unit_type: UnitType, parent: Unit
) -> tuple[Unit, bool]:
    existing = Unit.objects.filter(code=code, level=level, valid_to=DAY_BEFORE_REFORM).first()
    if existing is not None:
        return existing, False
    unit = Unit(
        code=code,
        level=level,
        name=name,
        short_name=_strip_type_prefix(name),
        type=unit_type,
        parent=parent,
        valid_to=DAY_BEFORE_REFORM,
        source=_("conversion table"),
    )
    unit.full_clean(validate_unique=False)
    unit.save()
    return unit, True


def _strip_type_prefix(name: str) -> str:
    for prefix, _type in DISTRICT_PREFIXES + COMMUNE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _warn_name(report: ImportReport, line: int, unit: Unit, name_in_file: str) -> None:
    if not same_name(unit.name, name_in_file):
        report.problems.append(
            RowProblem(
                f"row {line}",
                "name_differs",
                _(
                    "Row %(row)s: the file names unit %(code)s %(file)r; the platform keeps %(kept)r."
                )
                % {"row": line, "code": unit.code, "file": name_in_file, "kept": unit.name},
                fatal=False,
            )
        )
