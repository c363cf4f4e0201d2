"""Delete events and quarantined records older than their source's retention.

Events age by the time the log records, which the ``(source, time)`` index serves, and
quarantined records by when they were received. Quarantined records without a
source (unknown senders) are kept ``UNASSIGNED_RETENTION_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

logger = logging.getLogger(__name__)

UNASSIGNED_RETENTION_DAYS = 30
DELETE_CHUNK = 5000


@dataclass(frozen=True)
class PurgeCount:
    """The rows a purge deletes, or would delete, for one source (None: unknown senders)."""

    source: LogSource | None
    cutoff: dt.datetime
    events: int
    quarantined: int


def purge(
    *, dry_run: bool = False, unassigned_days: int = UNASSIGNED_RETENTION_DAYS
) -> list[PurgeCount]:
    """Delete, or with ``dry_run`` count, what is past retention; return the counts per source."""
    now = timezone.now()
    counts = []
    for source in LogSource.objects.select_related("agency").order_by("agency__code", "host", "id"):
        cutoff = now - dt.timedelta(days=source.retention_days)
        events = SecurityEvent.objects.filter(source=source, time__lt=cutoff)
        held = LogQuarantine.objects.filter(source=source, received_at__lt=cutoff)
        counts.append(_purge_one(source, cutoff, events, held, dry_run))
    cutoff = now - dt.timedelta(days=unassigned_days)
    unassigned = LogQuarantine.objects.filter(source__isnull=True, received_at__lt=cutoff)
    counts.append(_purge_one(None, cutoff, SecurityEvent.objects.none(), unassigned, dry_run))
    return counts


def _purge_one(
    source: LogSource | None,
    cutoff: dt.datetime,
    events: QuerySet[SecurityEvent],
    held: QuerySet[LogQuarantine],
    dry_run: bool,
) -> PurgeCount:
    if dry_run:
        return PurgeCount(source, cutoff, events.count(), held.count())
    deleted_events = _delete_in_chunks(events)
    deleted_held = _delete_in_chunks(held)
    if deleted_events or deleted_held:
        logger.info(
            "Purged %s events and %s quarantined records of source %s older than %s",
            deleted_events,
            deleted_held,
            source.pk if source else "none",
            cutoff.isoformat(),
        )
    return PurgeCount(source, cutoff, deleted_events, deleted_held)


def _delete_in_chunks(queryset: QuerySet[SecurityEvent] | QuerySet[LogQuarantine]) -> int:
    """Delete in chunks of ``DELETE_CHUNK`` rows, each in its own transaction, to bound locks."""
    total = 0
    model = queryset.model
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:DELETE_CHUNK])
        if not ids:
            return total
        with transaction.atomic():
            model._default_manager.filter(pk__in=ids).delete()
        total += len(ids)
