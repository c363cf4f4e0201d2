"""API keys issued to agencies, their rate-limit windows, and the API access log."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "tsk"


class Scope(models.TextChoices):
    """What an API key may do. Public reference data (units) needs no key at all."""

    UNITS_READ = "units:read", _("read administrative units")
    GEO_READ = "geo:read", _("read map layers")
    IOC_READ = "ioc:read", _("read IOC indicators and values")
    IOC_WRITE = "ioc:write", _("push IOC values")
    PERSONAL_DATA = "personal:read", _("read personal data")


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


class ApiKey(models.Model):
    """A key an agency's system sends as ``Authorization: Bearer KEY``.

    Only the SHA-256 of the key is stored; the key itself is shown once, when issued.
    ``prefix`` (the first characters) identifies the key in logs and in the admin.
    """

    department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("agency"),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("rate limit (requests per minute)"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.department})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new random key and its public prefix."""
        prefix = f"{KEY_PREFIX}_{secrets.token_hex(4)}"
        return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


class RateWindow(models.Model):
    """Requests counted for one key in one minute; shared by every web process through the database."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "window_start"], name="ratewindow_unique_minute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}@{self.window_start:%H:%M}: {self.count}"


class ApiAccessLog(models.Model):
    """One request to the API or a map service, with the key that made it."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key_prefix = models.CharField(max_length=16, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    query = models.CharField(max_length=1000, blank=True)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("API access")
        verbose_name_plural = _("API access log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
