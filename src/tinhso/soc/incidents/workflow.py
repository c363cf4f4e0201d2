"""Analyst actions on an incident: acknowledge, assign, comment, attach evidence, resolve,
close and reopen.

Every action runs in one transaction with the incident row locked, writes one
:class:`IncidentNote` to the incident's activity log and one audit row, so the log and the
audit trail record the same actions. Statuses move new → acknowledged → resolved → closed;
resolved and closed incidents can be reopened.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.core import audit
from tinhso.core.models import AuditAction, Role, User
from tinhso.soc.models import Incident, IncidentEvidence, IncidentNote, IncidentStatus

logger = logging.getLogger(__name__)

ANALYST_ROLES = frozenset({Role.SECURITY_ANALYST, Role.SYSTEM_ADMINISTRATOR})
# Fields whose before and after values go into the audit row of an action.
AUDITED_FIELDS = (
    "status",
    "assignee_id",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "resolution_note",
)
# Labels of the ``IncidentNote.action`` values, shown on the incident page.
ACTION_LABELS = {
    "opened": gettext_lazy("incident opened"),
    "escalated": gettext_lazy("severity raised"),
    "acknowledged": gettext_lazy("acknowledged"),
    "assigned": gettext_lazy("assigned"),
    "comment": gettext_lazy("comment"),
    "evidence": gettext_lazy("evidence attached"),
    "resolved": gettext_lazy("resolved"),
    "closed": gettext_lazy("closed"),
    "reopened": gettext_lazy("reopened"),
}


class TransitionError(Exception):
    """An action that the incident's status does not allow; the message is translated."""


def display_name(user: User | None) -> str:
    """Write a user's name in Vietnamese order (family and middle names, then the given name)."""
    if user is None:
        return ""
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


def _state(incident: Incident) -> dict[str, object]:
    return {name: audit.to_json_value(getattr(incident, name)) for name in AUDITED_FIELDS}


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _log(incident: Incident, user: User, action: str, text: str, before: dict[str, object]) -> None:
    IncidentNote.objects.create(incident=incident, author=user, action=action, text=text)
    audit.record(
        AuditAction.UPDATE,
        incident,
        before=before,
        after=_state(incident),
        extra={"action": action, "text": text[:500]},
    )
    logger.info("Incident %s: %s by user id %s", incident.pk, action, user.pk)


def _not_allowed(incident: Incident) -> TransitionError:
    return TransitionError(
        _("This action is not possible while the incident is %(status)s.")
        % {"status": incident.get_status_display()}
    )


def acknowledge(incident: Incident, user: User, note: str = "") -> Incident:
    """Mark a new incident as seen by an analyst; MTTA ends here."""
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != IncidentStatus.NEW:
            raise _not_allowed(incident)
        before = _state(incident)
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.acknowledged_at = timezone.now()
        if incident.assignee_id is None:
            incident.assignee = user
        incident.save(update_fields=["status", "acknowledged_at", "assignee"])
        _log(incident, user, "acknowledged", note, before)
    return incident


def is_analyst(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in ANALYST_ROLES)


def assign(incident: Incident, user: User, assignee: User, note: str = "") -> Incident:
    """Give an open incident to an analyst."""
    if not is_analyst(assignee):
        raise TransitionError(
            _("%(name)s is not a security analyst; choose an analyst.")
            % {"name": assignee.get_username()}
        )
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status == IncidentStatus.CLOSED:
            raise _not_allowed(incident)
        before = _state(incident)
        incident.assignee = assignee
        incident.save(update_fields=["assignee"])
        text = f"→ {display_name(assignee)}"
        _log(incident, user, "assigned", f"{text}\n{note}".strip(), before)
    return incident


def comment(incident: Incident, user: User, text: str) -> IncidentNote:
    """Add an analyst's comment to the activity log."""
    with transaction.atomic():
        incident = _locked(incident)
        note = IncidentNote.objects.create(
            incident=incident, author=user, action="comment", text=text
        )
        audit.record(AuditAction.CREATE, note, extra={"incident": incident.pk, "action": "comment"})
    logger.info("Incident %s: comment by user id %s", incident.pk, user.pk)
    return note


def resolve(incident: Incident, user: User, resolution: str, note: str) -> Incident:
    """Record how an incident was resolved; MTTR ends here.

    An incident resolved without an explicit acknowledgement counts as acknowledged at the
    same moment, since the analyst who resolved it has seen it.
    """
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status not in (IncidentStatus.NEW, IncidentStatus.ACKNOWLEDGED):
            raise _not_allowed(incident)
        before = _state(incident)
        now = timezone.now()
        incident.status = IncidentStatus.RESOLVED
        incident.acknowledged_at = incident.acknowledged_at or now
        incident.resolved_at = now
        incident.resolution = resolution
        incident.resolution_note = note
        incident.save(
            update_fields=[
                "status",
                "acknowledged_at",
                "resolved_at",
                "resolution",
                "resolution_note",
            ]
        )
        _log(incident, user, "resolved", f"{incident.get_resolution_display()}: {note}", before)
    return incident


def close(incident: Incident, user: User, note: str = "") -> Incident:
    """Close a resolved incident."""
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status != IncidentStatus.RESOLVED:
            raise _not_allowed(incident)
        before = _state(incident)
        incident.status = IncidentStatus.CLOSED
        incident.closed_at = timezone.now()
        incident.save(update_fields=["status", "closed_at"])
        _log(incident, user, "closed", note, before)
    return incident


def reopen(incident: Incident, user: User, note: str) -> Incident:
    """Open a resolved or closed incident again; its resolution is kept only in the log."""
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise _not_allowed(incident)
        before = _state(incident)
        incident.status = (
            IncidentStatus.ACKNOWLEDGED if incident.acknowledged_at else IncidentStatus.NEW
        )
        incident.resolved_at = None
        incident.closed_at = None
        incident.resolution = ""
        incident.resolution_note = ""
        incident.save(
            update_fields=["status", "resolved_at", "closed_at", "resolution", "resolution_note"]
        )
        _log(incident, user, "reopened", note, before)
    return incident


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def attach_evidence(
    incident: Incident, user: User, upload: UploadedFile, description: str = ""
) -> IncidentEvidence:
    """Store a file on an incident with its SHA-256, for the chain of custody."""
    name = PurePath(upload.name or "evidence").name[:255] or "evidence"
    digest = sha256_of(upload)
    with transaction.atomic():
        incident = _locked(incident)
        if incident.status == IncidentStatus.CLOSED:
            raise _not_allowed(incident)
        evidence = IncidentEvidence(
            incident=incident,
            name=name,
            size=upload.size or 0,
            sha256=digest,
            description=description,
            uploaded_by=user,
        )
        # NOTE: the file is written before the commit; a rolled-back upload leaves it unlinked.
        evidence.file.save(name, upload, save=False)
        evidence.save()
        IncidentNote.objects.create(
            incident=incident,
            author=user,
            action="evidence",
            text=f"{name} ({evidence.size} B, SHA-256 {digest})",
        )
        audit.record(
            AuditAction.CREATE,
            evidence,
            extra={"incident": incident.pk, "sha256": digest, "size": evidence.size},
        )
    logger.info("Incident %s: evidence %s attached by user id %s", incident.pk, digest, user.pk)
    return evidence
