"""Threat intelligence: import feeds, and match stored events against their indicators.

Importing a feed again replaces its indicators in one transaction, so matching reads either
the old list or the new one. Entries that could not be read go to the platform's import
quarantine (``tinhso.ingest``) with their position and reason, and the import is audited.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.models import AuditAction
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch
from tinhso.soc.findings import Finding
from tinhso.soc.intel import lists, stix
from tinhso.soc.intel.indicators import SEVERITIES, IntelFormatError, ParsedFeed
from tinhso.soc.intel.observables import Observable, event_observables, parent_domains
from tinhso.soc.models import AlertKind, IntelFeed, SecurityEvent, ThreatIndicator

logger = logging.getLogger(__name__)

IMPORT_KIND = "soc.intel"
FORMATS = ("auto", "list", "csv", "stix")
MAX_FEED_NAME = 200
# Values per IN query: below SQLite's default limit of 999 bound parameters before 3.32.
LOOKUP_CHUNK = 900


@dataclass
class FeedImport:
    """The outcome of one import: the feed, what the parser read, and the import batch."""

    feed: IntelFeed
    parsed: ParsedFeed
    report: ImportReport
    ignored_objects: Counter[str] = field(default_factory=Counter)
    replaced: int = 0


def detect_format(text: str, source_name: str = "") -> str:
    """Tell STIX (JSON), CSV (a header naming a value column) and plain lists apart."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")) or source_name.lower().endswith(".json"):
        return "stix"
    if source_name.lower().endswith(".csv") or lists.looks_like_csv(text):
        return "csv"
    return "list"


def parse_feed(
    data: bytes, format: str = "auto", source_name: str = ""
) -> tuple[ParsedFeed, Counter[str]]:
    """Parse a file in ``format`` (or the detected one); raise IntelFormatError."""
    if format not in FORMATS:
        raise IntelFormatError(f"format {format!r} is not one of {', '.join(FORMATS)}")
    text = lists.decode(data)
    chosen = detect_format(text, source_name) if format == "auto" else format
    if chosen == "stix":
        return stix.parse_bundle(text)
    if chosen == "csv":
        return lists.parse_csv(text), Counter()
    return lists.parse_list(text), Counter()


def _report(parsed: ParsedFeed, source_name: str) -> ImportReport:
    report = ImportReport(kind=IMPORT_KIND, source_name=source_name)
    report.rows_accepted = len(parsed.indicators)
    report.rows_total = report.rows_accepted + len(parsed.problems)
    report.problems = [
        RowProblem(
            position=problem.position,
            code=problem.code,
            message=problem.message,
            raw={"text": problem.raw} if problem.raw else None,
        )
        for problem in parsed.problems
    ]
    report.summary["format"] = parsed.format
    return report


def import_feed(data: bytes, name: str, format: str = "auto", source_name: str = "") -> FeedImport:
    """Import a list, CSV table or STIX bundle as feed ``name``, replacing its indicators.

    Raises IntelFormatError when the file as a whole cannot be read or yields no indicator;
    the feed is then left as it was.
    """
    name = name.strip()
    if not name or len(name) > MAX_FEED_NAME:
        raise IntelFormatError(f"the feed name must have 1 to {MAX_FEED_NAME} characters")
    source_name = source_name or name
    batch = start_batch(IMPORT_KIND, source_name)
    parsed: ParsedFeed | None = None
    try:
        parsed, ignored = parse_feed(data, format, source_name)
        if not parsed.indicators:
            raise IntelFormatError(
                "the file contains no usable indicator, so the feed is left unchanged"
            )
    except IntelFormatError as error:
        # The batch keeps the reasons of rejected entries even though nothing was imported.
        failed = parsed or ParsedFeed(format=format)
        finish_batch(batch, _report(failed, source_name), message=str(error), file_error=True)
        raise

    report = _report(parsed, source_name)
    report.summary["feed"] = name
    try:
        with transaction.atomic():
            feed, replaced = _replace_indicators(name, parsed, source_name)
            audit.record(
                AuditAction.IMPORT,
                feed,
                extra={
                    "format": parsed.format,
                    "file": source_name[:300],
                    "indicators": len(parsed.indicators),
                    "rejected": len(parsed.problems),
                    "replaced": replaced,
                    "batch": batch.pk,
                },
            )
    finally:
        finish_batch(batch, report)
    logger.info(
        "Imported feed %s from %s: %s indicators, %s entries rejected, %s replaced",
        name,
        source_name,
        len(parsed.indicators),
        len(parsed.problems),
        replaced,
    )
    return FeedImport(feed, parsed, report, ignored, replaced)


def _replace_indicators(name: str, parsed: ParsedFeed, source_name: str) -> tuple[IntelFeed, int]:
    feed, _created = IntelFeed.objects.select_for_update().get_or_create(
        name=name, defaults={"format": parsed.format}
    )
    replaced, _by_model = feed.indicators.all().delete()
    ThreatIndicator.objects.bulk_create(
        [
            ThreatIndicator(
                feed=feed,
                kind=indicator.kind,
                value=indicator.value,
                description=indicator.description,
                severity=indicator.severity,
                stix_id=indicator.stix_id,
                valid_from=indicator.valid_from,
                valid_until=indicator.valid_until,
                tags=indicator.tags,
            )
            for indicator in parsed.indicators
        ],
        batch_size=1000,
    )
    feed.format = parsed.format
    feed.source_name = source_name[:500]
    feed.indicator_count = len(parsed.indicators)
    feed.save()
    return feed, replaced


# --- matching --------------------------------------------------------------------------------


def is_active(indicator: ThreatIndicator, time: datetime) -> bool:
    """Tell whether ``indicator`` is valid at ``time``: from valid_from, until before valid_until."""
    if indicator.valid_from is not None and time < indicator.valid_from:
        return False
    return indicator.valid_until is None or time < indicator.valid_until


def _lookup_values(observed: Iterable[Observable]) -> dict[str, set[str]]:
    values: dict[str, set[str]] = defaultdict(set)
    for observable in observed:
        if observable.kind == "domain":
            values["domain"].update(parent_domains(observable.value))
        else:
            values[observable.kind].add(observable.value)
    return values


def _indicators(
    values: dict[str, set[str]], earliest: datetime
) -> dict[tuple[str, str], list[ThreatIndicator]]:
    """Load the indicators of these values, one IN query per kind (and per chunk)."""
    found: dict[tuple[str, str], list[ThreatIndicator]] = defaultdict(list)
    not_expired = Q(valid_until__isnull=True) | Q(valid_until__gt=earliest)
    for kind, kind_values in values.items():
        ordered = sorted(kind_values)
        for start in range(0, len(ordered), LOOKUP_CHUNK):
            chunk = ordered[start : start + LOOKUP_CHUNK]
            rows = ThreatIndicator.objects.filter(not_expired, kind=kind, value__in=chunk)
            for indicator in rows.select_related("feed"):
                found[(indicator.kind, indicator.value)].append(indicator)
    return found


def intel_findings(events: Sequence[SecurityEvent]) -> list[Finding]:
    """Return one finding per event and indicator it carries that is valid at the event's time."""
    observed = {
        event.pk: event_observables(
            event.fields if isinstance(event.fields, dict) else {}, event.source_ip
        )
        for event in events
        if event.pk is not None
    }
    values = _lookup_values(observable for items in observed.values() for observable in items)
    if not values:
        return []
    known = _indicators(values, min(event.time for event in events))
    if not known:
        return []

    findings = []
    for event in events:
        matched: set[int] = set()
        for observable in observed.get(event.pk, []):
            candidates = (
                parent_domains(observable.value)
                if observable.kind == "domain"
                else [observable.value]
            )
            for candidate in candidates:
                for indicator in known.get((observable.kind, candidate), []):
                    if indicator.pk in matched or not is_active(indicator, event.time):
                        continue
                    matched.add(indicator.pk)
                    findings.append(to_finding(event, observable, indicator))
    if findings:
        logger.info("%s intelligence matches in a batch of %s events", len(findings), len(events))
    return findings


def to_finding(event: SecurityEvent, observable: Observable, indicator: ThreatIndicator) -> Finding:
    """Describe one match of ``indicator`` in ``event`` as a finding."""
    severity = indicator.severity if indicator.severity in SEVERITIES else "high"
    return Finding(
        kind=AlertKind.INTEL.value,
        rule_id=f"intel.{indicator.kind}",
        title=_("Known threat indicator %(value)s (feed %(feed)s)")
        % {"value": indicator.value, "feed": indicator.feed.name},
        severity=severity,
        time=event.time,
        host=event.host,
        user=event.user,
        tags=tuple(str(tag) for tag in indicator.tags or ()),
        event_ids=(event.pk,),
        explanation={
            "indicator": indicator.value,
            "kind": indicator.kind,
            "feed": indicator.feed.name,
            "stix_id": indicator.stix_id,
            "description": indicator.description,
            "matched_field": observable.field,
            "matched_value": observable.value,
            "valid_from": indicator.valid_from.isoformat() if indicator.valid_from else None,
            "valid_until": indicator.valid_until.isoformat() if indicator.valid_until else None,
        },
    )
