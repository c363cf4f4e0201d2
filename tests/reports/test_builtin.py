"""The built-in ktxh regime: created by migrate (so by tinhso setup), kept when edited."""

from __future__ import annotations

import pytest

from tinhso.reports import builtin, outline
from tinhso.reports.models import ReportRegime

pytestmark = pytest.mark.django_db


def test_regime_exists_after_migrate(ktxh: ReportRegime) -> None:
    assert ktxh.is_builtin
    assert ktxh.unit_code == "26"
    assert ktxh.period_types == [
        "month", "report_month", "nine_months", "report_nine_months", "year", "report_year",
    ]  # fmt: skip
    for field in ("content", "reporting_body", "receiving_body", "sending_method", "deadline",
                  "frequency", "data_cutoff", "outline"):  # fmt: skip
        assert getattr(ktxh, field), field


def test_ensure_keeps_edited_regime(ktxh: ReportRegime) -> None:
    ktxh.outline = "# I. KINH TẾ"
    ktxh.save()
    builtin.ensure_builtin_regimes()
    assert ReportRegime.objects.filter(code="ktxh").count() == 1
    ktxh.refresh_from_db()
    assert ktxh.outline == "# I. KINH TẾ"


def test_ensure_recreates_deleted_regime(ktxh: ReportRegime) -> None:
    ktxh.delete()
    builtin.ensure_builtin_regimes()
    assert ReportRegime.objects.get(code="ktxh").outline == builtin.KTXH_OUTLINE


def test_builtin_outline_parses() -> None:
    blocks = outline.parse(builtin.KTXH_OUTLINE)
    codes = outline.indicator_codes(blocks)
    assert builtin.IIP in codes
    assert builtin.BUDGET_REVENUE in codes
    assert len(outline.queries(blocks)) > 90
