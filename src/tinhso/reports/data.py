"""The outline's data source on the database: stored IOC values with their provenance."""

from __future__ import annotations

import logging

from django.db.models import Q

from tinhso.core.models import Unit
from tinhso.core.services.units import successors_on
from tinhso.ioc.models import DataValue, Indicator
from tinhso.ioc.periods import Period
from tinhso.reports.outline import IndicatorInfo, Observation

logger = logging.getLogger(__name__)


class DatabaseSource:
    """Read indicator values from ``ioc.DataValue``, caching indicators and units per report."""

    def __init__(self) -> None:
        self._indicators: dict[str, Indicator | None] = {}
        self._units: dict[tuple[str, Period], list[Unit]] = {}

    def indicator_row(self, code: str) -> Indicator | None:
        if code not in self._indicators:
            self._indicators[code] = Indicator.objects.filter(code=code).first()
        return self._indicators[code]

    def indicator(self, code: str) -> IndicatorInfo | None:
        row = self.indicator_row(code)
        if row is None:
            return None
        return IndicatorInfo(row.code, row.name, row.unit_of_measure, row.decimals)

    def units(self, unit_code: str, period: Period) -> list[Unit]:
        """Return the units with ``unit_code`` valid at the end of ``period``, else at any time in it.

        Unit codes are reused across reforms, so the unit valid at the period's end wins.
        Values are stored on the unit valid in their year (GSO tables, for example). A code
        whose unit ended before the period (Vĩnh Phúc, 26, after 30 June 2025) gives the
        units that succeeded it, so a report after a merger covers the merged province.
        """
        key = (unit_code, period)
        if key not in self._units:
            candidates = Unit.objects.filter(code=unit_code)
            at_end = candidates.filter(
                Q(valid_from__isnull=True) | Q(valid_from__lte=period.end),
                Q(valid_to__isnull=True) | Q(valid_to__gte=period.end),
            )
            found = list(at_end)
            if not found:
                found = list(
                    candidates.filter(
                        Q(valid_from__isnull=True) | Q(valid_from__lte=period.end),
                        Q(valid_to__isnull=True) | Q(valid_to__gte=period.start),
                    )
                )
            ended = candidates.filter(valid_to__lt=period.start).order_by("-valid_to").first()
            if not found and ended is not None:
                found = successors_on(ended, period.end)
            self._units[key] = found
        return self._units[key]

    def observation(
        self, code: str, unit_code: str, period: Period, disaggregation: str
    ) -> Observation | None:
        units = self.units(unit_code, period)
        indicator = self.indicator_row(code)
        if not units or indicator is None:
            return None
        row = (
            DataValue.objects.filter(
                indicator=indicator,
                unit__in=units,
                period=period.code,
                disaggregation=disaggregation,
            )
            .select_related("unit", "approved_by", "batch")
            .order_by("-period_end", "-id")
            .first()
        )
        if row is None:
            return None
        return Observation(
            code=code,
            unit_code=unit_code,
            period=period.code,
            value=row.value,
            data_value_id=row.pk,
            version=row.version,
            meta=provenance(row, indicator),
        )

    def unit_name(self, unit_code: str, period: Period) -> str:
        units = self.units(unit_code, period)
        if not units:
            return f"đơn vị hành chính mã {unit_code}"
        name = units[0].name
        # The name is used mid-sentence: "tỉnh Vĩnh Phúc", not "Tỉnh Vĩnh Phúc".
        return name[:1].lower() + name[1:]


def provenance(row: DataValue, indicator: Indicator) -> dict[str, object]:
    """Collect the appendix columns of one stored value."""
    return {
        "indicator_name": indicator.name,
        "unit_of_measure": indicator.unit_of_measure,
        "unit_name": row.unit.name,
        "status": row.status,
        "source_kind": row.source_kind,
        "source_kind_label": str(row.get_source_kind_display()),
        "source_detail": row.source_detail,
        "batch_id": row.batch_id,
        "approved_by": row.approved_by.get_username() if row.approved_by else "",
        "approved_at": row.approved_at.isoformat() if row.approved_at else "",
        "comment": row.comment,
    }
