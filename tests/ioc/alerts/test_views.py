"""Alert and directive pages: actions with their logs, lifecycle, permissions and form errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.accounts import ADMIN, login_verified
from tests.ioc.alerts.conftest import World
from tinhso.core.models import AuditEvent, Role, Unit
from tinhso.ioc.alerts.models import (
    Alert,
    AlertRule,
    AlertStatus,
    Directive,
    DirectiveStatus,
    RuleKind,
    Severity,
)

pytestmark = pytest.mark.django_db

LEADER = Role.PROVINCIAL_LEADER
OFFICER = Role.DEPARTMENT_OFFICER
COMMUNE = Role.COMMUNE_OFFICER
POLICE = Role.POLICE_OFFICER
ANALYST = Role.SECURITY_ANALYST
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(world: World, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    user = world.users[role]
    if role == ADMIN:
        login_verified(client, user)
    else:
        client.force_login(user)
    return client


def post(client: Client, url: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """POST with the CSRF token that a page of the platform would carry."""
    client.get(reverse("ioc_alerts:alert_list"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


def make_rule(world: World) -> AlertRule:
    return AlertRule.objects.create(
        name="Mực nước vượt báo động", kind=RuleKind.THRESHOLD, indicator=world.indicator,
        comparison="gt", threshold=300.0, severity=Severity.HIGH,
    )  # fmt: skip


def make_alert(
    world: World, unit: Unit | None = None, period: str = "202507", **fields: Any
) -> Alert:
    rule = AlertRule.objects.first() or make_rule(world)
    unit = unit or world.commune
    values: dict[str, Any] = {
        "rule": rule,
        "kind": rule.kind,
        "indicator": world.indicator,
        "unit": unit,
        "period": period,
        "dedup_key": Alert.make_dedup_key(rule.pk, unit.pk, period),
        "value": 320.0,
        "comparison": "gt",
        "threshold": 300.0,
        "severity": Severity.HIGH,
        "message": "Mực nước vượt ngưỡng.",
        "department": world.department,
    }
    values.update(fields)
    return Alert.objects.create(**values)


def make_directive(world: World, **fields: Any) -> Directive:
    values: dict[str, Any] = {
        "title": "Kiểm tra đê",
        "content": "Kiểm tra và báo cáo.",
        "indicator": world.indicator,
        "unit": world.commune,
        "department": world.department,
        "deadline": timezone.localdate() + dt.timedelta(days=3),
        "issued_by": world.users[LEADER],
    }
    values.update(fields)
    return Directive.objects.create(**values)


# --- Alert actions -------------------------------------------------------------------------


def test_acknowledge_logs_activity_and_audit(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, OFFICER)

    response = post(
        client, reverse("ioc_alerts:alert_acknowledge", args=[alert.pk]), {"note": "Đã nắm"}
    )

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_at is not None
    activity = alert.activities.get()
    assert (activity.action, activity.actor, activity.note) == (
        "acknowledged", world.users[OFFICER], "Đã nắm",
    )  # fmt: skip
    audit_row = AuditEvent.objects.filter(object_type="ioc_alerts.alert", action="update").get()
    assert audit_row.actor == world.users[OFFICER]
    assert audit_row.before["status"] == "new"
    assert audit_row.after["status"] == "acknowledged"
    assert AuditEvent.objects.filter(object_type="ioc_alerts.alertactivity").count() == 1


def test_assign_to_user_and_department(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)
    assignee = world.users[COMMUNE]

    post(
        client,
        reverse("ioc_alerts:alert_assign", args=[alert.pk]),
        {"assigned_to": assignee.pk, "department": world.other_department.pk, "note": "Xử lý gấp"},
    )

    alert.refresh_from_db()
    assert alert.assigned_to == assignee
    assert alert.department == world.other_department
    activity = alert.activities.get()
    assert activity.details == {"user": assignee.username, "department": "so-yt"}
    assert activity.note == "Xử lý gấp"


def test_assign_without_target_names_the_field(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:alert_assign", args=[alert.pk]), {})

    assert response.status_code == 400
    assert "Người dùng: chọn người dùng hoặc sở, ngành" in response.content.decode()
    assert not alert.activities.exists()


def test_note_resolve_and_close(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, COMMUNE)

    post(
        client, reverse("ioc_alerts:alert_note", args=[alert.pk]), {"note": "Đã cử người kiểm tra"}
    )
    post(client, reverse("ioc_alerts:alert_resolve", args=[alert.pk]), {"note": "Nước đã rút"})
    post(client, reverse("ioc_alerts:alert_close", args=[alert.pk]), {})

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED
    assert alert.resolved_at is not None
    assert alert.closed_at is not None
    actions = list(alert.activities.values_list("action", "note"))
    assert actions == [
        ("note", "Đã cử người kiểm tra"),
        ("resolved", "Nước đã rút"),
        ("closed", ""),
    ]
    assert set(alert.activities.values_list("actor_name", flat=True)) == {"canbo-xa"}


def test_empty_note_is_rejected(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:alert_note", args=[alert.pk]), {"note": "   "})

    assert response.status_code == 400
    assert "Ghi chú" in response.content.decode()
    assert not alert.activities.exists()


def test_closed_alert_cannot_be_resolved(world: World) -> None:
    alert = make_alert(world, status=AlertStatus.CLOSED)
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:alert_resolve", args=[alert.pk]), {})

    assert response.status_code == 409
    assert "Không thể thực hiện thao tác này" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED


def test_htmx_action_returns_fragment(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:alert_acknowledge", args=[alert.pk]), {}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="alert-workflow"' in body
    assert "<html" not in body
    assert "Đã xác nhận" in body or "đã xác nhận" in body


def test_htmx_invalid_form_returns_fragment_with_errors(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:alert_note", args=[alert.pk]), {}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only successful responses
    assert 'data-testid="errors-note"' in body
    assert "<html" not in body


def test_action_without_csrf_token_is_rejected(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)

    response = client.post(reverse("ioc_alerts:alert_acknowledge", args=[alert.pk]))

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW


def test_detail_shows_message_and_activity(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)
    post(client, reverse("ioc_alerts:alert_note", args=[alert.pk]), {"note": "Theo dõi thêm"})

    body = client.get(reverse("ioc_alerts:alert_detail", args=[alert.pk])).content.decode()

    assert "Mực nước sông Phó Đáy của Phường Vĩnh Yên tháng 07/2025" in body
    assert "Theo dõi thêm" in body
    assert reverse("ioc_alerts:directive_create") + f"?alert={alert.pk}" in body


# --- Alert list and panel ------------------------------------------------------------------


def test_list_filters_by_status_and_severity(world: World) -> None:
    make_alert(world, period="202501", severity=Severity.LOW)
    make_alert(world, period="202502", severity=Severity.CRITICAL)
    make_alert(world, period="202503", status=AlertStatus.CLOSED)
    client = client_for(world, LEADER)
    url = reverse("ioc_alerts:alert_list")

    open_page = client.get(url).context["page"]
    critical = client.get(url, {"severity": "critical"}).context["page"]
    closed = client.get(url, {"status": "closed"}).context["page"]
    everything = client.get(url, {"status": "all"}).context["page"]

    assert sorted(a.period for a in open_page) == ["202501", "202502"]
    assert [a.period for a in critical] == ["202502"]
    assert [a.period for a in closed] == ["202503"]
    assert everything.paginator.count == 3


def test_list_pagination(world: World) -> None:
    for month in range(1, 13):
        for year in (2023, 2024, 2025):
            make_alert(world, period=f"{year}{month:02d}")
    client = client_for(world, LEADER)

    first = client.get(reverse("ioc_alerts:alert_list"))
    last = client.get(reverse("ioc_alerts:alert_list"), {"page": 2})

    assert len(first.context["page"]) == 25
    assert len(last.context["page"]) == 11
    assert "Trang 1 / 2" in first.content.decode()


def test_list_empty_states(world: World) -> None:
    client = client_for(world, LEADER)

    plain = client.get(reverse("ioc_alerts:alert_list")).content.decode()
    filtered = client.get(reverse("ioc_alerts:alert_list"), {"severity": "low"}).content.decode()

    assert "Không có cảnh báo nào đang mở" in plain
    assert "Không có cảnh báo nào khớp bộ lọc" in filtered


def test_panel_shows_open_alerts_and_overdue_directives(world: World) -> None:
    for month in range(1, 13):
        make_alert(world, period=f"2025{month:02d}")
    make_alert(world, period="202401", status=AlertStatus.CLOSED, message="Đã đóng từ lâu")
    make_directive(world, title="Quá hạn rồi", deadline=timezone.localdate() - dt.timedelta(days=1))
    make_directive(world, title="Còn hạn")
    client = client_for(world, LEADER)

    response = client.get(reverse("ioc_alerts:panel"))

    body = response.content.decode()
    assert len(response.context["alerts"]) == 10
    assert response.context["alerts"][0].period == "202512"  # newest first
    assert "Đã đóng từ lâu" not in body
    assert "Quá hạn rồi" in body
    assert "Còn hạn" not in body
    assert "<html" not in body


# --- Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [POLICE, ANALYST])
def test_police_and_analysts_are_denied(world: World, role: str) -> None:
    alert = make_alert(world)
    client = client_for(world, role)

    assert client.get(reverse("ioc_alerts:alert_list")).status_code == 403
    assert client.get(reverse("ioc_alerts:panel")).status_code == 403
    assert post(client, reverse("ioc_alerts:alert_close", args=[alert.pk])).status_code == 403


def test_commune_officer_sees_only_their_commune(world: World) -> None:
    own = make_alert(world, department=None)
    other = make_alert(world, unit=world.other_commune, department=None)
    client = client_for(world, COMMUNE)

    listed = [a.pk for a in client.get(reverse("ioc_alerts:alert_list")).context["page"]]

    assert listed == [own.pk]
    assert client.get(reverse("ioc_alerts:alert_detail", args=[other.pk])).status_code == 404
    assert post(client, reverse("ioc_alerts:alert_close", args=[other.pk])).status_code == 404


def test_department_officer_sees_their_department(world: World) -> None:
    own = make_alert(world, unit=world.other_commune)
    other = make_alert(world, period="202508", department=world.other_department)
    client = client_for(world, OFFICER)

    listed = [a.pk for a in client.get(reverse("ioc_alerts:alert_list")).context["page"]]

    assert listed == [own.pk]
    assert client.get(reverse("ioc_alerts:alert_detail", args=[other.pk])).status_code == 404


def test_assigned_user_sees_alert_outside_scope(world: World) -> None:
    alert = make_alert(world, unit=world.other_commune, assigned_to=world.users[COMMUNE])
    client = client_for(world, COMMUNE)

    assert client.get(reverse("ioc_alerts:alert_detail", args=[alert.pk])).status_code == 200


def test_commune_officer_cannot_manage_rules(world: World) -> None:
    client = client_for(world, COMMUNE)

    assert client.get(reverse("ioc_alerts:rule_list")).status_code == 403
    assert client.get(reverse("ioc_alerts:rule_create")).status_code == 403


@pytest.mark.parametrize("role", [OFFICER, COMMUNE])
def test_officers_cannot_issue_or_close_directives(world: World, role: str) -> None:
    directive = make_directive(world)
    client = client_for(world, role)

    assert client.get(reverse("ioc_alerts:directive_create")).status_code == 403
    response = post(client, reverse("ioc_alerts:directive_close", args=[directive.pk]))
    assert response.status_code == 403
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.NEW


def test_leader_cannot_report_progress(world: World) -> None:
    directive = make_directive(world)
    client = client_for(world, LEADER)

    response = post(
        client, reverse("ioc_alerts:directive_update", args=[directive.pk]), {"text": "Xong"}
    )

    assert response.status_code == 403
    assert not directive.updates.exists()


def test_officer_of_other_department_cannot_see_directive(world: World) -> None:
    directive = make_directive(world, department=world.other_department, unit=None)
    client = client_for(world, OFFICER)

    assert (
        client.get(reverse("ioc_alerts:directive_detail", args=[directive.pk])).status_code == 404
    )


# --- Directives ----------------------------------------------------------------------------


def test_directive_lifecycle(world: World) -> None:
    alert = make_alert(world)
    leader = client_for(world, LEADER)
    officer = client_for(world, OFFICER)
    deadline = timezone.localdate() + dt.timedelta(days=5)

    response = post(
        leader,
        reverse("ioc_alerts:directive_create") + f"?alert={alert.pk}",
        {
            "title": "Kiểm tra đê sông Phó Đáy",
            "content": "Cử cán bộ kiểm tra và báo cáo.",
            "alert": alert.pk,
            "department": world.department.pk,
            "deadline": deadline.isoformat(),
        },
    )
    directive = Directive.objects.get()
    assert response.status_code == 302
    assert (directive.alert, directive.indicator, directive.unit) == (
        alert, world.indicator, world.commune,
    )  # fmt: skip
    assert directive.issued_by == world.users[LEADER]
    assert directive.status == DirectiveStatus.NEW

    update_url = reverse("ioc_alerts:directive_update", args=[directive.pk])
    post(officer, update_url, {"text": "Đã cử 2 cán bộ"})
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.IN_PROGRESS

    post(officer, update_url, {"text": "Đã gia cố xong", "marks_done": "on"})
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.DONE
    assert directive.done_at is not None
    assert list(directive.updates.values_list("text", "marks_done")) == [
        ("Đã cử 2 cán bộ", False),
        ("Đã gia cố xong", True),
    ]

    post(
        leader, reverse("ioc_alerts:directive_close", args=[directive.pk]), {"note": "Đạt yêu cầu"}
    )
    directive.refresh_from_db()
    assert directive.status == DirectiveStatus.CLOSED
    assert (directive.closed_by, directive.closing_note) == (world.users[LEADER], "Đạt yêu cầu")
    audited = AuditEvent.objects.filter(object_type="ioc_alerts.directive")
    assert list(audited.values_list("action", flat=True).order_by("id")) == [
        "create", "update", "update", "update",
    ]  # fmt: skip


def test_progress_after_done_is_rejected(world: World) -> None:
    directive = make_directive(world, status=DirectiveStatus.DONE)
    client = client_for(world, OFFICER)

    response = post(
        client, reverse("ioc_alerts:directive_update", args=[directive.pk]), {"text": "Thêm"}
    )

    assert response.status_code == 409
    assert not directive.updates.exists()


def test_overdue_directive(world: World) -> None:
    today = timezone.localdate()
    late = make_directive(world, title="Trễ hạn", deadline=today - dt.timedelta(days=2))
    on_time = make_directive(world, title="Đúng hạn")
    done_late = make_directive(
        world, title="Xong nhưng trễ", deadline=today - dt.timedelta(days=2),
        status=DirectiveStatus.DONE,
    )  # fmt: skip
    client = client_for(world, LEADER)

    assert late.is_overdue()
    assert not on_time.is_overdue()
    assert not done_late.is_overdue()
    listed = client.get(reverse("ioc_alerts:directive_list"), {"overdue": "1"}).context["page"]
    assert [d.title for d in listed] == ["Trễ hạn"]
    detail = client.get(reverse("ioc_alerts:directive_detail", args=[late.pk])).content.decode()
    assert 'data-testid="overdue"' in detail


def test_directive_list_filters_and_empty_state(world: World) -> None:
    make_directive(world, title="Của Sở TNMT")
    make_directive(world, title="Của Sở Y tế", department=world.other_department)
    client = client_for(world, LEADER)
    url = reverse("ioc_alerts:directive_list")

    by_department = client.get(url, {"department": world.other_department.pk}).context["page"]
    closed = client.get(url, {"status": "closed"})

    assert [d.title for d in by_department] == ["Của Sở Y tế"]
    assert "Không có chỉ đạo nào khớp bộ lọc" in closed.content.decode()


def test_directive_list_empty(world: World) -> None:
    client = client_for(world, COMMUNE)

    body = client.get(reverse("ioc_alerts:directive_list")).content.decode()

    assert "Chưa có chỉ đạo nào" in body


def test_directive_form_errors_name_fields(world: World) -> None:
    client = client_for(world, LEADER)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = post(
        client,
        reverse("ioc_alerts:directive_create"),
        {"title": "", "content": "Làm ngay", "deadline": yesterday.isoformat()},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "Tiêu đề: nhập tiêu đề ngắn cho chỉ đạo." in body
    assert "Sở, ngành được giao: chọn sở, ngành thực hiện chỉ đạo." in body
    assert f"Hạn xử lý: ngày {yesterday:%d/%m/%Y} đã qua" in body
    assert "Chỉ tiêu: chọn chỉ tiêu mà chỉ đạo liên quan" in body
    assert not Directive.objects.exists()


# --- Rules ---------------------------------------------------------------------------------


def rule_data(world: World, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Mực nước vượt báo động 3",
        "kind": "threshold",
        "indicator": world.indicator.pk,
        "comparison": "gt",
        "threshold": "300",
        "anomaly_score": "3.5",
        "direction": "both",
        "min_history_years": "3",
        "event_count": "1",
        "window_minutes": "60",
        "severity": "high",
        "active": "on",
    }
    data.update(fields)
    return data


def test_create_threshold_rule_checks_existing_data(world: World, store: Any) -> None:
    store(world.indicator, world.commune, {"202507": 350.0})
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:rule_create"), rule_data(world, unit_code="8707"))

    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.unit, rule.created_by) == (world.commune, world.users[LEADER])
    assert Alert.objects.get().rule == rule
    assert rule.last_status["fired"] == 1


def test_department_officer_rule_gets_their_department(world: World) -> None:
    client = client_for(world, OFFICER)

    post(
        client,
        reverse("ioc_alerts:rule_create"),
        rule_data(world, department=world.other_department.pk),
    )

    assert AlertRule.objects.get().department == world.department


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Tên: nhập tên cho quy tắc."),
        ({"indicator": ""}, "Chỉ tiêu: chọn chỉ tiêu mà quy tắc ngưỡng hoặc bất thường theo dõi."),
        ({"comparison": ""}, "Phép so sánh: chọn &gt;, ≥, &lt; hoặc ≤ cho quy tắc ngưỡng."),
        ({"threshold": ""}, "Ngưỡng: nhập giá trị mà chỉ tiêu không được vượt qua."),
        ({"unit_code": "99999"}, "Đơn vị: không có đơn vị hành chính nào mang mã 99999."),
        (
            {"kind": "anomaly", "anomaly_score": "0"},
            "Ngưỡng điểm bất thường: nhập một số lớn hơn 0",
        ),
        ({"kind": "event", "event_type": ""}, "Loại sự kiện: nhập loại sự kiện cần theo dõi"),
        (
            {"kind": "event", "event_type": "flood", "window_minutes": "0"},
            "Khoảng thời gian (phút): nhập ít nhất 1 phút.",
        ),
    ],
)
def test_rule_form_errors_name_fields(world: World, fields: dict[str, Any], message: str) -> None:
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:rule_create"), rule_data(world, **fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AlertRule.objects.exists()


def test_anomaly_rule_on_daily_indicator_is_rejected(world: World) -> None:
    world.indicator.periodicity = "day"
    world.indicator.save()
    client = client_for(world, LEADER)

    response = post(client, reverse("ioc_alerts:rule_create"), rule_data(world, kind="anomaly"))

    assert response.status_code == 400
    assert "quy tắc bất thường cần số liệu tháng, quý" in response.content.decode()


def test_rule_check_now_reports_status(world: World, store: Any) -> None:
    store(world.indicator, world.commune, {"202507": 350.0})
    rule = make_rule(world)
    client = client_for(world, LEADER)

    post(client, reverse("ioc_alerts:rule_check", args=[rule.pk]))
    body = client.get(reverse("ioc_alerts:rule_list")).content.decode()

    assert Alert.objects.filter(rule=rule).count() == 1
    assert "Đã kiểm tra 1, 1 vi phạm quy tắc." in body


def test_rule_list_empty_state(world: World) -> None:
    client = client_for(world, OFFICER)

    body = client.get(reverse("ioc_alerts:rule_list")).content.decode()

    assert "Chưa có quy tắc cảnh báo nào" in body


def test_department_officer_cannot_edit_other_departments_rule(world: World) -> None:
    rule = make_rule(world)
    rule.department = world.other_department
    rule.save()
    client = client_for(world, OFFICER)

    assert client.get(reverse("ioc_alerts:rule_edit", args=[rule.pk])).status_code == 404


def test_pages_in_english(world: World) -> None:
    alert = make_alert(world)
    client = client_for(world, LEADER)
    client.cookies["tinhso_language"] = "en"

    listing = client.get(reverse("ioc_alerts:alert_list")).content.decode()
    detail = client.get(reverse("ioc_alerts:alert_detail", args=[alert.pk])).content.decode()

    assert "Mực nước sông Phó Đáy of Phường Vĩnh Yên in month 07/2025 is 320 cm" in listing
    assert "Acknowledge" in detail


def test_inactive_rule_is_saved_without_alerts(world: World, store: Any) -> None:
    store(world.indicator, world.commune, {"202507": 350.0})
    client = client_for(world, LEADER)
    data = rule_data(world)
    del data["active"]

    response = post(client, reverse("ioc_alerts:rule_create"), data)

    assert response.status_code == 302
    assert AlertRule.objects.get().active is False
    assert not Alert.objects.exists()
