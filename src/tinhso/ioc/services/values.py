"""Storing indicator values: idempotent batch upserts that keep every correction.

All ingest paths (file import, GSO tables, the REST push API, the MQTT worker) end here.
One call stores one batch inside one transaction: a value whose idempotency key was seen
before is skipped, a new cell is inserted, a changed cell is updated and its previous
state kept as a DataValueVersion, an unchanged cell is left alone. A cell counts as
changed when its value, status or source differs, so the same number arriving from a
new source (the official table after the built-in sample) records the new provenance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from tinhso.core import audit
from tinhso.ioc.alerts import hooks as alert_hooks
from tinhso.ioc.models import DataValue, DataValueVersion, ReceivedKey, SourceKind, ValueStatus
from tinhso.ioc.periods import Period
from tinhso.ioc.services import bulk

logger = logging.getLogger(__name__)

# Rows per statement; SQLite allows 32,766 bound parameters and a DataValue row binds about 25.
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class IncomingValue:
    """A value to store. ``indicator_id`` and ``unit_id`` are checked by the caller."""

    indicator_id: int
    unit_id: int
    period: Period
    value: float | None
    disaggregation: str = ""
    status: str = ValueStatus.DRAFT
    source_kind: str = SourceKind.IMPORT
    source_detail: str = ""
    idempotency_key: str | None = None
    batch_id: int | None = None
    row: int | None = None
    api_key_id: int | None = None
    topic: str = ""
    entered_by_id: int | None = None
    comment: str = ""

    @property
    def cell(self) -> tuple[int, int, str, str]:
        return (self.indicator_id, self.unit_id, self.period.code, self.disaggregation)


@dataclass
class StoreResult:
    """Counts of a stored batch: cells created, updated (with history), unchanged, and keys seen before."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    duplicate_keys: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, other: StoreResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.duplicate_keys.extend(other.duplicate_keys)


def store_values(
    values: Sequence[IncomingValue], *, document: str = "", reason: str = ""
) -> StoreResult:
    """Store ``values`` in one transaction; see the module docstring for what happens to each.

    Within one call the last value for a cell wins. ``document`` and ``reason`` go into the
    version rows of corrected cells (the decision or letter that justified the correction).
    """
    result = StoreResult()
    with transaction.atomic():
        # Runs the alert rules of these indicators after the commit, never before.
        alert_hooks.after_values_stored(values)
        if bulk.is_available(len(values)):
            return bulk.store_values_bulk(values, document, reason)
        for start in range(0, len(values), CHUNK_SIZE):
            result.add(_store_chunk(values[start : start + CHUNK_SIZE], document, reason))
    logger.debug(
        "Stored %s values: %s created, %s updated, %s unchanged, %s duplicates",
        len(values), result.created, result.updated, result.unchanged, result.duplicates,
    )  # fmt: skip
    return result


def _store_chunk(values: Sequence[IncomingValue], document: str, reason: str) -> StoreResult:
    result = StoreResult()

    keys = [v.idempotency_key for v in values if v.idempotency_key]
    seen_keys = set(ReceivedKey.objects.filter(key__in=keys).values_list("key", flat=True))
    latest: dict[tuple[int, int, str, str], IncomingValue] = {}
    batch_keys: set[str] = set()
    for value in values:
        key = value.idempotency_key
        if key and (key in seen_keys or key in batch_keys):
            result.duplicates += 1
            result.duplicate_keys.append(key)
            continue
        if key:
            batch_keys.add(key)
        latest[value.cell] = value

    existing = _existing_cells(latest.values())
    now = timezone.now()
    actor = audit.current().actor_name
    to_create: list[DataValue] = []
    to_update: list[DataValue] = []
    versions: list[DataValueVersion] = []
    for cell, incoming in latest.items():
        current = existing.get(cell)
        if current is None:
            to_create.append(_new_row(incoming))
            continue
        if _same_state(current, incoming):
            result.unchanged += 1
            continue
        versions.append(
            superseded_version(current, changed_by=actor, document=document, reason=reason)
        )
        _apply(current, incoming, now)
        to_update.append(current)

    ReceivedKey.objects.bulk_create(
        [ReceivedKey(key=key) for key in batch_keys], batch_size=CHUNK_SIZE
    )
    DataValue.objects.bulk_create(to_create, batch_size=CHUNK_SIZE)
    DataValueVersion.objects.bulk_create(versions, batch_size=CHUNK_SIZE)
    DataValue.objects.bulk_update(
        to_update,
        [
            "value", "status", "source_kind", "source_detail", "batch", "row", "api_key", "topic",
            "entered_by", "comment", "version", "updated_at",
        ],
        batch_size=CHUNK_SIZE,
    )  # fmt: skip
    result.created = len(to_create)
    result.updated = len(to_update)
    return result


def _same_state(current: DataValue, incoming: IncomingValue) -> bool:
    """Tell whether storing ``incoming`` would leave ``current`` as it is."""
    return (
        current.value == incoming.value
        and current.status == incoming.status
        and current.source_kind == incoming.source_kind
        and current.source_detail == incoming.source_detail[:400]
    )


def superseded_version(
    row: DataValue, *, changed_by: str, document: str = "", reason: str = ""
) -> DataValueVersion:
    """Build (unsaved) the version row that keeps ``row``'s current state before it changes."""
    return DataValueVersion(
        data_value=row,
        version=row.version,
        value=row.value,
        status=row.status,
        source_kind=row.source_kind,
        source_detail=row.source_detail,
        changed_by=changed_by[:150],
        document=document[:300],
        reason=reason,
    )


def _existing_cells(values: Iterable[IncomingValue]) -> dict[tuple[int, int, str, str], DataValue]:
    """Fetch the stored rows of the cells of ``values``, one query per indicator and period."""
    wanted = {v.cell for v in values}
    if not wanted:
        return {}
    # Units and disaggregations per (indicator, period): one query each, narrowed on both,
    # so that cells of other disaggregations stay in the database.
    by_indicator_period: dict[tuple[int, str], tuple[set[int], set[str]]] = {}
    for indicator_id, unit_id, period, disaggregation in wanted:
        units, disaggregations = by_indicator_period.setdefault(
            (indicator_id, period), (set(), set())
        )
        units.add(unit_id)
        disaggregations.add(disaggregation)

    found: dict[tuple[int, int, str, str], DataValue] = {}
    for (indicator_id, period), (unit_ids, disaggregations) in by_indicator_period.items():
        rows = DataValue.objects.filter(
            indicator_id=indicator_id,
            period=period,
            unit_id__in=unit_ids,
            disaggregation__in=disaggregations,
        )
        for row in rows:
            cell = (row.indicator_id, row.unit_id, row.period, row.disaggregation)
            if cell in wanted:
                found[cell] = row
    return found


def _new_row(incoming: IncomingValue) -> DataValue:
    return DataValue(
        indicator_id=incoming.indicator_id,
        unit_id=incoming.unit_id,
        period=incoming.period.code,
        period_type=incoming.period.type.value,
        period_start=incoming.period.start,
        period_end=incoming.period.end,
        disaggregation=incoming.disaggregation,
        value=incoming.value,
        status=incoming.status,
        source_kind=incoming.source_kind,
        source_detail=incoming.source_detail[:400],
        batch_id=incoming.batch_id,
        row=incoming.row,
        api_key_id=incoming.api_key_id,
        topic=incoming.topic[:300],
        entered_by_id=incoming.entered_by_id,
        comment=incoming.comment,
    )


def _apply(row: DataValue, incoming: IncomingValue, now: object) -> None:
    row.value = incoming.value
    row.status = incoming.status
    row.source_kind = incoming.source_kind
    row.source_detail = incoming.source_detail[:400]
    row.batch_id = incoming.batch_id
    row.row = incoming.row
    row.api_key_id = incoming.api_key_id
    row.topic = incoming.topic[:300]
    row.entered_by_id = incoming.entered_by_id
    row.comment = incoming.comment
    row.version += 1
    row.updated_at = now  # type: ignore[assignment]
