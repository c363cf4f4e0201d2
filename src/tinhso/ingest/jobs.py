"""The in-process worker that runs imports started from the web interface.

One worker thread per process runs jobs one after another, so a large file does not hold
a web request open and two imports never compete for the database. With
``TINHSO_JOBS_INLINE`` set (the tests), a job runs in the calling thread instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.errors import TinhsoError
from tinhso.ingest.models import ImportJob, JobStatus

logger = logging.getLogger(__name__)

JobRunner = Callable[[ImportJob, Callable[[int, int], None]], dict[str, object]]

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
RUNNERS: dict[str, JobRunner] = {}


def register(kind: str) -> Callable[[JobRunner], JobRunner]:
    """Register the function that runs jobs of ``kind``; it returns the report as JSON data."""

    def decorate(runner: JobRunner) -> JobRunner:
        RUNNERS[kind] = runner
        return runner

    return decorate


def submit(job: ImportJob, context: audit.AuditContext) -> Future[None] | None:
    """Run ``job`` on the worker thread (inline when TINHSO_JOBS_INLINE is set)."""
    if getattr(settings, "TINHSO_JOBS_INLINE", False):
        _run(job.pk, context)
        return None
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tinhso-jobs")
    return _executor.submit(_run, job.pk, context)


def _run(job_id: int, context: audit.AuditContext) -> None:
    inline = getattr(settings, "TINHSO_JOBS_INLINE", False)
    if not inline:
        close_old_connections()
    job = ImportJob.objects.get(pk=job_id)
    runner = RUNNERS[job.kind]
    ImportJob.objects.filter(pk=job_id).update(status=JobStatus.RUNNING)
    logger.info("Job %s (%s) started on %s", job_id, job.kind, job.file_name)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        with audit.acting_as(context):
            report = runner(job, progress)
    except TinhsoError as error:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, message=error.user_message(), finished_at=timezone.now()
        )
        logger.info("Job %s failed: %s", job_id, error.code)
    except Exception:
        # The worker must survive any importer bug; the job records it and the log has the trace.
        logger.exception("Job %s crashed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            message=_(
                "The import stopped because of an internal error. The administrator can find "
                "the details in the log under job %(job)s."
            )
            % {"job": job_id},
            finished_at=timezone.now(),
        )
    else:
        ImportJob.objects.filter(pk=job_id).update(
            status=JobStatus.DONE,
            report=report,
            batch_id=report.get("batch_id"),
            finished_at=timezone.now(),
        )
        logger.info("Job %s finished", job_id)
    finally:
        if not inline:
            connection.close()
