"""Routes of ``/api/v1/``. Views parse and delegate; rules live in the core services."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError, ValidationError

from tinhso import __version__
from tinhso.api.auth import OptionalApiKeyAuth
from tinhso.api.schemas import ApiRoot, ErrorOut, GeoJSON, UnitDetailOut, UnitPage
from tinhso.api.serializers import link_dict, unit_dict
from tinhso.core.errors import TinhsoError, UnknownUnitError
from tinhso.core.models import Unit, UnitLevel
from tinhso.core.services import units as unit_service
from tinhso.geo.storage import feature, feature_collection

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Tỉnh số API",
    version="1",
    description=(
        "Dữ liệu dùng chung của nền tảng Tỉnh số. Đơn vị hành chính là dữ liệu công khai, "
        "không cần khoá; các tài nguyên khác cần khoá API của cơ quan: "
        "`Authorization: Bearer KEY`."
    ),
    urls_namespace="api-1",
    docs_url=None,
)

MAX_PAGE_SIZE = 500
public = OptionalApiKeyAuth()


def _mount_routers() -> None:
    from tinhso.api.sharing import router as sharing_router
    from tinhso.ioc.api import router as ioc_router
    from tinhso.ioc.dashboards.api import router as dashboards_router

    api.add_router("/ioc/", ioc_router)
    api.add_router("/ioc/", dashboards_router)
    api.add_router("/share/", sharing_router)
    api.add_router("/soc/", "tinhso.soc.collect.api.router")


_mount_routers()


@api.exception_handler(TinhsoError)
def handle_platform_error(request: HttpRequest, error: TinhsoError) -> HttpResponse:
    status = 404 if isinstance(error, UnknownUnitError) else 400
    return api.create_response(
        request, {"code": error.code, "message": error.user_message()}, status=status
    )


@api.exception_handler(HttpError)
def handle_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    codes = {
        400: "invalid_parameter",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        429: "rate_limited",
    }
    return api.create_response(
        request,
        {"code": codes.get(error.status_code, "error"), "message": str(error)},
        status=error.status_code,
    )


@api.exception_handler(ValidationError)
def handle_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields = [".".join(str(part) for part in item.get("loc", [])[1:]) for item in error.errors]
    message = _(
        "Invalid parameters: %(fields)s. Check the values against the API document at /api/v1/openapi.json."
    ) % {"fields": ", ".join(field for field in fields if field) or "-"}
    return api.create_response(
        request,
        {"code": "invalid_parameters", "message": message, "errors": error.errors},
        status=422,
    )


def parse_date(value: str | None, field: str = "date") -> dt.date:
    """An ISO date from a query parameter; today when absent."""
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise HttpError(
            400,
            _(
                "Parameter %(field)s=%(value)r is not a date; write it as YYYY-MM-DD, for example 2025-07-01."
            )
            % {"field": field, "value": value},
        ) from None


@api.get("/", response=ApiRoot, auth=None, summary="API entry point", include_in_schema=True)
def root(request: HttpRequest) -> dict[str, Any]:
    return {
        "name": "Tỉnh số",
        "version": __version__,
        "openapi": "/api/v1/openapi.json",
        "resources": {
            "units": "/api/v1/units",
            "units_geojson": "/api/v1/units/geojson",
            "share_datasets": "/api/v1/share/datasets",
        },
    }


class UnitFilter(Schema):
    parent: str | None = None
    date: str | None = None
    level: int | None = None
    q: str | None = None
    page: int = 1
    page_size: int = 100


@api.get(
    "/units",
    response={200: UnitPage, 400: ErrorOut, 404: ErrorOut},
    auth=public,
    summary="Administrative units valid on a date",
    description=(
        "Đơn vị trực thuộc `parent` (mã, có hoặc không có số 0 đứng đầu) còn hiệu lực vào ngày `date` "
        "(mặc định hôm nay). Không có `parent`: các tỉnh, thành phố. `q` tìm theo tên, không phân biệt dấu."
    ),
)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> dict[str, Any]:
    date = parse_date(filters.date)
    if filters.page < 1:
        raise HttpError(
            400,
            _("Parameter page=%(value)s is invalid; pages are numbered from 1.")
            % {"value": filters.page},
        )
    if not 1 <= filters.page_size <= MAX_PAGE_SIZE:
        raise HttpError(
            400,
            _("Parameter page_size=%(value)s is invalid; use a number from 1 to %(max)s.")
            % {"value": filters.page_size, "max": MAX_PAGE_SIZE},
        )

    units = Unit.objects.valid_on(date).select_related("parent")
    if filters.parent:
        parent = unit_service.find_unit(filters.parent, date)
        units = units.filter(parent=parent)
    elif not filters.q:
        units = units.filter(parent__isnull=True, level=UnitLevel.PROVINCE)
    if filters.level is not None:
        if filters.level not in UnitLevel.values:
            raise HttpError(
                400,
                _(
                    "Parameter level=%(value)s is invalid; use 1 (province), 2 (district) or 3 (commune)."
                )
                % {"value": filters.level},
            )
        units = units.filter(level=filters.level)
    if filters.q:
        units = units.search(filters.q)
    units = units.order_by("level", "code")

    count = units.count()
    start = (filters.page - 1) * filters.page_size
    page_units = list(units[start : start + filters.page_size])

    def page_link(page: int) -> str:
        params = {k: v for k, v in filters.dict().items() if v not in (None, "")}
        params["page"] = page
        return f"{request.path}?{urlencode(params)}"

    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "next": page_link(filters.page + 1) if start + filters.page_size < count else None,
        "previous": page_link(filters.page - 1) if filters.page > 1 else None,
        "results": [unit_dict(unit) for unit in page_units],
    }


@api.get(
    "/units/geojson",
    response={200: GeoJSON, 400: ErrorOut, 404: ErrorOut},
    auth=public,
    summary="Units under a parent as GeoJSON, for maps",
    description=(
        "GeoJSON FeatureCollection (WGS 84) các đơn vị trực thuộc `parent` vào ngày `date`. "
        "Đơn vị chưa có ranh giới được trả về là điểm trung tâm, với `has_boundary` = false."
    ),
)
def units_geojson(
    request: HttpRequest, parent: str, date: str | None = None, level: int | None = None
) -> dict[str, Any]:
    on_date = parse_date(date)
    parent_unit = unit_service.find_unit(parent, on_date)
    units = Unit.objects.valid_on(on_date).select_related("boundary")
    if level is None:
        units = units.filter(parent=parent_unit)
    else:
        # Communes of a province before 2025 sit under districts: walk down to the level asked for.
        ids = {parent_unit.pk}
        for _depth in range(2):
            ids |= set(
                Unit.objects.valid_on(on_date)
                .filter(parent_id__in=ids)
                .values_list("id", flat=True)
            )
        units = units.filter(id__in=ids, level=level)

    features = []
    for unit in units.order_by("code"):
        boundary = getattr(unit, "boundary", None)
        geometry = boundary.geom if boundary is not None else None
        if geometry is None and unit.centroid_lon is not None and unit.centroid_lat is not None:
            from shapely.geometry import Point

            geometry = Point(unit.centroid_lon, unit.centroid_lat)
        properties = {
            "code": unit.code,
            "name": unit.name,
            "type": unit.type,
            "type_label": str(unit.get_type_display()),
            "level": unit.level,
            "has_boundary": boundary is not None,
            "area_km2": round(boundary.area_m2 / 1e6, 2)
            if boundary and boundary.area_m2
            else unit.area_km2,
        }
        features.append(feature(geometry, properties, feature_id=unit.pk))
    collection = feature_collection(features)
    collection["parent"] = {"code": parent_unit.code, "name": parent_unit.name}
    collection["date"] = on_date.isoformat()
    return collection


@api.get(
    "/units/{code}",
    response={200: UnitDetailOut, 400: ErrorOut, 404: ErrorOut},
    auth=public,
    summary="One administrative unit with its predecessors and successors",
)
def unit_detail(request: HttpRequest, code: str, date: str | None = None) -> dict[str, Any]:
    on_date = parse_date(date) if date else None
    unit = unit_service.find_unit(code, on_date)
    # Children are counted on the date asked for, or on the unit's last day when it has ended.
    children_date = on_date or unit.valid_to or timezone.localdate()
    return {
        **unit_dict(unit),
        "predecessors": [
            link_dict(link, link.predecessor) for link in unit_service.predecessors(unit)
        ],
        "successors": [link_dict(link, link.successor) for link in unit_service.successors(unit)],
        "has_boundary": hasattr(unit, "boundary"),
        "children_count": Unit.objects.valid_on(children_date).filter(parent=unit).count(),
    }


@api.get(
    "/units/{code}/boundary",
    response={200: GeoJSON, 400: ErrorOut, 404: ErrorOut},
    auth=public,
    summary="Boundary of one unit as a GeoJSON Feature (WGS 84)",
)
def unit_boundary(request: HttpRequest, code: str, date: str | None = None) -> dict[str, Any]:
    unit = unit_service.find_unit(code, parse_date(date) if date else None)
    boundary = getattr(unit, "boundary", None)
    if boundary is None:
        raise HttpError(
            404,
            _("Unit %(name)s has no boundary yet; import one with tinhso geo import-boundaries.")
            % {"name": unit.name},
        )
    return feature(
        boundary.geom,
        {"code": unit.code, "name": unit.name, "area_m2": boundary.area_m2},
        feature_id=unit.pk,
    )
