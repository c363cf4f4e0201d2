"""Generating briefing reports from a regime's outline, storing them, and verifying their figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tinhso.core import audit
from tinhso.core.errors import TinhsoError
from tinhso.core.models import AuditAction, User
from tinhso.ioc import periods
from tinhso.ioc.models import Indicator
from tinhso.ioc.periods import InvalidPeriodError, Period
from tinhso.reports import charts, docx_writer, outline, pdf_writer
from tinhso.reports import document as layout
from tinhso.reports.data import DatabaseSource
from tinhso.reports.models import GeneratedReport, ReportRegime

logger = logging.getLogger(__name__)

FORMATS = ("docx", "pdf")
MANIFEST_SCHEMA = "tinhso.report-manifest/1"
# Relative tolerance when a re-derived figure is compared with the manifest, so that
# float noise of a recomputed ratio is not reported as a changed figure.
VALUE_TOLERANCE = 1e-9


class ReportError(TinhsoError):
    """An expected failure of generation or verification, with a translated message."""

    code = "report_error"

    def __init__(self, message: str, code: str = "report_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def user_message(self) -> str:
        return self.message


# --- Regimes and periods -------------------------------------------------------------------------


def get_regime(code: str) -> ReportRegime:
    regime = ReportRegime.objects.filter(code=code).first()
    if regime is None:
        known = ", ".join(ReportRegime.objects.values_list("code", flat=True)) or "-"
        raise ReportError(
            _("Report regime %(code)r does not exist. Known regimes: %(known)s.")
            % {"code": code, "known": known},
            "unknown_regime",
        )
    return regime


def report_period(regime: ReportRegime, code: str) -> Period:
    """Parse ``code`` as a period the regime reports on; raise ReportError with the accepted forms."""
    try:
        period = periods.parse(code)
    except InvalidPeriodError:
        raise ReportError(
            _(
                "%(code)r is not a valid period. Use for example 2016 (year), 2016N9 (nine "
                "months), 201607 (month) or 2016R07 (reporting month with cut-off day)."
            )
            % {"code": code},
            "invalid_period",
        ) from None
    allowed = list(regime.period_types or [])
    if allowed and period.type.value not in allowed:
        raise ReportError(
            _("Regime %(regime)s does not report on %(type)s periods; it accepts: %(allowed)s.")
            % {"regime": regime.code, "type": period.type.value, "allowed": ", ".join(allowed)},
            "period_type_not_allowed",
        )
    return period


def parsed_outline(regime: ReportRegime) -> list[outline.Block]:
    try:
        return outline.parse(regime.outline)
    except outline.OutlineError as error:
        raise ReportError(
            _("The outline of regime %(regime)s is invalid at line %(line)s: %(detail)s.")
            % {"regime": regime.code, "line": error.line, "detail": error.detail},
            "invalid_outline",
        ) from None


def sync_indicators(regime: ReportRegime) -> int:
    """Link the regime to the indicators its outline reads (its data forms); return how many."""
    try:
        codes = outline.indicator_codes(outline.parse(regime.outline))
    except outline.OutlineError as error:
        logger.warning("Outline of regime %s is invalid: %s", regime.code, error)
        return 0
    indicators = list(Indicator.objects.filter(code__in=codes))
    regime.indicators.add(*indicators)
    return len(indicators)


# --- Generation ------------------------------------------------------------------------------------


@dataclass
class BuiltReport:
    """The files of one generation, before they are stored."""

    title: str
    period: Period
    manifest: dict[str, Any]
    evaluation: outline.Evaluation
    files: dict[str, bytes] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def report_title(regime: ReportRegime, period: Period, unit_name: str) -> str:
    """Write the summary line under the document type: "Tình hình kinh tế - xã hội năm 2016 …".

    The document type "BÁO CÁO" is printed above it, so a leading "Báo cáo" of the regime
    name is dropped rather than repeated.
    """
    name = regime.name.strip()
    if name.lower().startswith("báo cáo "):
        name = name[len("báo cáo ") :]
    name = name[:1].upper() + name[1:]
    return f"{name} {outline.period_name(period)} trên địa bàn {unit_name}"


def build_report(
    regime: ReportRegime,
    period_code: str,
    formats: Iterable[str] = FORMATS,
    *,
    generated_by: str = "",
    today: dt.date | None = None,
) -> BuiltReport:
    """Evaluate the regime's outline for the period and write the requested file formats."""
    wanted = list(dict.fromkeys(formats))
    period = report_period(regime, period_code)
    blocks = parsed_outline(regime)
    if not regime.unit_code:
        raise ReportError(
            _("Regime %(regime)s has no unit code; set the unit whose data it presents.")
            % {"regime": regime.code},
            "no_unit",
        )
    unknown = [name for name in wanted if name not in FORMATS]
    if unknown or not wanted:
        raise ReportError(
            _("Unknown report format %(format)s; use docx or pdf.")
            % {"format": ", ".join(unknown) or "-"},
            "unknown_format",
        )
    # The document is Vietnamese whatever language the operator's messages are in.
    with translation.override("vi"):
        return _build(regime, period, blocks, wanted, generated_by, today)


def _build(
    regime: ReportRegime,
    period: Period,
    blocks: list[outline.Block],
    wanted: list[str],
    generated_by: str,
    today: dt.date | None,
) -> BuiltReport:
    started = time.perf_counter()
    source = DatabaseSource()
    unit_code = regime.unit_code
    evaluation = outline.evaluate(blocks, outline.Context(period, unit_code, source))
    title = report_title(regime, period, source.unit_name(unit_code, period))
    manifest = build_manifest(
        regime, period, unit_code, title, evaluation, timezone.now(), generated_by
    )
    built = BuiltReport(title, period, manifest, evaluation)
    built.timings["evaluate"] = time.perf_counter() - started

    document = _document(regime, built, today or timezone.localdate())
    for name in wanted:
        started = time.perf_counter()
        writer = docx_writer.write_docx if name == "docx" else pdf_writer.write_pdf
        built.files[name] = writer(document)
        built.timings[name] = time.perf_counter() - started

    logger.info(
        "Built report %s %s: %s figures, %s without data, formats %s",
        regime.code, period.code, len(evaluation.figures), len(evaluation.missing), wanted,
    )  # fmt: skip
    return built


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _document(regime: ReportRegime, built: BuiltReport, day: dt.date) -> layout.ReportDocument:
    """Collect what both writers print: the regime's layout fields, the figures and the charts."""
    images = {
        block.chart.number: charts.render_png(block.chart)
        for block in built.evaluation.blocks
        if block.chart is not None
    }
    return layout.ReportDocument(
        issuer_parent=regime.issuer_parent,
        issuer=regime.issuer or regime.reporting_body,
        number_line=layout.number_line(regime.document_symbol),
        place_date=layout.place_date_line(regime.place or "…", day),
        title=built.title,
        evaluation=built.evaluation,
        recipients=_lines(regime.recipients),
        signer_authority=_lines(regime.signer_authority),
        signer_title=regime.signer_title,
        signer_name=regime.signer_name,
        manifest=built.manifest,
        chart_images=images,
    )


def build_manifest(
    regime: ReportRegime,
    period: Period,
    unit_code: str,
    title: str,
    evaluation: outline.Evaluation,
    generated_at: dt.datetime,
    generated_by: str,
) -> dict[str, Any]:
    return {
        "schema": MANIFEST_SCHEMA,
        "regime": regime.code,
        "regime_name": regime.name,
        "period": period.code,
        "unit": unit_code,
        "title": title,
        "generated_at": generated_at.isoformat(),
        "generated_by": generated_by,
        "figures": [figure.to_manifest() for figure in evaluation.figures],
    }


def manifest_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 of the figures of a manifest, equal for two reports that show the same figures."""
    figures = json.dumps(manifest.get("figures", []), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(figures.encode()).hexdigest()


def storage_dir() -> Path:
    return Path(settings.TINHSO_DATA_DIR) / "reports"


def generate(
    regime: ReportRegime,
    period_code: str,
    *,
    user: User | None = None,
    formats: Iterable[str] = FORMATS,
) -> tuple[GeneratedReport, BuiltReport]:
    """Build the report, store its files under the data folder, and record it with an audit row."""
    actor = audit.current().actor_name
    built = build_report(regime, period_code, formats, generated_by=actor)
    sync_indicators(regime)
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        record = GeneratedReport.objects.create(
            regime=regime,
            period=built.period.code,
            title=built.title[:400],
            manifest=built.manifest,
            sha256=manifest_hash(built.manifest),
            figure_count=len(built.evaluation.figures),
            missing_count=len(built.evaluation.missing),
            generated_by=user if user is not None and user.is_authenticated else None,
            generated_by_name=actor[:150],
        )
        for name, data in built.files.items():
            path = folder / f"{regime.code}-{built.period.code}-{record.pk}.{name}"
            path.write_bytes(data)
            setattr(record, f"{name}_path", path.name)
            setattr(record, f"{name}_sha256", hashlib.sha256(data).hexdigest())
        record.save()
        audit.record(
            AuditAction.EXPORT,
            record,
            extra={
                "regime": regime.code,
                "period": built.period.code,
                "formats": sorted(built.files),
                "figures": record.figure_count,
                "missing": record.missing_count,
                "sha256": record.sha256,
            },
        )
    return record, built


def stored_file(record: GeneratedReport, name: str) -> Path | None:
    """Return the stored file of a report in format ``name``, or None when it was not generated."""
    relative = record.docx_path if name == "docx" else record.pdf_path
    if not relative:
        return None
    path = storage_dir() / Path(relative).name
    return path if path.is_file() else None


# --- Verification ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """A figure whose value re-derived from the current data differs from the report's."""

    figure_id: str
    code: str
    indicator_name: str
    unit: str
    period: str
    old_text: str
    new_text: str
    old_value: float | None
    new_value: float | None


def read_manifest(data: bytes) -> dict[str, Any]:
    """Return the manifest of a DOCX or PDF report; raise ReportError when there is none."""
    try:
        if data.startswith(b"PK"):
            manifest = docx_writer.read_manifest(data)
        elif data.lstrip()[:5] == b"%PDF-":
            manifest = pdf_writer.read_manifest(data)
        else:
            raise ValueError("not a DOCX or PDF file")
    except (ValueError, KeyError, OSError) as error:
        logger.info("No report manifest found: %s", error)
        raise ReportError(
            _(
                "The file contains no report manifest, so its figures cannot be checked. Only "
                "DOCX and PDF files generated by this platform carry one; generate the report "
                "again if the file was re-saved by another program."
            ),
            "no_manifest",
        ) from None
    if manifest.get("schema") != MANIFEST_SCHEMA or "figures" not in manifest:
        raise ReportError(
            _("The report manifest has an unknown format (%(schema)s).")
            % {"schema": manifest.get("schema", "-")},
            "invalid_manifest",
        )
    return manifest


def verify(manifest: dict[str, Any]) -> list[Mismatch]:
    """Re-derive every figure of the manifest from the current data; return those that differ."""
    period = periods.parse(manifest["period"])
    source = DatabaseSource()
    context = outline.Context(period, manifest.get("unit", ""), source)
    mismatches = []
    for entry in manifest["figures"]:
        query = outline.Query(
            entry["function"], entry["code"], dict(entry.get("options", {})), entry["query"]
        )
        figure = outline.evaluate_query(query, context, entry["id"])
        if _same(entry.get("value"), figure.value) and entry.get("text") == figure.text:
            continue
        info = source.indicator(entry["code"])
        mismatches.append(
            Mismatch(
                figure_id=entry["id"],
                code=entry["code"],
                indicator_name=info.name if info else "",
                unit=entry.get("unit", ""),
                period=entry.get("period", ""),
                old_text=entry.get("text", ""),
                new_text=figure.text,
                old_value=entry.get("value"),
                new_value=figure.value,
            )
        )
    logger.info(
        "Verified report %s %s: %s figures, %s changed",
        manifest.get("regime"), manifest.get("period"), len(manifest["figures"]), len(mismatches),
    )  # fmt: skip
    return mismatches


def _same(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return old is new
    return abs(old - new) <= VALUE_TOLERANCE * max(1.0, abs(old), abs(new))
