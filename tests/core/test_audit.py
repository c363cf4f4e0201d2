"""The audit log: logins, changes made in the admin site, reads of personal data, the log's admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.accounts import login_verified, make_administrator
from tests.conftest import PASSWORD
from tinhso.core import audit
from tinhso.core.models import AuditAction, AuditEvent, Department, Role, User


def log_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login/", {"username": username, "password": password})


@pytest.fixture
def admin_client(make_user: Callable[..., User]) -> Client:
    """A browser of an administrator who has passed TOTP."""
    client = Client()
    login_verified(client, make_administrator(make_user))
    return client


@pytest.fixture
def department(db: None) -> Department:
    return Department.objects.create(code="so-yt", name="Sở Y tế", name_en="Department of Health")


def only_event(**filters: Any) -> AuditEvent:
    events = list(AuditEvent.objects.filter(**filters))
    assert len(events) == 1, f"expected one audit row for {filters}, found {len(events)}"
    return events[0]


# --- Logins -----------------------------------------------------------------------------------


def test_login_writes_row(client: Client, make_user: Callable[..., User]) -> None:
    user = make_user("lanhdao", Role.PROVINCIAL_LEADER)

    response = log_in(client, "lanhdao")

    event = only_event(action=AuditAction.LOGIN)
    assert event.actor == user
    assert event.request_id == response["X-Request-ID"]
    assert event.ip_address == "127.0.0.1"


def test_login_writes_no_update_row(client: Client, make_user: Callable[..., User]) -> None:
    # Saving last_login is bookkeeping of the login, which has its own row.
    make_user("lanhdao", Role.PROVINCIAL_LEADER)

    log_in(client, "lanhdao")

    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_failed_login_writes_row(client: Client, make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)

    response = log_in(client, "lanhdao", "Sai-mat-khau-1")

    event = only_event(action=AuditAction.LOGIN_FAILED)
    assert event.actor_name == "lanhdao"
    assert event.actor is None
    assert event.request_id == response["X-Request-ID"]


def test_failed_login_row_keeps_no_password(client: Client, make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)

    log_in(client, "lanhdao", "Sai-mat-khau-1")

    event = only_event(action=AuditAction.LOGIN_FAILED)
    assert "Sai-mat-khau-1" not in repr([event.before, event.after, event.extra])


def test_logout_writes_row(client: Client, make_user: Callable[..., User]) -> None:
    user = make_user("lanhdao", Role.PROVINCIAL_LEADER)
    client.force_login(user)

    response = client.post("/logout/")

    event = only_event(action=AuditAction.LOGOUT)
    assert event.actor == user
    assert event.request_id == response["X-Request-ID"]


# --- Changes through the admin site -----------------------------------------------------------


def test_admin_create_writes_row(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/core/department/add/",
        {"code": "so-gd", "name": "Sở Giáo dục và Đào tạo", "name_en": "", "unit": ""},
    )

    created = Department.objects.get(code="so-gd")
    event = only_event(action=AuditAction.CREATE, object_type="core.department")
    assert response.status_code == 302
    assert event.object_id == str(created.pk)
    assert event.before is None
    assert event.after["name"] == "Sở Giáo dục và Đào tạo"
    assert event.actor_name == "quantri"
    assert event.request_id == response["X-Request-ID"]


def test_admin_update_writes_before_and_after(admin_client: Client, department: Department) -> None:
    response = admin_client.post(
        f"/admin/core/department/{department.pk}/change/",
        {"code": "so-yt", "name": "Sở Y tế tỉnh Phú Thọ", "name_en": "Department of Health"},
    )

    event = only_event(action=AuditAction.UPDATE, object_type="core.department")
    assert response.status_code == 302
    assert event.changed_fields() == {"name": ("Sở Y tế", "Sở Y tế tỉnh Phú Thọ")}
    assert event.request_id == response["X-Request-ID"]


def test_admin_delete_writes_before(admin_client: Client, department: Department) -> None:
    response = admin_client.post(f"/admin/core/department/{department.pk}/delete/", {"post": "yes"})

    event = only_event(action=AuditAction.DELETE, object_type="core.department")
    assert response.status_code == 302
    assert event.object_id == str(department.pk)
    assert event.before["code"] == "so-yt"
    assert event.after is None
    assert event.request_id == response["X-Request-ID"]


def test_unchanged_save_writes_no_row(admin_client: Client, department: Department) -> None:
    admin_client.post(
        f"/admin/core/department/{department.pk}/change/",
        {"code": "so-yt", "name": "Sở Y tế", "name_en": "Department of Health"},
    )

    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()


def test_password_change_writes_row_without_hash(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user("lanhdao", Role.PROVINCIAL_LEADER)

    admin_client.post(
        f"/admin/core/user/{user.pk}/password/",
        {"password1": "Mat-khau-moi-2026", "password2": "Mat-khau-moi-2026"},
    )

    event = only_event(action=AuditAction.UPDATE, object_id=str(user.pk))
    assert event.extra == {"changed_secrets": ["password"]}
    assert "password" not in event.before
    assert "password" not in event.after


# --- Reads of personal data -------------------------------------------------------------------


def test_user_change_page_writes_personal_read(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user("lanhdao", Role.PROVINCIAL_LEADER, citizen_id="026090001234")

    response = admin_client.get(f"/admin/core/user/{user.pk}/change/")

    event = only_event(action=AuditAction.READ_PERSONAL)
    assert response.status_code == 200
    assert event.object_id == str(user.pk)
    assert event.actor_name == "quantri"
    assert event.extra == {"fields": ["citizen_id", "phone"]}
    assert event.request_id == response["X-Request-ID"]


def test_user_list_writes_no_personal_read(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER, citizen_id="026090001234")

    admin_client.get("/admin/core/user/")

    assert not AuditEvent.objects.filter(action=AuditAction.READ_PERSONAL).exists()


# --- The audit log in the admin site ----------------------------------------------------------


@pytest.fixture
def logged_actions(db: None) -> None:
    for actor_name, action in [
        ("lanhdao", AuditAction.LOGIN),
        ("lanhdao", AuditAction.EXPORT),
        ("canbo-xa", AuditAction.LOGIN),
        ("canbo-xa", AuditAction.LOGIN_FAILED),
    ]:
        with audit.acting_as(audit.AuditContext(actor_name=actor_name)):
            audit.record(action, None, object_type="core.user", object_repr=actor_name)


def listed_rows(client: Client, query: str) -> list[tuple[str, str]]:
    response = client.get(f"/admin/core/auditevent/{query}")
    assert response.status_code == 200
    return [(event.actor_name, event.action) for event in response.context["cl"].result_list]


@pytest.mark.usefixtures("logged_actions")
def test_audit_log_search_by_actor(admin_client: Client) -> None:
    assert sorted(listed_rows(admin_client, "?q=canbo-xa")) == [
        ("canbo-xa", "login"),
        ("canbo-xa", "login_failed"),
    ]


@pytest.mark.usefixtures("logged_actions")
def test_audit_log_filter_by_action(admin_client: Client) -> None:
    # The administrator's own login is in the log too.
    assert sorted(listed_rows(admin_client, "?action__exact=login")) == [
        ("canbo-xa", "login"),
        ("lanhdao", "login"),
        ("quantri", "login"),
    ]


@pytest.mark.usefixtures("logged_actions")
def test_audit_log_search_and_filter(admin_client: Client) -> None:
    assert listed_rows(admin_client, "?q=lanhdao&action__exact=export") == [("lanhdao", "export")]


def test_audit_row_cannot_be_changed_in_admin(admin_client: Client) -> None:
    event = audit.record(AuditAction.EXPORT, None, object_repr="bao-cao.xlsx")

    admin_client.post(f"/admin/core/auditevent/{event.pk}/change/", {"object_repr": "khac"})

    assert AuditEvent.objects.get(pk=event.pk).object_repr == "bao-cao.xlsx"


# --- Writing rows outside a request -----------------------------------------------------------


def test_row_outside_request_names_system(department: Department) -> None:
    event = only_event(action=AuditAction.CREATE, object_type="core.department")

    assert event.actor_name == "system"
    assert event.request_id == ""


def test_acting_as_names_actor(db: None) -> None:
    with audit.acting_as(audit.AuditContext(actor_name="cli:vanhanh", request_id="abc12345")):
        event = audit.record(AuditAction.IMPORT, None, object_repr="don-vi.xlsx")

    assert (event.actor_name, event.request_id) == ("cli:vanhanh", "abc12345")


def test_record_many_inserts_rows(db: None) -> None:
    rows = [audit.build(AuditAction.IMPORT, None, object_repr=f"dong {n}") for n in range(3)]

    assert audit.record_many(rows) == 3
    assert AuditEvent.objects.filter(object_repr__startswith="dong ").count() == 3
