"""``tinhso report``: generate a briefing report as DOCX or PDF, verify a report's figures, list regimes."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.core.management.base import PlatformCommand
from tinhso.reports import services
from tinhso.reports.models import ReportRegime

logger = logging.getLogger(__name__)

# Mismatches make `verify` exit with this status, so scripts can tell them from errors (1).
CHANGED_STATUS = 2


class Command(PlatformCommand):
    help = "Briefing reports: generate REGIME --period PERIOD --out FILE, verify FILE, list."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        generate = actions.add_parser(
            "generate", help="Generate a report from the IOC data and write it to a file."
        )
        generate.add_argument("regime", help="Code of the report regime, e.g. ktxh.")
        generate.add_argument(
            "--period", required=True, help="Report period, e.g. 2016, 2016N9, 201607 or 2016R07."
        )
        generate.add_argument(
            "--out",
            action="append",
            required=True,
            type=Path,
            help="Output file; .docx or .pdf decides the format. Repeat for both formats.",
        )
        generate.add_argument(
            "--format",
            action="append",
            choices=services.FORMATS,
            default=[],
            help="Also write this format next to the first --out file (same name, its suffix).",
        )
        verify = actions.add_parser(
            "verify",
            help="Re-derive every figure of a generated DOCX or PDF report from the current data.",
        )
        verify.add_argument("file", type=Path)
        actions.add_parser("list", help="List the report regimes.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "generate":
            self._generate(options["regime"], options["period"], options["out"], options["format"])
        elif action == "verify":
            self._verify(options["file"])
        else:
            for regime in ReportRegime.objects.all():
                self.stdout.write(f"{regime.code}\t{regime.name}\t{regime.frequency}")

    def _outputs(self, outs: list[Path], formats: list[str]) -> dict[str, Path]:
        """Map each format to its output file, from the suffixes and the --format options."""
        targets: dict[str, Path] = {}
        for path in outs:
            suffix = path.suffix.lower().lstrip(".")
            if suffix not in services.FORMATS:
                if formats:
                    continue
                raise CommandError(
                    _("Cannot tell the format of %(file)s: name it .docx or .pdf, or add --format.")
                    % {"file": path}
                )
            targets[suffix] = path
        for name in formats:
            targets.setdefault(name, outs[0].with_suffix(f".{name}"))
        return targets

    def _generate(
        self, regime_code: str, period: str, outs: list[Path], formats: list[str]
    ) -> None:
        targets = self._outputs(outs, formats)
        for path in targets.values():
            if not path.parent.is_dir():
                raise CommandError(
                    _("Folder %(folder)s does not exist; create it or choose another --out.")
                    % {"folder": path.parent}
                )
        regime = services.get_regime(regime_code)
        record, built = services.generate(regime, period, formats=list(targets))
        for name, path in targets.items():
            path.write_bytes(built.files[name])
            self.stdout.write(
                _("Wrote %(file)s (%(format)s, %(seconds).2f s).")
                % {"file": path, "format": name.upper(), "seconds": built.timings[name]}
            )
        self.stdout.write(
            _("Report %(id)s: %(title)s; %(figures)s figures, %(missing)s without data.")
            % {
                "id": record.pk,
                "title": record.title,
                "figures": record.figure_count,
                "missing": record.missing_count,
            }
        )
        for figure in built.evaluation.missing:
            self.stdout.write(
                "  "
                + _("No data: %(id)s %(query)s (period %(period)s, unit %(unit)s)")
                % {
                    "id": figure.id,
                    "query": figure.query.source,
                    "period": figure.period,
                    "unit": figure.unit_code,
                }
            )

    def _verify(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(_("File %(file)s does not exist.") % {"file": path})
        manifest = services.read_manifest(path.read_bytes())
        mismatches = services.verify(manifest)
        total = len(manifest["figures"])
        if not mismatches:
            self.stdout.write(
                _("All %(count)s figures of report %(regime)s %(period)s match the current data.")
                % {"count": total, "regime": manifest["regime"], "period": manifest["period"]}
            )
            return
        for item in mismatches:
            self.stdout.write(
                _(
                    "%(id)s: %(code)s (%(name)s), unit %(unit)s, period %(period)s: "
                    "report shows %(old)s, data now gives %(new)s."
                )
                % {
                    "id": item.figure_id,
                    "code": item.code,
                    "name": item.indicator_name,
                    "unit": item.unit,
                    "period": item.period,
                    "old": item.old_text,
                    "new": item.new_text,
                }
            )
        raise CommandError(
            _("%(changed)s of %(count)s figures no longer match the current data.")
            % {"changed": len(mismatches), "count": total},
            returncode=CHANGED_STATUS,
        )
