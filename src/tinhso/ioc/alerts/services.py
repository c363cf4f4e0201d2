"""Actions on alerts and directives. Each runs in one transaction and leaves a log row.

``save()`` feeds the audit signals, so the audit log gets the before and after state of
every alert and directive; :class:`AlertActivity` and :class:`DirectiveUpdate` rows keep
who did what, with their notes, for the pages.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from tinhso.core.models import Department, User
from tinhso.ioc.alerts.evaluation import record_activity
from tinhso.ioc.alerts.models import (
    ActivityAction,
    Alert,
    AlertStatus,
    Directive,
    DirectiveStatus,
    DirectiveUpdate,
)

logger = logging.getLogger(__name__)


class TransitionError(ValueError):
    """The alert or directive is in a status from which the action is not possible."""


@transaction.atomic
def acknowledge(alert: Alert, user: User, note: str = "") -> None:
    if alert.status != AlertStatus.NEW:
        raise TransitionError(alert.status)
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.save()
    record_activity(alert, ActivityAction.ACKNOWLEDGED, note=note, user=user)


@transaction.atomic
def assign(
    alert: Alert,
    user: User,
    *,
    assignee: User | None,
    department: Department | None,
    note: str = "",
) -> None:
    """Give ``alert`` to a user, a department or both; the department becomes responsible."""
    if alert.status == AlertStatus.CLOSED:
        raise TransitionError(alert.status)
    details: dict[str, object] = {}
    if assignee is not None:
        alert.assigned_to = assignee
        details["user"] = assignee.get_username()
    if department is not None:
        alert.department = department
        details["department"] = department.code
    alert.save()
    record_activity(alert, ActivityAction.ASSIGNED, note=note, details=details, user=user)


@transaction.atomic
def add_note(alert: Alert, user: User, note: str) -> None:
    record_activity(alert, ActivityAction.NOTE, note=note, user=user)


@transaction.atomic
def resolve(alert: Alert, user: User, note: str = "") -> None:
    if alert.status not in {AlertStatus.NEW, AlertStatus.ACKNOWLEDGED}:
        raise TransitionError(alert.status)
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = timezone.now()
    alert.save()
    record_activity(alert, ActivityAction.RESOLVED, note=note, user=user)


@transaction.atomic
def close(alert: Alert, user: User, note: str = "") -> None:
    if alert.status == AlertStatus.CLOSED:
        raise TransitionError(alert.status)
    alert.status = AlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.save()
    record_activity(alert, ActivityAction.CLOSED, note=note, user=user)


@transaction.atomic
def report_progress(directive: Directive, user: User, text: str, *, done: bool) -> DirectiveUpdate:
    """Record the department's progress; ``done`` reports the directive carried out."""
    if directive.status in {DirectiveStatus.DONE, DirectiveStatus.CLOSED}:
        raise TransitionError(directive.status)
    update = DirectiveUpdate.objects.create(
        directive=directive,
        author=user,
        author_name=user.get_username(),
        text=text,
        marks_done=done,
    )
    if done:
        directive.status = DirectiveStatus.DONE
        directive.done_at = timezone.now()
    else:
        directive.status = DirectiveStatus.IN_PROGRESS
    directive.save()
    return update


@transaction.atomic
def close_directive(directive: Directive, user: User, note: str = "") -> None:
    if directive.status == DirectiveStatus.CLOSED:
        raise TransitionError(directive.status)
    directive.status = DirectiveStatus.CLOSED
    directive.closed_at = timezone.now()
    directive.closed_by = user
    directive.closing_note = note
    directive.save()
