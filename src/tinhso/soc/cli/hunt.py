"""``tinhso soc hunt PATH... --rules DIR [--pipeline FILE]``: run Sigma rules over EVTX files.

Writes a timeline of hits sorted by time, with a summary on standard error. The ``kind``
column is ``rule`` for the hit of a rule on one event and ``correlation`` for the hit of a
correlation rule. The ``event`` column of a correlation hit contains the correlation's group,
count, first and last time and a reference to each event it counted.

The command exits with status 1 when a file could not be read, after writing the hits of the
files that could, so a script notices the gap.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tinhso.soc.engine.correlation import CorrelationHit
from tinhso.soc.engine.errors import EvtxError
from tinhso.soc.engine.hunt import Hit, HuntSummary, RuleSet, hunt
from tinhso.soc.engine.logsource import PipelineError


class TextSink(Protocol):
    """Anything with a ``write(str)`` method: a file or the command's standard output."""

    def write(self, text: str, /) -> object: ...


# "kind" comes last so that readers of the columns before it by position keep working.
TIMELINE_COLUMNS = (
    "time",
    "host",
    "rule_id",
    "title",
    "level",
    "tags",
    "file",
    "event",
    "kind",
)

TimelineHit = Hit | CorrelationHit


def _row(hit: TimelineHit) -> dict[str, Any]:
    return {
        "time": hit.time,
        "host": hit.computer,
        "rule_id": hit.rule_id,
        "title": hit.title,
        "level": hit.level,
        "tags": list(hit.tags),
        "file": hit.file,
        "event": hit.event,
        "kind": hit.kind,
    }


def write_jsonl(hits: list[TimelineHit], stream: TextSink) -> None:
    for hit in hits:
        stream.write(json.dumps(_row(hit), ensure_ascii=False) + "\n")


def write_csv(hits: list[TimelineHit], stream: TextSink) -> None:
    writer = csv.DictWriter(stream, fieldnames=TIMELINE_COLUMNS)
    writer.writeheader()
    for hit in hits:
        row = _row(hit)
        row["tags"] = " ".join(hit.tags)
        row["event"] = json.dumps(hit.event, ensure_ascii=False)
        writer.writerow(row)


def _placeholders(assignments: list[str]) -> dict[str, list[str]]:
    placeholders: dict[str, list[str]] = {}
    for assignment in assignments:
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            raise CommandError(
                _("Invalid --placeholder %(value)s: expected NAME=VALUE.") % {"value": assignment}
            )
        placeholders.setdefault(name, []).append(value)
    return placeholders


@contextmanager
def _output(path: Path | None, default: TextSink) -> Iterator[TextSink]:
    if path is None:
        yield default
        return
    try:
        with path.open("w", encoding="utf-8", newline="") as stream:
            yield stream
    except OSError as error:
        raise CommandError(
            _("Cannot write the timeline to %(path)s: %(error)s") % {"path": path, "error": error}
        ) from error


class _WithoutUnreadableFiles(logging.Filter):
    """Drop the engine's log record of an unreadable file, which the command prints itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        arguments = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(argument, EvtxError) for argument in arguments)


@contextmanager
def _unreadable_files_unlogged() -> Iterator[None]:
    engine_logger = logging.getLogger(hunt.__module__)
    log_filter = _WithoutUnreadableFiles()
    engine_logger.addFilter(log_filter)
    try:
        yield
    finally:
        engine_logger.removeFilter(log_filter)


def add_parser(actions: Any) -> None:
    hunt_parser = actions.add_parser(
        "hunt",
        help="Run Sigma rules and correlation rules over EVTX files and print a timeline of hits.",
        description="Run Sigma rules and correlation rules over EVTX files and print a timeline "
        "of hits. Exit status: 0 when every file was read, 1 when a file could not be read "
        "(the hits of the other files are still written and the file is named on standard "
        "error), 2 or another non-zero status for invalid options or rules.",
    )
    hunt_parser.add_argument(
        "paths", nargs="+", type=Path, help="EVTX files, or folders searched for .evtx files."
    )
    hunt_parser.add_argument(
        "--rules",
        required=True,
        action="append",
        type=Path,
        help="Folder or .yml file of Sigma rules; repeat the option for several.",
    )
    hunt_parser.add_argument(
        "--placeholder",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A value of the %%NAME%% placeholder that the 'expand' modifier fills in; "
        "repeat the option for several values or names.",
    )
    hunt_parser.add_argument(
        "--pipeline",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="pySigma processing pipeline YAML that maps more log sources to channels, "
        "EventIDs and field names, applied after the built-in Windows and Sysmon pipelines; "
        "repeat the option for several, applied in order.",
    )
    hunt_parser.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default="jsonl",
        help="Timeline format (default jsonl).",
    )
    hunt_parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="File for the timeline (default: standard output).",
    )
    hunt_parser.set_defaults(run=run)


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    for rules_path in options["rules"]:
        if not rules_path.exists():
            raise CommandError(_("Rule path not found: %(path)s") % {"path": rules_path})
    for path in options["paths"]:
        if not path.exists():
            raise CommandError(_("EVTX path not found: %(path)s") % {"path": path})
    try:
        ruleset = RuleSet.from_paths(
            options["rules"],
            _placeholders(options["placeholder"]),
            pipelines=options["pipeline"],
        )
    except PipelineError as error:
        raise CommandError(
            _("Invalid pySigma pipeline %(path)s: %(reason)s")
            % {"path": error.path, "reason": error.reason}
        ) from error
    if not ruleset.rules:
        raise CommandError(
            _("No usable Sigma rule under %(paths)s (%(rejected)s rejected).")
            % {
                "paths": ", ".join(str(path) for path in options["rules"]),
                "rejected": len(ruleset.rejected),
            }
        )
    with _unreadable_files_unlogged():
        hits, summary = hunt(ruleset, options["paths"])
    with _output(options["out"], command.stdout) as stream:
        if options["format"] == "csv":
            write_csv(hits, stream)
        else:
            write_jsonl(hits, stream)
    _write_summary(command, summary)
    if summary.files_failed:
        raise CommandError(
            _(
                "%(failed)s of %(files)s files could not be read; the hits of the others are written."
            )
            % {"failed": len(summary.files_failed), "files": summary.files},
            returncode=1,
        )


def _write_summary(command: BaseCommand, summary: HuntSummary) -> None:
    for error in summary.rules_rejected:
        command.stderr.write(_("Rule rejected: %(error)s") % {"error": error})
    for failure in summary.files_failed:
        command.stderr.write(_("File skipped: %(error)s") % {"error": failure})
    command.stderr.write(
        _(
            "%(files)s files (%(failed)s unreadable), %(events)s events, %(rules)s rules loaded, "
            "%(rejected)s rules rejected, %(hits)s hits, %(rate).0f events per second."
        )
        % {
            "files": summary.files,
            "failed": len(summary.files_failed),
            "events": summary.events,
            "rules": summary.rules_loaded,
            "rejected": len(summary.rules_rejected),
            "hits": summary.hits,
            "rate": summary.events_per_second,
        }
    )
    if summary.correlations_loaded:
        command.stderr.write(
            _("%(correlations)s correlation rules loaded, %(hits)s correlation hits.")
            % {"correlations": summary.correlations_loaded, "hits": summary.correlation_hits}
        )
