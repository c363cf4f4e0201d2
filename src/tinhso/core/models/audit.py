"""The audit log: who did what to which record, when, from which request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logout")
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    READ_PERSONAL = "read_personal", _("read of personal data")
    IMPORT = "import", _("import")
    EXPORT = "export", _("export")


class AuditEvent(models.Model):
    """One audited action. Rows are only ever inserted; the admin shows them read-only."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text so the row still names the actor after the account is deleted,
    # and so command-line and API-key actors ("cli:root", "apikey:abc123") fit too.
    actor_name = models.CharField(_("actor"), max_length=150, blank=True, db_index=True)
    action = models.CharField(
        _("action"), max_length=20, choices=AuditAction.choices, db_index=True
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def changed_fields(self) -> dict[str, tuple[object, object]]:
        """Fields whose value differs between ``before`` and ``after``, as (old, new) pairs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return {
            key: (before.get(key), after.get(key))
            for key in keys
            if before.get(key) != after.get(key)
        }
