"""Late submissions of indicator values, and how late they are.

An indicator with a deadline is due for the last period that has closed: a monthly value by
day ``deadline_day`` of the next month, a daily value by ``deadline_time`` of the same
working day (Monday to Friday). Each unit of the indicator's reporting level in the province
must have submitted (status submitted or approved) by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from tinhso.core.models import Unit
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, Indicator, ValueStatus
from tinhso.ioc.periods import PeriodType


@dataclass(frozen=True)
class LateSubmission:
    indicator: Indicator
    unit: Unit
    period: periods.Period
    deadline: dt.datetime
    submitted_at: dt.datetime | None
    late_by: dt.timedelta


def due_period(indicator: Indicator, now: dt.datetime) -> tuple[periods.Period, dt.datetime] | None:
    """Return the most recent period of ``indicator`` whose deadline has passed, with that deadline."""
    local = timezone.localtime(now)
    period_type = PeriodType(indicator.periodicity)
    if period_type is PeriodType.DAY:
        deadline_time = indicator.deadline_time or dt.time(17, 0)
        day = local.date()
        while True:
            deadline = timezone.make_aware(dt.datetime.combine(day, deadline_time))
            if day.weekday() < 5 and deadline <= local:
                return periods.day(day), deadline
            day -= dt.timedelta(days=1)
    if indicator.deadline_day is None:
        return None
    current = periods.containing(period_type, local.date())
    candidate = periods.previous(current)
    for _attempt in range(3):
        after = candidate.end + dt.timedelta(days=1)
        deadline_day = min(indicator.deadline_day, 28)
        deadline = timezone.make_aware(
            dt.datetime.combine(
                dt.date(after.year, after.month, deadline_day),
                indicator.deadline_time or dt.time(23, 59),
            )
        )
        if after.day > deadline_day:
            deadline = timezone.make_aware(
                dt.datetime.combine(after, indicator.deadline_time or dt.time(23, 59))
            )
        if deadline <= local:
            return candidate, deadline
        candidate = periods.previous(candidate)
    return None


def late_submissions(province: Unit, now: dt.datetime | None = None) -> list[LateSubmission]:
    """List the units of ``province`` that did not submit an indicator's due value in time."""
    now = now or timezone.now()
    late: list[LateSubmission] = []
    for indicator in Indicator.objects.filter(
        Q(deadline_day__isnull=False)
        | Q(periodicity=PeriodType.DAY.value, deadline_time__isnull=False)
    ).select_related("department"):
        due = due_period(indicator, now)
        if due is None:
            continue
        period, deadline = due
        units = (
            [province]
            if indicator.reporting_level == province.level
            else list(
                Unit.objects.valid_on(period.end).filter(
                    parent=province, level=indicator.reporting_level
                )
            )
        )
        submitted = {
            row.unit_id: row
            for row in DataValue.objects.filter(
                indicator=indicator,
                period=period.code,
                unit__in=units,
                status__in=[ValueStatus.SUBMITTED, ValueStatus.APPROVED],
            )
        }
        for unit in units:
            row = submitted.get(unit.pk)
            if row is None:
                late.append(LateSubmission(indicator, unit, period, deadline, None, now - deadline))
            elif row.created_at > deadline:
                late.append(
                    LateSubmission(
                        indicator, unit, period, deadline, row.created_at, row.created_at - deadline
                    )
                )
    late.sort(key=lambda item: item.late_by, reverse=True)
    return late
