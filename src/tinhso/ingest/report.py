"""The outcome of an import, shared by every importer of the platform."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.ingest.models import BatchStatus, ImportBatch, QuarantineRecord

logger = logging.getLogger(__name__)


@dataclass
class RowProblem:
    """Why one row or feature was rejected (or only repaired, when ``fatal`` is false)."""

    position: str
    code: str
    message: str
    field: str = ""
    raw: dict[str, Any] | None = None
    fatal: bool = True


# Importers store positions in English ("row 12", "feature 3") so that quarantine records
# read the same whatever language the importing user had; pages translate them on display.
POSITION_PATTERN = re.compile(r"(row|feature) (\d+)")


def describe_position(position: str) -> str:
    """Return a stored position ("row 12") in the active language; other text is unchanged."""
    match = POSITION_PATTERN.fullmatch(position)
    if match is None:
        return position
    kind, number = match.groups()
    if kind == "row":
        return _("row %(number)s") % {"number": number}
    return _("feature %(number)s") % {"number": number}


@dataclass
class ImportReport:
    """Counts and problems of one import; ``problems`` keeps warnings and rejections."""

    kind: str
    source_name: str
    rows_total: int = 0
    rows_accepted: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def rejected(self) -> list[RowProblem]:
        return [problem for problem in self.problems if problem.fatal]

    @property
    def rejected_rows(self) -> int:
        """Rows rejected, each counted once however many problems it has."""
        return len({problem.position for problem in self.rejected})

    @property
    def warnings(self) -> list[RowProblem]:
        return [problem for problem in self.problems if not problem.fatal]

    @property
    def status(self) -> str:
        if self.rows_accepted == 0 and self.rejected:
            return BatchStatus.FAILED
        if self.rejected:
            return BatchStatus.PARTIAL
        return BatchStatus.SUCCEEDED


def start_batch(kind: str, source_name: str) -> ImportBatch:
    ctx = audit.current()
    batch = ImportBatch.objects.create(
        kind=kind, source_name=source_name[:500], created_by=ctx.user, actor_name=ctx.actor_name
    )
    logger.info("Import batch %s (%s) started on %s", batch.pk, kind, source_name)
    return batch


def finish_batch(
    batch: ImportBatch, report: ImportReport, message: str = "", *, file_error: bool = False
) -> ImportBatch:
    """Store counts and quarantine the rejected rows; call it outside the data transaction.

    The quarantine is written even when the data transaction rolled back, so a failed
    import still leaves the reasons behind. ``file_error`` marks a batch whose file could
    not be read at all; ``message`` then says why.
    """
    QuarantineRecord.objects.bulk_create(
        [
            QuarantineRecord(
                batch=batch,
                position=problem.position[:500],
                field=problem.field[:100],
                code=problem.code,
                message=problem.message,
                raw=problem.raw,
            )
            for problem in report.rejected
        ],
        batch_size=1000,
    )
    batch.rows_total = report.rows_total
    batch.rows_accepted = report.rows_accepted
    batch.rows_rejected = report.rejected_rows
    batch.status = BatchStatus.FAILED if file_error else report.status
    batch.summary = {**report.summary, "warnings": [vars(w) for w in report.warnings][:500]}
    batch.message = message
    batch.finished_at = timezone.now()
    batch.save()
    report.batch_id = batch.pk
    logger.info(
        "Import batch %s finished: %s rows, %s accepted, %s rejected",
        batch.pk,
        report.rows_total,
        report.rows_accepted,
        report.rejected_rows,
    )
    return batch
