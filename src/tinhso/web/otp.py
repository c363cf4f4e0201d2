"""TOTP second factor: enrolment with a QR code and verification at login."""

from __future__ import annotations

import base64
import io
import logging

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tinhso.core import audit
from tinhso.core.models import AuditAction, User

logger = logging.getLogger(__name__)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first call."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code in a data: URI (allowed by the CSP)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def base32_secret(device: TOTPDevice) -> str:
    """The secret as the base32 text that authenticator apps accept for manual entry."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def verify(request: object, user: User, token: str) -> bool:
    """Check ``token`` against the user's confirmed device, or confirm the pending one."""
    token = token.strip().replace(" ", "")
    if not token.isdigit():
        return False
    confirmed = confirmed_device(user)
    enrolling = confirmed is None
    device = pending_device(user) if confirmed is None else confirmed
    if not device.verify_token(token):
        logger.info("Wrong TOTP token for user id %s", user.pk)
        return False
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit.record(AuditAction.UPDATE, user, extra={"totp": "enrolled"})
        otp_login(request, device)
    return True
