"""Evaluating alert rules against stored values and events, and opening or updating alerts.

Three entry points: :func:`evaluate_cells` after a batch of values is committed,
:func:`evaluate_events` after a batch of events is committed, and :func:`check_rules` for
``tinhso ioc alerts check`` and the "check now" button. Each reads what it needs in bulk
(one query per indicator or per rule and unit) and writes only the alerts that change.

Re-evaluating never duplicates an alert. An open alert of the same rule, unit and period
is updated when its value changed and left alone otherwise. After an alert was resolved or
closed, a value rule opens a new alert only when the stored value differs from the one that
alert reported, and an event rule only for events later than the ones it covered.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.access import units_under
from tinhso.ioc import periods
from tinhso.ioc.alerts import seasonal
from tinhso.ioc.alerts.messages import number, stored_message
from tinhso.ioc.alerts.models import (
    MAX_STORED_SCORE,
    OPEN_STATUSES,
    ActivityAction,
    Alert,
    AlertActivity,
    AlertRule,
    Comparison,
    RuleKind,
)
from tinhso.ioc.models import DataValue, Event

logger = logging.getLogger(__name__)

Cell = tuple[int, int, str]  # indicator id, unit id, period code
Row = tuple[int, str, float]  # unit id, period code, value

# Periods per year of the period types an anomaly rule can score.
SEASONS_PER_YEAR = {
    periods.PeriodType.MONTH: 12,
    periods.PeriodType.REPORT_MONTH: 12,
    periods.PeriodType.QUARTER: 4,
    periods.PeriodType.HALF_YEAR: 2,
    periods.PeriodType.REPORT_HALF_YEAR: 2,
    periods.PeriodType.YEAR: 1,
    periods.PeriodType.REPORT_YEAR: 1,
    periods.PeriodType.NINE_MONTHS: 1,
    periods.PeriodType.REPORT_NINE_MONTHS: 1,
}

DEFAULT_EVENT_LOOKBACK = dt.timedelta(hours=24)


@dataclass
class Firing:
    """A rule that fires for a unit and a period, before it becomes or updates an alert."""

    rule: AlertRule
    unit_id: int | None
    period: str
    value: float | None
    threshold: float | None = None
    expected: float | None = None
    score: float | None = None
    # Event rules: times at which the window count reached the rule's number, and the counts.
    triggers: list[tuple[dt.datetime, int]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return Alert.make_dedup_key(self.rule.pk, self.unit_id, self.period)


@dataclass
class CheckResult:
    """Alerts opened and updated by one evaluation, and each rule's status counts."""

    created: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    statuses: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, other: CheckResult) -> None:
        self.created.extend(other.created)
        self.updated.extend(other.updated)
        self.statuses.update(other.statuses)


def breaks_threshold(comparison: str, value: float, threshold: float) -> bool:
    if comparison == Comparison.GT:
        return value > threshold
    if comparison == Comparison.GTE:
        return value >= threshold
    if comparison == Comparison.LT:
        return value < threshold
    if comparison == Comparison.LTE:
        return value <= threshold
    raise ValueError(f"unknown comparison {comparison!r}")


def series_position(code: str) -> tuple[int, int] | None:
    """Return ``(seasons per year, series index)`` of a period code, or None if not scorable."""
    try:
        period = periods.parse(code)
    except periods.InvalidPeriodError:
        return None
    seasons = SEASONS_PER_YEAR.get(period.type)
    if seasons is None:
        return None
    year = int(code[:4])
    if seasons == 1:
        return 1, year
    if period.type in {periods.PeriodType.MONTH, periods.PeriodType.QUARTER}:
        season = period.start.month if seasons == 12 else (period.start.month - 1) // 3 + 1
    elif period.type is periods.PeriodType.HALF_YEAR:
        season = 1 if period.start.month <= 6 else 2
    else:
        # Reporting periods start in the previous month; their number is in the code.
        # NOTE: a code with another cut-off day ("2025R07@20") lands on the same index as
        # "2025R07", so a series that mixes cut-off days is scored as one series.
        season = int(code[5:7]) if seasons == 12 else int(code[6])
    return seasons, seasonal.index_of(year, season, seasons)


# --- Values ----------------------------------------------------------------------------------


def evaluate_cells(cells: Collection[Cell]) -> CheckResult:
    """Evaluate the value rules of the indicators in ``cells`` on those cells' stored totals."""
    indicator_ids = {cell[0] for cell in cells}
    rules = list(
        AlertRule.objects.filter(
            active=True,
            kind__in=[RuleKind.THRESHOLD, RuleKind.ANOMALY],
            indicator_id__in=indicator_ids,
        ).select_related("indicator")
    )
    if not rules:
        return CheckResult()
    watched = {rule.indicator_id for rule in rules}
    rows = _stored_totals(cell for cell in cells if cell[0] in watched)
    return _evaluate_value_rules(rules, rows)


def _stored_totals(cells: Iterable[Cell]) -> dict[int, list[Row]]:
    """Fetch the stored total values of ``cells``, grouped by indicator; one query per indicator."""
    by_indicator: dict[int, tuple[set[int], set[str], set[Cell]]] = {}
    for cell in cells:
        units, codes, requested = by_indicator.setdefault(cell[0], (set(), set(), set()))
        units.add(cell[1])
        codes.add(cell[2])
        requested.add(cell)
    found: dict[int, list[Row]] = defaultdict(list)
    for indicator_id, (units, codes, requested) in by_indicator.items():
        rows = DataValue.objects.filter(
            indicator_id=indicator_id,
            unit_id__in=units,
            period__in=codes,
            disaggregation="",
            value__isnull=False,
        ).values_list("unit_id", "period", "value")
        for unit_id, code, value in rows:
            if value is not None and (indicator_id, unit_id, code) in requested:
                found[indicator_id].append((unit_id, code, value))
    return found


def _evaluate_value_rules(rules: Sequence[AlertRule], rows: Mapping[int, list[Row]]) -> CheckResult:
    firings: list[Firing] = []
    cleared: list[tuple[AlertRule, Row]] = []
    statuses: dict[int, dict[str, Any]] = {}
    for rule in rules:
        cells = [row for row in rows.get(rule.indicator_id or 0, []) if _unit_matches(rule, row[0])]
        if rule.kind == RuleKind.THRESHOLD:
            rule_firings, rule_cleared = _threshold_firings(rule, cells)
            statuses[rule.pk] = {"checked": len(cells), "fired": len(rule_firings)}
        else:
            rule_firings, rule_cleared, statuses[rule.pk] = _anomaly_firings(rule, cells)
        if not cells:
            statuses[rule.pk]["no_data"] = True
        firings.extend(rule_firings)
        cleared.extend((rule, row) for row in rule_cleared)
    result = apply_firings(firings)
    result.updated.extend(note_cleared(cleared))
    result.statuses = statuses
    _save_statuses(statuses)
    return result


def _unit_matches(rule: AlertRule, unit_id: int) -> bool:
    return rule.unit_id is None or rule.unit_id == unit_id


def _threshold_firings(rule: AlertRule, cells: Sequence[Row]) -> tuple[list[Firing], list[Row]]:
    """Split ``cells`` into firings and the rows that keep within the threshold."""
    if rule.threshold is None or not rule.comparison:
        return [], []
    firings = []
    cleared = []
    for unit_id, code, value in cells:
        if breaks_threshold(rule.comparison, value, rule.threshold):
            firings.append(Firing(rule, unit_id, code, value, threshold=rule.threshold))
        else:
            cleared.append((unit_id, code, value))
    return firings, cleared


def _anomaly_firings(
    rule: AlertRule, cells: Sequence[Row]
) -> tuple[list[Firing], list[Row], dict[str, Any]]:
    """Score ``cells``; return the firings, the rows scored normal and the rule's status."""
    status: dict[str, Any] = {"checked": 0, "fired": 0, "insufficient": 0}
    cleared: list[Row] = []
    scorable = []
    for unit_id, code, value in cells:
        position = series_position(code)
        if position is None:
            status["unsupported"] = _period_type_name(code)
        else:
            scorable.append((unit_id, code, value, *position))
    if not scorable:
        return [], cleared, status

    series = _histories(rule, {cell[0] for cell in scorable})
    # NOTE: each assessment recomputes the residuals of its whole series, so scoring every
    # period of a series (check --all-periods) takes time quadratic in the series length.
    firings = []
    for unit_id, code, value, seasons, index in scorable:
        history = series.get((unit_id, seasons), {})
        history[index] = value
        assessment = seasonal.assess(
            history,
            index,
            seasons=seasons,
            threshold=rule.anomaly_score,
            min_years=rule.min_history_years,
            direction=seasonal.Direction(rule.direction),
        )
        status["checked"] += 1
        if assessment.status is seasonal.Status.INSUFFICIENT:
            _count_insufficient(status, assessment)
            continue
        if not assessment.is_anomaly:
            cleared.append((unit_id, code, value))
            continue
        status["fired"] += 1
        firing = Firing(rule, unit_id, code, value, expected=assessment.expected)
        firing.score = _finite(assessment.score)
        firings.append(firing)
    return firings, cleared, status


def _count_insufficient(status: dict[str, Any], assessment: seasonal.Assessment) -> None:
    if assessment.history >= assessment.required:
        # Enough years for the expectation, too few residuals for the spread.
        status["insufficient_spread"] = status.get("insufficient_spread", 0) + 1
        return
    status["insufficient"] += 1
    status["history"] = max(status.get("history", 0), assessment.history)
    status["required"] = assessment.required


def _finite(score: float | None) -> float | None:
    """Clamp a score to ±MAX_STORED_SCORE, because the database cannot store infinity."""
    if score is None:
        return None
    return max(min(score, MAX_STORED_SCORE), -MAX_STORED_SCORE)


def _period_type_name(code: str) -> str:
    try:
        return periods.parse(code).type.value
    except periods.InvalidPeriodError:
        return code


def _histories(rule: AlertRule, unit_ids: set[int]) -> dict[tuple[int, int], dict[int, float]]:
    """Load the stored totals of ``rule``'s indicator for ``unit_ids`` as series by unit and seasons."""
    rows = (
        _totals(rule)
        .filter(
            unit_id__in=unit_ids,
            period_type__in=[period_type.value for period_type in SEASONS_PER_YEAR],
        )
        .values_list("unit_id", "period", "value")
    )
    series: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for unit_id, code, value in rows:
        position = series_position(code)
        if position is not None and value is not None:
            seasons, index = position
            series[(unit_id, seasons)][index] = value
    return series


def _totals(rule: AlertRule) -> QuerySet[DataValue]:
    """Select the stored total values (no disaggregation) of ``rule``'s indicator."""
    return DataValue.objects.filter(
        indicator_id=rule.indicator_id or 0, disaggregation="", value__isnull=False
    )


def _save_statuses(statuses: dict[int, dict[str, Any]]) -> None:
    # A status is bookkeeping, not a change of the rule, so it bypasses the audit signals.
    now = timezone.now()
    for rule_id, status in statuses.items():
        AlertRule.objects.filter(pk=rule_id).update(last_checked_at=now, last_status=status)


# --- Events ----------------------------------------------------------------------------------


def evaluate_events(events: Sequence[Event]) -> CheckResult:
    """Evaluate the event rules of the event types in ``events`` with these events as triggers."""
    types = {event.event_type for event in events}
    rules = list(AlertRule.objects.filter(active=True, kind=RuleKind.EVENT, event_type__in=types))
    result = CheckResult()
    for rule in rules:
        result.add(_evaluate_event_rule(rule, events))
    _save_statuses(result.statuses)
    return result


def _evaluate_event_rule(rule: AlertRule, events: Iterable[Event]) -> CheckResult:
    allowed_units = units_under(rule.unit_id) if rule.unit_id else None
    triggers_by_unit: dict[int | None, list[dt.datetime]] = defaultdict(list)
    for event in events:
        if _event_matches(rule, event, allowed_units):
            triggers_by_unit[event.unit_id].append(event.occurred_at)

    firings: list[Firing] = []
    for unit_id, times in triggers_by_unit.items():
        firings.extend(_event_firings(rule, unit_id, sorted(times)))
    result = apply_firings(firings)
    checked = sum(len(times) for times in triggers_by_unit.values())
    result.statuses[rule.pk] = {"checked": checked, "fired": len(firings)}
    if not checked:
        result.statuses[rule.pk]["no_data"] = True
    return result


def _event_matches(rule: AlertRule, event: Event, allowed_units: set[int] | None) -> bool:
    if event.event_type != rule.event_type:
        return False
    if rule.event_severity and event.severity.casefold() != rule.event_severity.casefold():
        return False
    return allowed_units is None or event.unit_id in allowed_units


def _event_firings(
    rule: AlertRule, unit_id: int | None, times: Sequence[dt.datetime]
) -> list[Firing]:
    """Count matching stored events in the window ending at each of ``times``; one query."""
    window = dt.timedelta(minutes=rule.window_minutes)
    stored = Event.objects.filter(
        event_type=rule.event_type,
        occurred_at__gt=times[0] - window,
        occurred_at__lte=times[-1],
    )
    stored = stored.filter(unit_id=unit_id) if unit_id else stored.filter(unit__isnull=True)
    if rule.event_severity:
        stored = stored.filter(severity__iexact=rule.event_severity)
    moments = sorted(stored.values_list("occurred_at", flat=True))

    by_day: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for moment in times:
        count = bisect.bisect_right(moments, moment) - bisect.bisect_right(moments, moment - window)
        if count >= rule.event_count:
            day = timezone.localtime(moment).date()
            by_day[periods.day(day).code].append((moment, count))
    return [
        Firing(rule, unit_id, code, float(max(count for _t, count in triggers)), triggers=triggers)
        for code, triggers in by_day.items()
    ]


# --- Alerts ----------------------------------------------------------------------------------


def apply_firings(firings: Sequence[Firing]) -> CheckResult:
    """Open an alert for each new firing and update open alerts whose data changed.

    NOTE: only firings are applied, so an open alert stays open when a corrected value no
    longer breaks the rule; people resolve or close it.
    """
    result = CheckResult()
    if not firings:
        return result
    existing: dict[str, list[Alert]] = defaultdict(list)
    alerts = Alert.objects.filter(dedup_key__in={firing.key for firing in firings})
    for alert in alerts.order_by("created_at", "id"):
        existing[alert.dedup_key].append(alert)

    for firing in firings:
        previous = existing.get(firing.key, [])
        open_alert = next((a for a in previous if a.status in OPEN_STATUSES), None)
        if firing.rule.kind == RuleKind.EVENT:
            covered = max((a.last_event_at for a in previous if a.last_event_at), default=None)
            firing.triggers = [t for t in firing.triggers if covered is None or t[0] > covered]
            if not firing.triggers:
                continue
            firing.value = float(max(count for _t, count in firing.triggers))
        elif open_alert is None and previous and previous[-1].value == firing.value:
            continue  # the data has not changed since that alert was resolved or closed
        if open_alert is not None:
            if _update_alert(open_alert, firing):
                result.updated.append(open_alert)
            continue
        created = _create_alert(firing)
        if created is not None:
            result.created.append(created)
    return result


def note_cleared(cleared: Sequence[tuple[AlertRule, Row]]) -> list[Alert]:
    """Log on each open alert whose cell now keeps to its rule that its new value does.

    The alert keeps its status and the value that raised it. A value is noted once.
    """
    if not cleared:
        return []
    by_key = {Alert.make_dedup_key(rule.pk, row[0], row[1]): row[2] for rule, row in cleared}
    open_alerts = Alert.objects.filter(dedup_key__in=by_key, status__in=OPEN_STATUSES)
    noted = []
    for alert in open_alerts.select_related("indicator"):
        value = by_key[alert.dedup_key]
        last = alert.activities.filter(action=ActivityAction.UPDATED).order_by("-at", "-id").first()
        if value == alert.value or (last is not None and last.details.get("after") == value):
            continue
        decimals = alert.indicator.decimals if alert.indicator else 1
        with translation.override(settings.LANGUAGE_CODE):
            note = _("The value is now %(value)s and keeps to the rule.") % {
                "value": number(value, decimals)
            }
        record_activity(
            alert,
            ActivityAction.UPDATED,
            note=note,
            details={"before": alert.value, "after": value, "cleared": True},
        )
        noted.append(alert)
    return noted


def _create_alert(firing: Firing) -> Alert | None:
    rule = firing.rule
    indicator = rule.indicator if rule.indicator_id else None
    alert = Alert(
        rule=rule,
        kind=rule.kind,
        indicator=indicator,
        unit_id=firing.unit_id,
        period=firing.period,
        dedup_key=firing.key,
        value=firing.value,
        comparison=rule.comparison if rule.kind == RuleKind.THRESHOLD else "",
        threshold=firing.threshold,
        expected=firing.expected,
        score=firing.score,
        severity=rule.severity,
        department_id=rule.department_id or (indicator.department_id if indicator else None),
    )
    if firing.triggers:
        alert.event_count = len(firing.triggers)
        alert.first_event_at = firing.triggers[0][0]
        alert.last_event_at = firing.triggers[-1][0]
    alert.message = stored_message(alert)
    try:
        with transaction.atomic():
            alert.save()
            record_activity(alert, ActivityAction.CREATED, details={"value": firing.value})
    except IntegrityError:
        # Another process opened the same alert since the query above.
        logger.info("Alert %s is open already; not opened twice", firing.key)
        return None
    logger.info("Alert %s opened for rule %s: %s", alert.pk, rule.pk, alert.message)
    return alert


def _update_alert(alert: Alert, firing: Firing) -> bool:
    """Bring an open alert up to date with ``firing``; return False when nothing changed."""
    before = alert.value
    if firing.triggers:
        alert.event_count += len(firing.triggers)
        alert.last_event_at = firing.triggers[-1][0]
        alert.value = max(alert.value or 0, firing.value or 0)
    elif firing.value == alert.value:
        return False
    else:
        alert.value = firing.value
        alert.expected = firing.expected
        alert.score = firing.score
        alert.threshold = firing.threshold
    alert.message = stored_message(alert)
    with transaction.atomic():
        alert.save()
        record_activity(
            alert, ActivityAction.UPDATED, details={"before": before, "after": alert.value}
        )
    return True


def record_activity(
    alert: Alert,
    action: str,
    *,
    note: str = "",
    details: dict[str, Any] | None = None,
    user: Any = None,
) -> AlertActivity:
    """Log an action on ``alert`` by ``user``, or by the current audit actor when None."""
    context = audit.current()
    actor = user if user is not None else context.user
    name = actor.get_username() if actor is not None else context.actor_name
    return AlertActivity.objects.create(
        alert=alert,
        action=action,
        actor=actor,
        actor_name=name[:150],
        note=note,
        details=details or {},
    )


# --- Whole rules -----------------------------------------------------------------------------


def check_rules(
    rules: Iterable[AlertRule],
    *,
    all_periods: bool = False,
    event_lookback: dt.timedelta = DEFAULT_EVENT_LOOKBACK,
) -> CheckResult:
    """Evaluate the active ones of ``rules`` over the stored data.

    Value rules look at the latest period of each unit's series, or at every stored period
    with ``all_periods``. Event rules look at the events of the last ``event_lookback``.
    """
    result = CheckResult()
    for rule in rules:
        if not rule.active:
            continue
        if rule.watches_values:
            result.add(_check_value_rule(rule, all_periods))
        else:
            events = Event.objects.filter(
                event_type=rule.event_type, occurred_at__gte=timezone.now() - event_lookback
            ).only("event_type", "severity", "unit_id", "occurred_at")
            evaluated = _evaluate_event_rule(rule, list(events))
            _save_statuses(evaluated.statuses)
            result.add(evaluated)
    return result


def _check_value_rule(rule: AlertRule, all_periods: bool) -> CheckResult:
    rows = _totals(rule)
    if rule.unit_id:
        rows = rows.filter(unit_id=rule.unit_id)
    cells: list[Row] = []
    latest: dict[int, tuple[dt.date, str, float]] = {}
    for unit_id, start, code, value in rows.values_list(
        "unit_id", "period_start", "period", "value"
    ):
        if value is None:
            continue
        if all_periods:
            cells.append((unit_id, code, value))
        elif unit_id not in latest or start > latest[unit_id][0]:
            latest[unit_id] = (start, code, value)
    if not all_periods:
        cells = [(unit_id, code, value) for unit_id, (_s, code, value) in latest.items()]
    return _evaluate_value_rules([rule], {rule.indicator_id or 0: cells})
