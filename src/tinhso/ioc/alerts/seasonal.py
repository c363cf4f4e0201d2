"""Anomaly scores of indicator values against their seasonal expectation. No Django here.

A series is a mapping from a period index to a value. For a series with ``seasons``
periods per year (12 for months, 4 for quarters, 2 for half-years) the index of season
``s`` (1-based) of ``year`` is ``year * seasons + s - 1``. Annual series use ``seasons=1``
and the index is the year.

Seasonal series (``seasons > 1``)
    The expectation of the value at index ``t`` comes from the same season in earlier
    years, adjusted by the recent level. The level before an index is the median of the
    ``seasons`` values just before it (one full year); at least half of them must exist.
    Let ``L_t`` be the level before ``t`` and ``L_y`` the level before the value ``v_y`` of
    the same season in an earlier year ``y``. The candidate of that year is
    ``v_y * L_t / L_y`` when every value involved is positive (a multiplicative season, as
    in revenue or output), and ``v_y + L_t - L_y`` otherwise. When the level before ``t``
    cannot be computed, the candidates are the unadjusted ``v_y``. The expectation is the
    median of the candidates of at most ``max_years`` earlier years.

Annual series (``seasons == 1``)
    The expectation is the recent trend: a Theil-Sen line (median of pairwise slopes,
    median intercept) through at most ``max_years`` earlier values, evaluated at ``t``.

Spread and score
    Residuals are the differences between values and their expectations: relative
    (``value / expected - 1``) in the multiplicative case, absolute otherwise. A seasonal
    series uses the residuals of every earlier period whose own expectation has at least
    one earlier year. An annual series uses the residuals of the trend line at its points.
    The spread is ``1.4826 * MAD`` of the residuals (MAD: median absolute deviation from
    their median). The score thus has the form of the modified z-score of Iglewicz and
    Hoaglin, ``0.6745 * (x - median) / MAD``, and their usual cut-off of 3.5 is the
    default threshold. When MAD is 0, the spread is ``1.2533 * mean absolute deviation``, the
    fallback that IBM's statistics software uses (https://stats.stackexchange.com/q/339932).
    A value is anomalous when ``|score|`` reaches the threshold.

Too little history
    Seasonal series need ``min_years`` earlier values of the same season and at least
    ``MIN_RESIDUALS`` residuals; annual series need ``max(min_years, MIN_TREND_POINTS)``
    earlier values. With less, :func:`assess` returns status ``insufficient`` with the
    counts, and no alert is raised.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

logger = logging.getLogger(__name__)

MAD_TO_SIGMA = 1.4826
MEAN_AD_TO_SIGMA = 1.2533
DEFAULT_THRESHOLD = 3.5
DEFAULT_MIN_YEARS = 3
DEFAULT_MAX_YEARS = 5
MIN_RESIDUALS = 4
MIN_TREND_POINTS = 4


class Status(StrEnum):
    NORMAL = "normal"
    ANOMALY = "anomaly"
    INSUFFICIENT = "insufficient"


class Direction(StrEnum):
    BOTH = "both"
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess` for one value.

    ``history`` counts the earlier values the expectation used and ``required`` the
    minimum; ``residuals`` counts the residuals behind the spread. ``expected``, ``spread``
    and ``score`` are None when the history is insufficient. ``score`` is infinite when the
    history has no spread at all and the value differs from the expectation.
    """

    status: Status
    value: float
    expected: float | None = None
    spread: float | None = None
    score: float | None = None
    relative: bool = False
    history: int = 0
    required: int = 0
    residuals: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_anomaly(self) -> bool:
        return self.status is Status.ANOMALY


def index_of(year: int, season: int, seasons: int) -> int:
    """Return the series index of ``season`` (1-based) of ``year``."""
    return year * seasons + season - 1


def assess(
    series: Mapping[int, float],
    target: int,
    *,
    seasons: int,
    threshold: float = DEFAULT_THRESHOLD,
    min_years: int = DEFAULT_MIN_YEARS,
    max_years: int = DEFAULT_MAX_YEARS,
    direction: Direction = Direction.BOTH,
) -> Assessment:
    """Score the value at index ``target`` of ``series`` against the values before it.

    Values after ``target`` are ignored, so a late correction of history cannot change the
    verdict on a period in a way the data of that time would not have supported.
    """
    if target not in series:
        raise KeyError(f"the series has no value at index {target}")
    if seasons < 1:
        raise ValueError(f"seasons must be at least 1, not {seasons}")
    history = {index: value for index, value in series.items() if index < target}
    value = series[target]
    if seasons == 1:
        return _assess_trend(history, target, value, threshold, min_years, max_years, direction)
    return _assess_seasonal(
        history, target, value, seasons, threshold, min_years, max_years, direction
    )


# --- Seasonal series -------------------------------------------------------------------------


def _level_before(series: Mapping[int, float], index: int, seasons: int) -> float | None:
    window = [series[i] for i in range(index - seasons, index) if i in series]
    if len(window) * 2 < seasons:
        return None
    return statistics.median(window)


@dataclass(frozen=True)
class _Expectation:
    expected: float
    years: int
    relative: bool


def _seasonal_expectation(
    series: Mapping[int, float], target: int, seasons: int, max_years: int
) -> _Expectation | None:
    """Return the level-adjusted median of the same season in up to ``max_years`` earlier years."""
    earlier = [
        target - seasons * years_back
        for years_back in range(1, max_years + 1)
        if target - seasons * years_back in series
    ]
    if not earlier:
        return None
    target_level = _level_before(series, target, seasons)
    if target_level is None:
        values = [series[index] for index in earlier]
        return _Expectation(statistics.median(values), len(values), _all_positive(values))

    pairs = []
    for index in earlier:
        level = _level_before(series, index, seasons)
        if level is not None:
            pairs.append((series[index], level))
    if not pairs:
        values = [series[index] for index in earlier]
        return _Expectation(statistics.median(values), len(values), _all_positive(values))
    relative = _all_positive([target_level, *[v for pair in pairs for v in pair]])
    if relative:
        candidates = [value * target_level / level for value, level in pairs]
    else:
        candidates = [value + target_level - level for value, level in pairs]
    return _Expectation(statistics.median(candidates), len(candidates), relative)


def _assess_seasonal(
    history: Mapping[int, float],
    target: int,
    value: float,
    seasons: int,
    threshold: float,
    min_years: int,
    max_years: int,
    direction: Direction,
) -> Assessment:
    expectation = _seasonal_expectation({**history, target: value}, target, seasons, max_years)
    years = expectation.years if expectation else 0
    if expectation is None or years < min_years:
        return Assessment(Status.INSUFFICIENT, value, history=years, required=min_years)

    residuals = []
    for index in sorted(history):
        own = _seasonal_expectation(history, index, seasons, max_years)
        if own is not None:
            residuals.append(_residual(history[index], own.expected, expectation.relative))
    if len(residuals) < MIN_RESIDUALS:
        return Assessment(
            Status.INSUFFICIENT,
            value,
            expected=expectation.expected,
            relative=expectation.relative,
            history=years,
            required=min_years,
            residuals=len(residuals),
        )
    return _score(
        value, expectation.expected, expectation.relative, residuals, years, min_years,
        threshold, direction,
    )  # fmt: skip


def _all_positive(values: Sequence[float]) -> bool:
    return all(v > 0 for v in values)


def _residual(value: float, expected: float, relative: bool) -> float:
    if relative and expected > 0:
        return value / expected - 1
    return value - expected


# --- Annual series ---------------------------------------------------------------------------


def theil_sen(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Return ``(slope, intercept)`` of the Theil-Sen line through ``points`` (x, y)."""
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    intercept = statistics.median([y - slope * x for x, y in points])
    return slope, intercept


def _assess_trend(
    history: Mapping[int, float],
    target: int,
    value: float,
    threshold: float,
    min_years: int,
    max_years: int,
    direction: Direction,
) -> Assessment:
    required = max(min_years, MIN_TREND_POINTS)
    recent = sorted(history)[-max(max_years, required) :]
    if len(recent) < required:
        return Assessment(Status.INSUFFICIENT, value, history=len(recent), required=required)
    points = [(float(index), history[index]) for index in recent]
    slope, intercept = theil_sen(points)
    expected = intercept + slope * target
    relative = _all_positive([y for _x, y in points]) and expected > 0
    residuals = [_residual(y, intercept + slope * x, relative) for x, y in points]
    return _score(value, expected, relative, residuals, len(recent), required, threshold, direction)


# --- Score -----------------------------------------------------------------------------------


def robust_spread(residuals: Sequence[float]) -> float:
    """Return ``1.4826 * MAD`` of ``residuals``, or ``1.2533 * mean absolute deviation`` if MAD is 0."""
    center = statistics.median(residuals)
    deviations = [abs(r - center) for r in residuals]
    mad = statistics.median(deviations)
    if mad > 0:
        return MAD_TO_SIGMA * mad
    return MEAN_AD_TO_SIGMA * statistics.fmean(deviations)


def _score(
    value: float,
    expected: float,
    relative: bool,
    residuals: Sequence[float],
    history: int,
    required: int,
    threshold: float,
    direction: Direction,
) -> Assessment:
    spread = robust_spread(residuals)
    deviation = _residual(value, expected, relative)
    if spread > 0:
        score = deviation / spread
    else:
        score = 0.0 if deviation == 0 else math.copysign(math.inf, deviation)
    notes = ("no_spread",) if spread == 0 else ()
    anomalous = (
        (direction is Direction.BOTH and abs(score) >= threshold)
        or (direction is Direction.ABOVE and score >= threshold)
        or (direction is Direction.BELOW and score <= -threshold)
    )
    return Assessment(
        Status.ANOMALY if anomalous else Status.NORMAL,
        value,
        expected=expected,
        spread=spread,
        score=score,
        relative=relative,
        history=history,
        required=required,
        residuals=len(residuals),
        notes=notes,
    )
