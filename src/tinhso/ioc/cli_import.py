"""The import subcommands of ``tinhso ioc``: ``import``, ``import-gso`` and ``template``.

The ``ioc`` management command adds these with :func:`add_import_arguments` and hands
them to :func:`handle_import_action`, so other subcommands can live in the same command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.management.base import PlatformCommand
from tinhso.ioc.models import IndicatorGroup, ValueStatus
from tinhso.ioc.reference_groups import BUILTIN_GROUPS, ensure_group
from tinhso.ioc.services.file_import import import_values, write_template
from tinhso.ioc.services.gso_import import DEFAULT_PROVINCES, import_gso

IMPORT_ACTIONS = frozenset({"import", "import-gso", "template"})


def add_import_arguments(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    values = actions.add_parser(
        "import", help="Import indicator values from a CSV or XLSX file (long or group layout)."
    )
    values.add_argument("file", type=Path)
    values.add_argument(
        "--group", help="Code of the indicator group whose template the file follows."
    )
    values.add_argument(
        "--dry-run", action="store_true", help="Check the file and print the report; store nothing."
    )
    values.add_argument(
        "--status",
        choices=[choice.value for choice in ValueStatus],
        default=ValueStatus.SUBMITTED.value,
        help="Status of the stored values (default submitted).",
    )

    tables = actions.add_parser(
        "import-gso", help="Import GSO PX-Web tables: one CSV file or a zip of them."
    )
    tables.add_argument("file", type=Path)
    tables.add_argument(
        "--province",
        action="append",
        help="Name of a province whose row is loaded, as the tables write it; repeat for "
        "several (default: Vinh Phuc).",
    )
    tables.add_argument(
        "--dry-run",
        action="store_true",
        help="Read the tables and print the report; store nothing.",
    )

    template = actions.add_parser(
        "template", help="Write the XLSX import template of an indicator group."
    )
    template.add_argument("group", help="Code of the indicator group.")
    template.add_argument("--out", type=Path, required=True, help="Path of the XLSX file to write.")


def handle_import_action(command: PlatformCommand, options: dict[str, Any]) -> None:
    action = options["action"]
    try:
        if action == "import":
            report = import_values(
                options["file"],
                group_code=options["group"],
                dry_run=options["dry_run"],
                status=options["status"],
            )
        elif action == "import-gso":
            provinces = tuple(options["province"] or DEFAULT_PROVINCES)
            report = import_gso(options["file"], provinces=provinces, dry_run=options["dry_run"])
        else:
            _write_template(command, options["group"], options["out"])
            return
    except ImportFileError as error:
        raise CommandError(error.message) from error
    command.print_report(report)
    if action == "import-gso":
        command.stdout.write(
            _(
                "Tables: %(read)s read, %(loaded)s loaded, %(skipped)s skipped without a row for "
                "the province, %(failed)s not readable. Values: %(created)s created, %(updated)s "
                "updated, %(unchanged)s unchanged."
            )
            % {
                "read": report.summary.get("tables_read", 0),
                "loaded": report.summary.get("tables_loaded", 0),
                "skipped": report.summary.get("tables_skipped", 0),
                "failed": report.summary.get("tables_failed", 0),
                "created": report.summary.get("created", 0),
                "updated": report.summary.get("updated", 0),
                "unchanged": report.summary.get("unchanged", 0),
            }
        )
    encoding = report.summary.get("encoding")
    if encoding:
        command.stdout.write(_("File encoding: %(encoding)s.") % {"encoding": encoding})
    if options["dry_run"]:
        command.stdout.write(_("Dry run: nothing was stored."))
    if report.rows_accepted == 0 and report.rejected:
        raise CommandError(_("No value was imported."))


def _write_template(command: PlatformCommand, code: str, out: Path) -> None:
    if out.suffix.lower() != ".xlsx":
        raise CommandError(
            _(
                "The template is an Excel workbook; give --out a file name ending in .xlsx, not %(name)s."
            )
            % {"name": out.name}
        )
    group = IndicatorGroup.objects.filter(code=code).first()
    if group is None and code in BUILTIN_GROUPS:
        group = ensure_group(BUILTIN_GROUPS[code])
    if group is None:
        raise CommandError(_("No indicator group has the code %(code)s.") % {"code": code})
    write_template(group, out)
    command.stdout.write(
        _("Template of group %(code)s written to %(path)s.") % {"code": code, "path": out}
    )
