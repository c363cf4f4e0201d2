"""Loading a folder of public data files through the platform's own importers (``tinhso demo load``).

The folder is laid out like the public data folder of the project. ``admin/`` contains the
2025 conversion table and ``boundaries/`` GeoJSON, GeoPackage or zipped Shapefile
boundaries. ``stats/`` contains General Statistics Office PX-Web tables (a zip or CSV files)
and value tables such as the Ministry of Finance budget file. Files directly in the folder
are read too.
Each file is recognised by its content (columns, GeoJSON properties, zip members), not
by its name, and handed to the importer of its kind:

- conversion table → :func:`tinhso.core.services.conversion.import_conversion`;
- boundaries → :func:`tinhso.geo.boundaries.import_boundaries`, matched on 30 June 2025
  when the file contains districts, which the reform of 1 July 2025 abolished;
- PX-Web tables → :func:`tinhso.ioc.services.gso_import.import_gso`;
- indicator values (long layout or a built-in group such as ``ns-mof``) →
  :func:`tinhso.ioc.services.file_import.import_values`, stored as approved because the
  files are published figures.

Every loaded file's SHA-256 is kept in the summary of its import batch. A file whose
content was loaded before is skipped, so loading the same folder twice changes nothing the
second time.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.services.conversion import COLUMNS as CONVERSION_COLUMNS
from tinhso.core.services.conversion import KIND as CONVERSION_KIND
from tinhso.core.services.conversion import import_conversion
from tinhso.core.services.units import DAY_BEFORE_REFORM
from tinhso.geo.boundaries import KIND as BOUNDARIES_KIND
from tinhso.geo.boundaries import BoundaryImportOptions, import_boundaries
from tinhso.ingest.models import BatchStatus, ImportBatch
from tinhso.ingest.report import ImportReport
from tinhso.ingest.tables import MAX_TABLE_BYTES, decode_csv, read_table
from tinhso.ioc import gso
from tinhso.ioc.models import ValueStatus
from tinhso.ioc.reference_groups import BUILTIN_GROUPS
from tinhso.ioc.services.file_import import KIND as VALUES_KIND
from tinhso.ioc.services.file_import import LONG_COLUMNS, import_values
from tinhso.ioc.services.gso_import import KIND as GSO_KIND
from tinhso.ioc.services.gso_import import import_gso
from tinhso.text import fold

logger = logging.getLogger(__name__)

# Subfolders in the order they load: units first, then the boundaries drawn on them, then
# the statistics.
SUBFOLDERS = ("admin", "boundaries", "stats")
# Loaded by the SOC's own demonstration command, which `make run` calls after this one.
SOC_SUBFOLDER = "soc"
BOUNDARY_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp"})
TABLE_SUFFIXES = frozenset({".csv", ".xlsx"})
DOCUMENT_SUFFIXES = frozenset({".md", ".txt", ".pdf", ".docx", ".html"})
DISTRICT_WORDS = frozenset({"district", "huyen", "quan", "thi xa"})
DISTRICT_FIELDS = frozenset({"district_code", "ma_huyen"})

ProgressCallback = Callable[[int, int], None]


class FileKind(enum.Enum):
    CONVERSION = CONVERSION_KIND
    BOUNDARIES = BOUNDARIES_KIND
    GSO_TABLES = GSO_KIND
    VALUES = VALUES_KIND
    SKIP = "skip"


@dataclass(frozen=True)
class PlannedFile:
    """A file of the folder and what to do with it; ``reason`` is why a skipped file is skipped."""

    path: Path
    kind: FileKind
    description: str = ""
    reason: str = ""
    boundary_date_before_reform: bool = False


class Outcome(enum.Enum):
    LOADED = "loaded"
    ALREADY_LOADED = "already_loaded"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class FileResult:
    """The outcome of loading one planned file."""

    planned: PlannedFile
    outcome: Outcome
    message: str = ""
    report: ImportReport | None = None


# --- Planning --------------------------------------------------------------------------------


def plan_folder(root: Path) -> list[PlannedFile]:
    """Return every file of ``root`` and its known subfolders with what to do with it.

    Other subfolders are listed as skipped, without descending into them. Raises
    ImportFileError when ``root`` is not a folder.
    """
    if not root.is_dir():
        raise ImportFileError(
            _(
                "%(path)s is not a folder; give the folder that holds admin/, boundaries/ and stats/."
            )
            % {"path": root},
            "file_not_found",
        )
    planned = [classify(path) for path in sorted(root.iterdir()) if path.is_file()]
    for name in SUBFOLDERS:
        folder = root / name
        if folder.is_dir():
            planned += [classify(path) for path in _files_under(folder)]
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder.name not in SUBFOLDERS:
            planned.append(
                PlannedFile(folder, FileKind.SKIP, reason=_skipped_folder_reason(folder))
            )
    return planned


def _skipped_folder_reason(folder: Path) -> str:
    if folder.name == SOC_SUBFOLDER:
        return _("security logs and rules: `tinhso soc demo %(path)s` loads them") % {
            "path": folder
        }
    return _("folder not read: only admin/, boundaries/ and stats/ hold data this command loads")


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path


def classify(path: Path) -> PlannedFile:
    """Return what ``path`` is, from its content, and which importer loads it."""
    suffix = path.suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        return PlannedFile(path, FileKind.SKIP, reason=_("a document, not a data file"))
    if suffix == ".zip":
        return _classify_zip(path)
    if suffix in BOUNDARY_SUFFIXES:
        return _classify_boundaries(path)
    if suffix in TABLE_SUFFIXES:
        return _classify_table(path)
    return PlannedFile(
        path,
        FileKind.SKIP,
        reason=_("the extension %(suffix)s is not one of a data file this command loads")
        % {"suffix": suffix or "(none)"},
    )


def _classify_zip(path: Path) -> PlannedFile:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name.lower() for name in archive.namelist()]
    except (zipfile.BadZipFile, OSError):
        return PlannedFile(path, FileKind.SKIP, reason=_("not a readable zip archive"))
    if any(name.endswith(".shp") for name in names):
        return PlannedFile(path, FileKind.BOUNDARIES, _("boundaries (zipped Shapefile)"))
    csv_count = sum(name.endswith(".csv") for name in names)
    if csv_count:
        return PlannedFile(
            path,
            FileKind.GSO_TABLES,
            _("zip of %(count)s statistical tables (GSO PX-Web)") % {"count": csv_count},
        )
    return PlannedFile(
        path, FileKind.SKIP, reason=_("the zip archive holds neither CSV tables nor a Shapefile")
    )


def _classify_boundaries(path: Path) -> PlannedFile:
    if path.suffix.lower() not in {".geojson", ".json"}:
        return PlannedFile(path, FileKind.BOUNDARIES, _("boundaries"))
    properties = _geojson_properties(path)
    if properties is None:
        return PlannedFile(path, FileKind.SKIP, reason=_("a JSON file that is not GeoJSON"))
    if any(_is_district(item) for item in properties):
        return PlannedFile(
            path,
            FileKind.BOUNDARIES,
            _("boundaries of districts before 1 July 2025"),
            boundary_date_before_reform=True,
        )
    return PlannedFile(path, FileKind.BOUNDARIES, _("boundaries"))


def _geojson_properties(path: Path) -> list[dict[str, object]] | None:
    """Return the properties of the features of a GeoJSON file, or None if it is not one."""
    if path.stat().st_size > MAX_TABLE_BYTES:
        return []  # too large to read twice; the boundary importer reads it on its own
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("type") not in {
        "FeatureCollection",
        "Feature",
    }:
        return None
    features = document.get("features", [document])
    return [f.get("properties") or {} for f in features if isinstance(f, dict)]


def _is_district(properties: dict[str, object]) -> bool:
    if DISTRICT_FIELDS & set(properties) and not {"ward_code", "commune_code"} & set(properties):
        return True
    level = properties.get("level") or properties.get("cap")
    return isinstance(level, str) and fold(level) in DISTRICT_WORDS


def _classify_table(path: Path) -> PlannedFile:
    if path.suffix.lower() == ".csv" and _is_px_web(path):
        return PlannedFile(path, FileKind.GSO_TABLES, _("statistical table (GSO PX-Web)"))
    try:
        columns = {fold(column).strip() for column in read_table(path).columns}
    except ImportFileError as error:
        return PlannedFile(path, FileKind.SKIP, reason=error.message)

    if set(CONVERSION_COLUMNS) <= columns:
        return PlannedFile(path, FileKind.CONVERSION, _("conversion table of the 2025 reform"))
    for spec in BUILTIN_GROUPS.values():
        if {fold(item.column) for item in spec.indicators} <= columns:
            return PlannedFile(
                path,
                FileKind.VALUES,
                _("values of the indicator group %(group)s") % {"group": spec.code},
            )
    if all(columns & set(LONG_COLUMNS[key]) for key in ("indicator", "unit", "period", "value")):
        return PlannedFile(path, FileKind.VALUES, _("indicator values (long layout)"))
    return PlannedFile(path, FileKind.SKIP, reason=_skip_reason(columns))


def _is_px_web(path: Path) -> bool:
    if path.stat().st_size > MAX_TABLE_BYTES:
        return False
    records = decode_csv(path.read_bytes(), delimiter=";").records
    try:
        gso.parse_records(records, name=path.stem)
    except gso.GsoFormatError:
        return False
    return True


def _skip_reason(columns: set[str]) -> str:
    if {"category", "table", "column"} <= columns:
        return _(
            "long-form copy of GSO PX-Web tables; load the original tables (the zip) instead, "
            "so that values are not counted twice"
        )
    if {"before_merger", "area_km2", "population"} <= columns:
        return _(
            "attributes of the 2025 communes from the merger map; no importer reads them. The "
            "built-in sample (tinhso demo sample) holds the area and population of the "
            "communes formed from Vĩnh Phúc"
        )
    if any("ward_code" in column for column in columns):
        return _(
            "a list of administrative units; the reference units (tinhso units load-reference) "
            "hold them already"
        )
    return _(
        "its columns (%(columns)s) fit no conversion table, value template or PX-Web table"
    ) % {"columns": ", ".join(sorted(columns)) or "-"}


# --- Loading ---------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def previous_batch(kind: FileKind, digest: str) -> ImportBatch | None:
    """Return the finished import batch that loaded a file with ``digest`` before, if any."""
    return (
        ImportBatch.objects.filter(
            kind=kind.value,
            summary__sha256=digest,
            status__in=[BatchStatus.SUCCEEDED, BatchStatus.PARTIAL],
        )
        .order_by("-pk")
        .first()
    )


def load_file(
    planned: PlannedFile, progress: ProgressCallback | None = None, *, force: bool = False
) -> FileResult:
    """Load one planned file through its importer, unless its content was loaded before.

    With ``force`` the file is loaded again all the same; the importers then store only
    what differs from the database.
    """
    if planned.kind is FileKind.SKIP:
        return FileResult(planned, Outcome.SKIPPED, planned.reason)
    digest = file_digest(planned.path)
    earlier = None if force else previous_batch(planned.kind, digest)
    if earlier is not None:
        return FileResult(
            planned,
            Outcome.ALREADY_LOADED,
            _("loaded before in import batch %(batch)s; the file has not changed")
            % {"batch": earlier.pk},
        )
    try:
        report = _run_importer(planned, progress)
    except ImportFileError as error:
        return FileResult(planned, Outcome.FAILED, error.message)
    except Exception as error:  # noqa: BLE001 (one broken file must not stop the others)
        logger.exception("Loading %s failed", planned.path)
        return FileResult(planned, Outcome.FAILED, f"{type(error).__name__}: {error}")

    if report.batch_id is not None and report.rows_accepted:
        batch = ImportBatch.objects.get(pk=report.batch_id)
        batch.summary = {**batch.summary, "sha256": digest}
        batch.save(update_fields=["summary"])
    if not report.rows_accepted:
        return FileResult(planned, Outcome.FAILED, _("nothing was accepted"), report)
    return FileResult(planned, Outcome.LOADED, report=report)


def _run_importer(planned: PlannedFile, progress: ProgressCallback | None) -> ImportReport:
    path = planned.path
    if planned.kind is FileKind.CONVERSION:
        return import_conversion(path)
    if planned.kind is FileKind.BOUNDARIES:
        date = DAY_BEFORE_REFORM if planned.boundary_date_before_reform else None
        return import_boundaries(path, BoundaryImportOptions(date=date), progress=progress)
    if planned.kind is FileKind.GSO_TABLES:
        return import_gso(path, progress=progress)
    return import_values(path, status=ValueStatus.APPROVED, progress=progress)
