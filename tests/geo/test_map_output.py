"""Exporting a selection as GeoJSON or Shapefile, and printing a map view to PDF."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import Point, box, mapping, shape

from tests.accounts import login_verified
from tinhso.core.models import AuditAction, AuditEvent, Department, Role
from tinhso.geo.boundaries import import_boundaries
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.editing import export
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.services.features import create_feature

pytestmark = pytest.mark.django_db

COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
ACCIDENTS = "diem-tai-nan-giao-thong"
VINH_YEN_BOX = box(105.56, 21.27, 105.62, 21.32)


def english_client(user: Any = None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        login_verified(client, user)
    return client


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def police(make_user: Callable[..., Any]) -> Any:
    return make_user("congan-xuat", Role.POLICE_OFFICER)


@pytest.fixture
def officer(make_user: Callable[..., Any]) -> Any:
    department = Department.objects.create(code="so-gtvt", name="Sở Giao thông vận tải")
    return make_user("canbo-xuat", Role.DEPARTMENT_OFFICER, department=department)


@pytest.fixture
def communes(shared_data: Path) -> None:
    import_boundaries(shared_data / COMMUNES)


@pytest.fixture
def accidents(police: Any) -> list[MapFeature]:
    """Two accidents in Phường Vĩnh Yên and one in Phường Phúc Yên, each with the driver's name (personal)."""
    layer = Layer.objects.get(slug=ACCIDENTS)
    rows = [
        (Point(105.585, 21.295), "Nguyễn Văn Đức", "Quốc lộ 2"),
        (Point(105.575, 21.300), "Trần Thị Hằng", "Đường Mê Linh"),
        (Point(105.705, 21.237), "Lê Quang Vũ", "Quốc lộ 23"),
    ]
    return [
        create_feature(
            layer,
            point,
            {
                "ngay": "2025-11-02",
                "so_nguoi_bi_thuong": 1,
                "nguoi_dieu_khien": name,
                "tuyen_duong": road,
            },
            police,
        )
        for point, name, road in rows
    ]


def read_shapefile_zip(
    content: bytes, folder: Path
) -> tuple[dict[str, Any], list[dict[str, Any]], zipfile.ZipFile]:
    """Unpack the zip and read its one Shapefile back with pyogrio."""
    bundle = zipfile.ZipFile(io.BytesIO(content))
    bundle.extractall(folder)
    shapefiles = sorted(folder.glob("*.shp"))
    assert len(shapefiles) == 1, bundle.namelist()
    meta, _fids, geometries, field_data = pyogrio.raw.read(shapefiles[0])
    rows = [
        {name: values[index] for name, values in zip(meta["fields"], field_data, strict=True)}
        | {"geometry": geometries[index]}
        for index in range(len(geometries))
    ]
    return meta, rows, bundle


# --- Export --------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_geojson_export_of_boundaries(communes: None, officer: Any) -> None:
    response = post_json(
        english_client(officer),
        "/map/export/",
        {"layer": BOUNDARIES, "selection": mapping(VINH_YEN_BOX), "format": "geojson"},
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].endswith('.geojson"')
    collection = json.loads(response.content.decode("utf-8"))
    names = {feature["properties"]["ten"] for feature in collection["features"]}
    assert "Phường Vĩnh Yên" in names

    today = timezone.localdate()
    expected = {
        feature.pk
        for feature in MapFeature.objects.filter(layer__slug=BOUNDARIES)
        .exclude(valid_from__gt=today)
        .exclude(valid_to__lt=today)
        if feature.geom.intersects(VINH_YEN_BOX)
    }
    assert {feature["id"] for feature in collection["features"]} == expected
    assert int(response["X-Feature-Count"]) == len(expected)
    for feature in collection["features"]:
        assert shape(feature["geometry"]).intersects(VINH_YEN_BOX)


@pytest.mark.shared_data
def test_shapefile_export_keeps_vietnamese_text(
    communes: None, officer: Any, tmp_path: Path
) -> None:
    response = post_json(
        english_client(officer),
        "/map/export/",
        {"layer": BOUNDARIES, "selection": mapping(VINH_YEN_BOX), "format": "shapefile"},
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip"
    meta, rows, bundle = read_shapefile_zip(response.content, tmp_path)
    names = bundle.namelist()
    assert any(name.endswith(".prj") for name in names)
    cpg = next(name for name in names if name.endswith(".cpg"))
    assert bundle.read(cpg).decode() == "UTF-8"
    assert meta["crs"] == "EPSG:4326"
    assert "Phường Vĩnh Yên" in {row["ten"] for row in rows}
    assert len(rows) == int(response["X-Feature-Count"])
    mapping_rows = list(
        csv.DictReader(io.StringIO(bundle.read(export.MAPPING_FILE).decode("utf-8-sig")))
    )
    by_attribute = {row["attribute"]: row for row in mapping_rows}
    assert by_attribute["dien_tich_km2"]["shapefile_field"] == "dien_tich_"
    assert by_attribute["dien_tich_km2"]["label"] == "Area (km²)"
    assert all(len(name) <= 10 for name in meta["fields"])


@pytest.mark.shared_data
def test_export_without_personal_attributes_by_default(
    communes: None, accidents: list[MapFeature], police: Any, tmp_path: Path
) -> None:
    vinh_yen = MapFeature.objects.get(layer__slug=BOUNDARIES, search_text="phuong vinh yen")
    response = post_json(
        english_client(police),
        "/map/export/",
        {"layer": ACCIDENTS, "selection": mapping(vinh_yen.geom), "format": "shapefile"},
    )
    assert response.status_code == 200, response.content
    meta, rows, _bundle = read_shapefile_zip(response.content, tmp_path)
    assert "nguoi_dieu" not in meta["fields"]
    assert sorted(row["tuyen_duon"] for row in rows) == ["Quốc lộ 2", "Đường Mê Linh"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.extra["layer"] == ACCIDENTS
    assert event.extra["features"] == 2
    assert event.extra["include_personal"] is False
    assert event.actor == police


@pytest.mark.shared_data
def test_police_exports_personal_attributes_on_request(
    communes: None, accidents: list[MapFeature], police: Any, tmp_path: Path
) -> None:
    vinh_yen = MapFeature.objects.get(layer__slug=BOUNDARIES, search_text="phuong vinh yen")
    response = post_json(
        english_client(police),
        "/map/export/",
        {
            "layer": ACCIDENTS,
            "selection": mapping(vinh_yen.geom),
            "format": "shapefile",
            "include_personal": "1",
        },
    )
    assert response.status_code == 200, response.content
    meta, rows, _bundle = read_shapefile_zip(response.content, tmp_path)
    assert "nguoi_dieu" in meta["fields"]
    assert sorted(row["nguoi_dieu"] for row in rows) == ["Nguyễn Văn Đức", "Trần Thị Hằng"]
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.extra["include_personal"] is True


def test_personal_export_rejected_for_other_readers(
    accidents: list[MapFeature], officer: Any
) -> None:
    response = post_json(
        english_client(officer),
        "/map/export/",
        {"layer": ACCIDENTS, "selection": mapping(VINH_YEN_BOX), "include_personal": 1},
    )
    assert response.status_code == 403
    assert response.json()["field"] == "include_personal"
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    plain = post_json(
        english_client(officer),
        "/map/export/",
        {"layer": ACCIDENTS, "selection": mapping(VINH_YEN_BOX)},
    )
    properties = [feature["properties"] for feature in plain.json()["features"]]
    assert len(properties) == 2
    assert all("nguoi_dieu_khien" not in item for item in properties)


def test_anonymous_export_only_public_layers(accidents: list[MapFeature]) -> None:
    response = post_json(
        english_client(), "/map/export/", {"layer": ACCIDENTS, "selection": mapping(VINH_YEN_BOX)}
    )
    assert response.status_code == 403


@pytest.mark.shared_data
def test_export_limit_is_stated(
    communes: None, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "MAX_EXPORT_FEATURES", 3)
    response = post_json(
        english_client(officer),
        "/map/export/",
        {"layer": BOUNDARIES, "selection": mapping(box(105.3, 21.1, 105.8, 21.5))},
    )
    assert response.status_code == 400
    assert "at most 3 can be exported" in response.json()["error"]


def test_export_input_errors(officer: Any) -> None:
    client = english_client(officer)
    cases = [
        ({"layer": "khong-co", "selection": mapping(VINH_YEN_BOX)}, 404, "layer"),
        ({"layer": BOUNDARIES, "selection": mapping(Point(105.6, 21.3))}, 400, "selection"),
        ({"layer": BOUNDARIES}, 400, "selection"),
        (
            {"layer": BOUNDARIES, "selection": mapping(box(500000, 2300000, 510000, 2310000))},
            400,
            "selection",
        ),
        ({"layer": BOUNDARIES, "selection": mapping(VINH_YEN_BOX), "format": "kml"}, 400, "format"),
        (
            {"layer": BOUNDARIES, "selection": mapping(VINH_YEN_BOX), "date": "31/12/2025"},
            400,
            "date",
        ),
        ({"layer": BOUNDARIES, "selection": mapping(VINH_YEN_BOX), "crs": "EPSG:3857"}, 400, "crs"),
    ]
    for body, status, field in cases:
        response = post_json(client, "/map/export/", body)
        assert response.status_code == status, (body, response.content)
        assert response.json()["field"] == field, body
    assert client.get("/map/export/").status_code == 405


def test_export_in_vn2000(accidents: list[MapFeature], police: Any) -> None:
    response = post_json(
        english_client(police),
        "/map/export/",
        {"layer": ACCIDENTS, "selection": mapping(VINH_YEN_BOX), "crs": "vn2000"},
    )
    assert response.status_code == 200, response.content
    x, y = response.json()["features"][0]["geometry"]["coordinates"]
    # VN-2000 TM-3 zone 104°45' (EPSG:9208): eastings near 500 km, northings near 2 357 km.
    assert 540_000 < x < 600_000
    assert 2_340_000 < y < 2_380_000


# --- Print ---------------------------------------------------------------------------------


def png_data_url(width: int = 800, height: int = 600, image_format: str = "PNG") -> str:
    image = Image.new("RGB", (width, height), (210, 225, 240))
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    mime = "png" if image_format == "PNG" else "jpeg"
    return f"data:image/{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


def print_body(**changes: Any) -> dict[str, Any]:
    return {
        "image": png_data_url(),
        "title": "Bản đồ trụ nước chữa cháy — Phường Vĩnh Yên",
        "zoom": 14,
        "center": [105.597, 21.309],
        "bearing": 30,
        "layers": [BOUNDARIES, "tru-nuoc-chua-chay"],
        **changes,
    }


def test_print_returns_one_page_pdf(officer: Any) -> None:
    response = post_json(english_client(officer), "/map/print/", print_body())
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    # Legend names may wrap onto two lines; compare with the whitespace collapsed.
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Bản đồ trụ nước chữa cháy — Phường Vĩnh Yên" in text
    assert "Administrative boundaries" in text
    assert "Hydrants and water sources" in text
    assert "Source: Digital map of Phú Thọ province — tinhso" in text
    assert "EPSG:4326" in text
    label = response["X-Scale-Bar"]
    assert re.fullmatch(r"[125]0* m|[125]0* km", label), label
    assert label in text
    assert "1:" in text


def test_scale_bar_follows_metres_per_pixel(officer: Any) -> None:
    client = english_client(officer)
    near = post_json(client, "/map/print/", print_body(metres_per_pixel=1.0))
    far = post_json(client, "/map/print/", print_body(metres_per_pixel=100.0))
    # The same image width covers 100 times the ground, so the bar is 100 times longer.
    near_m = scale_metres(near["X-Scale-Bar"])
    far_m = scale_metres(far["X-Scale-Bar"])
    assert far_m == near_m * 100


def scale_metres(label: str) -> float:
    number, unit = label.split()
    return float(number.replace(",", ".")) * (1000 if unit == "km" else 1)


def test_print_in_vietnamese(officer: Any) -> None:
    client = english_client(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    response = post_json(client, "/map/print/", print_body())
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Ranh giới hành chính" in text
    assert "Trụ nước và nguồn nước chữa cháy" in text


def test_print_input_errors(officer: Any) -> None:
    client = english_client(officer)
    cases = [
        (print_body(image=png_data_url(image_format="JPEG")), "image"),
        (print_body(image="data:image/png;base64,@@@"), "image"),
        (
            print_body(image="data:image/png;base64," + base64.b64encode(b"GIF89a").decode()),
            "image",
        ),
        (print_body(image=png_data_url(10_001, 4)), "image"),
        (print_body(title="x" * 201), "title"),
        (print_body(zoom="gần"), "zoom"),
        (print_body(center=[105.6]), "center"),
        (print_body(layers=["khong-co"]), "layers"),
        (print_body(layers=["dia-ban-tuan-tra"]), "layers"),
    ]
    for body, field in cases:
        response = post_json(client, "/map/print/", body)
        assert response.status_code == 400, (field, response.content)
        assert response.json()["field"] == field
    assert client.get("/map/print/").status_code == 405
