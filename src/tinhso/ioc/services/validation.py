"""Validation rules on indicator values; a blocking violation stops approval and explains itself.

Rules per indicator come from its fields: the plausible range, percentages at most 100,
whole numbers for integer indicators, and the plausible change against the previous period.
The rule across units checks that commune values of a summed indicator add up to no more
than the province's value. A change larger than plausible that coincides with a boundary
change of the unit is still flagged, with the boundary change named as the likely cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services.history import boundary_changes
from tinhso.ioc import periods
from tinhso.ioc.models import Aggregation, DataValue, ValueType

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Violation:
    """A rule a value breaks. ``blocking`` violations stop approval."""

    rule: str
    value: DataValue
    message: str
    blocking: bool = True
    explanation: str = ""


def validate(values: Iterable[DataValue]) -> list[Violation]:
    """Return every rule that ``values`` break; each value needs its indicator and unit loaded."""
    found: list[Violation] = []
    for value in values:
        found.extend(_value_rules(value))
        found.extend(_growth_rule(value))
        found.extend(_commune_sum_rule(value))
    return found


def localized(number: float, decimals: int | None = None) -> str:
    """``number`` as the reader's language writes it: 1.174,1 in Vietnamese, 1,174.1 in English."""
    if decimals is None:
        decimals = (
            0 if float(number).is_integer() else min(len(repr(float(number)).split(".")[1]), 6)
        )
    # number_format cuts digits instead of rounding them, so round first.
    return formats.number_format(
        round(number, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )


def _value_rules(value: DataValue) -> list[Violation]:
    indicator = value.indicator
    number = value.value
    if number is None:
        return []
    found = []
    params = {
        "indicator": indicator.code,
        "unit": value.unit.name,
        "period": value.period,
        "value": localized(number),
    }
    if indicator.min_value is not None and number < indicator.min_value:
        found.append(Violation("range", value, _(
            "%(indicator)s of %(unit)s in %(period)s is %(value)s, below the plausible minimum %(limit)s."
        ) % {**params, "limit": localized(indicator.min_value)}))  # fmt: skip
    if indicator.max_value is not None and number > indicator.max_value:
        found.append(Violation("range", value, _(
            "%(indicator)s of %(unit)s in %(period)s is %(value)s, above the plausible maximum %(limit)s."
        ) % {**params, "limit": localized(indicator.max_value)}))  # fmt: skip
    if indicator.value_type == ValueType.PERCENT and not 0 <= number <= 100:
        found.append(Violation("percent", value, _(
            "%(indicator)s of %(unit)s in %(period)s is %(value)s, but a percentage lies between 0 and 100."
        ) % params))  # fmt: skip
    if indicator.value_type == ValueType.INTEGER and not float(number).is_integer():
        found.append(Violation("integer", value, _(
            "%(indicator)s of %(unit)s in %(period)s is %(value)s, but the indicator counts whole units."
        ) % params))  # fmt: skip
    return found


def _growth_rule(value: DataValue) -> list[Violation]:
    indicator = value.indicator
    if indicator.max_growth_percent is None or value.value is None:
        return []
    previous_period = periods.previous(periods.parse(value.period))
    previous = (
        DataValue.objects.filter(
            indicator=indicator,
            unit=value.unit,
            period=previous_period.code,
            disaggregation=value.disaggregation,
        )
        .values_list("value", flat=True)
        .first()
    )
    if previous is None or previous == 0:
        return []
    change = (value.value - previous) / abs(previous) * 100
    if abs(change) <= indicator.max_growth_percent:
        return []

    message = _(
        "%(indicator)s of %(unit)s changed by %(change)s%% from %(previous_period)s (%(previous)s) "
        "to %(period)s (%(value)s), more than the plausible %(limit)s%%."
    ) % {
        "indicator": indicator.code,
        "unit": value.unit.name,
        "change": ("+" if change > 0 else "") + localized(change, 1),
        "previous_period": previous_period.code,
        "previous": localized(previous),
        "period": value.period,
        "value": localized(value.value),
        "limit": localized(indicator.max_growth_percent),
    }
    explanation = _boundary_explanation(
        value.unit, previous_period.end, periods.parse(value.period).end
    )
    return [Violation("growth", value, message, explanation=explanation)]


def _boundary_explanation(unit: Unit, after: object, until: object) -> str:
    changes = boundary_changes(unit, after, until)  # type: ignore[arg-type]
    if not changes:
        return ""
    described = "; ".join(
        _("%(unit)s moved from %(from)s to %(to)s on %(date)s (%(source)s)")
        % {
            "unit": link.predecessor.name,
            "from": link.predecessor.parent.name if link.predecessor.parent else "-",
            "to": link.successor.parent.name if link.successor.parent else "-",
            "date": link.effective_date.strftime("%d/%m/%Y"),
            "source": link.source,
        }
        for link in changes
    )
    return _(
        "The unit's boundary changed in between: %(changes)s. The change reflects territory, not growth."
    ) % {"changes": described}


def _commune_sum_rule(value: DataValue) -> list[Violation]:
    indicator = value.indicator
    if (
        indicator.aggregation != Aggregation.SUM
        or value.value is None
        or value.unit.level != UnitLevel.PROVINCE
    ):
        return []
    children = Unit.objects.filter(parent=value.unit).values_list("id", flat=True)
    grandchildren = Unit.objects.filter(parent_id__in=list(children)).values_list("id", flat=True)
    total = DataValue.objects.filter(
        indicator=indicator,
        period=value.period,
        disaggregation=value.disaggregation,
        unit__level=UnitLevel.COMMUNE,
        unit_id__in=[*children, *grandchildren],
    ).aggregate(total=Sum("value"))["total"]
    if total is None or total <= value.value * (1 + 1e-9):
        return []
    return [Violation("commune_sum", value, _(
        "The communes of %(unit)s add up to %(total)s for %(indicator)s in %(period)s, more than the "
        "province's %(value)s."
    ) % {"unit": value.unit.name, "total": localized(total), "indicator": indicator.code, "period": value.period, "value": localized(value.value)})]  # fmt: skip
