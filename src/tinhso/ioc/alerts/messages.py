"""Texts of alerts and rule statuses in the active language.

Each alert keeps a message rendered in the platform's language (Vietnamese) for exports and
the audit log. Pages render it again with :func:`alert_message` in the reader's language.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tinhso.ioc import periods
from tinhso.ioc.alerts.models import MAX_STORED_SCORE, Alert, AlertRule, Comparison, RuleKind

logger = logging.getLogger(__name__)

COMPARISON_SYMBOLS: dict[str, str] = {
    Comparison.GT: ">",
    Comparison.GTE: "≥",
    Comparison.LT: "<",
    Comparison.LTE: "≤",
}


def number(value: float | None, decimals: int = 1) -> str:
    """Format ``value`` as the reader's locale writes numbers (1.234,5 in Vietnamese)."""
    if value is None:
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return formats.number_format(round(value, decimals), decimal_pos=decimals, force_grouping=True)


def period_label(code: str) -> str:
    """Name a period as people write it: "tháng 01/2025", "quý 1/2025", "năm 2025"."""
    try:
        period = periods.parse(code)
    except periods.InvalidPeriodError:
        return code
    kind = period.type
    if kind is periods.PeriodType.DAY:
        return _("day %(date)s") % {"date": period.start.strftime("%d/%m/%Y")}
    if kind is periods.PeriodType.MONTH:
        return _("month %(month)02d/%(year)s") % {
            "month": period.start.month,
            "year": period.start.year,
        }
    if kind is periods.PeriodType.QUARTER:
        return _("quarter %(number)s/%(year)s") % {"number": code[-1], "year": code[:4]}
    if kind is periods.PeriodType.YEAR:
        return _("year %(year)s") % {"year": code}
    return _("period %(code)s") % {"code": code}


def alert_message(alert: Alert) -> str:
    """Describe ``alert``: indicator, unit, period, value and the threshold or expectation."""
    unit = alert.unit.name if alert.unit else _("no unit")
    if alert.kind == RuleKind.EVENT:
        return _event_message(alert, unit)
    indicator = alert.indicator
    decimals = indicator.decimals if indicator else 1
    params: dict[str, Any] = {
        "indicator": indicator.name if indicator else "?",
        "unit": unit,
        "period": period_label(alert.period),
        "value": number(alert.value, decimals),
        "measure": indicator.unit_of_measure if indicator else "",
    }
    if alert.kind == RuleKind.THRESHOLD:
        params["comparison"] = COMPARISON_SYMBOLS.get(alert.comparison, alert.comparison)
        params["threshold"] = number(alert.threshold, decimals)
        return (
            _(
                "%(indicator)s of %(unit)s in %(period)s is %(value)s %(measure)s, "
                "which breaks the threshold %(comparison)s %(threshold)s."
            )
            % params
        ).replace("  ", " ")
    params["expected"] = number(alert.expected, decimals)
    score = alert.score
    params["score"] = (
        "∞" if score is not None and abs(score) >= MAX_STORED_SCORE else number(score, 1)
    )
    return (
        _(
            "%(indicator)s of %(unit)s in %(period)s is %(value)s %(measure)s, far from "
            "its seasonal expectation of %(expected)s (score %(score)s)."
        )
        % params
    ).replace("  ", " ")


def _event_message(alert: Alert, unit: str) -> str:
    rule = alert.rule
    params = {
        "count": int(alert.value or 0),
        "type": rule.event_type,
        "unit": unit,
        "window": rule.window_minutes,
        "minimum": rule.event_count,
        "period": period_label(alert.period),
        "last": timezone.localtime(alert.last_event_at).strftime("%H:%M")
        if alert.last_event_at
        else "–",
    }
    if rule.event_severity:
        params["severity"] = rule.event_severity
        return (
            _(
                "%(count)s events of type %(type)s with severity %(severity)s in %(unit)s "
                "within %(window)s minutes (%(period)s, last at %(last)s); the threshold is "
                "%(minimum)s."
            )
            % params
        )
    return (
        _(
            "%(count)s events of type %(type)s in %(unit)s within %(window)s minutes "
            "(%(period)s, last at %(last)s); the threshold is %(minimum)s."
        )
        % params
    )


def stored_message(alert: Alert) -> str:
    """Render the message of ``alert`` in the platform's language, for the ``message`` column."""
    with translation.override(settings.LANGUAGE_CODE):
        return alert_message(alert)


def rule_status(rule: AlertRule) -> str:
    """Describe the last evaluation of ``rule`` from its ``last_status``."""
    status = rule.last_status or {}
    if not rule.last_checked_at or not status:
        return _("Not checked yet.")
    parts = [
        _("%(checked)s checked, %(fired)s breaking the rule.")
        % {"checked": status.get("checked", 0), "fired": status.get("fired", 0)}
    ]
    if status.get("unsupported"):
        parts.append(
            _(
                "Anomaly rules need monthly, quarterly, half-yearly or annual values; "
                "this indicator has %(type)s values, so nothing was scored."
            )
            % {"type": status["unsupported"]}
        )
    if status.get("insufficient"):
        parts.append(
            _(
                "%(count)s series have too little history and raised no alert: they have "
                "%(history)s earlier years of the same period, %(required)s are needed."
            )
            % {
                "count": status["insufficient"],
                "history": status.get("history", 0),
                "required": status.get("required", 0),
            }
        )
    if status.get("insufficient_spread"):
        parts.append(
            _(
                "%(count)s series have enough years but too few earlier values to estimate "
                "the spread, and raised no alert."
            )
            % {"count": status["insufficient_spread"]}
        )
    if status.get("no_data"):
        parts.append(_("No stored value or event matches this rule yet."))
    return " ".join(parts)
