"""The built-in sample: real published figures of Vĩnh Phúc, so a new installation shows the province.

The sample is small (under 70 KB) and ships with the package:

- ``definitions.json``: the indicator groups and indicators of the sample. Those of the GSO
  tables are copied from what ``tinhso ioc import-gso`` creates from the General Statistics
  Office's PX-Web tables: code ``gso.<table>.<item>``, group, unit of measure and Vietnamese
  name. A later import of the real tables therefore finds them and stores its values in the
  same cells. The group ``dvhc-2025`` contains the area and population of the communes formed on
  1 July 2025; no importer creates it.
- ``values.csv``: one value per row with the source it was copied from, numbers unchanged:

  - 20 indicators of Vĩnh Phúc (code 26) for 2010–2017 from the GSO PX-Web tables exported
    on 21 September 2018 (industrial production index, retail sales, FDI projects and
    capital, average population, labour force, income, poverty rate, schools, teachers,
    pupils, hospital beds, doctors, infant mortality, paddy and cereal production, freight
    and passengers). Each row names its table and column.
  - Total budget revenue collected in the province and local budget expenditure,
    2006–2015, from the Ministry of Finance's provincial budget figures. The budget group is
    the built-in ``ns-mof`` group of :mod:`tinhso.ioc.reference_groups`, so the sample and
    ``tinhso ioc import`` of the Ministry's file share its indicators.
  - Natural area (km²) and population of the 36 communes and wards of Phú Thọ formed from
    Vĩnh Phúc communes, from the national merger map of the 2025 reform.

Values are stored through :func:`store_values` as approved, with ``source_detail`` starting
with :data:`SAMPLE_MARK`, in an import batch of kind :data:`KIND`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.core.models import UnitLevel
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, Indicator, IndicatorGroup, SourceKind, ValueStatus
from tinhso.ioc.periods import InvalidPeriodError
from tinhso.ioc.reference_groups import BUILTIN_GROUPS, ensure_group
from tinhso.ioc.services.file_import import UnitLookupError, UnitResolver
from tinhso.ioc.services.values import IncomingValue, StoreResult, store_values

logger = logging.getLogger(__name__)

KIND = "ioc.sample"
SOURCE_NAME = "tinhso.ioc.sample"
# Start of the source_detail of every sample value, shown to users beside the value.
SAMPLE_MARK = "Mẫu dựng sẵn của Tỉnh số"

_INDICATOR_FIELDS = (
    "name", "name_en", "unit_of_measure", "value_type", "decimals", "aggregation",
    "time_aggregation", "periodicity", "description", "source", "reporting_level",
)  # fmt: skip


@dataclass
class SampleResult:
    """Counts of one load of the sample, and its import report."""

    groups_created: int = 0
    indicators_created: int = 0
    stored: StoreResult = field(default_factory=StoreResult)
    report: ImportReport | None = None


def has_data_values() -> bool:
    """Return whether the database contains any indicator value."""
    return DataValue.objects.exists()


def read_definitions() -> dict[str, Any]:
    """Return the groups and indicators of ``definitions.json``."""
    text = resources.files(__name__).joinpath("definitions.json").read_text(encoding="utf-8")
    definitions: dict[str, Any] = json.loads(text)
    return definitions


def read_rows() -> list[dict[str, str]]:
    """Return the rows of ``values.csv`` as dictionaries keyed by column."""
    text = resources.files(__name__).joinpath("values.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def load_sample() -> SampleResult:
    """Create the sample's groups and indicators where missing and store its values.

    Groups and indicators that exist already are left as they are, so names edited in the
    administration stay. Loading twice stores nothing new the second time.
    """
    result = SampleResult()
    report = ImportReport(kind=KIND, source_name=SOURCE_NAME)
    batch = start_batch(KIND, SOURCE_NAME)
    try:
        with transaction.atomic():
            indicators = _ensure_indicators(read_definitions(), result)
            values = _values(read_rows(), indicators, report, batch.pk)
            result.stored = store_values(values, reason=_("Built-in sample of published figures"))
        report.rows_accepted = result.stored.accepted
        report.summary.update(
            {
                "created": result.stored.created,
                "updated": result.stored.updated,
                "unchanged": result.stored.unchanged,
                "groups_created": result.groups_created,
                "indicators_created": result.indicators_created,
            }
        )
    finally:
        finish_batch(batch, report)
    result.report = report
    logger.info("Built-in sample loaded: %s", report.summary)
    return result


def _ensure_indicators(definitions: dict[str, Any], result: SampleResult) -> dict[str, Indicator]:
    """Return the sample's indicators by code, creating the missing groups and indicators."""
    for spec in BUILTIN_GROUPS.values():
        ensure_group(spec)

    groups: dict[str, IndicatorGroup] = {}
    for item in definitions["groups"]:
        group, created = IndicatorGroup.objects.get_or_create(
            code=item["code"],
            defaults={key: item[key] for key in ("name", "name_en", "sector", "source")},
        )
        groups[group.code] = group
        result.groups_created += int(created)

    codes = [item["code"] for item in definitions["indicators"]]
    existing = set(Indicator.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = [
        Indicator(
            code=item["code"],
            group=groups[item["group"]],
            **{key: item[key] for key in _INDICATOR_FIELDS if key in item},
        )
        for item in definitions["indicators"]
        if item["code"] not in existing
    ]
    Indicator.objects.bulk_create(missing)
    result.indicators_created = len(missing)
    codes += [item.code for spec in BUILTIN_GROUPS.values() for item in spec.indicators]
    return {indicator.code: indicator for indicator in Indicator.objects.filter(code__in=codes)}


def _values(
    rows: list[dict[str, str]],
    indicators: dict[str, Indicator],
    report: ImportReport,
    batch_id: int,
) -> list[IncomingValue]:
    resolver = UnitResolver()
    values: list[IncomingValue] = []
    for line, row in enumerate(rows, start=2):
        report.rows_total += 1
        indicator = indicators.get(row["indicator"])
        if indicator is None:
            _problem(
                report,
                line,
                "unknown_indicator",
                _("No indicator has the code %(code)s.") % {"code": row["indicator"]},
            )
            continue
        try:
            period = periods.parse(row["period"])
            level = UnitLevel(indicator.reporting_level)
            unit = resolver.resolve(row["unit"], period, level)
        except (InvalidPeriodError, UnitLookupError):
            _problem(
                report,
                line,
                "unknown_unit",
                _("No unit with the code %(unit)s was valid in %(period)s.")
                % {"unit": row["unit"], "period": row["period"]},
            )
            continue
        values.append(
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit.pk,
                period=period,
                value=float(row["value"]),
                status=ValueStatus.APPROVED,
                source_kind=SourceKind.IMPORT,
                source_detail=f"{SAMPLE_MARK}: {row['source']}",
                batch_id=batch_id,
                row=line,
                comment=row["comment"],
            )
        )
    return values


def _problem(report: ImportReport, line: int, code: str, message: str) -> None:
    # A shipped row fails only when the reference units or indicators lack its code. The
    # other rows still load, and the report and its batch keep the reason.
    report.problems.append(RowProblem(f"row {line}", code, message))
