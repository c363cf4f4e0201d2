"""Writing the audit log.

The actor and request of the current unit of work live in a context variable: the web
middleware sets it per request, the command line sets it per command. Service functions
call :func:`record` (or :func:`record_many` for bulk imports) inside their own
transaction, so an audit row is committed exactly when the change it describes is.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from tinhso.core.models import AuditAction, AuditEvent, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and in which request; ``user`` is None for the system or an API key."""

    actor_name: str
    user: User | None = None
    request_id: str = ""
    ip_address: str | None = None


_SYSTEM = AuditContext(actor_name="system")
_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "tinhso_audit_context", default=_SYSTEM
)


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def acting_as(context: AuditContext) -> Iterator[AuditContext]:
    """Attribute every audit row written inside the block to ``context``."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


# Fields whose values never enter the audit log. A change to one is recorded by its name only,
# in ``extra["changed_secrets"]``.
SECRET_FIELDS = frozenset({"password", "key_hash"})
# Bookkeeping that changes at every login, which has its own audit row.
UNAUDITED_FIELDS = frozenset({"last_login"})


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-ready data, for before/after columns.

    Secret fields and login bookkeeping are left out.
    """
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.name in UNAUDITED_FIELDS:
            continue
        value = field.value_from_object(instance)
        data[field.attname] = to_json_value(value)
    return data


def secret_values(instance: models.Model) -> dict[str, object]:
    """Return the values of the secret fields of ``instance``, to compare before and after a save."""
    names = {field.name for field in instance._meta.concrete_fields} & SECRET_FIELDS
    return {name: getattr(instance, name) for name in sorted(names)}


def to_json_value(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _event(
    action: str,
    instance: models.Model | None,
    *,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    context: AuditContext | None = None,
) -> AuditEvent:
    ctx = context or current()
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)[:300]
    return AuditEvent(
        actor=ctx.user,
        actor_name=ctx.actor_name[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=before,
        after=after,
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
        extra=extra or {},
    )


def record(
    action: AuditAction | str,
    instance: models.Model | None = None,
    **fields: Any,
) -> AuditEvent:
    """Insert one audit row for ``action`` on ``instance`` by the current actor."""
    event = _event(str(action), instance, **fields)
    event.save()
    return event


def record_many(events: Iterable[AuditEvent]) -> int:
    """Insert audit rows built with :func:`build` in one statement per 1,000 rows."""
    created = AuditEvent.objects.bulk_create(list(events), batch_size=1000)
    return len(created)


def build(
    action: AuditAction | str, instance: models.Model | None = None, **fields: Any
) -> AuditEvent:
    """An unsaved audit row, for :func:`record_many`."""
    return _event(str(action), instance, **fields)
