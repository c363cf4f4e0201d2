"""Logging in: password rules, lockout, TOTP for administrators, idle timeout, logout, CSRF."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts import confirmed_device, make_administrator, totp_code
from tests.conftest import PASSWORD
from tinhso.core.middleware import IdleSessionTimeoutMiddleware
from tinhso.core.models import AuditAction, AuditEvent, Role, User

LAST_ACTIVITY = IdleSessionTimeoutMiddleware.SESSION_KEY

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
TOO_COMMON = "This password is too common."
NUMERIC = "This password is entirely numeric."
CHARACTER_CLASSES = "The password must contain letters, digits and at least one symbol."
SIMILAR = "The password is too similar to the username."
WRONG_PASSWORD = (
    "Please enter a correct username and password. Note that both fields may be case-sensitive."
)
WRONG_CODE = "The code is wrong or has expired. Enter the code your app shows now."
IDLE_LOGOUT = "Your session ended after a period of inactivity. Please log in again."


@pytest.fixture
def english_client() -> Client:
    """A browser that chose English, so that messages can be compared word for word."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post("/login/", {"username": username, "password": password, **extra})


def location(response: Any) -> str:
    return str(response["Location"])


def next_of(response: Any) -> str:
    """The ``next`` query parameter of a redirect."""
    return parse_qs(urlsplit(location(response)).query)["next"][0]


# --- Password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("Ab1!", [TOO_SHORT]),
        ("phutho-tinh-so", [CHARACTER_CLASSES]),
        ("202507012025", [NUMERIC, CHARACTER_CLASSES]),
        ("password", [TOO_SHORT, TOO_COMMON, CHARACTER_CLASSES]),
        ("nguyenvanan-1", [SIMILAR]),
    ],
)
def test_password_rules_reject(password: str, messages: list[str]) -> None:
    user = User(username="nguyenvanan")

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        validate_password(password, user)

    assert raised.value.messages == messages


@pytest.mark.parametrize("password", [PASSWORD, "Tinh so 2025 Phu Tho", "mật khẩu 2025 dài"])
def test_password_rules_accept(password: str) -> None:
    validate_password(password, User(username="nguyenvanan"))


# --- Password login and lockout ---------------------------------------------------------------


def test_login_redirects_home(english_client: Client, make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)

    response = log_in(english_client, "lanhdao")

    assert location(response) == "/"


def test_wrong_password_shows_message(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)

    response = log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    with translation.override("en"):
        assert WRONG_PASSWORD in response.context["form"].non_field_errors()


def test_fifth_wrong_password_locks_out(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    for _attempt in range(4):
        log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    response = log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    assert response.status_code == 429
    assert b'data-testid="locked-out"' in response.content


def test_fourth_wrong_password_does_not_lock_out(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    for _attempt in range(3):
        log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    response = log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    assert response.status_code == 200


def test_failed_logins_are_audited(english_client: Client, make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    for _attempt in range(5):
        log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_name="lanhdao")

    assert failures.count() == 5


def test_locked_account_rejects_right_password(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    for _attempt in range(5):
        log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    response = log_in(english_client, "lanhdao")

    assert response.status_code == 429
    assert "_auth_user_id" not in english_client.session


def test_lockout_applies_in_other_browser(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    for _attempt in range(5):
        log_in(english_client, "lanhdao", "Sai-mat-khau-1")

    response = log_in(Client(), "lanhdao")

    assert response.status_code == 429


# --- Second factor ----------------------------------------------------------------------------


def test_administrator_login_leads_to_otp(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_administrator(make_user)

    response = log_in(english_client, "quantri", next="/admin/")

    assert urlsplit(location(response)).path == "/otp/"
    assert next_of(response) == "/admin/"


def test_otp_redirect_keeps_next_query(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_administrator(make_user)
    target = "/admin/core/auditevent/?action__exact=login&q=lanhdao"

    response = log_in(english_client, "quantri", next=target)

    assert next_of(response) == target


def test_admin_without_otp_sent_to_otp(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_administrator(make_user)
    log_in(english_client, "quantri")

    response = english_client.get("/admin/")

    assert urlsplit(location(response)).path == "/otp/"


def test_first_otp_visit_shows_enrolment(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_administrator(make_user)
    log_in(english_client, "quantri")

    response = english_client.get("/otp/")

    assert response.context["enrolling"] is True
    assert response.context["qr_code"].startswith("data:image/svg+xml;base64,")


def test_enrolment_confirms_device_and_opens_admin(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    admin = make_administrator(make_user)
    log_in(english_client, "quantri")
    english_client.get("/otp/")
    pending = TOTPDevice.objects.get(user=admin, confirmed=False)

    response = english_client.post("/otp/", {"token": totp_code(pending), "next": "/admin/"})

    assert location(response) == "/admin/"
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed is True
    assert english_client.get("/admin/").status_code == 200


def test_enrolment_is_audited(english_client: Client, make_user: Callable[..., User]) -> None:
    admin = make_administrator(make_user)
    log_in(english_client, "quantri")
    english_client.get("/otp/")
    pending = TOTPDevice.objects.get(user=admin, confirmed=False)

    english_client.post("/otp/", {"token": totp_code(pending)})

    enrolments = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(admin.pk), extra={"totp": "enrolled"}
    )
    assert enrolments.count() == 1


def test_enrolled_administrator_verifies_code(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    device = confirmed_device(make_administrator(make_user))
    log_in(english_client, "quantri")

    page = english_client.get("/otp/")
    response = english_client.post("/otp/", {"token": totp_code(device), "next": "/admin/"})

    assert page.context["enrolling"] is False
    assert location(response) == "/admin/"
    assert english_client.get("/admin/").status_code == 200


def test_wrong_code_is_rejected_with_message(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    device = confirmed_device(make_administrator(make_user))
    log_in(english_client, "quantri")
    wrong = str((int(totp_code(device)) + 1) % 1_000_000).zfill(6)

    response = english_client.post("/otp/", {"token": wrong, "next": "/admin/"})

    assert response.status_code == 200
    assert response.context["form"].errors["token"] == [WRONG_CODE]
    assert urlsplit(location(english_client.get("/admin/"))).path == "/otp/"


def test_enrolled_staff_member_must_verify(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    confirmed_device(make_user("lanhdao", Role.PROVINCIAL_LEADER))

    response = log_in(english_client, "lanhdao")

    assert urlsplit(location(response)).path == "/otp/"


def test_staff_member_without_device_needs_no_otp(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    log_in(english_client, "lanhdao")

    assert english_client.get("/").status_code == 200


def test_staff_at_admin_gets_403(english_client: Client, make_user: Callable[..., User]) -> None:
    make_user("canbo-so", Role.SECURITY_ANALYST)
    log_in(english_client, "canbo-so")

    response = english_client.get("/admin/", follow=True)

    assert response.status_code == 403


def test_anonymous_admin_visit_ends_at_login(english_client: Client) -> None:
    response = english_client.get("/admin/core/auditevent/", follow=True)

    assert response.request["PATH_INFO"] == "/login/"
    assert response.context["next"] == "/admin/core/auditevent/"


# --- Idle timeout and logout ------------------------------------------------------------------


def set_last_activity(client: Client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - seconds_ago
    session.save()


@override_settings(TINHSO_SESSION_IDLE_SECONDS=60)
def test_idle_session_is_logged_out(english_client: Client, make_user: Callable[..., User]) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    set_last_activity(english_client, 61)

    response = english_client.get("/otp/")

    assert urlsplit(location(response)).path == "/login/"
    assert "_auth_user_id" not in english_client.session


@override_settings(TINHSO_SESSION_IDLE_SECONDS=60)
def test_idle_logout_explains_itself(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    set_last_activity(english_client, 61)

    response = english_client.get("/otp/", follow=True)

    assert IDLE_LOGOUT in [str(message) for message in response.context["messages"]]


@override_settings(TINHSO_SESSION_IDLE_SECONDS=60)
def test_idle_logout_is_audited(english_client: Client, make_user: Callable[..., User]) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    set_last_activity(english_client, 61)

    english_client.get("/otp/")

    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor_name="lanhdao").exists()


@override_settings(TINHSO_SESSION_IDLE_SECONDS=60)
def test_active_session_stays_logged_in(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    set_last_activity(english_client, 50)

    response = english_client.get("/otp/")

    assert response.status_code == 200


@override_settings(TINHSO_SESSION_IDLE_SECONDS=60)
def test_request_renews_last_activity(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    set_last_activity(english_client, 50)
    english_client.get("/otp/")

    assert english_client.session[LAST_ACTIVITY] > int(time.time()) - 50


def test_logout_by_get_is_not_allowed(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))

    response = english_client.get("/logout/")

    assert response.status_code == 405
    assert "_auth_user_id" in english_client.session


def test_logout_by_post_ends_session(
    english_client: Client, make_user: Callable[..., User]
) -> None:
    english_client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))

    response = english_client.post("/logout/")

    assert location(response) == "/"
    assert "_auth_user_id" not in english_client.session


# --- CSRF -------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_rejected(make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")

    response = log_in(client, "lanhdao")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_with_csrf_token_succeeds(make_user: Callable[..., User]) -> None:
    make_user("lanhdao", Role.PROVINCIAL_LEADER)
    client = Client(enforce_csrf_checks=True)
    token = client.get("/login/").context["csrf_token"]

    response = log_in(client, "lanhdao", csrfmiddlewaretoken=str(token))

    assert location(response) == "/"


def test_logout_without_csrf_token_is_rejected(make_user: Callable[..., User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))

    response = client.post("/logout/")

    assert response.status_code == 403
    assert "_auth_user_id" in client.session
