"""``tinhso soc detect`` and ``tinhso soc report``: detection over stored events, posture reports.

``detect`` runs the live detectors again over stored events, for example after new rules were
loaded. Alerts are deduplicated, so no alert or incident is added twice; an alert found again
counts one more time in its ``count``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core.models import Department
from tinhso.soc import detection
from tinhso.soc.cli import parse_day
from tinhso.soc.incidents import metrics
from tinhso.soc.incidents import report as posture_report
from tinhso.soc.models import SecurityEvent

BATCH_SIZE = 2000


def parse_date(text: str, option: str) -> dt.date:
    """Read the day of ``option``; raise CommandError naming the option for anything else."""
    day = parse_day(text)
    if day is not None:
        return day
    raise CommandError(
        _("Invalid %(option)s %(value)r: write the date as DD/MM/YYYY or YYYY-MM-DD.")
        % {"option": option, "value": text}
    )


def add_parser(actions: Any) -> None:
    detect_parser = actions.add_parser(
        "detect", help="Run detection again over stored security events."
    )
    detect_parser.add_argument(
        "--since",
        default=None,
        help="Only events from this day on (DD/MM/YYYY or YYYY-MM-DD); default all.",
    )
    detect_parser.set_defaults(run=run_detect)

    report_parser = actions.add_parser(
        "report", help="Write the security-posture report of a period as DOCX or PDF."
    )
    report_parser.add_argument("--from", dest="date_from", required=True, help="First day.")
    report_parser.add_argument("--to", dest="date_to", required=True, help="Last day.")
    report_parser.add_argument(
        "--agency", default=None, help="Code of the agency to report on (default all)."
    )
    report_parser.add_argument(
        "--out", type=Path, required=True, help="Output file; .docx or .pdf sets the format."
    )
    report_parser.set_defaults(run=run_report)


def run_detect(command: BaseCommand, options: dict[str, Any]) -> None:
    events = SecurityEvent.objects.order_by("time", "id")
    if options["since"]:
        day = parse_date(options["since"], "--since")
        since = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        events = events.filter(time__gte=since)
    ruleset = detection.live_ruleset(force_check=True)
    paths = ", ".join(str(path) for path in detection.rule_paths())
    command.stderr.write(
        _("%(rules)s Sigma rules loaded from %(paths)s (%(rejected)s rejected).")
        % {"rules": len(ruleset.rules), "paths": paths, "rejected": len(ruleset.rejected)}
    )
    # Correlation windows of the re-run are its own, fed in time order and closed at the end.
    correlator = ruleset.correlations.engine()
    total_events = 0
    alert_ids: set[int] = set()
    batch = list(events.select_related("source")[:BATCH_SIZE])
    while batch:
        total_events += len(batch)
        alerts = detection.detect_events(batch, correlator=correlator)
        alert_ids.update(alert.pk for alert in alerts)
        last = batch[-1]
        after = Q(time__gt=last.time) | Q(time=last.time, id__gt=last.pk)
        batch = list(events.filter(after).select_related("source")[:BATCH_SIZE])
    alert_ids.update(alert.pk for alert in detection.flush_correlations(correlator))
    command.stdout.write(
        _("%(events)s events checked, %(alerts)s alerts raised or updated.")
        % {"events": total_events, "alerts": len(alert_ids)}
    )


def run_report(command: BaseCommand, options: dict[str, Any]) -> None:
    first = parse_date(options["date_from"], "--from")
    last = parse_date(options["date_to"], "--to")
    if first > last:
        raise CommandError(_("--from is after --to; swap the dates."))

    out: Path = options["out"]
    file_format = out.suffix.lower().lstrip(".")
    if file_format not in posture_report.FORMATS:
        raise CommandError(
            _("The output file must end in .docx or .pdf, not %(name)s.") % {"name": out.name}
        )

    agency = None
    if options["agency"]:
        agency = Department.objects.filter(code=options["agency"]).first()
        if agency is None:
            known = ", ".join(Department.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("Agency %(code)r not found. Known agency codes: %(known)s.")
                % {"code": options["agency"], "known": known or "-"}
            )

    built = posture_report.build(metrics.Period.of_dates(first, last), agency)
    data = posture_report.write(built, file_format)
    posture_report.record_export(built, file_format)
    try:
        out.write_bytes(data)
    except OSError as error:
        raise CommandError(
            _("Cannot write the report to %(path)s: %(error)s") % {"path": out, "error": error}
        ) from error
    command.stdout.write(
        _("Report written to %(path)s: %(alerts)s alerts, %(incidents)s incidents.")
        % {
            "path": out,
            "alerts": built.posture.alerts_total,
            "incidents": built.posture.incidents_total,
        }
    )
