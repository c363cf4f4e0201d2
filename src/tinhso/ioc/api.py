"""The IOC routes of ``/api/v1/ioc/``: push values, read indicators and values, DHIS2 exchange."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import NinjaJSONEncoder

from tinhso.api.auth import KeyOrStaffSession
from tinhso.api.models import ApiKey, Scope
from tinhso.core.access import restrict
from tinhso.ioc import periods
from tinhso.ioc.models import DataValue, Indicator, ValueStatus
from tinhso.ioc.services.push import MAX_BATCH, PushedValue, push_values

logger = logging.getLogger(__name__)

router = Router(tags=["IOC"])
read_auth = KeyOrStaffSession(Scope.IOC_READ)
write_auth = KeyOrStaffSession(Scope.IOC_WRITE)

MAX_PAGE_SIZE = 1000


# --- Schemas ---------------------------------------------------------------------------------


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    group: str | None
    unit_of_measure: str
    value_type: str
    aggregation: str
    periodicity: str
    department: str | None
    national_code: str
    dimensions: list[str]
    formula: str
    source: str


class IndicatorPage(Schema):
    count: int
    next: str | None
    results: list[IndicatorOut]


class ValueOut(Schema):
    indicator: str
    unit: str
    unit_name: str
    period: str
    period_start: dt.date
    period_end: dt.date
    disaggregation: str
    value: float | None
    status: str
    source: str
    source_detail: str
    batch: int | None
    approved_by: str | None
    updated_at: dt.datetime


class ValuePage(Schema):
    count: int
    next: str | None
    results: list[ValueOut]


class PushIn(Schema):
    values: list[PushedValue]
    document: str = ""


class RejectedOut(Schema):
    index: int
    code: str
    field: str
    message: str


class PushOut(Schema):
    received: int
    accepted: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: list[RejectedOut]


class ValueFilter(Schema):
    indicator: str | None = None
    unit: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    status: str | None = None
    format: str = "json"
    page: int = 1
    page_size: int = 200


# --- Helpers ---------------------------------------------------------------------------------


def _visible_values(request: HttpRequest) -> QuerySet[DataValue]:
    values = DataValue.objects.select_related("indicator", "unit", "approved_by")
    if isinstance(request.auth, ApiKey):  # type: ignore[attr-defined]
        return values
    return restrict(values, request.user)


def period_code(value: str) -> str:
    """Return the stored code of the period ``value`` names; raise 400 when it names none."""
    try:
        return periods.parse(value).code
    except periods.InvalidPeriodError:
        raise HttpError(
            400,
            _(
                "period=%(value)r is not a period code; write it as 2016 (year), 2016Q1, "
                "201601 (month) or 20160105 (day)."
            )
            % {"value": value},
        ) from None


def _parse_day(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HttpError(
            400,
            _("%(field)s=%(value)r is not a date; write it as YYYY-MM-DD.")
            % {"field": field, "value": value},
        ) from None


def filtered_values(request: HttpRequest, filters: ValueFilter) -> QuerySet[DataValue]:
    """Return the values ``request`` may read that match ``filters``, in a stable order."""
    values = _visible_values(request)
    if filters.indicator:
        values = values.filter(indicator__code__in=filters.indicator.split(","))
    if filters.unit:
        from tinhso.core.services.units import code_candidates

        codes = [c for code in filters.unit.split(",") for c in code_candidates(code)]
        values = values.filter(unit__code__in=codes)
    if filters.period_from:
        values = values.filter(period_end__gte=_parse_day(filters.period_from, "period_from"))
    if filters.period_to:
        values = values.filter(period_start__lte=_parse_day(filters.period_to, "period_to"))
    if filters.status:
        if filters.status not in ValueStatus.values:
            raise HttpError(
                400,
                _("status=%(value)r is not one of %(allowed)s.")
                % {"value": filters.status, "allowed": ", ".join(ValueStatus.values)},
            )
        values = values.filter(status=filters.status)
    return values.order_by("indicator__code", "unit__code", "period_start", "disaggregation")


def value_dict(row: DataValue) -> dict[str, Any]:
    return {
        "indicator": row.indicator.code,
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "period": row.period,
        "period_start": row.period_start,
        "period_end": row.period_end,
        "disaggregation": row.disaggregation,
        "value": row.value,
        "status": row.status,
        "source": row.source_kind,
        "source_detail": row.source_detail,
        "batch": row.batch_id,
        "approved_by": row.approved_by.get_username() if row.approved_by else None,
        "updated_at": row.updated_at,
    }


def _etag(values: QuerySet[DataValue], request: HttpRequest) -> str:
    summary = values.aggregate(last=Max("updated_at"))
    basis = f"{request.get_full_path()}|{values.count()}|{summary['last']}"
    return '"' + hashlib.sha256(basis.encode()).hexdigest()[:32] + '"'


def next_link(request: HttpRequest, page: int, page_size: int, count: int) -> str | None:
    if page * page_size >= count:
        return None
    params = request.GET.copy()
    params["page"] = str(page + 1)
    return f"{request.path}?{urlencode(params)}"


def check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise HttpError(400, _("page=%(value)s must be 1 or more.") % {"value": page})
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise HttpError(
            400,
            _("page_size=%(value)s must be between 1 and %(max)s.")
            % {"value": page_size, "max": MAX_PAGE_SIZE},
        )


# --- Routes ----------------------------------------------------------------------------------


@router.get("/indicators", response=IndicatorPage, auth=read_auth, summary="Indicator definitions")
def list_indicators(
    request: HttpRequest,
    q: str | None = None,
    group: str | None = None,
    page: int = 1,
    page_size: int = 200,
) -> dict[str, Any]:
    check_paging(page, page_size)
    indicators = Indicator.objects.select_related("group", "department").order_by("code")
    if group:
        indicators = indicators.filter(group__code=group)
    if q:
        indicators = indicators.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q)
        )
    count = indicators.count()
    start = (page - 1) * page_size
    return {
        "count": count,
        "next": next_link(request, page, page_size, count),
        "results": [
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "group": i.group.code if i.group else None,
                "unit_of_measure": i.unit_of_measure,
                "value_type": i.value_type,
                "aggregation": i.aggregation,
                "periodicity": i.periodicity,
                "department": i.department.code if i.department else None,
                "national_code": i.national_code,
                "dimensions": list(i.dimensions or []),
                "formula": i.formula,
                "source": i.source,
            }
            for i in indicators[start : start + page_size]
        ],
    }


@router.get(
    "/values",
    response=ValuePage,
    auth=read_auth,
    summary="Indicator values with filters; JSON or CSV",
    description="`format=csv` trả về tệp CSV (UTF-8). Phản hồi có ETag; gửi If-None-Match để nhận 304 khi dữ liệu không đổi.",
)
def list_values(request: HttpRequest, filters: Query[ValueFilter]) -> Any:
    check_paging(filters.page, filters.page_size)
    check_format(filters.format)
    values = filtered_values(request, filters)
    return values_response(
        request, values, page=filters.page, page_size=filters.page_size,
        output=filters.format, filename="ioc-values.csv",
    )  # fmt: skip


def check_format(output: str) -> None:
    if output not in {"json", "csv"}:
        raise HttpError(400, _("format=%(value)r is not json or csv.") % {"value": output})


def values_response(
    request: HttpRequest,
    values: QuerySet[DataValue],
    *,
    page: int,
    page_size: int,
    output: str,
    filename: str,
) -> HttpResponse:
    """Return one page of ``values`` as JSON or CSV (``output``), with an ETag.

    A request whose If-None-Match carries the current ETag gets 304 and no body. The
    sharing API serves its datasets through this function too.
    """
    etag = _etag(values, request)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response

    count = values.count()
    start = (page - 1) * page_size
    rows = [value_dict(row) for row in values[start : start + page_size]]
    if output == "csv":
        response = HttpResponse(values_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        body = {
            "count": count,
            "next": next_link(request, page, page_size, count),
            "results": rows,
        }
        response = HttpResponse(
            json.dumps(body, cls=NinjaJSONEncoder), content_type="application/json"
        )
    response["ETag"] = etag
    return response


def values_csv(rows: list[dict[str, Any]]) -> str:
    """Return ``rows`` of :func:`value_dict` as CSV text with a byte-order mark."""
    buffer = io.StringIO()
    columns = list(ValueOut.model_fields)
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: ("" if row[key] is None else row[key]) for key in columns})
    return "\ufeff" + buffer.getvalue()  # the BOM lets Excel read UTF-8 Vietnamese


@router.post(
    "/values",
    response={200: PushOut, 400: dict[str, Any], 413: dict[str, Any]},
    auth=write_auth,
    summary="Push a batch of values (agency key with ioc:write)",
    description=(
        "Mỗi giá trị có `idempotency_key` riêng: gửi lại cùng khoá không tạo bản ghi trùng. "
        f"Tối đa {MAX_BATCH} giá trị mỗi lần; giá trị hợp lệ được lưu, giá trị lỗi được trả về kèm lý do."
    ),
)
def push(request: HttpRequest, body: PushIn) -> dict[str, Any]:
    if len(body.values) > MAX_BATCH:
        raise HttpError(
            413,
            _("The batch has %(count)s values; send at most %(max)s per request.")
            % {"count": len(body.values), "max": MAX_BATCH},
        )
    api_key = request.auth if isinstance(request.auth, ApiKey) else None  # type: ignore[attr-defined]
    outcome = push_values(body.values, api_key=api_key, document=body.document)
    return outcome


@router.get(
    "/dataValueSets", auth=read_auth, summary="Values in the DHIS2 dataValueSets JSON format"
)
def data_value_sets(
    request: HttpRequest,
    dataElement: str | None = None,  # noqa: N803 (DHIS2 parameter names)
    orgUnit: str | None = None,  # noqa: N803
    startDate: str | None = None,  # noqa: N803
    endDate: str | None = None,  # noqa: N803
    period: str | None = None,
) -> dict[str, Any]:
    filters = ValueFilter(
        indicator=dataElement,
        unit=orgUnit,
        period_from=startDate,
        period_to=endDate,
        page_size=MAX_PAGE_SIZE,
    )
    values = filtered_values(request, filters)
    if period:
        values = values.filter(period=period_code(period))
    return {"dataValues": [dhis2_data_value(row) for row in values[:50000]]}


def dhis2_data_value(row: DataValue) -> dict[str, Any]:
    """Return ``row`` as one element of a DHIS2 ``dataValues`` list."""
    return {
        "dataElement": row.indicator.code,
        "period": row.period,
        "orgUnit": row.unit.code,
        "categoryOptionCombo": row.disaggregation or "default",
        "value": "" if row.value is None else repr(row.value),
        "storedBy": row.source_kind,
        "created": row.created_at.isoformat(),
        "lastUpdated": row.updated_at.isoformat(),
        "comment": row.comment,
        "followup": False,
    }
