"""Ingest Windows event log files (EVTX) into the events of one source.

A file that cannot be read (corrupt, truncated, not EVTX) is reported and quarantined with the
reason as one row that names the file, and the other files go on. The same damaged file
ingested again is quarantined once, because its row's digest covers the file's SHA-256. Ingesting a file again stores nothing twice, because each
event's digest covers its original record, which includes its EventRecordID and time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from tinhso.soc.collect.normalise import Record, RecordError, normalise_evtx
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.engine.errors import EvtxError
from tinhso.soc.engine.evtx_reader import read_evtx
from tinhso.soc.models import LogSource

logger = logging.getLogger(__name__)

STORE_BATCH = 2000
Progress = Callable[[int, int], None]


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class IngestReport:
    """The counts of one ingest, and the files that could not be read.

    ``quarantined_records`` counts the records of readable files that were quarantined; each
    file of ``failed`` is quarantined as one row of its own.
    """

    files: int = 0
    events: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined_records: int = 0
    # Stored events already older than the source's retention; the next purge removes them.
    past_retention: int = 0
    failed: list[FileFailure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "events": self.events,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined_records": self.quarantined_records,
            "past_retention": self.past_retention,
            "failed": [{"path": failure.path, "reason": failure.reason} for failure in self.failed],
        }


def evtx_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield the given files and the ``.evtx`` files under the given folders, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                child
                for child in path.rglob("*")
                if child.suffix.lower() == ".evtx" and child.is_file()
            )
        else:
            yield path


def ingest_files(
    source: LogSource,
    paths: Iterable[Path],
    *,
    progress: Progress | None = None,
    names: dict[Path, str] | None = None,
) -> IngestReport:
    """Read each EVTX file and store its events as events of ``source``.

    ``names`` gives the name to report for a path (an uploaded file's own name instead of
    where it was saved). ``progress(done, total)`` is called after each file.
    """
    files = list(evtx_files(paths))
    report = IngestReport()
    cutoff = timezone.now() - dt.timedelta(days=source.retention_days)
    for done, path in enumerate(files, start=1):
        name = (names or {}).get(path, str(path))
        report.files += 1
        _ingest_file(source, path, name, cutoff, report)
        if progress is not None:
            progress(done, len(files))
    logger.info(
        "EVTX ingest into source %s: %s files (%s failed), %s events, %s stored, %s duplicates",
        source.pk,
        report.files,
        len(report.failed),
        report.events,
        report.stored,
        report.duplicates,
    )
    return report


def _ingest_file(
    source: LogSource, path: Path, name: str, cutoff: dt.datetime, report: IngestReport
) -> None:
    try:
        events = read_evtx(path)
    except EvtxError as error:
        reason = error.reason
        report.failed.append(FileFailure(name, reason))
        unreadable = Rejected(
            "evtx", error.code, reason, position=name, source=source, identity=_file_digest(path)
        )
        quarantine([unreadable])
        logger.warning("EVTX file %s not ingested: %s", name, reason)
        return
    records: list[Record] = []
    rejected: list[Rejected] = []
    for index, event in enumerate(events, start=1):
        try:
            records.append(normalise_evtx(event))
        except RecordError as error:
            record_id = event.fields.get("EventRecordID") or index
            rejected.append(
                Rejected(
                    "evtx", error.code, error.reason, raw=json.dumps(event.original, ensure_ascii=False, default=str),
                    position=f"{name}#{record_id}", source=source,
                )
            )  # fmt: skip
    report.events += len(events)
    for start in range(0, len(records), STORE_BATCH):
        chunk = records[start : start + STORE_BATCH]
        stored = store_records(source, chunk)
        report.stored += len(stored)
        report.duplicates += len(chunk) - len(stored)
        report.past_retention += sum(1 for event in stored if event.time < cutoff)
    quarantine(rejected)
    report.quarantined_records += len(rejected)


def _file_digest(path: Path) -> str:
    """Return the SHA-256 of the file's bytes, or its path when it cannot be read at all."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return str(path)
