"""``GET /api/v1/ioc/overview``: the overview's cards, trend series and late list in one response."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from tinhso.api.auth import KeyOrStaffSession
from tinhso.api.models import ApiKey, Scope
from tinhso.core.access import restrict
from tinhso.ioc.dashboards.services.overview import build_overview
from tinhso.ioc.models import DataValue

logger = logging.getLogger(__name__)

router = Router(tags=["IOC dashboards"])
read_auth = KeyOrStaffSession(Scope.IOC_READ)


def visible_values(request: HttpRequest) -> QuerySet[DataValue]:
    """Values an agency key sees all of; a staff session sees those of its scope."""
    if isinstance(getattr(request, "auth", None), ApiKey):
        return DataValue.objects.all()
    return restrict(DataValue.objects.all(), request.user)


@router.get(
    "/overview",
    auth=read_auth,
    summary="The leaders' overview: cards, trend series and late submissions",
    description=(
        "Thẻ chỉ tiêu (giá trị mới nhất, so với cùng kỳ năm trước, tiến độ so với kế hoạch), "
        "chuỗi số liệu cho biểu đồ xu hướng và danh sách nộp chậm theo sở, ngành."
    ),
)
def overview(request: HttpRequest) -> dict[str, Any]:
    return build_overview(visible_values(request))
