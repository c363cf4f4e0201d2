"""The web map page, its search and measurement endpoints, and the layer catalogue pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from shapely.geometry import LineString, Point, Polygon, box, mapping

from tests.accounts import make_department
from tinhso.core.models import Role
from tinhso.geo import crs
from tinhso.geo.boundaries import import_boundaries
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.models import AccessLevel, Layer
from tinhso.geo.services.features import create_feature

pytestmark = pytest.mark.django_db

COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
# About 1.04 km by 1.11 km near Vĩnh Yên: roughly 115 ha.
FIELD = box(105.59, 21.30, 105.60, 21.31)
POLICE_POST = Point(105.597, 21.309)
PUBLIC_LAYERS = {
    BOUNDARIES,
    "osm-duong-giao-thong",
    "osm-song-ngoi",
    "osm-dia-danh",
    "osm-diem-quan-tam",
    "diem-den-giao-thong",
}
# A Vietnamese number with a decimal comma and dots between thousands: 1.234,5.
VIETNAMESE_NUMBER = r"\d{1,3}(?:\.\d{3})*,\d+"


def layer_slugs(response: Any) -> list[str]:
    return [layer["slug"] for layer in response.context["layers_json"]]


def layer_config(response: Any, slug: str) -> dict[str, Any]:
    return next(layer for layer in response.context["layers_json"] if layer["slug"] == slug)


def english_client() -> Client:
    client = Client()
    client.cookies["tinhso_language"] = "en"
    return client


def staff_client(make_user: Callable[..., Any], role: str, username: str) -> Client:
    fields = {"department": make_department()} if role == Role.DEPARTMENT_OFFICER else {}
    client = Client()
    client.force_login(make_user(username, role, **fields))
    return client


def measure(client: Client, payload: Any) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post("/map/measure/", body, content_type="application/json")


# --- Map page -----------------------------------------------------------------------------------


def test_map_page_public_sees_public_layers() -> None:
    response = Client().get("/map/")

    assert response.status_code == 200
    assert set(layer_slugs(response)) == PUBLIC_LAYERS
    html = response.content.decode()
    assert 'id="map-tools"' in html
    assert 'id="map-layers"' in html
    assert "/static/geo/js/map.js" in html
    assert "/static/geo/js/map-edit.js" in html
    assert "/static/geo/js/map-output.js" in html
    assert "/static/vendor/maplibre-gl/maplibre-gl-csp.js" in html
    assert "/static/vendor/mapbox-gl-draw/mapbox-gl-draw.js" in html
    assert "https://" not in html.split("<main>")[1]


def test_map_page_layer_config_names_tiles_and_schema() -> None:
    response = Client().get("/map/")

    boundaries = layer_config(response, BOUNDARIES)
    assert boundaries["name"] == "Ranh giới hành chính"
    assert boundaries["group"] == "Nền"
    assert boundaries["geometry_type"] == "POLYGON"
    assert boundaries["time_aware"] is True
    assert boundaries["tilejson"] == f"/tiles/{BOUNDARIES}/tilejson.json"
    assert boundaries["tiles"] == f"/tiles/{BOUNDARIES}/{{z}}/{{x}}/{{y}}.pbf"
    assert boundaries["style"]["color"] == "#1f4e79"
    assert {"name": "ten", "label": "Tên đơn vị", "type": "string"} in boundaries["attributes"]
    assert layer_config(response, "osm-song-ngoi")["time_aware"] is False
    config = response.context["config_json"]
    assert config["searchUrl"] == "/map/search/"
    assert config["measureUrl"] == "/map/measure/"
    assert config["reformDate"] == "2025-07-01"


def test_map_page_in_english_names_layers_in_english() -> None:
    response = english_client().get("/map/")

    boundaries = layer_config(response, BOUNDARIES)
    assert boundaries["name"] == "Administrative boundaries"
    assert {"name": "ten", "label": "Unit name", "type": "string"} in boundaries["attributes"]
    assert response.context["ui_json"]["area"] == "Area"


def test_map_page_police_layers(make_user: Callable[..., Any]) -> None:
    client = staff_client(make_user, Role.POLICE_OFFICER, "congan")

    response = client.get("/map/")

    slugs = set(layer_slugs(response))
    assert slugs > PUBLIC_LAYERS
    assert {"tru-so-cong-an", "dia-ban-tuan-tra", "khu-dan-cu"} <= slugs
    accidents = layer_config(response, "diem-tai-nan-giao-thong")
    assert "nguoi_dieu_khien" in {field["name"] for field in accidents["attributes"]}


def test_map_page_hides_role_layers(make_user: Callable[..., Any]) -> None:
    client = staff_client(make_user, Role.DEPARTMENT_OFFICER, "canbo-so")

    response = client.get("/map/")

    slugs = set(layer_slugs(response))
    assert "tru-so-cong-an" in slugs
    assert "dia-ban-tuan-tra" not in slugs
    assert "khu-dan-cu" not in slugs
    accidents = layer_config(response, "diem-tai-nan-giao-thong")
    assert "nguoi_dieu_khien" not in {field["name"] for field in accidents["attributes"]}


def test_map_page_rejects_unknown_api_key() -> None:
    response = Client().get("/map/", HTTP_AUTHORIZATION="Bearer not-a-key")

    assert response.status_code == 401


# --- Search -----------------------------------------------------------------------------------


@pytest.fixture
def communes(shared_data: Path) -> None:
    report = import_boundaries(shared_data / COMMUNES)
    assert report.rows_accepted == 148


@pytest.fixture
def police_post(make_user: Callable[..., Any]) -> None:
    layer = Layer.objects.get(slug="tru-so-cong-an")
    officer = make_user("congan-nhap", Role.POLICE_OFFICER)
    create_feature(layer, POLICE_POST, {"ten": "Đồn Công an Khai Quang", "cap": "đồn"}, officer)


def search(client: Client, query: str, **params: str) -> Any:
    return client.get("/map/search/", {"q": query, **params})


@pytest.mark.shared_data
@pytest.mark.usefixtures("communes")
@pytest.mark.parametrize("query", ["vinh yen", "Vĩnh Yên", "VINH YÊN", "  vĩnh   yen "])
def test_search_ignores_diacritics(query: str) -> None:
    response = search(Client(), query)

    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["label"] == "Phường Vĩnh Yên"
    assert first["layer"] == BOUNDARIES
    assert first["unit_code"] == "08707"
    min_x, min_y, max_x, max_y = first["bbox"]
    assert min_x < first["center"][0] < max_x
    assert min_y < first["center"][1] < max_y


@pytest.mark.shared_data
@pytest.mark.usefixtures("communes")
def test_search_lists_a_commune_once() -> None:
    results = search(Client(), "vinh yen").json()["results"]

    vinh_yen = [hit for hit in results if hit["label"] == "Phường Vĩnh Yên"]
    assert len(vinh_yen) == 1


@pytest.mark.shared_data
@pytest.mark.usefixtures("communes")
def test_search_pages_results() -> None:
    client = Client()
    everything = search(client, "phuong", limit="50").json()
    assert everything["total"] > 3

    first = search(client, "phuong", limit="2").json()
    second = search(client, "phuong", limit="2", offset="2").json()

    assert len(first["results"]) == 2
    assert first["next_offset"] == 2
    assert second["offset"] == 2
    labels = [hit["label"] for hit in everything["results"][:4]]
    assert [hit["label"] for hit in first["results"] + second["results"]] == labels


@pytest.mark.shared_data
@pytest.mark.usefixtures("communes")
def test_search_before_reform_finds_old_units() -> None:
    before = search(Client(), "tich son", date="2025-06-30").json()["results"]
    after = search(Client(), "tich son", date="2025-07-01").json()["results"]

    assert "Phường Tích Sơn" in [hit["label"] for hit in before]
    assert "Phường Tích Sơn" not in [hit["label"] for hit in after]


@pytest.mark.usefixtures("police_post")
def test_search_hides_unreadable_layers(make_user: Callable[..., Any]) -> None:
    public = search(Client(), "khai quang").json()["results"]
    staff = staff_client(make_user, Role.PROVINCIAL_LEADER, "lanhdao")
    found = search(staff, "khai quang").json()["results"]

    assert "tru-so-cong-an" not in [hit["layer"] for hit in public]
    post = next(hit for hit in found if hit["layer"] == "tru-so-cong-an")
    assert post["label"] == "Đồn Công an Khai Quang"
    assert post["kind"] == "feature"
    assert post["center"] == pytest.approx([POLICE_POST.x, POLICE_POST.y])


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "q"),
        ({"q": "v"}, "q"),
        ({"q": "vinh", "date": "30/06/2025"}, "date"),
        ({"q": "vinh", "limit": "0"}, "limit"),
        ({"q": "vinh", "limit": "many"}, "limit"),
        ({"q": "vinh", "offset": "-1"}, "offset"),
    ],
)
def test_search_rejects_bad_parameters(params: dict[str, str], named: str) -> None:
    response = Client().get("/map/search/", params)

    assert response.status_code == 400
    assert named in response.json()["error"]


def test_search_rejects_unknown_api_key() -> None:
    response = english_client().get("/map/search/?q=vinh", HTTP_AUTHORIZATION="Bearer not-a-key")

    assert response.status_code == 401
    assert "API key" in response.json()["error"]


# --- Measurement ------------------------------------------------------------------------------


def test_measure_polygon_area_in_phu_tho_zone() -> None:
    response = measure(english_client(), {"geometry": mapping(FIELD)})

    assert response.status_code == 200
    result = response.json()
    expected = crs.area_m2(FIELD, area_crs=crs.TM3_PHU_THO)
    assert result["crs"] == "EPSG:9208"
    assert "Phú Thọ" in result["crs_name"]
    assert result["area_m2"] == pytest.approx(expected, rel=1e-9)
    assert result["area_ha"] == pytest.approx(expected / 10_000, rel=1e-9)
    assert 1.0e6 < result["area_m2"] < 1.3e6
    projected = crs.transform(FIELD, crs.WGS84, crs.TM3_PHU_THO)
    assert result["perimeter_m"] == pytest.approx(projected.length, rel=1e-9)
    assert result["length_m"] is None


def test_measure_formats_numbers_in_vietnamese() -> None:
    result = measure(Client(), {"geometry": mapping(FIELD)}).json()

    assert re.fullmatch(
        rf"{VIETNAMESE_NUMBER} m² \({VIETNAMESE_NUMBER} ha\)", result["text"]["area"]
    )
    area = result["area_m2"]
    whole = f"{int(area):,}".replace(",", ".")
    assert result["text"]["area"].startswith(whole + ",")


def test_measure_uses_layer_legal_crs() -> None:
    Layer.objects.filter(slug=BOUNDARIES).update(legal_crs=crs.TM3_VINH_PHUC)

    result = measure(Client(), {"geometry": mapping(FIELD), "layer": BOUNDARIES}).json()

    assert result["crs"] == "EPSG:5897"
    assert result["layer"] == BOUNDARIES
    vinh_phuc = crs.area_m2(FIELD, area_crs=crs.TM3_VINH_PHUC)
    phu_tho = crs.area_m2(FIELD, area_crs=crs.TM3_PHU_THO)
    assert result["area_m2"] == pytest.approx(vinh_phuc, rel=1e-9)
    assert result["area_m2"] != pytest.approx(phu_tho, rel=1e-9)


def test_measure_line_length() -> None:
    road = LineString([(105.59, 21.30), (105.60, 21.30), (105.60, 21.31)])

    result = measure(Client(), mapping(road)).json()

    expected = crs.transform(road, crs.WGS84, crs.TM3_PHU_THO).length
    assert result["length_m"] == pytest.approx(expected, rel=1e-9)
    assert result["area_m2"] is None
    assert re.fullmatch(rf"{VIETNAMESE_NUMBER} m", result["text"]["length"])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "must be JSON"),
        ("[1, 2]", "JSON object"),
        ({"geometry": {"type": "Point", "coordinates": [105.6, 21.3]}}, "Cannot measure a Point"),
        ({"geometry": {"type": "Polygon", "coordinates": [[[105.6, 21.3]]]}}, "malformed"),
        ({"geometry": "POLYGON((0 0, 1 0, 1 1, 0 0))"}, '"type" and "coordinates"'),
        (
            {"geometry": mapping(Polygon([(21.30, 105.59), (21.30, 105.60), (21.31, 105.60)]))},
            "longitude first",
        ),
        (
            {
                "geometry": mapping(
                    Polygon([(105.59, 21.30), (105.60, 21.31), (105.60, 21.30), (105.59, 21.31)])
                )
            },
            "edges cross",
        ),
        ({"geometry": mapping(FIELD), "layer": "khong-co-lop-nay"}, "khong-co-lop-nay"),
        ({"geometry": mapping(FIELD), "layer": "tru-so-cong-an"}, "tru-so-cong-an"),
    ],
)
def test_measure_rejects_bad_input(payload: Any, message: str) -> None:
    response = measure(english_client(), payload)

    assert response.status_code == 400
    assert message in response.json()["error"]


def test_measure_refuses_get() -> None:
    assert Client().get("/map/measure/").status_code == 405


# --- Layer catalogue --------------------------------------------------------------------------


def listed_slugs(response: Any) -> list[str]:
    return [layer.slug for layer in response.context["layers"]]


def test_layer_list_shows_readable_layers(make_user: Callable[..., Any]) -> None:
    public = Client().get("/map/layers/")
    staff = staff_client(make_user, Role.PROVINCIAL_LEADER, "lanhdao").get("/map/layers/")

    assert public.status_code == 200
    assert set(listed_slugs(public)) == PUBLIC_LAYERS
    assert {"tru-so-cong-an", "khu-dan-cu"} <= set(listed_slugs(staff))
    html = public.content.decode()
    assert "Ranh giới hành chính" in html
    assert 'href="/map/layers/ranh-gioi-hanh-chinh/"' in html


@pytest.mark.usefixtures("police_post")
def test_layer_list_counts_features(make_user: Callable[..., Any]) -> None:
    response = staff_client(make_user, Role.POLICE_OFFICER, "congan").get("/map/layers/")

    counts = {layer.slug: layer.feature_count for layer in response.context["layers"]}
    assert counts["tru-so-cong-an"] == 1
    assert counts["tram-chua-chay"] == 0


def test_layer_list_pages() -> None:
    for number in range(25):
        Layer.objects.create(
            slug=f"lop-thu-{number:02d}",
            name=f"Lớp thử {number}",
            geometry_type="POINT",
            access_level=AccessLevel.PUBLIC,
        )

    first = Client().get("/map/layers/")
    second = Client().get("/map/layers/?page=2")

    assert len(first.context["layers"]) == 20
    assert len(second.context["layers"]) == len(PUBLIC_LAYERS) + 25 - 20
    assert 'href="?page=2"' in first.content.decode()


def test_layer_list_empty_state() -> None:
    Layer.objects.update(access_level=AccessLevel.ROLES, reader_roles=[])

    response = Client().get("/map/layers/")

    assert response.status_code == 200
    assert list(response.context["layers"]) == []
    assert 'data-testid="layer-list-empty"' in response.content.decode()


def test_layer_detail_shows_schema_and_links() -> None:
    response = Client().get(f"/map/layers/{BOUNDARIES}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tên đơn vị" in html
    assert "EPSG:9208" in html
    assert "VN-2000 / TM-3 Phú Thọ" in html
    assert f'href="/ogc/collections/{BOUNDARIES}"' in html
    assert f'href="/tiles/{BOUNDARIES}/tilejson.json"' in html
    assert "#1f4e79" in html


def test_layer_detail_marks_personal_attributes(make_user: Callable[..., Any]) -> None:
    client = staff_client(make_user, Role.DEPARTMENT_OFFICER, "canbo-so")

    response = client.get("/map/layers/diem-tai-nan-giao-thong/")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["schema"]}
    assert rows["nguoi_dieu_khien"]["personal"] is True
    assert rows["ngay"]["required"] is True
    assert response.context["can_see_personal"] is False


def test_layer_detail_hides_unreadable_layer(make_user: Callable[..., Any]) -> None:
    anonymous = Client().get("/map/layers/tru-so-cong-an/")
    department = staff_client(make_user, Role.DEPARTMENT_OFFICER, "canbo-so")

    assert anonymous.status_code == 404
    assert department.get("/map/layers/dia-ban-tuan-tra/").status_code == 404
    assert department.get("/map/layers/tru-so-cong-an/").status_code == 200
    assert Client().get("/map/layers/khong-co-lop-nay/").status_code == 404


def test_layer_detail_in_english() -> None:
    response = english_client().get(f"/map/layers/{BOUNDARIES}/")

    html = response.content.decode()
    assert "Administrative boundaries" in html
    assert "Unit name" in html
