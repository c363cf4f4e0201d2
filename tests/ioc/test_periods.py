"""Calendar periods and the reporting periods of Vietnamese administrations."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.ioc import periods
from tinhso.ioc.periods import InvalidPeriodError, PeriodType

D = dt.date


@pytest.mark.parametrize(
    ("code", "period_type", "start", "end"),
    [
        ("20250105", PeriodType.DAY, D(2025, 1, 5), D(2025, 1, 5)),
        ("2025W1", PeriodType.WEEK, D(2024, 12, 30), D(2025, 1, 5)),
        ("2020W53", PeriodType.WEEK, D(2020, 12, 28), D(2021, 1, 3)),
        ("202402", PeriodType.MONTH, D(2024, 2, 1), D(2024, 2, 29)),
        ("2025Q3", PeriodType.QUARTER, D(2025, 7, 1), D(2025, 9, 30)),
        ("2025S2", PeriodType.HALF_YEAR, D(2025, 7, 1), D(2025, 12, 31)),
        ("2025N9", PeriodType.NINE_MONTHS, D(2025, 1, 1), D(2025, 9, 30)),
        ("2016", PeriodType.YEAR, D(2016, 1, 1), D(2016, 12, 31)),
        ("2025R07", PeriodType.REPORT_MONTH, D(2025, 6, 15), D(2025, 7, 14)),
        ("2025R01", PeriodType.REPORT_MONTH, D(2024, 12, 15), D(2025, 1, 14)),
        ("2025RS1", PeriodType.REPORT_HALF_YEAR, D(2024, 12, 15), D(2025, 6, 14)),
        ("2025RS2", PeriodType.REPORT_HALF_YEAR, D(2025, 6, 15), D(2025, 12, 14)),
        ("2025RN9", PeriodType.REPORT_NINE_MONTHS, D(2024, 12, 15), D(2025, 9, 14)),
        ("2025RY", PeriodType.REPORT_YEAR, D(2024, 12, 15), D(2025, 12, 14)),
        ("2025R07@20", PeriodType.REPORT_MONTH, D(2025, 6, 20), D(2025, 7, 19)),
        ("2025ry", PeriodType.REPORT_YEAR, D(2024, 12, 15), D(2025, 12, 14)),
    ],
)
def test_parse(code: str, period_type: PeriodType, start: dt.date, end: dt.date) -> None:
    period = periods.parse(code)
    assert period.type is period_type
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    "code", ["2025W1", "202501", "2025Q1", "2025R07", "2025RY", "2025R07@20", "20250105"]
)
def test_code_round_trip(code: str) -> None:
    assert periods.parse(code).code == code


@pytest.mark.parametrize(
    "code", ["2025M1", "202513", "2025Q5", "2025W54", "20250230", "", "2025R07@31", "abc"]
)
def test_invalid_codes(code: str) -> None:
    with pytest.raises(InvalidPeriodError):
        periods.parse(code)


def test_invalid_code_message_lists_accepted_forms() -> None:
    with pytest.raises(InvalidPeriodError, match="accepted forms: 20250105"):
        periods.parse("Q1-2025")


@pytest.mark.parametrize(
    ("period_type", "date", "code"),
    [
        (PeriodType.REPORT_MONTH, D(2025, 7, 14), "2025R07"),
        (PeriodType.REPORT_MONTH, D(2025, 7, 15), "2025R08"),
        (PeriodType.REPORT_MONTH, D(2025, 12, 20), "2026R01"),
        (PeriodType.REPORT_YEAR, D(2024, 12, 15), "2025RY"),
        (PeriodType.REPORT_YEAR, D(2024, 12, 14), "2024RY"),
        (PeriodType.REPORT_HALF_YEAR, D(2025, 6, 14), "2025RS1"),
        (PeriodType.REPORT_HALF_YEAR, D(2025, 6, 15), "2025RS2"),
        (PeriodType.REPORT_NINE_MONTHS, D(2025, 9, 14), "2025RN9"),
        (PeriodType.WEEK, D(2025, 1, 1), "2025W1"),
        (PeriodType.QUARTER, D(2025, 11, 30), "2025Q4"),
        (PeriodType.NINE_MONTHS, D(2025, 9, 30), "2025N9"),
    ],
)
def test_containing(period_type: PeriodType, date: dt.date, code: str) -> None:
    period = periods.containing(period_type, date)
    assert period.code == code
    assert period.contains(date)


def test_containing_with_another_cutoff_day() -> None:
    assert (
        periods.containing(PeriodType.REPORT_MONTH, D(2025, 7, 19), cutoff=20).code == "2025R07@20"
    )


def test_nine_months_outside_is_an_error() -> None:
    with pytest.raises(InvalidPeriodError):
        periods.containing(PeriodType.NINE_MONTHS, D(2025, 10, 1))


def test_reporting_months_tile_the_year() -> None:
    months = [periods.report_month(2025, number) for number in range(1, 13)]
    for before, after in zip(months, months[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    assert months[0].start == periods.report_year(2025).start
    assert months[-1].end == periods.report_year(2025).end


@pytest.mark.parametrize(
    ("code", "last_year"),
    [
        ("2016", "2015"),
        ("2016Q2", "2015Q2"),
        ("2025R07", "2024R07"),
        ("20240229", "20230228"),
        ("2020W53", "2019W52"),
        ("2025RN9", "2024RN9"),
    ],
)
def test_same_period_last_year(code: str, last_year: str) -> None:
    assert periods.same_period_last_year(periods.parse(code)).code == last_year


@pytest.mark.parametrize(
    ("code", "before"),
    [
        ("202501", "202412"),
        ("2025Q1", "2024Q4"),
        ("2025R01", "2024R12"),
        ("2025W1", "2024W52"),
        ("2025N9", "2024N9"),
    ],
)
def test_previous(code: str, before: str) -> None:
    assert periods.previous(periods.parse(code)).code == before


def test_elapsed_fraction() -> None:
    year = periods.parse("2025")
    assert year.elapsed_fraction(D(2024, 12, 31)) == 0.0
    assert year.elapsed_fraction(D(2025, 12, 31)) == 1.0
    assert year.elapsed_fraction(D(2025, 7, 2)) == pytest.approx(183 / 365)
