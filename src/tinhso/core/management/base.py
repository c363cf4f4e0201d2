"""Helpers shared by the platform's management commands."""

from __future__ import annotations

import getpass
import logging
import os
from contextlib import AbstractContextManager
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from tinhso.core import audit
from tinhso.core.errors import TinhsoError
from tinhso.ingest.report import ImportReport

logger = logging.getLogger(__name__)

# How many rejected rows an import prints before it refers to the quarantine.
PRINTED_PROBLEMS = 50


def cli_context() -> AbstractContextManager[audit.AuditContext]:
    """Audit rows written by a command are attributed to the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return audit.acting_as(
        audit.AuditContext(actor_name=f"cli:{user}", request_id=audit.new_request_id())
    )


class PlatformCommand(BaseCommand):
    """A command that speaks the operator's language (TINHSO_LANGUAGE, default vi) and audits as them."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        language = os.environ.get("TINHSO_LANGUAGE", "vi")
        with translation.override(language), cli_context():
            try:
                return super().execute(*args, **options)
            except TinhsoError as error:
                raise CommandError(error.user_message()) from error

    def print_report(self, report: ImportReport) -> None:
        self.stdout.write(
            translation.gettext(
                "%(kind)s: %(total)s rows read, %(accepted)s accepted, %(rejected)s rejected, %(warnings)s warnings (batch %(batch)s)."
            )
            % {
                "kind": report.kind,
                "total": report.rows_total,
                "accepted": report.rows_accepted,
                "rejected": report.rejected_rows,
                "warnings": len(report.warnings),
                "batch": report.batch_id or "-",  # a dry run records no batch
            }
        )
        for problem in report.problems[:PRINTED_PROBLEMS]:
            prefix = "ERROR" if problem.fatal else "WARNING"
            writer = self.stderr if problem.fatal else self.stdout
            writer.write(f"  {prefix} [{problem.code}] {problem.message}")
        if len(report.problems) > PRINTED_PROBLEMS:
            self.stdout.write(
                translation.gettext(
                    "  … and %(more)s more; see import batch %(batch)s in the administration, which keeps the warnings and quarantines the rejected rows."
                )
                % {"more": len(report.problems) - PRINTED_PROBLEMS, "batch": report.batch_id}
            )
