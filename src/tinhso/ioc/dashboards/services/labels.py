"""Labels of periods and numbers as Vietnamese officials write them (dd/mm/yyyy, 1.234,5)."""

from __future__ import annotations

import functools
import logging

from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tinhso.ioc import periods
from tinhso.ioc.periods import PeriodType

logger = logging.getLogger(__name__)


def period_label(code: str) -> str:
    """Return a short label of a period code: "2024", "01/2024", "Quý 1/2024"."""
    return _period_label(code, get_language() or "")


@functools.lru_cache(maxsize=4096)
def _period_label(code: str, language: str) -> str:
    try:
        period = periods.parse(code)
    except periods.InvalidPeriodError:
        return code
    year = period.start.year if period.type is not PeriodType.REPORT_YEAR else period.end.year
    if period.type is PeriodType.YEAR:
        return str(period.start.year)
    if period.type is PeriodType.MONTH:
        return f"{period.start.month:02d}/{period.start.year}"
    if period.type is PeriodType.QUARTER:
        return _("Q%(number)s/%(year)s") % {"number": code[-1], "year": year}
    if period.type is PeriodType.HALF_YEAR and code.endswith("1"):
        return _("first half of %(year)s") % {"year": year}
    if period.type is PeriodType.HALF_YEAR:
        return _("second half of %(year)s") % {"year": year}
    if period.type is PeriodType.DAY:
        return period.start.strftime("%d/%m/%Y")
    return code


def format_number(value: float | None, decimals: int = 1) -> str:
    """Format ``value`` with the active language's separators (1.234,5), or an em dash when missing.

    Python's own grouping with the separators swapped in gives what Django's
    ``number_format`` gives for these formats, several times faster.
    """
    if value is None:
        return "—"
    decimal_separator, thousand_separator = _separators(get_language() or "")
    text = f"{value:,.{max(decimals, 0)}f}"
    return (
        text.replace(",", "\x00")
        .replace(".", decimal_separator)
        .replace("\x00", thousand_separator)
    )


@functools.lru_cache(maxsize=16)
def _separators(language: str) -> tuple[str, str]:
    return str(get_format("DECIMAL_SEPARATOR")), str(get_format("THOUSAND_SEPARATOR"))
