"""Values pushed by departments' systems through the REST API: check each, store the good ones."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema

from tinhso.api.models import ApiKey
from tinhso.core.errors import UnknownUnitError
from tinhso.core.services.units import find_unit
from tinhso.ioc import periods
from tinhso.ioc.models import Indicator, SourceKind, ValueStatus, ValueType
from tinhso.ioc.services.values import IncomingValue, store_values

logger = logging.getLogger(__name__)

MAX_BATCH = 10_000


class PushedValue(Schema):
    indicator: str
    unit: str
    period: str
    value: float | None
    disaggregation: str = ""
    idempotency_key: str | None = None
    status: str = ValueStatus.SUBMITTED
    comment: str = ""


def push_values(
    values: Sequence[PushedValue], *, api_key: ApiKey | None, document: str = ""
) -> dict[str, Any]:
    """Check every value, store the good ones in one batch, and report each rejected one by index."""
    indicators = {
        i.code: i for i in Indicator.objects.filter(code__in={v.indicator for v in values})
    }
    rejected: list[dict[str, Any]] = []
    accepted: list[IncomingValue] = []
    unit_cache: dict[tuple[str, str], int] = {}

    for index, pushed in enumerate(values):
        problem = _check(index, pushed, indicators)
        if problem:
            rejected.append(problem)
            continue
        try:
            period = periods.parse(pushed.period)
        except periods.InvalidPeriodError:
            message = _(
                "Value %(index)s: %(period)r is not a period code. Write it as 2025 (year), 2025Q1, "
                "202501 (month), 20250105 (day) or 2025R07 (reporting month)."
            ) % {"index": index, "period": pushed.period}
            rejected.append(_rejection(index, "invalid_period", "period", message))
            continue
        cache_key = (pushed.unit, period.code)
        if cache_key not in unit_cache:
            try:
                unit_cache[cache_key] = find_unit(pushed.unit, period.end).pk
            except UnknownUnitError as error:
                rejected.append(_rejection(index, "unknown_unit", "unit", error.user_message()))
                continue
        indicator = indicators[pushed.indicator]
        accepted.append(
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=unit_cache[cache_key],
                period=period,
                value=pushed.value,
                disaggregation=pushed.disaggregation,
                status=pushed.status,
                source_kind=SourceKind.API,
                source_detail=f"API {api_key.prefix}" if api_key else "API",
                idempotency_key=f"api:{pushed.idempotency_key}" if pushed.idempotency_key else None,
                api_key_id=api_key.pk if api_key else None,
                comment=pushed.comment,
            )
        )

    result = store_values(accepted, document=document)
    logger.info(
        "API push by %s: %s received, %s stored, %s duplicates, %s rejected",
        api_key.prefix if api_key else "-", len(values), result.accepted, result.duplicates, len(rejected),
    )  # fmt: skip
    return {
        "received": len(values),
        "accepted": result.accepted,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "duplicates": result.duplicates,
        "rejected": rejected,
    }


def _rejection(index: int, code: str, field: str, message: str) -> dict[str, Any]:
    return {"index": index, "code": code, "field": field, "message": message}


def _check(
    index: int, pushed: PushedValue, indicators: dict[str, Indicator]
) -> dict[str, Any] | None:
    indicator = indicators.get(pushed.indicator)
    if indicator is None:
        return _rejection(index, "unknown_indicator", "indicator", _(
            "Value %(index)s: no indicator has the code %(code)r; see GET /api/v1/ioc/indicators."
        ) % {"index": index, "code": pushed.indicator})  # fmt: skip
    if pushed.status not in {ValueStatus.DRAFT, ValueStatus.SUBMITTED}:
        return _rejection(index, "invalid_status", "status", _(
            "Value %(index)s: status %(status)r cannot be pushed; use draft or submitted (approval happens in the platform)."
        ) % {"index": index, "status": pushed.status})  # fmt: skip
    number = pushed.value
    if number is None:
        return None
    if indicator.value_type == ValueType.INTEGER and not float(number).is_integer():
        return _rejection(index, "invalid_value", "value", _(
            "Value %(index)s: %(indicator)s counts whole units, but the value is %(value)s."
        ) % {"index": index, "indicator": indicator.code, "value": number})  # fmt: skip
    if indicator.value_type == ValueType.PERCENT and not 0 <= number <= 100:
        return _rejection(index, "invalid_value", "value", _(
            "Value %(index)s: %(indicator)s is a percentage, but the value is %(value)s."
        ) % {"index": index, "indicator": indicator.code, "value": number})  # fmt: skip
    return None
