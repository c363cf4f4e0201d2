"""TOTP second factor: enrolment with a QR code and verification at login."""

from __future__ import annotations

import base64
import io
import logging
import math

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import audit
from tinhso.core.models import AuditAction, User

logger = logging.getLogger(__name__)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: User) -> TOTPDevice:
    """Return the unconfirmed device being enrolled, creating it on the first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """Render the device's otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def base32_secret(device: TOTPDevice) -> str:
    """Return the secret as the base32 text that authenticator apps accept for manual entry."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def seconds_until_allowed(user: User) -> int:
    """Seconds the user must wait before the next code is checked; 0 when it is checked now.

    django-otp doubles the wait after each wrong code (1 s, 2 s, 4 s, ...), and during the
    wait even the right code is refused, so the form says so instead of calling it wrong.
    """
    device = confirmed_device(user) or pending_device(user)
    allowed, details = device.verify_is_allowed()
    if allowed or not details or details.get("locked_until") is None:
        return 0
    remaining = (details["locked_until"] - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def verify(request: object, user: User, token: str) -> bool:
    """Check ``token`` against the user's confirmed device, or confirm the pending one."""
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return False
    confirmed = confirmed_device(user)
    enrolling = confirmed is None
    device = pending_device(user) if confirmed is None else confirmed
    if not device.verify_token(token):
        logger.info("Wrong or throttled TOTP token for user id %s", user.pk)
        return False
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit.record(AuditAction.UPDATE, user, extra={"totp": "enrolled"})
        otp_login(request, device)
    return True
