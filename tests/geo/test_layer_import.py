"""Importing files into map layers: every format, CRS, encodings, repairs and quarantine.

The test files are written here from the real district boundaries of Vĩnh Phúc and from
synthetic points, in each format the importer reads.
"""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.management import call_command
from django.utils import translation
from shapely.geometry import LineString, Point, Polygon, mapping, shape

from tinhso.core.errors import ImportFileError
from tinhso.geo import builtin, crs
from tinhso.geo.imports.service import (
    CrsConfirmationRequired,
    LayerImportOptions,
    import_layer,
    import_osm,
)
from tinhso.geo.models import Layer, MapFeature
from tinhso.ingest.models import QuarantineRecord
from tinhso.ioc.encodings import decode_tcvn3

pytestmark = pytest.mark.django_db

DISTRICTS = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
# About 1 cm in degrees: the platform stores coordinates rounded to 7 decimals.
TOLERANCE_DEGREES = 2e-7
POINTS = [
    ("Trụ nước Vĩnh Yên", 105.5971, 21.3089),
    ("Trụ nước Phúc Yên", 105.7033, 21.2383),
    ("Trụ nước Tam Đảo", 105.6455, 21.4582),
    ("Trụ nước Đồng Tĩnh", 105.4832, 21.3765),
]


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.fixture
def districts(shared_data: Path) -> tuple[list[str], list[Any]]:
    """Names and polygons of the ten districts of former Vĩnh Phúc, from the real file."""
    meta, _fids, wkb, fields = pyogrio.raw.read(shared_data / DISTRICTS)
    names = [str(v) for v in fields[list(meta["fields"]).index("name")]]
    return names, list(shapely.from_wkb(wkb))


@pytest.fixture
def area_layer() -> Layer:
    return Layer.objects.create(
        slug="vung-thu", name="Vùng thử", geometry_type="POLYGON", legal_crs=crs.TM3_VINH_PHUC
    )


@pytest.fixture
def point_layer() -> Layer:
    return Layer.objects.create(
        slug="diem-thu", name="Điểm thử", geometry_type="POINT", legal_crs=crs.TM3_VINH_PHUC
    )


@pytest.fixture
def any_layer() -> Layer:
    return Layer.objects.create(
        slug="hinh-thu", name="Hình thử", geometry_type="GEOMETRY", legal_crs=crs.TM3_VINH_PHUC
    )


def write(
    path: Path,
    geometries: list[Any],
    driver: str,
    crs_code: str | None = None,
    **columns: list[Any],
) -> Path:
    """Write features with pyogrio; ``columns`` are text columns unless the values are numbers."""
    field_data = [np.array(values, dtype=object) for values in columns.values()]
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array(geometries, dtype=object)),
        geometry_type="Unknown",
        field_data=field_data,
        fields=list(columns),
        driver=driver,
        crs=crs_code,
    )
    return path


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed base letters (ê, ơ, ư…) and combining tones."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    result = b""
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        tone = "".join(c for c in decomposed if c in tones)
        result += (base + tone).encode("cp1258")
    return result


def stored(layer: Layer) -> list[MapFeature]:
    return list(MapFeature.objects.filter(layer=layer).order_by("id"))


def assert_same_shapes(layer: Layer, expected: list[Any]) -> None:
    features = stored(layer)
    assert len(features) == len(expected)
    for feature, geometry in zip(features, expected, strict=True):
        assert feature.geom.hausdorff_distance(geometry) < TOLERANCE_DEGREES


# --- formats ---------------------------------------------------------------------------------


def test_geojson_districts(
    shared_data: Path, area_layer: Layer, districts: Any, tmp_path: Path
) -> None:
    names, polygons = districts
    path = tmp_path / "huyen.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"ten": n}, "geometry": mapping(p)}
                    for n, p in zip(names, polygons, strict=True)
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    progress: list[tuple[int, int]] = []
    report = import_layer(path, area_layer, progress=lambda d, t: progress.append((d, t)))
    assert report.rows_total == 10
    assert report.summary["created"] == 10
    assert report.summary["crs"] == crs.WGS84
    assert report.rejected == []
    assert [f.properties["ten"] for f in stored(area_layer)] == names
    assert_same_shapes(area_layer, polygons)
    assert progress[-1] == (10, 10)
    area_layer.refresh_from_db()
    assert area_layer.version == 2


def test_shapefile_zip_windows_1258(area_layer: Layer, districts: Any, tmp_path: Path) -> None:
    names, polygons = districts
    folder = tmp_path / "shp"
    folder.mkdir()
    write(folder / "huyen.shp", polygons, "ESRI Shapefile", crs.WGS84, ten=names)
    # Rewrite the text in Windows-1258 bytes, as ArcGIS with a Vietnamese code page does.
    pyogrio.raw.write(
        folder / "huyen.shp",
        shapely.to_wkb(np.array(polygons, dtype=object)),
        geometry_type="Polygon",
        field_data=[np.array([to_cp1258(n).decode("latin-1") for n in names], dtype=object)],
        fields=["ten"],
        driver="ESRI Shapefile",
        crs=crs.WGS84,
        encoding="latin1",
    )
    (folder / "huyen.cpg").write_text("1258")
    archive = tmp_path / "huyen.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for part in folder.iterdir():
            handle.write(part, part.name)

    report = import_layer(archive, area_layer)
    assert report.summary["encoding"] == "windows-1258"
    assert report.summary["encoding_source"] == "cpg"
    assert [f.properties["ten"] for f in stored(area_layer)] == names
    assert_same_shapes(area_layer, polygons)


def test_shapefile_tcvn3_without_cpg(area_layer: Layer, districts: Any, tmp_path: Path) -> None:
    names, polygons = districts
    tcvn3 = {decode_tcvn3(bytes([b])): bytes([b]) for b in range(0xA1, 0xFF)}
    # Lower-case TCVN3 has every letter; the district names are written in lower case for it.
    lowered = [n.lower() for n in names]
    encoded = [
        b"".join(tcvn3.get(ch, ch.encode("ascii", "replace")) for ch in name).decode("latin-1")
        for name in lowered
    ]
    pyogrio.raw.write(
        tmp_path / "huyen.shp",
        shapely.to_wkb(np.array(polygons, dtype=object)),
        geometry_type="Polygon",
        field_data=[np.array(encoded, dtype=object)],
        fields=["ten"],
        driver="ESRI Shapefile",
        crs=crs.WGS84,
        encoding="latin1",
    )
    (tmp_path / "huyen.cpg").unlink(missing_ok=True)

    report = import_layer(tmp_path / "huyen.shp", area_layer)
    assert report.summary["encoding"] == "tcvn3"
    assert report.summary["encoding_source"] == "detected"
    assert [f.properties["ten"] for f in stored(area_layer)] == lowered


def test_geopackage_layer_choice(area_layer: Layer, districts: Any, tmp_path: Path) -> None:
    names, polygons = districts
    path = tmp_path / "ban-do.gpkg"
    write(path, polygons, "GPKG", crs.WGS84, ten=names)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([Point(105.6, 21.3)], dtype=object)),
        geometry_type="Point",
        field_data=[np.array(["x"], dtype=object)],
        fields=["ten"],
        driver="GPKG",
        layer="diem",
        crs=crs.WGS84,
        append=False,
    )
    with pytest.raises(ImportFileError) as error:
        import_layer(path, area_layer)
    assert error.value.code == "choose_layer"
    assert "ban-do" in error.value.message
    assert "diem" in error.value.message

    report = import_layer(path, area_layer, LayerImportOptions(layer_name="ban-do"))
    assert report.summary["created"] == 10
    assert [f.properties["ten"] for f in stored(area_layer)] == names


def test_kml_points(point_layer: Layer, tmp_path: Path) -> None:
    path = tmp_path / "tru-nuoc.kml"
    write(
        path,
        [Point(lon, lat) for _n, lon, lat in POINTS],
        "KML",
        crs.WGS84,
        Name=[n for n, _x, _y in POINTS],
    )
    report = import_layer(path, point_layer, LayerImportOptions(field_map={"Name": "ten"}))
    assert report.summary["created"] == 4
    features = stored(point_layer)
    assert [f.properties["ten"] for f in features] == [n for n, _x, _y in POINTS]
    assert "tessellate" not in features[0].properties
    for feature, (_n, lon, lat) in zip(features, POINTS, strict=True):
        assert feature.geom.distance(Point(lon, lat)) < TOLERANCE_DEGREES


def test_csv_lon_lat(point_layer: Layer, tmp_path: Path) -> None:
    path = tmp_path / "tru-nuoc.csv"
    lines = ["ten;kinh_do;vi_do"] + [f"{n};{lon};{lat}".replace(".", ",") for n, lon, lat in POINTS]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = import_layer(path, point_layer)
    assert report.summary["created"] == 4
    assert report.summary["crs_source"] == "guessed"
    features = stored(point_layer)
    assert [f.properties for f in features] == [{"ten": n} for n, _x, _y in POINTS]
    for feature, (_n, lon, lat) in zip(features, POINTS, strict=True):
        assert feature.geom.distance(Point(lon, lat)) < TOLERANCE_DEGREES


def vn2000_csv(path: Path) -> Path:
    """Write the points in VN-2000 TM-3 105°00′ with X the northing, as surveyors do."""
    lines = ["STT,Ten,X,Y"]
    for number, (name, lon, lat) in enumerate(POINTS, start=1):
        projected = crs.transform(Point(lon, lat), crs.WGS84, crs.TM3_VINH_PHUC)
        lines.append(f'{number},"{name}",{projected.y:.4f},{projected.x:.4f}')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_csv_vn2000_needs_confirmation(point_layer: Layer, tmp_path: Path) -> None:
    path = vn2000_csv(tmp_path / "tru-nuoc-vn2000.csv")
    with pytest.raises(CrsConfirmationRequired) as error:
        import_layer(path, point_layer)
    assert error.value.suggested == crs.TM3_VINH_PHUC
    assert "EPSG:5897" in error.value.message
    assert MapFeature.objects.filter(layer=point_layer).count() == 0


def test_csv_vn2000_northing_first(point_layer: Layer, tmp_path: Path) -> None:
    path = vn2000_csv(tmp_path / "tru-nuoc-vn2000.csv")
    report = import_layer(path, point_layer, LayerImportOptions(crs=crs.TM3_VINH_PHUC))
    assert report.summary["created"] == 4
    assert report.summary["crs_source"] == "confirmed"
    assert "EPSG:6960" in report.summary["crs_operation"]
    assert any("northing" in note for note in report.summary["notes"])
    features = stored(point_layer)
    assert [f.properties["Ten"] for f in features] == [n for n, _x, _y in POINTS]
    for feature, (_n, lon, lat) in zip(features, POINTS, strict=True):
        # 0.1 mm of the CSV's rounding plus the 7-decimal storage: within 2 cm.
        assert feature.geom.distance(Point(lon, lat)) < TOLERANCE_DEGREES


def test_dxf_lines_with_vietnamese_layer_names(any_layer: Layer, tmp_path: Path) -> None:
    roads = [
        LineString([(105.59, 21.30), (105.60, 21.31), (105.62, 21.31)]),
        LineString([(105.70, 21.23), (105.71, 21.25)]),
    ]
    path = write(tmp_path / "duong.dxf", roads, "DXF", None, Layer=["Đường tỉnh", "Đường xã"])
    report = import_layer(path, any_layer)
    assert report.summary["created"] == 2
    assert report.summary["crs_source"] == "guessed"
    features = stored(any_layer)
    assert [f.properties["Layer"] for f in features] == ["Đường tỉnh", "Đường xã"]
    assert "SubClasses" not in features[0].properties
    assert_same_shapes(any_layer, roads)


def test_dgn_polygons_in_vn2000(area_layer: Layer, districts: Any, tmp_path: Path) -> None:
    _names, polygons = districts
    simple = [p.simplify(0.001) for p in polygons[:3]]
    simple = [p.geoms[0] if p.geom_type == "MultiPolygon" else p for p in simple]
    projected = [crs.transform(p, crs.WGS84, crs.TM3_VINH_PHUC) for p in simple]
    path = write(tmp_path / "ranh-gioi.dgn", projected, "DGN")
    with pytest.raises(CrsConfirmationRequired):
        import_layer(path, area_layer)
    report = import_layer(path, area_layer, LayerImportOptions(crs=crs.TM3_VINH_PHUC))
    assert report.summary["created"] == 3
    assert report.rejected == []
    assert_same_shapes(area_layer, simple)


# --- OpenStreetMap ---------------------------------------------------------------------------


def write_osm(path: Path, road_name: str = "Quốc lộ 2") -> Path:
    import osmium

    path.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(path))
    node = osmium.osm.mutable.Node
    way = osmium.osm.mutable.Way
    writer.add_node(
        node(
            id=1,
            version=1,
            location=(105.5971, 21.3089),
            tags={"place": "town", "name": "Vinh Yen", "name:vi": "Vĩnh Yên"},
        )
    )
    writer.add_node(
        node(
            id=2,
            version=1,
            location=(105.6001, 21.3102),
            tags={"amenity": "hospital", "name": "Bệnh viện Đa khoa tỉnh"},
        )
    )
    writer.add_node(node(id=3, version=1, location=(105.5901, 21.3001)))
    writer.add_node(node(id=4, version=1, location=(105.6101, 21.3201)))
    writer.add_node(node(id=5, version=1, location=(105.6201, 21.3301)))
    # Far outside the province: Hà Nội's Hoàn Kiếm lake.
    writer.add_node(
        node(
            id=6,
            version=1,
            location=(105.8522, 21.0287),
            tags={"tourism": "attraction", "name": "Hồ Gươm"},
        )
    )
    writer.add_way(
        way(id=10, version=1, nodes=[3, 4], tags={"highway": "primary", "name": road_name})
    )
    writer.add_way(
        way(id=11, version=1, nodes=[4, 5], tags={"waterway": "river", "name": "Sông Phan"})
    )
    writer.close()
    return path


def test_osm_fills_four_layers_and_updates(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "vinh-phuc.osm.pbf")
    bbox = (105.3, 21.1, 105.8, 21.6)
    report = import_osm(path, LayerImportOptions(bbox=bbox))
    counts = {
        slug: MapFeature.objects.filter(layer__slug=slug).count()
        for slug in (builtin.OSM_ROADS, builtin.OSM_WATERWAYS, builtin.OSM_PLACES, builtin.OSM_POIS)
    }
    assert counts == {
        builtin.OSM_ROADS: 1,
        builtin.OSM_WATERWAYS: 1,
        builtin.OSM_PLACES: 1,
        builtin.OSM_POIS: 1,
    }
    place = MapFeature.objects.get(layer__slug=builtin.OSM_PLACES)
    assert place.properties == {"ten": "Vĩnh Yên", "loai": "town", "osm_id": "node/1"}
    assert place.external_id == "node/1"
    assert report.summary["created"] == 4

    write_osm(path, road_name="Quốc lộ 2A")
    again = import_osm(path, LayerImportOptions(bbox=bbox))
    assert again.summary["created"] == 0
    assert again.summary["updated"] == 1
    assert again.summary["unchanged"] == 3
    road = MapFeature.objects.get(layer__slug=builtin.OSM_ROADS)
    assert road.properties["ten"] == "Quốc lộ 2A"
    assert road.version == 2
    assert MapFeature.objects.filter(layer__slug=builtin.OSM_ROADS).count() == 1


def test_osm_without_bbox_keeps_outside_points(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "vung.osm.pbf")
    import_osm(path)
    assert MapFeature.objects.filter(layer__slug=builtin.OSM_POIS).count() == 2


# --- bad features, strict layers, command line -----------------------------------------------


def test_broken_features_quarantined_rest_stored(
    area_layer: Layer, districts: Any, tmp_path: Path
) -> None:
    names, polygons = districts
    bowtie = Polygon([(105.50, 21.30), (105.52, 21.32), (105.52, 21.30), (105.50, 21.32)])
    repeated = Polygon(
        [(105.50, 21.30), (105.51, 21.30), (105.51, 21.30), (105.51, 21.31), (105.50, 21.30)]
    )
    spike = Polygon([(105.5, 21.3), (105.5, 21.3), (105.5, 21.3), (105.5, 21.3)])
    features = [
        {"type": "Feature", "properties": {"ten": n}, "geometry": mapping(p)}
        for n, p in zip(names[:3], polygons[:3], strict=True)
    ]
    features += [
        {"type": "Feature", "properties": {"ten": "Nơ"}, "geometry": mapping(bowtie)},
        {"type": "Feature", "properties": {"ten": "Lặp"}, "geometry": mapping(repeated)},
        {"type": "Feature", "properties": {"ten": "Điểm"}, "geometry": mapping(Point(105.6, 21.3))},
        {"type": "Feature", "properties": {"ten": "Trống"}, "geometry": None},
        {"type": "Feature", "properties": {"ten": "Gai"}, "geometry": mapping(spike)},
    ]
    path = tmp_path / "hong.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )

    report = import_layer(path, area_layer)
    assert report.summary["created"] == 5
    assert report.summary["repaired"] == 2
    assert report.summary["quarantined"] == 3
    codes = {p.position: p.code for p in report.rejected}
    assert codes == {
        "feature 6": "wrong_geometry_type",
        "feature 7": "missing_geometry",
        "feature 8": "invalid_geometry",
    }
    warnings = {p.position for p in report.warnings if p.position != "file"}
    assert warnings == {"feature 4", "feature 5"}
    quarantined = QuarantineRecord.objects.filter(batch_id=report.batch_id).order_by("id")
    assert [q.code for q in quarantined] == [
        "wrong_geometry_type",
        "missing_geometry",
        "invalid_geometry",
    ]
    assert quarantined[0].raw["attributes"] == {"ten": "Điểm"}
    bow = MapFeature.objects.get(layer=area_layer, properties__ten="Nơ")
    assert bow.geom.is_valid
    assert bow.geom.geom_type == "MultiPolygon"


def test_strict_layer_refuses_personal_column(tmp_path: Path) -> None:
    layer = Layer.objects.get(slug="khu-dan-cu")
    square = Polygon([(105.59, 21.30), (105.60, 21.30), (105.60, 21.31), (105.59, 21.31)])
    path = tmp_path / "khu.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "ten": "Tổ dân phố 1",
                            "so_ho": 120,
                            "ho_ten_chu_ho": "Nguyễn Văn A",
                        },
                        "geometry": mapping(square),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ImportFileError) as error:
        import_layer(path, layer)
    assert error.value.code == "refused_columns"
    assert "ho_ten_chu_ho" in error.value.message
    assert MapFeature.objects.filter(layer=layer).count() == 0

    report = import_layer(path, layer, LayerImportOptions(field_map={"ho_ten_chu_ho": "-"}))
    assert report.summary["created"] == 1
    assert MapFeature.objects.get(layer=layer).properties == {"ten": "Tổ dân phố 1", "so_ho": 120}


def test_invalid_attribute_quarantined(tmp_path: Path) -> None:
    layer = Layer.objects.get(slug="khu-dan-cu")
    square = Polygon([(105.59, 21.30), (105.60, 21.30), (105.60, 21.31), (105.59, 21.31)])
    rows = [{"ten": "Tổ 1", "so_ho": "120"}, {"ten": "Tổ 2", "so_ho": "nhiều"}]
    path = tmp_path / "khu.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": row, "geometry": mapping(square)}
                    for row in rows
                ],
            }
        ),
        encoding="utf-8",
    )
    report = import_layer(path, layer)
    assert report.summary["created"] == 1
    assert [p.code for p in report.rejected] == ["invalid_attribute"]
    assert "so_ho" in report.rejected[0].message


def test_id_field_updates_on_reimport(point_layer: Layer, tmp_path: Path) -> None:
    path = tmp_path / "tru.csv"
    path.write_text(
        "ma,ten,lon,lat\nT1,Trụ 1,105.59,21.30\nT2,Trụ 2,105.60,21.31\n", encoding="utf-8"
    )
    options = LayerImportOptions(id_field="ma")
    import_layer(path, point_layer, options)
    path.write_text(
        "ma,ten,lon,lat\nT1,Trụ một,105.59,21.30\nT2,Trụ 2,105.60,21.31\n", encoding="utf-8"
    )
    report = import_layer(path, point_layer, options)
    assert report.summary["updated"] == 1
    assert report.summary["unchanged"] == 1
    assert sorted(f.properties["ten"] for f in stored(point_layer)) == ["Trụ 2", "Trụ một"]


def test_bbox_keeps_features_inside(point_layer: Layer, tmp_path: Path) -> None:
    path = tmp_path / "tru.csv"
    path.write_text("ten,lon,lat\nA,105.59,21.30\nB,106.50,20.50\n", encoding="utf-8")
    report = import_layer(path, point_layer, LayerImportOptions(bbox=(105.3, 21.1, 105.8, 21.6)))
    assert report.summary["created"] == 1
    assert report.summary["outside_bbox"] == 1


def test_command_import_layer_and_layers(point_layer: Layer, tmp_path: Path) -> None:
    path = vn2000_csv(tmp_path / "tru-nuoc-vn2000.csv")
    out = io.StringIO()
    with pytest.raises(Exception, match="EPSG:5897"):
        call_command(
            "geo",
            "import-layer",
            str(path),
            "--layer",
            "diem-thu",
            stdout=out,
            stderr=io.StringIO(),
        )
    call_command(
        "geo", "import-layer", str(path), "--layer", "diem-thu", "--crs", "EPSG:5897",
        "--map", "Ten=ten", "STT=-", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert [f.properties for f in stored(point_layer)][0] == {"ten": POINTS[0][0]}
    listing = io.StringIO()
    call_command("geo", "layers", stdout=listing)
    line = next(line for line in listing.getvalue().splitlines() if line.startswith("diem-thu"))
    assert line.split()[2] == "4"


def test_geometry_kept_within_tolerance_of_source(
    area_layer: Layer, districts: Any, tmp_path: Path
) -> None:
    """Round trip VN-2000 → import → WGS 84 agrees with the original within a centimetre."""
    names, polygons = districts
    projected = [crs.transform(p, crs.WGS84, crs.TM3_VINH_PHUC) for p in polygons]
    path = write(tmp_path / "huyen-vn2000.gpkg", projected, "GPKG", crs.TM3_VINH_PHUC, ten=names)
    report = import_layer(path, area_layer)
    assert report.summary["crs"] == crs.TM3_VINH_PHUC
    assert report.summary["crs_source"] == "declared"
    assert_same_shapes(area_layer, polygons)
    feature = stored(area_layer)[0]
    assert shape(mapping(feature.geom)).is_valid


# --- web pages -------------------------------------------------------------------------------


def test_upload_confirm_and_report(make_user: Any, tmp_path: Path, settings: Any) -> None:
    from django.test import Client

    from tests.accounts import login_verified
    from tinhso.core.models import Role
    from tinhso.ingest.models import ImportJob

    settings.MEDIA_ROOT = str(tmp_path / "media")
    officer = make_user("congan-tinh", Role.POLICE_OFFICER)
    client = Client()
    login_verified(client, officer)
    path = vn2000_csv(tmp_path / "don-vn2000.csv")
    text = path.read_text(encoding="utf-8").replace("Ten", "ten").replace("STT", "so_can_bo")
    path.write_text(text + '\n5,"Đồn hỏng",abc,def', encoding="utf-8")

    with path.open("rb") as handle:
        response = client.post(
            "/map/import/", {"file": handle, "layer": "tru-so-cong-an", "crs": ""}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get(created_by=officer)
    assert response["Location"] == f"/map/import/{job.pk}/confirm/"

    confirm_page = client.get(response["Location"])
    assert confirm_page.status_code == 200
    # The police layer measures in Phú Thọ's zone, so that zone is the suggestion.
    assert 'value="EPSG:9208"' in confirm_page.content.decode()
    assert 'data-testid="crs-suggestion"' in confirm_page.content.decode()

    done = client.post(response["Location"], {"crs": "EPSG:5897"})
    assert done["Location"] == f"/map/import/{job.pk}/"
    job.refresh_from_db()
    assert job.status == "done"
    assert job.report["created"] == 4
    assert job.report["quarantined"] == 1
    page = client.get(done["Location"]).content.decode()
    assert "EPSG:5897" in page
    assert "EPSG:6960" in page
    assert "Đồn hỏng" in page
    assert MapFeature.objects.filter(layer__slug="tru-so-cong-an").count() == 4


def test_upload_refuses_layer_user_cannot_edit(
    make_user: Any, tmp_path: Path, settings: Any
) -> None:
    from django.test import Client

    from tests.accounts import login_verified
    from tinhso.core.models import Role

    settings.MEDIA_ROOT = str(tmp_path / "media")
    analyst = make_user("phan-tich", Role.SECURITY_ANALYST)
    client = Client()
    login_verified(client, analyst)
    path = tmp_path / "tru.csv"
    path.write_text("ten,lon,lat\nA,105.59,21.30\n", encoding="utf-8")
    with path.open("rb") as handle:
        response = client.post("/map/import/", {"file": handle, "layer": "tru-so-cong-an"})
    assert response.status_code == 200
    assert 'data-testid="layer-errors"' in response.content.decode()
    assert 'data-testid="no-layers"' in response.content.decode()
    assert MapFeature.objects.filter(layer__slug="tru-so-cong-an").count() == 0


def test_towgs84_crs_read_as_epsg_zone(area_layer: Layer, districts: Any, tmp_path: Path) -> None:
    names, polygons = districts
    hand_written = (
        "+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
        "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,"
        "0.252906278 +units=m +no_defs"
    )
    projected = [crs.transform(p, crs.WGS84, crs.TM3_VINH_PHUC) for p in polygons]
    path = write(tmp_path / "huyen-towgs84.gpkg", projected, "GPKG", hand_written, ten=names)
    report = import_layer(path, area_layer)
    assert report.summary["crs"] == crs.TM3_VINH_PHUC
    assert "EPSG:6960" in report.summary["crs_operation"]
    assert any("EPSG:6960" in note for note in report.summary["notes"])
    assert_same_shapes(area_layer, polygons)


def test_geojson_saved_in_vni(point_layer: Layer, tmp_path: Path) -> None:
    from tinhso.ioc.encodings import decode_vni

    # "Vĩnh Yên" typed with a VNI font: base letters followed by mark bytes, as Windows-1252.
    vni_name = "Vónh Yeân"
    assert decode_vni(vni_name.encode("cp1252")) == "Vĩnh Yên"
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"ten": vni_name},
                    "geometry": mapping(Point(105.5971, 21.3089)),
                }
            ],
        },
        ensure_ascii=False,
    )
    path = tmp_path / "vni.geojson"
    path.write_bytes(text.encode("cp1252"))
    report = import_layer(path, point_layer)
    assert report.summary["encoding"] == "vni"
    assert stored(point_layer)[0].properties["ten"] == "Vĩnh Yên"


def test_geojson_with_tcvn3_letters_in_utf8(point_layer: Layer, tmp_path: Path) -> None:
    """A TCVN3 font's bytes pasted as Western letters into a UTF-8 file are decoded again."""
    tcvn3_text = bytes([0x54, 0x68, 0xB5, 0x6E, 0x68, 0x20, 0x70, 0x68, 0xE8]).decode("latin-1")
    path = tmp_path / "tcvn3.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"ten": tcvn3_text},
                        "geometry": mapping(Point(105.5971, 21.3089)),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    report = import_layer(path, point_layer)
    assert report.summary["encoding"] == "tcvn3"
    assert stored(point_layer)[0].properties["ten"] == "Thành phố"


def test_command_import_boundaries_still_works(shared_data: Path) -> None:
    out = io.StringIO()
    call_command(
        "geo", "import-boundaries", str(shared_data / DISTRICTS), "--date", "2025-06-30",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "10" in out.getvalue()


def test_command_osm_without_layer(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "vinh-phuc.osm.pbf")
    out = io.StringIO()
    call_command(
        "geo", "import-layer", str(path), "--bbox", "105.3,21.1,105.8,21.6",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert MapFeature.objects.filter(layer__slug=builtin.OSM_POIS).count() == 1
    assert MapFeature.objects.filter(layer__slug=builtin.OSM_ROADS).count() == 1


def test_confirm_page_lists_layers_of_geopackage(
    make_user: Any, districts: Any, tmp_path: Path, settings: Any
) -> None:
    from django.test import Client

    from tests.accounts import login_verified
    from tinhso.core.models import Role
    from tinhso.ingest.models import ImportJob

    settings.MEDIA_ROOT = str(tmp_path / "media")
    names, polygons = districts
    path = tmp_path / "tuan-tra.gpkg"
    write(path, polygons, "GPKG", crs.WGS84, ten=names)
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([Point(105.6, 21.3)], dtype=object)),
        geometry_type="Point",
        field_data=[np.array(["x"], dtype=object)],
        fields=["ten"],
        driver="GPKG",
        layer="diem",
        crs=crs.WGS84,
        append=False,
    )
    officer = make_user("congan-tuan-tra", Role.POLICE_OFFICER)
    client = Client()
    login_verified(client, officer)
    with path.open("rb") as handle:
        response = client.post("/map/import/", {"file": handle, "layer": "dia-ban-tuan-tra"})
    job = ImportJob.objects.get(created_by=officer)
    page = client.get(response["Location"]).content.decode()
    assert '<option value="diem">' in page
    assert '<option value="tuan-tra">' in page

    without_choice = client.post(response["Location"], {"crs": ""})
    assert without_choice.status_code == 200
    done = client.post(response["Location"], {"crs": "", "layer_name": "tuan-tra"})
    assert done["Location"] == f"/map/import/{job.pk}/"
    job.refresh_from_db()
    assert job.report["created"] == 10


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (
            {"type": "Polygon", "coordinates": [[[105.6, 21.3], [105.7, 21.3], [105.7, 21.4]]]},
            "closed",
        ),
        (
            {"type": "Polygon", "coordinates": [[[105.6, 21.3], [105.7, 21.3]]]},
            "at least four points",
        ),
        ({"type": "LineString", "coordinates": [[105.6, 21.3]]}, "at least two points"),
    ],
)
def test_unbuildable_geometry_is_quarantined(
    tmp_path: Path, broken: dict[str, Any], expected: str
) -> None:
    good = {
        "type": "Polygon",
        "coordinates": [[[105.5, 21.2], [105.6, 21.2], [105.6, 21.3], [105.5, 21.2]]],
    }
    path = tmp_path / "broken.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"ten": "Hỏng"}, "geometry": broken},
                    {"type": "Feature", "properties": {"ten": "Tốt"}, "geometry": good},
                ],
            }
        ),
        encoding="utf-8",
    )
    layer = Layer.objects.get(slug="dia-ban-tuan-tra")

    report = import_layer(path, layer)

    assert report.rows_accepted == 1
    assert [problem.position for problem in report.rejected] == ["feature 1"]
    assert expected in report.rejected[0].message
    assert MapFeature.objects.filter(layer=layer, properties__ten="Tốt").exists()


def test_misspelt_column_is_named_in_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "tru-nuoc.csv"
    path.write_text("lon,lat,loai,tenn\n105.6,21.31,trụ nước,Trụ số 1\n", encoding="utf-8")

    report = import_layer(path, Layer.objects.get(slug="tru-nuoc-chua-chay"))

    warnings = [problem for problem in report.warnings if problem.code == "unknown_columns"]
    assert report.rows_accepted == 1
    assert len(warnings) == 1
    assert "tenn" in warnings[0].message
    assert "--map" in warnings[0].message


def test_exported_shapefile_names_are_restored(tmp_path: Path) -> None:
    from tinhso.geo.editing.export import MAPPING_FILE

    layer = Layer.objects.get(slug="tru-nuoc-chua-chay")
    shapefile = tmp_path / "export"
    shapefile.mkdir()
    pyogrio.raw.write(
        shapefile / "tru-nuoc.shp",
        np.array([shapely.to_wkb(Point(105.6, 21.31))], dtype=object),
        [np.array(["trụ nước"], dtype=object), np.array([30.0])],
        fields=["loai", "luu_luong_"],
        geometry_type="Point",
        crs="EPSG:4326",
        encoding="UTF-8",
    )
    archive = tmp_path / "tru-nuoc.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for member in shapefile.iterdir():
            bundle.write(member, member.name)
        bundle.writestr(
            MAPPING_FILE,
            "shapefile_field,attribute,label\nloai,loai,Loại\nluu_luong_,luu_luong_ls,Lưu lượng\n",
        )

    report = import_layer(archive, layer)

    stored = MapFeature.objects.get(layer=layer)
    assert report.rows_accepted == 1
    assert stored.properties["luu_luong_ls"] == 30.0
    assert "luu_luong_" not in stored.properties
    assert [problem.code for problem in report.warnings if problem.code == "renamed_columns"]


def test_attribute_error_names_row_and_value(tmp_path: Path) -> None:
    path = tmp_path / "tru-nuoc.csv"
    path.write_text("lon,lat,loai\n105.6,21.31,trụ nước\n105.61,21.32,trụ nươc\n", encoding="utf-8")

    report = import_layer(path, Layer.objects.get(slug="tru-nuoc-chua-chay"))

    assert report.rows_accepted == 1
    assert len(report.rejected) == 1
    assert report.rejected[0].message.startswith("Row 3:")
    assert "'trụ nươc'" in report.rejected[0].message
