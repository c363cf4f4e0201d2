"""``tinhso soc demo DIR``: fill the SOC from a folder of public rules and attack logs.

DIR contains ``sigma/rules/windows`` (SigmaHQ rules) and ``evtx-attack-samples`` (EVTX files), as
the public data folder's ``soc`` folder does. The command copies the rules into the first
folder of ``TINHSO_SOC_RULES`` when that folder contains no rule yet, registers one EVTX source
of a demonstration agency and ingests the samples through the normal collection path, so the
live detection raises alerts and incidents exactly as it would for a real source. Running it
again stores nothing twice.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tinhso.core.models import Department
from tinhso.soc.collect.evtx_ingest import ingest_files
from tinhso.soc.collect.sources import register_source
from tinhso.soc.models import LogSource, SourceKind

logger = logging.getLogger(__name__)

DEMO_AGENCY_CODE = "so-khcn"
DEMO_AGENCY_NAME = "Sở Khoa học và Công nghệ"
DEMO_AGENCY_NAME_EN = "Department of Science and Technology"
DEMO_HOST = "mau-tan-cong-evtx"
# The samples were recorded in 2019 and 2020, so a shorter retention would purge them at once.
DEMO_RETENTION_DAYS = 36500
PROGRESS_EVERY = 50


def add_parser(actions: Any) -> None:
    parser = actions.add_parser(
        "demo",
        help="Load public Sigma rules and EVTX attack samples from DIR (with sigma/rules/windows "
        "and evtx-attack-samples) into the SOC through the normal collection path.",
    )
    parser.add_argument("folder", type=Path, help="Folder holding sigma/ and evtx-attack-samples/.")
    parser.set_defaults(run=run)


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    folder: Path = options["folder"]
    rules = folder / "sigma" / "rules" / "windows"
    samples = folder / "evtx-attack-samples"
    for path in (rules, samples):
        if not path.is_dir():
            raise CommandError(
                _(
                    "%(path)s is not a folder; give the folder that holds sigma/ and evtx-attack-samples/."
                )
                % {"path": path}
            )

    _install_rules(command, rules)
    source = _demo_source()

    def progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            command.stdout.write(_("%(done)s of %(total)s files") % {"done": done, "total": total})

    report = ingest_files(source, [samples], progress=progress)
    command.stdout.write(
        _(
            "SOC demonstration: %(files)s files, %(events)s events read, %(stored)s stored, "
            "%(duplicates)s already stored, %(failed)s files unreadable."
        )
        % {
            "files": report.files,
            "events": report.events,
            "stored": report.stored,
            "duplicates": report.duplicates,
            "failed": len(report.failed),
        }
    )


def _install_rules(command: BaseCommand, rules: Path) -> None:
    """Copy the rules into the first live rule folder unless it already contains rule files."""
    paths = [Path(path) for path in settings.TINHSO_SOC_RULES]
    if not paths:
        command.stdout.write(_("TINHSO_SOC_RULES names no folder; no rules were installed."))
        return
    target = paths[0]
    if target.is_dir() and any(target.rglob("*.yml")):
        command.stdout.write(
            _("The rule folder %(path)s already holds rules; they were kept.") % {"path": target}
        )
        return
    shutil.copytree(rules, target, dirs_exist_ok=True)
    count = sum(1 for _path in target.rglob("*.yml"))
    logger.info("Installed %s Sigma rules into %s", count, target)
    command.stdout.write(
        _("%(count)s Sigma rules copied into %(path)s.") % {"count": count, "path": target}
    )


def _demo_source() -> LogSource:
    agency, _created = Department.objects.get_or_create(
        code=DEMO_AGENCY_CODE,
        defaults={"name": DEMO_AGENCY_NAME, "name_en": DEMO_AGENCY_NAME_EN},
    )
    existing = LogSource.objects.filter(agency=agency, host=DEMO_HOST, kind=SourceKind.EVTX).first()
    if existing is not None:
        return existing
    registered = register_source(
        agency,
        DEMO_HOST,
        SourceKind.EVTX,
        name="Mẫu tấn công EVTX công khai",
        retention_days=DEMO_RETENTION_DAYS,
    )
    return registered.source
