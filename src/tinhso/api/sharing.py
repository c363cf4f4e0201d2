"""The data sharing interface of ``/api/v1/share/``: datasets for other agencies' systems.

A dataset is a report regime (``reports.ReportRegime``): its code names the dataset, its
indicators are the dataset's indicators. An agency reads a dataset with an API key that has
the scope ``share:<regime code>`` (issued with ``tinhso apikey create AGENCY --scope
share:ktxh``). Only approved values are shared. Each dataset is served as JSON pages, CSV,
DHIS2 ``dataValueSets`` and a change feed. The JSON, CSV and DHIS2 forms are the same as
those of ``/api/v1/ioc/``, written by the same functions. Every request is written to the
API access log by :class:`tinhso.api.middleware.ApiAccessLogMiddleware` with the key that
made it.

Version 1 of this interface keeps its paths and fields. Fields may be added, and clients
must ignore fields they do not know.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from tinhso.api.auth import ApiKeyAuth
from tinhso.api.keys import SHARE_SCOPE_PREFIX
from tinhso.api.models import ApiKey
from tinhso.ioc.api import (
    MAX_PAGE_SIZE,
    ValueFilter,
    ValueOut,
    check_format,
    check_paging,
    dhis2_data_value,
    filtered_values,
    period_code,
    value_dict,
    values_response,
)
from tinhso.ioc.models import DataValue, ValueStatus
from tinhso.reports.models import ReportRegime
from tinhso.reports.services import sync_indicators

logger = logging.getLogger(__name__)

router = Router(tags=["Sharing"])
key_auth = ApiKeyAuth(None)

# A DHIS2 export returns at most this many values; larger datasets are read in pages or
# through the change feed.
MAX_DHIS2_VALUES = 50000
DEFAULT_FEED_LIMIT = 500


# --- Schemas ---------------------------------------------------------------------------------


class DatasetOut(Schema):
    code: str
    name: str
    indicators: int
    values: str
    changes: str
    data_value_sets: str


class DatasetPage(Schema):
    count: int
    results: list[DatasetOut]


class DatasetIndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    group: str | None
    unit_of_measure: str
    value_type: str
    periodicity: str


class DatasetDetailOut(Schema):
    code: str
    name: str
    indicators: list[DatasetIndicatorOut]


class ChangeOut(ValueOut):
    version: int


class ChangePage(Schema):
    count: int
    has_more: bool
    next_cursor: str | None
    next: str | None
    results: list[ChangeOut]


class DatasetValueFilter(Schema):
    indicator: str | None = None
    unit: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    format: str = "json"
    page: int = 1
    page_size: int = 200


# --- Datasets and scopes ---------------------------------------------------------------------


def dataset_codes(api_key: ApiKey) -> list[str]:
    """Return the regime codes of the key's ``share:`` scopes, sorted."""
    return sorted(
        scope.removeprefix(SHARE_SCOPE_PREFIX)
        for scope in api_key.scopes
        if scope.startswith(SHARE_SCOPE_PREFIX)
    )


def _dataset(request: HttpRequest, code: str) -> ReportRegime:
    """Return the regime ``code`` if the request's key has its scope; raise 403 or 404."""
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    scope = f"{SHARE_SCOPE_PREFIX}{code}"
    # The scope is checked first, so a key cannot probe which datasets exist.
    if not api_key.has_scope(scope):
        raise HttpError(403, _("This API key lacks the scope %(scope)s.") % {"scope": scope})
    regime = ReportRegime.objects.filter(code=code).first()
    if regime is None:
        raise HttpError(
            404,
            _("No dataset has the code %(code)s; GET /api/v1/share/datasets lists yours.")
            % {"code": code},
        )
    # Importers create indicators in bulk, without signals, so the link from a regime to
    # the indicators its outline reads is brought up to date here.
    sync_indicators(regime)
    return regime


def _shared_values(
    request: HttpRequest,
    regime: ReportRegime,
    *,
    indicator: str | None = None,
    unit: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
) -> QuerySet[DataValue]:
    """Return the approved values of the regime's indicators that match the filters.

    The filters are checked and applied as in ``/api/v1/ioc/values``.
    """
    value_filter = ValueFilter(
        indicator=indicator,
        unit=unit,
        period_from=period_from,
        period_to=period_to,
        status=ValueStatus.APPROVED.value,
    )
    values = filtered_values(request, value_filter)
    return values.filter(indicator__in=regime.indicators.all())


def _links(code: str) -> dict[str, str]:
    base = f"/api/v1/share/datasets/{code}"
    return {
        "values": f"{base}/values",
        "changes": f"{base}/changes",
        "data_value_sets": f"{base}/dataValueSets",
    }


# --- Change-feed cursor ----------------------------------------------------------------------


def encode_cursor(row: DataValue) -> str:
    """Return the opaque cursor after ``row``: its ``updated_at`` and id, base64url-encoded."""
    text = f"{row.updated_at.isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """Return the (updated_at, id) position of ``cursor``; raise 400 when it is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _sep, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        position = dt.datetime.fromisoformat(stamp), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HttpError(
            400,
            _(
                "cursor=%(value)r is not a cursor of this API; pass the next_cursor of a "
                "previous response unchanged."
            )
            % {"value": cursor[:100]},
        ) from None
    if timezone.is_naive(position[0]):
        raise HttpError(400, _("cursor=%(value)r has no time zone.") % {"value": cursor[:100]})
    return position


def parse_since(value: str) -> dt.datetime:
    """Return the moment of ``since``: an ISO 8601 date-time, or a date meaning its midnight.

    A value without a time zone is read in the platform's time zone (Asia/Ho_Chi_Minh).
    """
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = dt.datetime.combine(day, dt.time())
    if moment is None:
        raise HttpError(
            400,
            _(
                "since=%(value)r is not a date-time; write it as ISO 8601, for example "
                "2025-07-01T08:00:00+07:00."
            )
            % {"value": value},
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _feed_next_link(request: HttpRequest, cursor: str) -> str:
    params = request.GET.copy()
    params.pop("since", None)
    params["cursor"] = cursor
    return f"{request.path}?{urlencode(params)}"


# --- Routes ----------------------------------------------------------------------------------


@router.get(
    "/datasets",
    response=DatasetPage,
    auth=key_auth,
    summary="Datasets this key may read",
    description=(
        "Các bộ dữ liệu (chế độ báo cáo) mà khoá API được đọc: mỗi phạm vi `share:MÃ` của "
        "khoá cho phép đọc bộ dữ liệu MÃ."
    ),
)
def list_datasets(request: HttpRequest) -> dict[str, Any]:
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    codes = dataset_codes(api_key)
    for regime in ReportRegime.objects.filter(code__in=codes):
        sync_indicators(regime)
    regimes = (
        ReportRegime.objects.filter(code__in=codes)
        .annotate(indicator_count=Count("indicators"))
        .order_by("code")
    )
    results = [
        {
            "code": regime.code,
            "name": regime.name,
            "indicators": regime.indicator_count,
            **_links(regime.code),
        }
        for regime in regimes
    ]
    return {"count": len(results), "results": results}


@router.get(
    "/datasets/{dataset}",
    response=DatasetDetailOut,
    auth=key_auth,
    summary="One dataset with its indicators",
)
def dataset_detail(request: HttpRequest, dataset: str) -> dict[str, Any]:
    regime = _dataset(request, dataset)
    indicators = regime.indicators.select_related("group").order_by("code")
    return {
        "code": regime.code,
        "name": regime.name,
        "indicators": [
            {
                "code": indicator.code,
                "name": indicator.name,
                "name_en": indicator.name_en,
                "group": indicator.group.code if indicator.group else None,
                "unit_of_measure": indicator.unit_of_measure,
                "value_type": indicator.value_type,
                "periodicity": indicator.periodicity,
            }
            for indicator in indicators
        ],
    }


@router.get(
    "/datasets/{dataset}/values",
    auth=key_auth,
    summary="Approved values of a dataset; JSON pages or CSV",
    description=(
        "Giá trị đã duyệt của các chỉ tiêu thuộc bộ dữ liệu, theo trang (`page`, `page_size` "
        f"tối đa {MAX_PAGE_SIZE}). `format=csv` trả về tệp CSV (UTF-8). Phản hồi có ETag; gửi "
        "If-None-Match để nhận 304 khi dữ liệu không đổi."
    ),
)
def dataset_values(request: HttpRequest, dataset: str, filters: Query[DatasetValueFilter]) -> Any:
    regime = _dataset(request, dataset)
    check_paging(filters.page, filters.page_size)
    check_format(filters.format)
    values = _shared_values(
        request,
        regime,
        indicator=filters.indicator,
        unit=filters.unit,
        period_from=filters.period_from,
        period_to=filters.period_to,
    )
    return values_response(
        request, values, page=filters.page, page_size=filters.page_size,
        output=filters.format, filename=f"{regime.code}-values.csv",
    )  # fmt: skip


@router.get(
    "/datasets/{dataset}/dataValueSets",
    auth=key_auth,
    summary="Approved values of a dataset in the DHIS2 dataValueSets JSON format",
    description=f"Tối đa {MAX_DHIS2_VALUES} giá trị mỗi lần; dùng `startDate`, `endDate` để chia nhỏ.",
)
def dataset_data_value_sets(
    request: HttpRequest,
    dataset: str,
    dataElement: str | None = None,  # noqa: N803 (DHIS2 parameter names)
    orgUnit: str | None = None,  # noqa: N803
    startDate: str | None = None,  # noqa: N803
    endDate: str | None = None,  # noqa: N803
    period: str | None = None,
) -> dict[str, Any]:
    regime = _dataset(request, dataset)
    values = _shared_values(
        request,
        regime,
        indicator=dataElement,
        unit=orgUnit,
        period_from=startDate,
        period_to=endDate,
    )
    if period:
        values = values.filter(period=period_code(period))
    return {
        "dataSet": regime.code,
        "dataValues": [dhis2_data_value(row) for row in values[:MAX_DHIS2_VALUES]],
    }


@router.get(
    "/datasets/{dataset}/changes",
    response=ChangePage,
    auth=key_auth,
    summary="Change feed: approved values of a dataset changed since a time or a cursor",
    description=(
        "Giá trị thay đổi theo thứ tự (updated_at, id). Lần đầu gửi `since` (ISO 8601) hoặc "
        "không gửi gì để đọc từ đầu; các lần sau gửi `cursor` = `next_cursor` của phản hồi "
        "trước. Nhiều giá trị cùng updated_at vẫn không bị sót hay lặp."
    ),
)
def dataset_changes(
    request: HttpRequest,
    dataset: str,
    since: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_FEED_LIMIT,
) -> dict[str, Any]:
    regime = _dataset(request, dataset)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise HttpError(
            400,
            _("limit=%(value)s must be between 1 and %(max)s.")
            % {"value": limit, "max": MAX_PAGE_SIZE},
        )
    values = _shared_values(request, regime)
    if since:
        values = values.filter(updated_at__gte=parse_since(since))
    if cursor:
        stamp, pk = decode_cursor(cursor)
        values = values.filter(Q(updated_at__gt=stamp) | Q(updated_at=stamp, pk__gt=pk))
    # NOTE: the order is that of updated_at, which store_values sets before its transaction
    # commits. A value committed by a transaction that started before the newest value a
    # client has read can sort behind that client's cursor and is then not delivered.
    rows = list(values.order_by("updated_at", "pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]) if rows else cursor
    return {
        "count": len(rows),
        "has_more": has_more,
        "next_cursor": next_cursor,
        "next": _feed_next_link(request, next_cursor) if has_more and next_cursor else None,
        "results": [{**value_dict(row), "version": row.version} for row in rows],
    }
