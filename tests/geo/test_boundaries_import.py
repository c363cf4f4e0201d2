"""Boundary import: the real province files, other formats, CRS handling and bad features."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.utils import translation
from shapely.geometry import Point, Polygon, box, mapping

from tinhso.core.errors import ImportFileError
from tinhso.core.models import Unit
from tinhso.core.services import units as unit_service
from tinhso.geo import crs
from tinhso.geo.boundaries import BoundaryImportOptions, import_boundaries
from tinhso.geo.models import Boundary
from tinhso.ingest.models import QuarantineRecord

pytestmark = pytest.mark.django_db

AFTER = dt.date(2025, 7, 1)
BEFORE = dt.date(2025, 6, 30)
VINH_YEN_BOX = box(105.56, 21.27, 105.62, 21.32)


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


def geojson_file(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


def feature(code: str | None, geometry: Any, **properties: Any) -> dict[str, Any]:
    props = {"ward_code": code, **properties} if code is not None else properties
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geometry is None else mapping(geometry),
    }


@pytest.mark.shared_data
def test_all_148_phu_tho_communes_get_boundaries(shared_data: Path) -> None:
    report = import_boundaries(shared_data / "boundaries/phutho_wards_2025_vietnam3dmap.geojson")
    phu_tho = unit_service.find_unit("25", AFTER)
    with_boundary = Boundary.objects.filter(unit__parent=phu_tho, unit__valid_to__isnull=True)
    assert report.rows_accepted == 148
    assert report.rejected == []
    assert with_boundary.count() == 148
    assert report.summary["crs_detected"] == crs.WGS84


@pytest.mark.shared_data
def test_legal_areas_match_the_published_areas(shared_data: Path) -> None:
    import_boundaries(shared_data / "boundaries/phutho_wards_2025_vietnam3dmap.geojson")
    vinh_yen = Boundary.objects.get(unit__code="08707", unit__valid_to__isnull=True)
    # Published 25.0 km²; the file is simplified to about 50 m, so allow a few percent.
    assert vinh_yen.area_m2 / 1e6 == pytest.approx(25.0, rel=0.05)


@pytest.mark.shared_data
def test_invalid_rings_of_the_real_file_are_repaired_and_reported(shared_data: Path) -> None:
    report = import_boundaries(shared_data / "boundaries/phutho_wards_2025_vietnam3dmap.geojson")
    repaired = [w for w in report.warnings if w.code == "repaired_geometry"]
    assert repaired
    assert all(
        Boundary.objects.get(
            unit__code=w.message.split("code ")[1][:5], unit__valid_to__isnull=True
        ).geom.is_valid
        for w in repaired
    )


@pytest.mark.shared_data
def test_old_districts_attach_to_pre_reform_units(shared_data: Path) -> None:
    report = import_boundaries(
        shared_data / "boundaries/vinhphuc_province_districts_gischinhphu.geojson",
        BoundaryImportOptions(date=BEFORE),
    )
    assert report.rows_accepted == 10
    assert report.summary["code_field"] == "code"
    vinh_phuc = unit_service.find_unit("26", BEFORE)
    assert Boundary.objects.filter(unit=vinh_phuc).exists()
    assert Boundary.objects.filter(unit__parent=vinh_phuc).count() == 9


def test_zipped_shapefile_in_vn2000(tmp_path: Path) -> None:
    polygon = crs.transform(VINH_YEN_BOX, crs.WGS84, crs.TM3_VINH_PHUC)
    shp = tmp_path / "xa.shp"
    pyogrio.raw.write(
        shp,
        geometry=np.array([shapely.to_wkb(polygon)], dtype=object),
        field_data=[np.array(["08707"], dtype=object), np.array(["Phường Vĩnh Yên"], dtype=object)],
        fields=["MA_XA", "TEN"],
        crs=crs.TM3_VINH_PHUC,
        driver="ESRI Shapefile",
        geometry_type="Polygon",
        encoding="UTF-8",
    )
    import zipfile

    archive = tmp_path / "xa.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in tmp_path.glob("xa.*"):
            if part.suffix != ".zip":
                zipped.write(part, part.name)
    report = import_boundaries(archive)
    stored = Boundary.objects.get(unit__code="08707", unit__valid_to__isnull=True)
    assert report.rows_accepted == 1
    assert stored.geom.bounds == pytest.approx(VINH_YEN_BOX.bounds, abs=1e-6)


def test_geopackage(tmp_path: Path) -> None:
    gpkg = tmp_path / "xa.gpkg"
    pyogrio.raw.write(
        gpkg,
        geometry=np.array([shapely.to_wkb(VINH_YEN_BOX)], dtype=object),
        field_data=[np.array(["8707"], dtype=object)],
        fields=["ma_xa"],
        crs=crs.WGS84,
        driver="GPKG",
        geometry_type="Polygon",
    )
    assert import_boundaries(gpkg).rows_accepted == 1


def test_metric_file_without_crs_asks_for_the_zone(tmp_path: Path) -> None:
    polygon = crs.transform(VINH_YEN_BOX, crs.WGS84, crs.TM3_PHU_THO)
    path = geojson_file(tmp_path / "tm3.geojson", [feature("08707", polygon)])
    with pytest.raises(ImportFileError) as raised:
        import_boundaries(path)
    assert raised.value.code == "unknown_crs"
    assert "--crs EPSG:9208" in raised.value.message
    assert "EPSG:5897" in raised.value.message


def test_metric_file_with_confirmed_crs(tmp_path: Path) -> None:
    polygon = crs.transform(VINH_YEN_BOX, crs.WGS84, crs.TM3_PHU_THO)
    path = geojson_file(tmp_path / "tm3.geojson", [feature("08707", polygon)])
    report = import_boundaries(path, BoundaryImportOptions(crs=crs.TM3_PHU_THO))
    stored = Boundary.objects.get(unit__code="08707", unit__valid_to__isnull=True)
    assert report.rows_accepted == 1
    assert stored.geom.bounds == pytest.approx(VINH_YEN_BOX.bounds, abs=1e-6)


def test_unknown_crs_option(tmp_path: Path) -> None:
    path = geojson_file(tmp_path / "a.geojson", [feature("08707", VINH_YEN_BOX)])
    with pytest.raises(ImportFileError) as raised:
        import_boundaries(path, BoundaryImportOptions(crs="EPSG:999999"))
    assert raised.value.code == "unknown_crs"


def test_coordinates_outside_any_known_crs(tmp_path: Path) -> None:
    path = geojson_file(tmp_path / "a.geojson", [feature("08707", box(0, 0, 5, 5))])
    # GeoJSON declares WGS 84 by definition, so a file in the wrong place is read as lon/lat.
    report = import_boundaries(path)
    assert report.rows_accepted == 1


def test_bad_features_are_quarantined_and_good_ones_kept(tmp_path: Path) -> None:
    bowtie = Polygon([(105.0, 21.0), (105.1, 21.1), (105.1, 21.0), (105.0, 21.1), (105.0, 21.0)])
    features = [
        feature("08707", VINH_YEN_BOX),
        feature("99999", VINH_YEN_BOX),
        feature("", VINH_YEN_BOX),
        feature("08716", Point(105.6, 21.3)),
        feature("08716", None),
        feature("08707", VINH_YEN_BOX),
        feature("08740", bowtie),
    ]
    report = import_boundaries(geojson_file(tmp_path / "mixed.geojson", features))

    codes = sorted(problem.code for problem in report.rejected)
    assert report.rows_accepted == 2
    assert codes == [
        "duplicate",
        "invalid_geometry",
        "missing_code",
        "missing_geometry",
        "unknown_unit",
    ]
    assert [w.code for w in report.warnings] == ["repaired_geometry"]
    assert QuarantineRecord.objects.filter(batch_id=report.batch_id).count() == 5


@pytest.mark.parametrize(
    ("position", "message"),
    [
        (
            2,
            "Feature 2: no commune level has the code 99999. Check the code, or load the units of that period first.",
        ),
        (3, "Feature 3 has no unit code; fill in the code field."),
    ],
)
def test_feature_messages(tmp_path: Path, position: int, message: str) -> None:
    features = [
        feature("08707", VINH_YEN_BOX),
        feature("99999", VINH_YEN_BOX),
        feature("", VINH_YEN_BOX),
    ]
    report = import_boundaries(geojson_file(tmp_path / "m.geojson", features))
    assert (
        next(p.message for p in report.rejected if p.position == f"feature {position}") == message
    )


def test_file_without_code_field(tmp_path: Path) -> None:
    path = geojson_file(
        tmp_path / "nocode.geojson",
        [{"type": "Feature", "properties": {"ten": "x"}, "geometry": mapping(VINH_YEN_BOX)}],
    )
    with pytest.raises(ImportFileError) as raised:
        import_boundaries(path)
    assert raised.value.code == "wrong_columns"
    assert "--code-field" in raised.value.message


def test_explicit_code_field(tmp_path: Path) -> None:
    path = geojson_file(
        tmp_path / "f.geojson",
        [{"type": "Feature", "properties": {"ma_so": "08707"}, "geometry": mapping(VINH_YEN_BOX)}],
    )
    report = import_boundaries(path, BoundaryImportOptions(code_field="ma_so"))
    assert report.rows_accepted == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("broken.geojson", '{"type": "FeatureCollection", "features": [', "unsupported_format"),
        ("table.csv", "a,b\n1,2\n", "unsupported_format"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, code: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError) as raised:
        import_boundaries(path)
    assert raised.value.code == code


def test_reimport_replaces_the_boundary(tmp_path: Path) -> None:
    import_boundaries(geojson_file(tmp_path / "a.geojson", [feature("08707", VINH_YEN_BOX)]))
    smaller = box(105.57, 21.28, 105.60, 21.30)
    import_boundaries(geojson_file(tmp_path / "b.geojson", [feature("08707", smaller)]))
    boundaries = Boundary.objects.filter(unit__code="08707", unit__valid_to__isnull=True)
    assert boundaries.count() == 1
    assert boundaries.get().geom.bounds == pytest.approx(smaller.bounds)


def test_level_hint_from_type_property(tmp_path: Path) -> None:
    path = geojson_file(
        tmp_path / "p.geojson",
        [
            {
                "type": "Feature",
                "properties": {"id": "25", "type": "Tỉnh"},
                "geometry": mapping(box(104.5, 20.3, 106.0, 22.0)),
            }
        ],
    )
    import_boundaries(path)
    assert Boundary.objects.filter(unit=Unit.objects.current().get(code="25", level=1)).exists()
