"""Audit receivers: logins, failed logins, logouts, and changes to audited models.

Changes made through ``save()`` and ``delete()`` (the admin site, forms, services) are
captured here with before/after values. Bulk operations bypass Django signals, so the
services that use them write their own audit rows through ``tinhso.core.audit``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from tinhso.core import audit
from tinhso.core.models import AuditAction, Department, Unit, UnitLink, User

logger = logging.getLogger(__name__)

# Models whose every change is a domain change the audit log must show. Apps add theirs
# with register_audited().
AUDITED_MODELS: set[type[models.Model]] = {Unit, UnitLink, Department, User}

_BEFORE_ATTR = "_tinhso_audit_before"
_SECRETS_BEFORE_ATTR = "_tinhso_audit_secrets_before"


def register_audited(model: type[models.Model]) -> type[models.Model]:
    """Add ``model`` to the audited models; usable as a class decorator."""
    AUDITED_MODELS.add(model)
    return model


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit.record(
        AuditAction.LOGIN,
        user,
        context=audit.AuditContext(
            actor_name=user.get_username(),
            user=user,
            request_id=getattr(request, "request_id", ""),
            ip_address=_client_ip(request),
        ),
    )


@receiver(user_logged_out)
def audit_logout(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is None:
        return
    audit.record(
        AuditAction.LOGOUT,
        user,
        context=audit.AuditContext(
            actor_name=user.get_username(),
            user=user,
            request_id=getattr(request, "request_id", ""),
            ip_address=_client_ip(request),
        ),
    )


@receiver(user_login_failed)
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        AuditAction.LOGIN_FAILED,
        None,
        object_type="core.user",
        object_repr=username,
        context=audit.AuditContext(
            actor_name=username,
            request_id=getattr(request, "request_id", ""),
            ip_address=_client_ip(request),
        ),
    )


@receiver(pre_save)
def remember_before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender not in AUDITED_MODELS or instance.pk is None or kwargs.get("raw"):
        return
    previous = sender._default_manager.filter(pk=instance.pk).first()
    setattr(instance, _BEFORE_ATTR, audit.snapshot(previous) if previous else None)
    setattr(instance, _SECRETS_BEFORE_ATTR, audit.secret_values(previous) if previous else None)


@receiver(post_save)
def audit_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if sender not in AUDITED_MODELS or kwargs.get("raw"):
        return
    before = None if created else getattr(instance, _BEFORE_ATTR, None)
    after = audit.snapshot(instance)
    changed_secrets: list[str] = []
    secrets_before = getattr(instance, _SECRETS_BEFORE_ATTR, None)
    if not created and secrets_before is not None:
        secrets_after = audit.secret_values(instance)
        changed_secrets = [
            name for name in secrets_after if secrets_after[name] != secrets_before[name]
        ]
    if not created and before == after and not changed_secrets:
        return  # a save that changed nothing (last_login bookkeeping, idempotent re-imports)
    audit.record(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        instance,
        before=before,
        after=after,
        extra={"changed_secrets": changed_secrets} if changed_secrets else None,
    )


@receiver(post_delete)
def audit_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender not in AUDITED_MODELS:
        return
    audit.record(AuditAction.DELETE, instance, before=audit.snapshot(instance))
