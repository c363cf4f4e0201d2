"""Store normalised records as security events, exactly once, and quarantine what is unreadable.

Collectors deliver at least once: the syslog receiver offers a batch again after a failed
store, an HTTP sender retries after a timeout, an analyst ingests a file twice. The unique
``digest`` of each event turns that into exactly one row per record. Detection runs over the
events a batch added once the batch is committed; its failure is logged and never undoes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.soc.collect.normalise import Record, escape_bytes
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

logger = logging.getLogger(__name__)

# Quarantined data is kept up to this many characters, and the reason notes a cut.
MAX_QUARANTINE_CHARS = 64 * 1024
INSERT_BATCH_SIZE = 1000


def record_digest(source_id: int, original: dict[str, Any]) -> str:
    """Return the SHA-256 of the source id and the original record in canonical JSON."""
    canonical = json.dumps(
        original, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(f"{source_id}\n{canonical}".encode()).hexdigest()


def _limits() -> dict[str, int]:
    """Return the max_length of each text column of SecurityEvent that has one."""
    return {
        field.name: field.max_length
        for field in SecurityEvent._meta.concrete_fields
        if isinstance(field, models.CharField) and field.max_length and field.name != "digest"
    }


def _event(source: LogSource, record: Record, digest: str, limits: dict[str, int]) -> SecurityEvent:
    columns = {
        name: str(getattr(record, name))[:limit]
        for name, limit in limits.items()
        if hasattr(record, name)
    }
    return SecurityEvent(
        source=source,
        time=record.time,
        message=record.message,
        fields=record.fields,
        original=record.original,
        digest=digest,
        **columns,
    )


def store_records(source: LogSource, records: Sequence[Record]) -> list[SecurityEvent]:
    """Store ``records`` of ``source`` in one transaction; return the events that were new.

    A record whose digest is already stored, or repeated in ``records``, adds no row. The
    source's ``last_event_at`` moves forward to the newest record time, but never past now.
    """
    if not records:
        return []
    limits = _limits()
    by_digest: dict[str, Record] = {}
    for record in records:
        by_digest.setdefault(record_digest(source.pk, record.original), record)
    with transaction.atomic():
        known = _stored_digests(list(by_digest))
        new = [
            _event(source, record, digest, limits)
            for digest, record in by_digest.items()
            if digest not in known
        ]
        # ignore_conflicts covers a row another process inserted since the query above.
        SecurityEvent.objects.bulk_create(new, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True)
        # NOTE: bulk_create with ignore_conflicts sets no primary keys, so the new rows are read
        # back by digest. A row that another process inserted in between is returned here too.
        stored = _events_by_digest([event.digest for event in new])
        _advance_last_event(source, max(record.time for record in records))
    logger.debug("Source %s: %s records, %s stored", source.pk, len(records), len(stored))
    run_detection(stored)
    return stored


def _chunks(digests: list[str]) -> list[list[str]]:
    """Split ``digests`` so that no query has more parameters than SQLite and PostgreSQL take."""
    return [
        digests[start : start + INSERT_BATCH_SIZE]
        for start in range(0, len(digests), INSERT_BATCH_SIZE)
    ]


def _stored_digests(digests: list[str]) -> set[str]:
    known: set[str] = set()
    for chunk in _chunks(digests):
        known.update(
            SecurityEvent.objects.filter(digest__in=chunk).values_list("digest", flat=True)
        )
    return known


def _events_by_digest(digests: list[str]) -> list[SecurityEvent]:
    events: list[SecurityEvent] = []
    for chunk in _chunks(digests):
        events.extend(SecurityEvent.objects.filter(digest__in=chunk))
    events.sort(key=lambda event: (event.time, event.pk))
    return events


def _advance_last_event(source: LogSource, newest: dt.datetime) -> None:
    newest = min(newest, timezone.now())
    LogSource.objects.filter(pk=source.pk).filter(
        Q(last_event_at__isnull=True) | Q(last_event_at__lt=newest)
    ).update(last_event_at=newest)
    if source.last_event_at is None or source.last_event_at < newest:
        source.last_event_at = newest


def run_detection(events: Sequence[SecurityEvent]) -> None:
    """Run detection over newly stored events; log and swallow any failure.

    The savepoint keeps a database error in detection from breaking a transaction that the
    caller may hold open, so the stored events stay stored in every case.
    """
    if not events:
        return
    from tinhso.soc.detection import detect_events

    try:
        with transaction.atomic():
            alerts = detect_events(events)
    except Exception:  # noqa: BLE001 - detection must never undo or lose stored events
        logger.exception(
            "Detection failed on %s stored events (ids %s to %s); the events are kept",
            len(events),
            events[0].pk,
            events[-1].pk,
        )
        return
    if alerts:
        logger.info(
            "Detection raised or updated %s alerts from %s events", len(alerts), len(events)
        )


# --- Quarantine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    """Input that could not be stored, with where it came from and why.

    ``identity`` joins the source, the transport and ``raw`` in the quarantine digest. Leave
    it empty when equal content is the same input sent again (a retried JSON line), and set
    it to what tells two deliveries apart when equal content can legitimately arrive twice.
    """

    transport: str
    code: str
    reason: str
    raw: bytes | str = b""
    peer: str = ""
    position: str = ""
    source: LogSource | None = None
    identity: str = ""


def raw_text(raw: bytes | str) -> tuple[str, bool]:
    """Return ``raw`` as text for the quarantine, invalid bytes escaped, and whether it was cut."""
    text = escape_bytes(raw) if isinstance(raw, bytes) else raw.replace("\x00", "\\x00")
    if len(text) > MAX_QUARANTINE_CHARS:
        return text[:MAX_QUARANTINE_CHARS], True
    return text, False


def quarantine_digest(item: Rejected) -> str:
    """Return the SHA-256 of the source id, transport, identity and whole original data."""
    digest = hashlib.sha256()
    source_id = "" if item.source is None else str(item.source.pk)
    digest.update(f"{source_id}\n{item.transport}\n{item.identity}\n".encode())
    digest.update(item.raw if isinstance(item.raw, bytes) else item.raw.encode("utf-8", "replace"))
    return digest.hexdigest()


def quarantine(items: Iterable[Rejected]) -> int:
    """Insert one quarantine row per rejected input not quarantined before; return how many.

    Input whose digest is stored already, or repeated in ``items``, adds no row, so a sender's
    retry or the syslog receiver's redelivery of a batch is quarantined once.
    """
    rows: dict[str, LogQuarantine] = {}
    for item in items:
        digest = quarantine_digest(item)
        if digest in rows:
            continue
        text, cut = raw_text(item.raw)
        reason = item.reason
        if cut:
            reason += f" (the original data is cut to its first {MAX_QUARANTINE_CHARS} characters)"
        rows[digest] = LogQuarantine(
            source=item.source,
            transport=item.transport[:16],
            peer=item.peer[:255],
            position=item.position[:500],
            code=item.code[:64],
            reason=reason,
            raw=text,
            digest=digest,
        )
    if not rows:
        return 0
    known: set[str] = set()
    for chunk in _chunks(list(rows)):
        known.update(
            LogQuarantine.objects.filter(digest__in=chunk).values_list("digest", flat=True)
        )
    new = [row for digest, row in rows.items() if digest not in known]
    # ignore_conflicts covers a row another process inserted since the query above.
    LogQuarantine.objects.bulk_create(new, batch_size=INSERT_BATCH_SIZE, ignore_conflicts=True)
    if new:
        logger.info(
            "Quarantined %s log records (%s); %s were quarantined before",
            len(new),
            ", ".join(sorted({row.code for row in new})),
            len(rows) - len(new),
        )
    else:
        logger.debug("All %s rejected log records were quarantined before", len(rows))
    return len(new)
