"""Test helpers for accounts: one user per role, logins with a verified second factor, TOTP codes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core.models import Department, Role, Unit, User

VINH_YEN_CODE = "08707"
"""Phường Vĩnh Yên since 1 July 2025; before that the same code was Phường Tích Sơn."""

ANONYMOUS = "anonymous"
ADMIN_WITHOUT_OTP = "administrator_without_otp"
ADMIN = "administrator"
STAFF_ROLES = (
    Role.PROVINCIAL_LEADER.value,
    Role.DEPARTMENT_OFFICER.value,
    Role.COMMUNE_OFFICER.value,
    Role.POLICE_OFFICER.value,
    Role.SECURITY_ANALYST.value,
)
ALL_ROLES = (ANONYMOUS, *STAFF_ROLES, ADMIN_WITHOUT_OTP, ADMIN)


def current_vinh_yen() -> Unit:
    return Unit.objects.get(code=VINH_YEN_CODE, valid_to__isnull=True)


def make_department(code: str = "so-tnmt", name: str = "Sở Tài nguyên và Môi trường") -> Department:
    return Department.objects.create(code=code, name=name)


def make_administrator(make_user: Callable[..., Any], username: str = "quantri") -> User:
    """A system administrator as ``tinhso createadmin`` makes one: staff and superuser."""
    user: User = make_user(username, Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True)
    return user


def make_role_users(make_user: Callable[..., Any], department: Department) -> dict[str, User]:
    """One user per role of ``ALL_ROLES`` except the anonymous visitor."""
    return {
        Role.PROVINCIAL_LEADER: make_user("lanhdao", Role.PROVINCIAL_LEADER),
        Role.DEPARTMENT_OFFICER: make_user(
            "canbo-so", Role.DEPARTMENT_OFFICER, department=department
        ),
        Role.COMMUNE_OFFICER: make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen()),
        Role.POLICE_OFFICER: make_user("congan", Role.POLICE_OFFICER),
        Role.SECURITY_ANALYST: make_user("phantich", Role.SECURITY_ANALYST),
        ADMIN_WITHOUT_OTP: make_administrator(make_user, "quantri-chua-xac-thuc"),
        ADMIN: make_administrator(make_user, "quantri"),
    }


def confirmed_device(user: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return device


def login_verified(client: Client, user: User) -> TOTPDevice:
    """Log ``user`` in with a confirmed TOTP device, as ``django_otp.login`` leaves the session."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for ``device``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return str(totp.token()).zfill(device.digits)
