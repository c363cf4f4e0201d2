"""Reporting periods: calendar periods and the reporting periods of Vietnamese administrations.

No Django here. Period codes follow DHIS2 where DHIS2 has the period type:

==================  ===============  =======================================
type                code             dates
==================  ===============  =======================================
day                 20250105         that day
week (ISO 8601)     2025W5           Monday to Sunday of ISO week 5
month               202501           1–31 January
quarter             2025Q1           1 January – 31 March
half-year           2025S1, 2025S2   January–June, July–December
nine months         2025N9           1 January – 30 September
year                2025             the calendar year
report month        2025R07          15 June – 14 July 2025
report half-year    2025RS1          15 December 2024 – 14 June 2025
report nine months  2025RN9          15 December 2024 – 14 September 2025
report year         2025RY           15 December 2024 – 14 December 2025
==================  ===============  =======================================

Vietnamese administrations close their monthly reports on a cut-off day: the reporting month
runs from the cut-off day of the previous month to the day before the cut-off day. The cut-off
day is 15 unless a report regime sets another; a code with another cut-off day carries it after
``@`` ("2025R07@20" runs from 20 June to 19 July).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_CUTOFF_DAY = 15


class PeriodType(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    NINE_MONTHS = "nine_months"
    YEAR = "year"
    REPORT_MONTH = "report_month"
    REPORT_HALF_YEAR = "report_half_year"
    REPORT_NINE_MONTHS = "report_nine_months"
    REPORT_YEAR = "report_year"


REPORTING_TYPES = frozenset(
    {
        PeriodType.REPORT_MONTH,
        PeriodType.REPORT_HALF_YEAR,
        PeriodType.REPORT_NINE_MONTHS,
        PeriodType.REPORT_YEAR,
    }
)


class InvalidPeriodError(ValueError):
    """A period code or date that names no period; the message lists the accepted forms."""


@dataclass(frozen=True, order=True)
class Period:
    """A period with both ends inclusive."""

    start: dt.date
    end: dt.date
    type: PeriodType
    code: str
    cutoff_day: int = DEFAULT_CUTOFF_DAY

    def __str__(self) -> str:
        return self.code

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_fraction(self, day: dt.date) -> float:
        """Share of the period elapsed at the end of ``day``: 0 before it starts, 1 after it ends."""
        if day < self.start:
            return 0.0
        if day >= self.end:
            return 1.0
        return ((day - self.start).days + 1) / self.days


_PATTERNS: list[tuple[re.Pattern[str], PeriodType]] = [
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), PeriodType.DAY),
    (re.compile(r"^(\d{4})W(\d{1,2})$"), PeriodType.WEEK),
    (re.compile(r"^(\d{4})(\d{2})$"), PeriodType.MONTH),
    (re.compile(r"^(\d{4})Q([1-4])$"), PeriodType.QUARTER),
    (re.compile(r"^(\d{4})S([12])$"), PeriodType.HALF_YEAR),
    (re.compile(r"^(\d{4})N9$"), PeriodType.NINE_MONTHS),
    (re.compile(r"^(\d{4})$"), PeriodType.YEAR),
    (re.compile(r"^(\d{4})R(\d{2})(?:@(\d{1,2}))?$"), PeriodType.REPORT_MONTH),
    (re.compile(r"^(\d{4})RS([12])(?:@(\d{1,2}))?$"), PeriodType.REPORT_HALF_YEAR),
    (re.compile(r"^(\d{4})RN9(?:@(\d{1,2}))?$"), PeriodType.REPORT_NINE_MONTHS),
    (re.compile(r"^(\d{4})RY(?:@(\d{1,2}))?$"), PeriodType.REPORT_YEAR),
]

ACCEPTED_FORMS = (
    "20250105 (day), 2025W5 (ISO week), 202501 (month), 2025Q1, 2025S1, 2025N9, 2025 (year), "
    "2025R07 (reporting month), 2025RS1, 2025RN9, 2025RY (reporting half-year, nine months, year)"
)


def parse(code: str) -> Period:
    """Return the period named by ``code``; raise InvalidPeriodError for anything else."""
    text = code.strip().upper()
    for pattern, period_type in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        try:
            return _from_match(period_type, match.groups())
        except ValueError as error:
            raise InvalidPeriodError(f"{code!r} is not a valid period: {error}") from None
    raise InvalidPeriodError(f"{code!r} is not a period code; accepted forms: {ACCEPTED_FORMS}")


def _from_match(period_type: PeriodType, groups: tuple[str | None, ...]) -> Period:
    year = int(groups[0] or "0")
    if period_type is PeriodType.DAY:
        return day(dt.date(year, int(groups[1] or "0"), int(groups[2] or "0")))
    if period_type is PeriodType.WEEK:
        return week(year, int(groups[1] or "0"))
    if period_type is PeriodType.MONTH:
        return month(year, int(groups[1] or "0"))
    if period_type is PeriodType.QUARTER:
        return quarter(year, int(groups[1] or "0"))
    if period_type is PeriodType.HALF_YEAR:
        return half_year(year, int(groups[1] or "0"))
    if period_type is PeriodType.NINE_MONTHS:
        return nine_months(year)
    if period_type is PeriodType.YEAR:
        return year_period(year)

    cutoff = int(groups[-1]) if groups[-1] else DEFAULT_CUTOFF_DAY
    if period_type is PeriodType.REPORT_MONTH:
        return report_month(year, int(groups[1] or "0"), cutoff)
    if period_type is PeriodType.REPORT_HALF_YEAR:
        return report_half_year(year, int(groups[1] or "0"), cutoff)
    if period_type is PeriodType.REPORT_NINE_MONTHS:
        return report_nine_months(year, cutoff)
    return report_year(year, cutoff)


# --- Calendar periods ------------------------------------------------------------------------


def day(date: dt.date) -> Period:
    return Period(date, date, PeriodType.DAY, date.strftime("%Y%m%d"))


def week(iso_year: int, number: int) -> Period:
    start = dt.date.fromisocalendar(iso_year, number, 1)
    return Period(start, start + dt.timedelta(days=6), PeriodType.WEEK, f"{iso_year}W{number}")


def month(year: int, number: int) -> Period:
    if not 1 <= number <= 12:
        raise ValueError(f"month {number} is not between 1 and 12")
    last = calendar.monthrange(year, number)[1]
    return Period(
        dt.date(year, number, 1),
        dt.date(year, number, last),
        PeriodType.MONTH,
        f"{year}{number:02d}",
    )


def quarter(year: int, number: int) -> Period:
    first_month = 3 * (number - 1) + 1
    end = month(year, first_month + 2).end
    return Period(dt.date(year, first_month, 1), end, PeriodType.QUARTER, f"{year}Q{number}")


def half_year(year: int, number: int) -> Period:
    if number == 1:
        return Period(dt.date(year, 1, 1), dt.date(year, 6, 30), PeriodType.HALF_YEAR, f"{year}S1")
    return Period(dt.date(year, 7, 1), dt.date(year, 12, 31), PeriodType.HALF_YEAR, f"{year}S2")


def nine_months(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 9, 30), PeriodType.NINE_MONTHS, f"{year}N9")


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodType.YEAR, str(year))


# --- Reporting periods of Vietnamese administrations -------------------------------------------


def _check_cutoff(cutoff: int) -> None:
    # Day 29-31 does not exist in every month, so a cut-off there would make periods overlap.
    if not 2 <= cutoff <= 28:
        raise ValueError(f"cut-off day {cutoff} is not between 2 and 28")


def _suffix(cutoff: int) -> str:
    return "" if cutoff == DEFAULT_CUTOFF_DAY else f"@{cutoff}"


def _cutoff_date(year: int, month_number: int, cutoff: int) -> dt.date:
    """Return the cut-off day of a month, counting month 0 as December of the previous year."""
    if month_number == 0:
        return dt.date(year - 1, 12, cutoff)
    return dt.date(year, month_number, cutoff)


def report_month(year: int, number: int, cutoff: int = DEFAULT_CUTOFF_DAY) -> Period:
    """Reporting month ``number``: from the cut-off day of the month before to the day before its own."""
    _check_cutoff(cutoff)
    if not 1 <= number <= 12:
        raise ValueError(f"month {number} is not between 1 and 12")
    start = _cutoff_date(year, number - 1, cutoff)
    end = dt.date(year, number, cutoff) - dt.timedelta(days=1)
    return Period(
        start, end, PeriodType.REPORT_MONTH, f"{year}R{number:02d}{_suffix(cutoff)}", cutoff
    )


def report_half_year(year: int, number: int, cutoff: int = DEFAULT_CUTOFF_DAY) -> Period:
    _check_cutoff(cutoff)
    if number == 1:
        start, end_month = _cutoff_date(year, 0, cutoff), 6
    else:
        start, end_month = dt.date(year, 6, cutoff), 12
    end = dt.date(year, end_month, cutoff) - dt.timedelta(days=1)
    return Period(
        start, end, PeriodType.REPORT_HALF_YEAR, f"{year}RS{number}{_suffix(cutoff)}", cutoff
    )


def report_nine_months(year: int, cutoff: int = DEFAULT_CUTOFF_DAY) -> Period:
    _check_cutoff(cutoff)
    end = dt.date(year, 9, cutoff) - dt.timedelta(days=1)
    return Period(
        _cutoff_date(year, 0, cutoff),
        end,
        PeriodType.REPORT_NINE_MONTHS,
        f"{year}RN9{_suffix(cutoff)}",
        cutoff,
    )


def report_year(year: int, cutoff: int = DEFAULT_CUTOFF_DAY) -> Period:
    _check_cutoff(cutoff)
    end = dt.date(year, 12, cutoff) - dt.timedelta(days=1)
    return Period(
        _cutoff_date(year, 0, cutoff),
        end,
        PeriodType.REPORT_YEAR,
        f"{year}RY{_suffix(cutoff)}",
        cutoff,
    )


# --- Navigation ------------------------------------------------------------------------------


def containing(
    period_type: PeriodType | str, date: dt.date, cutoff: int = DEFAULT_CUTOFF_DAY
) -> Period:
    """Return the period of ``period_type`` that contains ``date``."""
    period_type = PeriodType(period_type)
    if period_type is PeriodType.DAY:
        return day(date)
    if period_type is PeriodType.WEEK:
        iso_year, number, _weekday = date.isocalendar()
        return week(iso_year, number)
    if period_type is PeriodType.MONTH:
        return month(date.year, date.month)
    if period_type is PeriodType.QUARTER:
        return quarter(date.year, (date.month - 1) // 3 + 1)
    if period_type is PeriodType.HALF_YEAR:
        return half_year(date.year, 1 if date.month <= 6 else 2)
    if period_type is PeriodType.NINE_MONTHS:
        period = nine_months(date.year)
        if not period.contains(date):
            raise InvalidPeriodError(
                f"{date.isoformat()} is not in the first nine months of a year"
            )
        return period
    if period_type is PeriodType.YEAR:
        return year_period(date.year)

    # Reporting periods start on the cut-off day, so dates from it belong to the next month.
    report_month_number = date.month + 1 if date.day >= cutoff else date.month
    report_year_number = date.year + 1 if report_month_number == 13 else date.year
    report_month_number = 1 if report_month_number == 13 else report_month_number
    if period_type is PeriodType.REPORT_MONTH:
        return report_month(report_year_number, report_month_number, cutoff)
    if period_type is PeriodType.REPORT_HALF_YEAR:
        return report_half_year(report_year_number, 1 if report_month_number <= 6 else 2, cutoff)
    if period_type is PeriodType.REPORT_NINE_MONTHS:
        period = report_nine_months(report_year_number, cutoff)
        if not period.contains(date):
            raise InvalidPeriodError(f"{date.isoformat()} is in no reporting nine-month period")
        return period
    return report_year(report_year_number, cutoff)


def same_period_last_year(period: Period) -> Period:
    """Return the period one year earlier, for growth "so với cùng kỳ năm trước"."""
    if period.type is PeriodType.DAY:
        start = period.start
        # 29 February compares with 28 February of the year before.
        previous_day = 28 if (start.month, start.day) == (2, 29) else start.day
        return day(dt.date(start.year - 1, start.month, previous_day))
    if period.type is PeriodType.WEEK:
        iso_year = int(period.code[:4]) - 1
        weeks_in_year = dt.date(iso_year, 12, 28).isocalendar()[1]
        return week(iso_year, min(int(period.code.split("W")[1]), weeks_in_year))
    return parse(f"{int(period.code[:4]) - 1}{period.code[4:]}")


def previous(period: Period) -> Period:
    """Return the period just before ``period``, of the same type and cut-off day.

    Nine-month periods do not tile the year, so the one before is last year's.
    """
    if period.type in {PeriodType.NINE_MONTHS, PeriodType.REPORT_NINE_MONTHS}:
        return same_period_last_year(period)
    return containing(period.type, period.start - dt.timedelta(days=1), period.cutoff_day)
