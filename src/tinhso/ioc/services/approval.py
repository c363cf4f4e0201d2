"""Submitting and approving values: approval runs the validation rules and stops on a blocking one."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from tinhso.core import audit
from tinhso.core.models import AuditAction, User
from tinhso.ioc.models import DataValue, ValueStatus
from tinhso.ioc.services.validation import Violation, validate
from tinhso.ioc.services.values import superseded_version

logger = logging.getLogger(__name__)


@dataclass
class ApprovalResult:
    approved: list[DataValue] = field(default_factory=list)
    blocked: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)


def approve(
    values: Sequence[DataValue], user: User, *, allow_explained: bool = False
) -> ApprovalResult:
    """Approve ``values`` unless a rule blocks them; all or nothing.

    A growth violation explained by a boundary change still blocks unless the approver
    passes ``allow_explained``, confirming that the break is territorial.
    """
    violations = validate(values)
    result = ApprovalResult()
    for violation in violations:
        explained = allow_explained and bool(violation.explanation)
        (result.warnings if explained or not violation.blocking else result.blocked).append(
            violation
        )
    if result.blocked:
        logger.info(
            "Approval of %s values blocked by %s violations", len(values), len(result.blocked)
        )
        return result

    now = timezone.now()
    with transaction.atomic():
        for value in values:
            if value.status == ValueStatus.APPROVED:
                continue
            superseded_version(value, changed_by=user.get_username(), reason="approval").save()
            value.status = ValueStatus.APPROVED
            value.approved_by = user
            value.approved_at = now
            value.version += 1
            value.save(
                update_fields=["status", "approved_by", "approved_at", "version", "updated_at"]
            )
            result.approved.append(value)
        audit.record(
            AuditAction.UPDATE,
            None,
            object_type="ioc.datavalue",
            object_repr=f"{len(result.approved)} values approved",
            extra={"approved": [value.pk for value in result.approved][:1000]},
        )
    return result
