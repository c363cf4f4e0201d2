"""``tinhso soc intel``: import threat-intelligence feeds, list them, match stored events.

``import FILE --name FEED`` reads a plain list, a CSV table or a STIX 2.1 bundle and replaces
the feed's indicators; ``list`` prints the feeds; ``match [--since]`` runs the stored events
of a period against the indicators and prints the matches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tinhso.soc.analytics.service import stored_batches
from tinhso.soc.cli import parse_day
from tinhso.soc.findings import Finding
from tinhso.soc.intel.indicators import IntelFormatError
from tinhso.soc.intel.service import FORMATS, import_feed, intel_findings
from tinhso.soc.models import IntelFeed, SecurityEvent

RELATIVE_TIME = re.compile(r"(\d+)([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
PRINTED_PROBLEMS = 50


def parse_time_option(text: str) -> datetime:
    """Read ``--since``/``--until``: a day, an ISO date and time, or ``30m``/``24h``/``7d`` ago."""
    relative = RELATIVE_TIME.fullmatch(text.strip())
    if relative:
        amount, unit = relative.groups()
        return timezone.now() - timedelta(**{UNITS[unit]: int(amount)})
    moment = parse_datetime(text)
    if moment is None:
        day = parse_day(text)
        if day is not None:
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())
    if moment is None:
        raise CommandError(
            _(
                "Invalid time %(value)s: write a day (01/03/2026 or 2026-03-01), a date and "
                "time, or 7d, 24h, 30m."
            )
            % {"value": text}
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def add_time_options(parser: Any) -> None:
    parser.add_argument(
        "--since",
        type=parse_time_option,
        default=None,
        help="Start of the period: a day (DD/MM/YYYY or YYYY-MM-DD), an ISO date and time, or "
        "30m, 24h, 7d ago (default 24h ago).",
    )
    parser.add_argument(
        "--until", type=parse_time_option, default=None, help="End of the period (default now)."
    )
    parser.add_argument(
        "--format", choices=("text", "jsonl"), default="text", help="Output format (default text)."
    )


def write_findings(command: BaseCommand, findings: Iterable[Finding], output_format: str) -> int:
    """Print findings one per line, as text or as JSON lines; return how many."""
    count = 0
    for finding in findings:
        count += 1
        if output_format == "jsonl":
            row = {
                "time": finding.time.isoformat(),
                "rule_id": finding.rule_id,
                "severity": finding.severity,
                "title": finding.title,
                "host": finding.host,
                "user": finding.user,
                "tags": list(finding.tags),
                "event_ids": list(finding.event_ids),
                "explanation": dict(finding.explanation),
            }
            command.stdout.write(json.dumps(row, ensure_ascii=False, default=str))
        else:
            local = timezone.localtime(finding.time)
            command.stdout.write(
                f"{local:%d/%m/%Y %H:%M:%S} {finding.severity:<8} {finding.rule_id} "
                f"{finding.host or '-'} {finding.user or '-'}: {finding.title}"
            )
    return count


def run_over_stored(
    command: BaseCommand,
    options: dict[str, Any],
    detector: Callable[[Sequence[SecurityEvent]], list[Finding]],
) -> tuple[int, int]:
    """Run ``detector`` over the stored events of the period batch by batch; print findings."""
    since = options["since"] or timezone.now() - timedelta(hours=24)
    events = findings = 0
    for batch in stored_batches(since, options["until"]):
        events += len(batch)
        findings += write_findings(command, detector(batch), options["format"])
    return events, findings


def add_parser(actions: Any) -> None:
    intel_parser = actions.add_parser(
        "intel", help="Threat intelligence: import lists and STIX 2.1 bundles, match events."
    )
    intel_actions = intel_parser.add_subparsers(dest="intel_action", required=True)

    import_parser = intel_actions.add_parser(
        "import", help="Import a feed file, replacing the feed's indicators."
    )
    import_parser.add_argument("file", type=Path, help="List, CSV or STIX 2.1 JSON file.")
    import_parser.add_argument(
        "--name", required=True, help="Name of the feed to create or replace."
    )
    import_parser.add_argument(
        "--format", choices=FORMATS, default="auto", help="File format (default: recognised)."
    )
    import_parser.set_defaults(run=run_import)

    list_parser = intel_actions.add_parser(
        "list", help="List the feeds and their indicator counts."
    )
    list_parser.set_defaults(run=run_list)

    match_parser = intel_actions.add_parser(
        "match", help="Match stored events against the indicators and print the matches."
    )
    add_time_options(match_parser)
    match_parser.set_defaults(run=run_match)


def run_import(command: BaseCommand, options: dict[str, Any]) -> None:
    path: Path = options["file"]
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}
        ) from error
    try:
        result = import_feed(data, options["name"], options["format"], path.name)
    except IntelFormatError as error:
        raise CommandError(
            _("Feed %(name)s not imported from %(path)s: %(error)s")
            % {"name": options["name"], "path": path, "error": error}
        ) from error
    for problem in result.parsed.problems[:PRINTED_PROBLEMS]:
        command.stderr.write(f"  {problem.position} [{problem.code}] {problem.message}")
    if len(result.parsed.problems) > PRINTED_PROBLEMS:
        command.stderr.write(
            _("  … and %(more)s more; import batch %(batch)s lists them all.")
            % {
                "more": len(result.parsed.problems) - PRINTED_PROBLEMS,
                "batch": result.report.batch_id,
            }
        )
    command.stdout.write(
        _(
            "Feed %(name)s (%(format)s): %(indicators)s indicators imported, %(rejected)s entries "
            "rejected, %(replaced)s indicators replaced (import batch %(batch)s)."
        )
        % {
            "name": result.feed.name,
            "format": result.parsed.format,
            "indicators": len(result.parsed.indicators),
            "rejected": len(result.parsed.problems),
            "replaced": result.replaced,
            "batch": result.report.batch_id,
        }
    )


def run_list(command: BaseCommand, options: dict[str, Any]) -> None:
    feeds = IntelFeed.objects.order_by("name")
    if not feeds:
        command.stdout.write(
            _(
                "No threat-intelligence feed yet; import one with: tinhso soc intel import FILE --name FEED"
            )
        )
        return
    for feed in feeds:
        imported = timezone.localtime(feed.imported_at)
        command.stdout.write(
            f"{feed.name}\t{feed.format}\t{feed.indicator_count}\t{imported:%d/%m/%Y %H:%M}\t{feed.source_name}"
        )


def run_match(command: BaseCommand, options: dict[str, Any]) -> None:
    events, findings = run_over_stored(command, options, intel_findings)
    command.stderr.write(
        _("%(events)s events checked, %(findings)s matches.")
        % {"events": events, "findings": findings}
    )
