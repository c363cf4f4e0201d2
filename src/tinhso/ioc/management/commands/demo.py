"""``tinhso demo``: the built-in sample (``sample``) and a folder of public data (``load DIR``)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.core.management.base import PlatformCommand
from tinhso.ioc.sample import has_data_values, load_sample
from tinhso.ioc.sample.folder import FileResult, Outcome, load_file, plan_folder

logger = logging.getLogger(__name__)

# GSO zips hold hundreds of tables; progress is printed every this many.
PROGRESS_EVERY = 100


class Command(PlatformCommand):
    help = "Demonstration data: sample [--if-empty], load DIR."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        sample = actions.add_parser(
            "sample", help="Load the built-in sample of published figures of Vĩnh Phúc."
        )
        sample.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database contains no indicator value yet (used by setup).",
        )
        load = actions.add_parser(
            "load",
            help="Load a folder laid out like the public data folder (admin/, boundaries/, "
            "stats/) through the platform's importers.",
        )
        load.add_argument("folder", type=Path)
        load.add_argument(
            "--force",
            action="store_true",
            help="Load every file again, also those whose content was loaded before.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sample":
            self.handle_sample(if_empty=options["if_empty"])
        else:
            self.handle_load(options["folder"], force=options["force"])

    def handle_sample(self, *, if_empty: bool) -> None:
        if if_empty and has_data_values():
            return
        result = load_sample()
        stored = result.stored
        self.stdout.write(
            _(
                "Built-in sample: %(groups)s indicator groups and %(indicators)s indicators "
                "created; values: %(created)s created, %(updated)s updated, %(unchanged)s "
                "unchanged."
            )
            % {
                "groups": result.groups_created,
                "indicators": result.indicators_created,
                "created": stored.created,
                "updated": stored.updated,
                "unchanged": stored.unchanged,
            }
        )
        if result.report is not None and result.report.problems:
            self.print_report(result.report)

    def handle_load(self, folder: Path, *, force: bool) -> None:
        planned = plan_folder(folder)
        results: list[FileResult] = []
        for number, item in enumerate(planned, start=1):
            name = item.path.relative_to(folder)
            if item.description:
                self.stdout.write(
                    _("[%(number)s/%(total)s] %(file)s: %(description)s")
                    % {
                        "number": number,
                        "total": len(planned),
                        "file": name,
                        "description": item.description,
                    }
                )
            result = load_file(item, progress=self._progress, force=force)
            results.append(result)
            self._print_result(number, len(planned), name, result)
        self._print_summary(results)

    def _progress(self, done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 and done < total:
            self.stdout.write(_("  … %(done)s/%(total)s") % {"done": done, "total": total})

    def _print_result(self, number: int, total: int, name: Path, result: FileResult) -> None:
        head = f"[{number}/{total}] {name}"
        # Importer messages end with a full stop, and these lines add their own.
        reason = result.message.rstrip(".")
        if result.outcome is Outcome.SKIPPED:
            self.stdout.write(
                _("%(file)s: skipped, %(reason)s.") % {"file": head, "reason": reason}
            )
        elif result.outcome is Outcome.ALREADY_LOADED:
            self.stdout.write(_("  skipped, %(reason)s.") % {"reason": reason})
        elif result.outcome is Outcome.FAILED:
            self.stderr.write(_("  FAILED: %(reason)s") % {"reason": result.message})
            if result.report is not None:
                self.print_report(result.report)
        elif result.report is not None:
            report = result.report
            self.stdout.write(
                _(
                    "  loaded: %(total)s rows read, %(accepted)s accepted, %(rejected)s "
                    "rejected (import batch %(batch)s)."
                )
                % {
                    "total": report.rows_total,
                    "accepted": report.rows_accepted,
                    "rejected": report.rejected_rows,
                    "batch": report.batch_id,
                }
            )

    def _print_summary(self, results: list[FileResult]) -> None:
        counts = dict.fromkeys(Outcome, 0)
        for result in results:
            counts[result.outcome] += 1
        self.stdout.write(
            _(
                "Files: %(loaded)s loaded, %(already)s loaded before and unchanged, "
                "%(skipped)s skipped, %(failed)s failed."
            )
            % {
                "loaded": counts[Outcome.LOADED],
                "already": counts[Outcome.ALREADY_LOADED],
                "skipped": counts[Outcome.SKIPPED],
                "failed": counts[Outcome.FAILED],
            }
        )
        if counts[Outcome.FAILED]:
            raise CommandError(
                _("Files that failed to load: %(count)s. The other files were loaded.")
                % {"count": counts[Outcome.FAILED]}
            )
