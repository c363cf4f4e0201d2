"""Permission-matrix entries of the alert and directive URLs (see tests/matrix.py).

Leaders, department officers, commune officers and administrators use alerts; police and
security analysts are denied. Rules are for leaders, department officers and
administrators; only leaders and administrators issue and close directives. The world's
alert, rule and directive are in the commune officer's commune and the department
officer's department, so all three roles see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.accounts import current_vinh_yen
from tests.matrix import CHANGE_PAGE, DENIED, NOT_ALLOWED, OK, Expect, admin_page, data_entry
from tinhso.core.models import Role
from tinhso.ioc.alerts.models import Alert, AlertRule, Directive, RuleKind
from tinhso.ioc.models import Indicator


def alert_users(result: str = OK) -> Expect:
    """Leaders, department and commune officers and administrators get ``result``."""
    return data_entry(officer=result, others=result, admin=result)


def rule_editors(result: str = OK) -> Expect:
    """Leaders, department officers and administrators get ``result``; commune officers are denied."""
    expected = data_entry(officer=result, others=result, admin=result)
    expected.by_role[Role.COMMUNE_OFFICER.value] = DENIED
    return expected


def leaders(result: str = OK) -> Expect:
    """Leaders and administrators get ``result``; department and commune officers are denied."""
    expected = data_entry(officer=DENIED, others=DENIED, admin=result)
    expected.by_role[Role.PROVINCIAL_LEADER.value] = result
    return expected


EXPECTED: dict[str, Expect] = {
    "ioc/alerts/": alert_users(),
    "ioc/alerts/panel/": alert_users(),
    "ioc/alerts/<int:alert_id>/": alert_users(),
    # Actions change state, so a GET is not allowed.
    "ioc/alerts/<int:alert_id>/acknowledge/": alert_users(NOT_ALLOWED),
    "ioc/alerts/<int:alert_id>/assign/": alert_users(NOT_ALLOWED),
    "ioc/alerts/<int:alert_id>/note/": alert_users(NOT_ALLOWED),
    "ioc/alerts/<int:alert_id>/resolve/": alert_users(NOT_ALLOWED),
    "ioc/alerts/<int:alert_id>/close/": alert_users(NOT_ALLOWED),
    "ioc/alerts/rules/": rule_editors(),
    "ioc/alerts/rules/new/": rule_editors(),
    "ioc/alerts/rules/<int:rule_id>/": rule_editors(),
    "ioc/alerts/rules/<int:rule_id>/check/": rule_editors(NOT_ALLOWED),
    "ioc/alerts/directives/": alert_users(),
    "ioc/alerts/directives/new/": leaders(OK),
    "ioc/alerts/directives/<int:directive_id>/": alert_users(),
    "ioc/alerts/directives/<int:directive_id>/update/": alert_users(NOT_ALLOWED),
    "ioc/alerts/directives/<int:directive_id>/close/": leaders(NOT_ALLOWED),
    # --- admin site
    "admin/ioc_alerts/alertrule/": admin_page(),
    "admin/ioc_alerts/alertrule/add/": admin_page(),
    "admin/ioc_alerts/alertrule/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc_alerts/alertrule/<path:object_id>/change/": admin_page(),
    "admin/ioc_alerts/alertrule/<path:object_id>/history/": admin_page(),
    "admin/ioc_alerts/alertrule/<path:object_id>/delete/": admin_page(),
    # Alerts come from rules and directives from the leaders' pages: no add, no delete.
    "admin/ioc_alerts/alert/": admin_page(),
    "admin/ioc_alerts/alert/add/": admin_page(DENIED),
    "admin/ioc_alerts/alert/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc_alerts/alert/<path:object_id>/change/": admin_page(),
    "admin/ioc_alerts/alert/<path:object_id>/history/": admin_page(),
    "admin/ioc_alerts/alert/<path:object_id>/delete/": admin_page(DENIED),
    "admin/ioc_alerts/directive/": admin_page(),
    "admin/ioc_alerts/directive/add/": admin_page(DENIED),
    "admin/ioc_alerts/directive/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/ioc_alerts/directive/<path:object_id>/change/": admin_page(),
    "admin/ioc_alerts/directive/<path:object_id>/history/": admin_page(),
    "admin/ioc_alerts/directive/<path:object_id>/delete/": admin_page(DENIED),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create a rule, an alert and a directive; return their ids."""
    department = users[Role.DEPARTMENT_OFFICER].department
    unit = current_vinh_yen()
    indicator = Indicator.objects.create(
        code="CB.MATRIX", name="Chỉ tiêu thử cảnh báo", periodicity="month", department=department
    )
    rule = AlertRule.objects.create(
        name="Ngưỡng thử", kind=RuleKind.THRESHOLD, indicator=indicator, comparison="gt",
        threshold=1.0, department=department,
    )  # fmt: skip
    alert = Alert.objects.create(
        rule=rule, kind=rule.kind, indicator=indicator, unit=unit, period="202507",
        dedup_key=Alert.make_dedup_key(rule.pk, unit.pk, "202507"), value=2.0, comparison="gt", threshold=1.0,
        severity=rule.severity, message="Chỉ tiêu thử vượt ngưỡng.", department=department,
    )  # fmt: skip
    directive = Directive.objects.create(
        title="Kiểm tra số liệu", content="Báo cáo nguyên nhân.", alert=alert,
        indicator=indicator, unit=unit, department=department,
        deadline=timezone.localdate() + dt.timedelta(days=7),
        issued_by=users[Role.PROVINCIAL_LEADER],
    )  # fmt: skip
    return {
        "alert_id": str(alert.pk),
        "rule_id": str(rule.pk),
        "directive_id": str(directive.pk),
    }
