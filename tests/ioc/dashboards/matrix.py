"""Permission-matrix entries of the dashboards' URLs (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.accounts import current_vinh_yen
from tests.matrix import (
    CHANGE_PAGE,
    DENIED,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    OTP,
    UNAUTHORIZED,
    Expect,
    admin_page,
    expect,
)
from tinhso.core.models import Role
from tinhso.ioc.dashboards.models import Dashboard, Widget, WidgetKind
from tinhso.ioc.models import Indicator, IndicatorGroup
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values

STAFF_PAGE = expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK)
COMPOSER_PAGE = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=OK)
COMPOSER_ACTION = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=NOT_ALLOWED)


def _value_page() -> Expect:
    """A value of Phường Vĩnh Yên: its commune officer and the province-wide roles see it.

    The department officer's department does not own the indicator, so the value is not found.
    """
    result = expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK)
    result.by_role[Role.DEPARTMENT_OFFICER.value] = NOT_FOUND
    return result


def _leaders_dashboard() -> Expect:
    """A dashboard shared with provincial leaders only; administrators see every dashboard."""
    result = expect(anonymous=LOGIN, staff=NOT_FOUND, admin_without_otp=OTP, admin=OK)
    result.by_role[Role.PROVINCIAL_LEADER.value] = OK
    return result


EXPECTED: dict[str, Expect] = {
    "ioc/dashboards/": STAFF_PAGE,
    # A GET opens the event stream; the matrix reads only the status, never the body.
    "ioc/dashboards/live/": STAFF_PAGE,
    "ioc/dashboards/map/": STAFF_PAGE,
    "ioc/dashboards/value/<int:value_id>/": _value_page(),
    # Without its query parameters (indicator, period, basis) there is no figure to explain.
    "ioc/dashboards/computed/": expect(
        anonymous=LOGIN, staff=NOT_FOUND, admin_without_otp=OTP, admin=NOT_FOUND
    ),
    "ioc/dashboards/sectors/<slug:sector_code>/": STAFF_PAGE,
    "ioc/dashboards/units/<str:unit_code>/": STAFF_PAGE,
    "ioc/dashboards/d/<slug:slug>/": _leaders_dashboard(),
    "ioc/dashboards/compose/": COMPOSER_PAGE,
    "ioc/dashboards/compose/<slug:slug>/": COMPOSER_PAGE,
    "ioc/dashboards/compose/<slug:slug>/delete/": COMPOSER_ACTION,
    "ioc/dashboards/compose/<slug:slug>/widgets/add/": COMPOSER_PAGE,
    "ioc/dashboards/compose/<slug:slug>/widgets/<int:widget_id>/": COMPOSER_PAGE,
    "ioc/dashboards/compose/<slug:slug>/widgets/<int:widget_id>/move/": COMPOSER_ACTION,
    "ioc/dashboards/compose/<slug:slug>/widgets/<int:widget_id>/delete/": COMPOSER_ACTION,
    "api/v1/ioc/overview": expect(
        anonymous=UNAUTHORIZED, staff=OK, admin_without_otp=UNAUTHORIZED, admin=OK
    ),
    "admin/ioc_dashboards/sector/": admin_page(),
    "admin/ioc_dashboards/sector/add/": admin_page(),
    "admin/ioc_dashboards/sector/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc_dashboards/sector/<path:object_id>/change/": admin_page(),
    "admin/ioc_dashboards/sector/<path:object_id>/history/": admin_page(),
    "admin/ioc_dashboards/sector/<path:object_id>/delete/": admin_page(),
    "admin/ioc_dashboards/dashboard/": admin_page(),
    "admin/ioc_dashboards/dashboard/add/": admin_page(),
    "admin/ioc_dashboards/dashboard/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc_dashboards/dashboard/<path:object_id>/change/": admin_page(),
    "admin/ioc_dashboards/dashboard/<path:object_id>/history/": admin_page(),
    "admin/ioc_dashboards/dashboard/<path:object_id>/delete/": admin_page(),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create a value of Vĩnh Yên and a dashboard shared with leaders, with one widget."""
    group = IndicatorGroup.objects.create(
        code="matrix-dashboards", name="Bảng điều khiển", sector="y-te"
    )
    indicator = Indicator.objects.create(code="MATRIX_DASH", name="Số trạm y tế", group=group)
    vinh_yen = current_vinh_yen()
    store_values(
        [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=vinh_yen.pk,
                period=parse_period("2025"),
                value=3.0,
            )
        ]
    )
    dashboard = Dashboard.objects.create(
        slug="lanh-dao-matrix", title="Cho lãnh đạo", roles=[Role.PROVINCIAL_LEADER.value]
    )
    widget = Widget.objects.create(dashboard=dashboard, kind=WidgetKind.CARD)
    widget.indicators.add(indicator)
    value_id = indicator.values.get().pk
    return {
        "value_id": str(value_id),
        "sector_code": "y-te",
        "unit_code": vinh_yen.code,
        "slug": dashboard.slug,
        "widget_id": str(widget.pk),
    }
