"""``tinhso demo load``: the public data folder through the importers, twice, and broken files."""

from __future__ import annotations

import shutil
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tinhso.core.models import UnitLink
from tinhso.geo.models import Boundary
from tinhso.ingest.models import ImportBatch
from tinhso.ioc.models import DataValue, DataValueVersion, ValueStatus
from tinhso.ioc.sample.folder import FileKind, classify, plan_folder

pytestmark = pytest.mark.django_db

BUDGET = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"
ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
GSO_VALUES = 4621  # Vĩnh Phúc and whole-country values of the 98 tables with a Vĩnh Phúc row
BUDGET_VALUES = 70


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    # Commands speak TINHSO_LANGUAGE; the checks below read the English messages.
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    translation.activate("en")


def run_load(folder: Path) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("demo", "load", str(folder), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def counts() -> dict[str, int]:
    return {
        "batches": ImportBatch.objects.count(),
        "values": DataValue.objects.count(),
        "versions": DataValueVersion.objects.count(),
        "boundaries": Boundary.objects.count(),
        "links": UnitLink.objects.count(),
    }


@pytest.mark.shared_data
def test_public_folder_loads_every_known_file(shared_data: Path) -> None:
    stdout, _stderr = run_load(shared_data)

    assert DataValue.objects.filter(batch__kind="ioc.gso").count() == GSO_VALUES
    assert DataValue.objects.filter(batch__kind="ioc.values").count() == BUDGET_VALUES
    assert set(
        DataValue.objects.filter(batch__kind="ioc.values").values_list("status", flat=True)
    ) == {ValueStatus.APPROVED}
    # 148 communes of the new Phú Thọ, its outline, and Vĩnh Phúc with its 9 districts.
    assert Boundary.objects.filter(batch__kind="geo.boundaries").count() == 148 + 1 + 10
    assert ImportBatch.objects.filter(kind="units.conversion").count() == 1
    assert "Files: 6 loaded, 0 loaded before and unchanged, 6 skipped, 0 failed." in stdout


@pytest.mark.shared_data
def test_public_folder_lists_skipped_files_with_reason(shared_data: Path) -> None:
    stdout, _stderr = run_load(shared_data)

    lines = stdout.splitlines()
    skipped = {line.split("] ", 1)[1].split(":", 1)[0] for line in lines if ": skipped, " in line}
    assert skipped == {
        "README.md",
        "admin/phutho_new_wards_2025-07.csv",
        "admin/vinhphuc_legacy_units_2025-01.csv",
        "boundaries/phutho_wards_2025_bando_metadata.csv",
        "stats/gso_2018_vinhphuc_long.csv",
        "soc",
    }
    assert any("gso_2018_vinhphuc_long.csv: skipped, long-form copy" in line for line in lines)


@pytest.mark.shared_data
def test_second_load_changes_nothing(shared_data: Path) -> None:
    run_load(shared_data)
    before = counts()

    stdout, _stderr = run_load(shared_data)

    assert counts() == before
    assert "Files: 0 loaded, 6 loaded before and unchanged, 6 skipped, 0 failed." in stdout


@pytest.mark.shared_data
def test_force_loads_again_without_changes(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "stats").mkdir()
    shutil.copy(shared_data / BUDGET, tmp_path / "stats" / "ngan-sach.csv")
    run_load(tmp_path)
    values = DataValue.objects.count()

    stdout, stderr = StringIO(), StringIO()
    call_command("demo", "load", str(tmp_path), "--force", stdout=stdout, stderr=stderr)

    assert "Files: 1 loaded, 0 loaded before and unchanged" in stdout.getvalue()
    assert DataValue.objects.count() == values
    assert not DataValue.objects.filter(version__gt=1).exists()


@pytest.mark.shared_data
def test_failed_file_does_not_stop_others(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "stats").mkdir()
    (tmp_path / "boundaries").mkdir()
    shutil.copy(shared_data / BUDGET, tmp_path / "stats" / "ngan-sach.csv")
    (tmp_path / "boundaries" / "hong.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"properties": {"ten": "X"}, "geometry": {"type": "Point", "coordinates": [105.5, 21.3]}}]}',
        encoding="utf-8",
    )
    (tmp_path / "stats" / "ghi-chu.xyz").write_text("?", encoding="utf-8")

    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError, match="failed to load: 1"):
        call_command("demo", "load", str(tmp_path), stdout=stdout, stderr=stderr)

    assert DataValue.objects.filter(batch__kind="ioc.values").count() == BUDGET_VALUES
    assert "FAILED" in stderr.getvalue()
    assert "ghi-chu.xyz: skipped, the extension .xyz" in stdout.getvalue()
    assert (
        "Files: 1 loaded, 0 loaded before and unchanged, 1 skipped, 1 failed." in stdout.getvalue()
    )


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("demo", "load", str(tmp_path / "khong-co"), stdout=StringIO())


@pytest.mark.shared_data
def test_files_recognised_by_content_not_name(shared_data: Path, tmp_path: Path) -> None:
    renamed = {
        "a.csv": shared_data / "admin/vinhphuc_old_to_new_2025.csv",
        "b.csv": shared_data / BUDGET,
        "c.geojson": shared_data / "boundaries/vinhphuc_province_districts_gischinhphu.geojson",
        "d.geojson": shared_data / "boundaries/phutho_wards_2025_vietnam3dmap.geojson",
        "e.zip": shared_data / ZIP,
    }
    for name, source in renamed.items():
        shutil.copy(source, tmp_path / name)
    with zipfile.ZipFile(shared_data / ZIP) as archive:
        member = next(
            n
            for n in archive.namelist()
            if n.endswith("Index of Industrial production by province.csv")
        )
        (tmp_path / "f.csv").write_bytes(archive.read(member))

    kinds = {path.name: classify(path) for path in tmp_path.iterdir()}

    assert kinds["a.csv"].kind is FileKind.CONVERSION
    assert kinds["b.csv"].kind is FileKind.VALUES
    assert kinds["c.geojson"].kind is FileKind.BOUNDARIES
    assert kinds["c.geojson"].boundary_date_before_reform
    assert kinds["d.geojson"].kind is FileKind.BOUNDARIES
    assert not kinds["d.geojson"].boundary_date_before_reform
    assert kinds["e.zip"].kind is FileKind.GSO_TABLES
    assert kinds["f.csv"].kind is FileKind.GSO_TABLES


def test_plan_loads_known_subfolders_in_order(tmp_path: Path) -> None:
    for name in ("stats", "boundaries", "admin", "khac"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.md").write_text("#", encoding="utf-8")

    planned = [
        path.relative_to(tmp_path).as_posix() for path in (p.path for p in plan_folder(tmp_path))
    ]

    assert planned == ["admin/x.md", "boundaries/x.md", "stats/x.md", "khac"]


def test_plan_points_soc_folder_to_its_command(tmp_path: Path) -> None:
    (tmp_path / "soc").mkdir()

    (skipped,) = plan_folder(tmp_path)

    assert skipped.kind is FileKind.SKIP
    assert "tinhso soc demo" in skipped.reason


def test_zip_without_province_rows_fails(tmp_path: Path) -> None:
    (tmp_path / "stats").mkdir()
    with zipfile.ZipFile(tmp_path / "stats" / "bang.zip", "w") as archive:
        archive.writestr(
            "Dan so/Ha Noi.csv", '"Population"\n\n"Province";"2015"\n"Ha Noi";"7558"\n'
        )

    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError, match="failed to load: 1"):
        call_command("demo", "load", str(tmp_path), stdout=stdout, stderr=stderr)

    assert "FAILED: nothing was accepted" in stderr.getvalue()
    assert "[no_province_row]" in stdout.getvalue()
    assert not ImportBatch.objects.filter(summary__has_key="sha256").exists()
