"""Seasonal expectation, robust spread and anomaly score on hand-made series."""

from __future__ import annotations

import math

import pytest

from tinhso.ioc.alerts import seasonal
from tinhso.ioc.alerts.seasonal import Direction, Status, assess, index_of

MONTHS = 12

# Residuals that repeat every year, so that the spread is known: -2, -1, 0, 1, 2 % of the level.
WOBBLE = [-0.02, -0.01, 0.0, 0.01, 0.02, 0.0, -0.01, 0.01, 0.0, -0.02, 0.02, 0.0]


def monthly(years: range, *, growth: float = 0.0, wobble: bool = True) -> dict[int, float]:
    """A monthly series with level 100 in the first year growing by ``growth`` a year,
    December 50 % above the other months, and a small repeating wobble."""
    series = {}
    for number, year in enumerate(years):
        level = 100 * (1 + growth) ** number
        for month in range(1, 13):
            season = 1.5 if month == 12 else 1.0
            noise = 1 + (WOBBLE[(month + number) % 12] if wobble else 0.0)
            series[index_of(year, month, MONTHS)] = level * season * noise
    return series


def test_index_of_months_and_quarters() -> None:
    assert index_of(2025, 1, 12) == 2025 * 12
    assert index_of(2025, 12, 12) == 2025 * 12 + 11
    assert index_of(2025, 3, 4) == 2025 * 4 + 2
    assert index_of(2025, 1, 1) == 2025


def test_exact_season_gives_exact_expectation() -> None:
    series = monthly(range(2019, 2025), wobble=False)
    target = index_of(2024, 12, MONTHS)

    result = assess(series, target, seasons=MONTHS)

    assert result.expected == pytest.approx(150.0)
    assert result.relative


def test_growth_is_followed_by_the_level_adjustment() -> None:
    # With 10 % growth a year, the plain median of earlier Decembers would lag far behind.
    series = monthly(range(2019, 2025), growth=0.10, wobble=False)
    target = index_of(2024, 12, MONTHS)

    result = assess(series, target, seasons=MONTHS)

    assert result.expected == pytest.approx(series[target], rel=0.01)
    assert result.status is Status.NORMAL


def test_ordinary_december_is_normal() -> None:
    series = monthly(range(2019, 2025))
    target = index_of(2024, 12, MONTHS)

    result = assess(series, target, seasons=MONTHS)

    assert result.status is Status.NORMAL
    assert abs(result.score or 0) < 3.5


def test_spike_is_an_anomaly() -> None:
    series = monthly(range(2019, 2025))
    target = index_of(2024, 7, MONTHS)
    series[target] = 160.0  # July is normally about 100

    result = assess(series, target, seasons=MONTHS)

    assert result.status is Status.ANOMALY
    assert result.expected == pytest.approx(100.0, rel=0.03)
    assert (result.score or 0) > 10


def test_flat_december_is_an_anomaly() -> None:
    series = monthly(range(2019, 2025))
    target = index_of(2024, 12, MONTHS)
    series[target] = 100.0  # December without its usual 50 % peak

    result = assess(series, target, seasons=MONTHS)

    assert result.status is Status.ANOMALY
    assert (result.score or 0) < -10


def test_drop_with_direction_above_only_is_normal() -> None:
    series = monthly(range(2019, 2025))
    target = index_of(2024, 7, MONTHS)
    series[target] = 40.0

    above = assess(series, target, seasons=MONTHS, direction=Direction.ABOVE)
    below = assess(series, target, seasons=MONTHS, direction=Direction.BELOW)

    assert above.status is Status.NORMAL
    assert below.status is Status.ANOMALY


def test_outlier_in_history_does_not_move_expectation() -> None:
    series = monthly(range(2019, 2025), wobble=False)
    series[index_of(2022, 7, MONTHS)] = 1000.0  # one broken July
    target = index_of(2024, 7, MONTHS)

    result = assess(series, target, seasons=MONTHS)

    assert result.expected == pytest.approx(100.0, rel=0.01)


def test_two_years_of_history_is_insufficient() -> None:
    series = monthly(range(2022, 2025))
    target = index_of(2024, 7, MONTHS)
    series[target] = 500.0

    result = assess(series, target, seasons=MONTHS, min_years=3)

    assert result.status is Status.INSUFFICIENT
    assert (result.history, result.required) == (2, 3)
    assert result.score is None


def test_missing_same_month_counts_as_missing_history() -> None:
    series = monthly(range(2019, 2025))
    for year in (2020, 2021, 2022):
        del series[index_of(year, 7, MONTHS)]
    target = index_of(2024, 7, MONTHS)

    result = assess(series, target, seasons=MONTHS, min_years=3)

    assert result.status is Status.INSUFFICIENT
    assert result.history == 2


def test_later_values_are_ignored() -> None:
    series = monthly(range(2019, 2025))
    target = index_of(2023, 7, MONTHS)
    before = assess(series, target, seasons=MONTHS)
    series[index_of(2024, 7, MONTHS)] = 10_000.0

    after = assess(series, target, seasons=MONTHS)

    assert after == before


def test_quarterly_series() -> None:
    series = {}
    for year in range(2018, 2025):
        for quarter, factor in enumerate([0.8, 1.0, 1.0, 1.4], start=1):
            wobble = 1 + 0.01 * ((year + quarter) % 3 - 1)
            series[index_of(year, quarter, 4)] = 200 * factor * wobble
    target = index_of(2024, 4, 4)
    normal = assess(series, target, seasons=4)
    series[target] = 200.0  # Q4 without its peak

    flat = assess(series, target, seasons=4)

    assert normal.status is Status.NORMAL
    assert flat.status is Status.ANOMALY


def test_additive_when_values_are_not_positive() -> None:
    # A balance that is negative in January: candidates use differences, not ratios.
    series = {}
    for year in range(2019, 2025):
        for month in range(1, 13):
            wobble = 0.5 * ((year + month) % 3 - 1)
            series[index_of(year, month, MONTHS)] = (-10.0 if month == 1 else 5.0) + wobble
    target = index_of(2024, 1, MONTHS)

    result = assess(series, target, seasons=MONTHS)

    assert not result.relative
    assert result.expected == pytest.approx(-10.0, abs=1.0)
    assert result.status is Status.NORMAL


def test_annual_trend_expectation() -> None:
    series = {
        year: 100.0 + 5 * (year - 2015) + (1 if year % 2 else -1) for year in range(2015, 2025)
    }
    series[2025] = 150.0

    result = assess(series, 2025, seasons=1)

    assert result.expected == pytest.approx(150.0, abs=1.5)
    assert result.status is Status.NORMAL


def test_annual_jump_is_an_anomaly() -> None:
    series = {
        year: 100.0 + 5 * (year - 2015) + (1 if year % 2 else -1) for year in range(2015, 2025)
    }
    series[2025] = 200.0

    result = assess(series, 2025, seasons=1)

    assert result.status is Status.ANOMALY


def test_annual_needs_four_points() -> None:
    series = {2022: 1.0, 2023: 2.0, 2024: 3.0, 2025: 100.0}

    result = assess(series, 2025, seasons=1, min_years=3)

    assert result.status is Status.INSUFFICIENT
    assert (result.history, result.required) == (3, seasonal.MIN_TREND_POINTS)


def test_theil_sen_recovers_line() -> None:
    points = [(float(x), 3.0 * x + 2.0) for x in range(6)]
    points[2] = (2.0, 100.0)  # one outlier

    slope, intercept = seasonal.theil_sen(points)

    assert slope == pytest.approx(3.0)
    assert intercept == pytest.approx(2.0)


def test_robust_spread_is_scaled_mad() -> None:
    assert seasonal.robust_spread([1.0, 2.0, 3.0, 4.0, 100.0]) == pytest.approx(1.4826)


def test_robust_spread_falls_back_to_mean_deviation() -> None:
    # MAD is 0 because most residuals are equal; the mean absolute deviation is 6/5.
    spread = seasonal.robust_spread([0.0, 0.0, 0.0, 1.0, 5.0])

    assert spread == pytest.approx(1.2533 * 1.2)


def test_constant_history_scores_any_change_as_infinite() -> None:
    series = monthly(range(2019, 2025), wobble=False)
    target = index_of(2024, 7, MONTHS)
    series[target] = 101.0

    result = assess(series, target, seasons=MONTHS)

    assert result.score is not None
    assert math.isinf(result.score)
    assert result.status is Status.ANOMALY
    assert "no_spread" in result.notes


def test_target_must_be_in_series() -> None:
    with pytest.raises(KeyError):
        assess({1: 1.0}, 2, seasons=1)
