"""Vector tiles over HTTP on the real boundary files: content, access, cache, dates, TileJSON, style."""

from __future__ import annotations

import datetime as dt
import gzip
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from django.test import Client
from django.utils import translation
from shapely.geometry import LineString, Point, shape

from tinhso.api.keys import issue_key
from tinhso.core.models import Department, Role
from tinhso.geo import mvt
from tinhso.geo.boundaries import import_boundaries
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.services.features import create_feature, prepare_feature, touch_layer
from tinhso.geo.storage import is_postgis
from tinhso.geo.tiles import render
from tinhso.geo.tiles.cache import TileCache, TileKey

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

DISTRICTS = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
VINH_YEN_COMMUNE = "08707"
VINH_YEN_DISTRICT = "249"
# Inside Phường Vĩnh Yên, near the provincial offices.
VINH_YEN = (105.597, 21.309)
POLICE_STATIONS = "tru-so-cong-an"
ACCIDENTS = "diem-tai-nan-giao-thong"
PATROL_AREAS = "dia-ban-tuan-tra"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    count = 1 << z
    x = int((lon + 180.0) / 360.0 * count)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * count)
    return x, y


def tile_url(slug: str, z: int, lon: float = VINH_YEN[0], lat: float = VINH_YEN[1]) -> str:
    x, y = tile_of(lon, lat, z)
    return f"/tiles/{slug}/{z}/{x}/{y}.pbf"


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True, "geojson": False})


def features_of(response: Any, slug: str) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    layers = decode(response.content)
    return list(layers[slug]["features"]) if slug in layers else []


def bearer(raw_key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


@pytest.fixture(autouse=True)
def tile_cache_dir(settings: Any, tmp_path: Path) -> Path:
    """A cache per test: layer versions restart when each test's transaction rolls back."""
    settings.TINHSO_TILE_CACHE_DIR = tmp_path / "tiles"
    return tmp_path / "tiles"


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.fixture
def boundaries(shared_data: Path) -> Layer:
    import_boundaries(shared_data / DISTRICTS)
    import_boundaries(shared_data / COMMUNES)
    return Layer.objects.get(slug=BOUNDARIES)


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="ca-tinh", name="Công an tỉnh")


def add_feature(slug: str, geometry: Any, properties: dict[str, Any]) -> MapFeature:
    return create_feature(Layer.objects.get(slug=slug), geometry, properties, user=None)


# --- Content -------------------------------------------------------------------------------


def test_vinh_yen_tile_has_its_commune(boundaries: Layer, client: Client) -> None:
    response = client.get(tile_url(BOUNDARIES, 12))

    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    features = features_of(response, BOUNDARIES)
    [vinh_yen] = [f for f in features if f["properties"]["ma"] == VINH_YEN_COMMUNE]
    stored = MapFeature.objects.get(
        layer=boundaries, properties__ma=VINH_YEN_COMMUNE, valid_to__isnull=True
    )
    assert vinh_yen["id"] == stored.pk
    assert vinh_yen["properties"]["id"] == stored.pk
    assert vinh_yen["properties"]["ten"] == "Phường Vĩnh Yên"
    assert vinh_yen["properties"]["cap"] == stored.properties["cap"]
    assert vinh_yen["properties"]["dien_tich_km2"] == pytest.approx(
        stored.properties["dien_tich_km2"]
    )
    assert vinh_yen["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_renderer_matches_database(boundaries: Layer, client: Client) -> None:
    expected = render.POSTGIS if is_postgis() else render.PYTHON
    before = render.RENDER_COUNTS[expected]

    client.get(tile_url(BOUNDARIES, 11))

    assert render.renderer() == expected
    assert render.RENDER_COUNTS[expected] == before + 1


def test_gzip_body_when_client_accepts_it(boundaries: Layer, client: Client) -> None:
    plain = client.get(tile_url(BOUNDARIES, 12))
    zipped = client.get(tile_url(BOUNDARIES, 12), HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]


@pytest.mark.parametrize(
    "path",
    ["/tiles/{slug}/25/0/0.pbf", "/tiles/{slug}/3/8/0.pbf", "/tiles/{slug}/3/0/8.pbf"],
)
def test_tile_address_out_of_range(client: Client, path: str) -> None:
    english = client.get(path.format(slug=BOUNDARIES), HTTP_ACCEPT_LANGUAGE="en")
    vietnamese = client.get(path.format(slug=BOUNDARIES))

    assert english.status_code == 400
    assert "does not exist" in english.json()["detail"]
    assert "không tồn tại" in vietnamese.json()["detail"]


def test_unknown_layer_not_found(client: Client) -> None:
    response = client.get("/tiles/khong-co-lop-nay/12/0/0.pbf")

    assert response.status_code == 404
    assert "khong-co-lop-nay" in response.json()["detail"]


def test_bad_date_rejected(client: Client) -> None:
    response = client.get(tile_url(BOUNDARIES, 12) + "?date=01/07/2025")

    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.json()["detail"]


def test_outside_layer_zooms_is_empty(boundaries: Layer, client: Client) -> None:
    Layer.objects.filter(pk=boundaries.pk).update(min_zoom=5, max_zoom=10)
    before = render.RENDER_COUNTS[render.renderer()]

    inside = client.get(tile_url(BOUNDARIES, 10))
    outside = client.get(tile_url(BOUNDARIES, 12))

    assert features_of(inside, BOUNDARIES)
    assert outside.status_code == 200
    assert outside.content == b""
    assert render.RENDER_COUNTS[render.renderer()] == before + 1


# --- Access --------------------------------------------------------------------------------


def test_key_only_layer_needs_key(client: Client, department: Department) -> None:
    station = add_feature(POLICE_STATIONS, Point(*VINH_YEN), {"ten": "Công an phường Vĩnh Yên"})
    url = tile_url(POLICE_STATIONS, 14)
    reader_key = issue_key(department, ["geo:read"]).raw_key
    other_key = issue_key(department, ["units:read"]).raw_key

    anonymous = client.get(url)
    with_key = client.get(url, **bearer(reader_key))
    without_scope = client.get(url, **bearer(other_key))
    revoked = client.get(url, **bearer("tsk_khong_ton_tai"))

    assert anonymous.status_code == 401
    assert "Bearer" in anonymous.json()["detail"]
    assert [f["id"] for f in features_of(with_key, POLICE_STATIONS)] == [station.pk]
    assert with_key["Cache-Control"].startswith("private")
    assert without_scope.status_code == 403
    assert revoked.status_code == 401


def test_role_layer_follows_roles(client: Client, make_user: Callable[..., Any]) -> None:
    url = tile_url(PATROL_AREAS, 12)
    client.force_login(make_user("congan", Role.POLICE_OFFICER))
    police = client.get(url)
    client.force_login(make_user("phantich", Role.SECURITY_ANALYST))
    analyst = client.get(url)

    assert police.status_code == 200
    assert analyst.status_code == 403
    assert PATROL_AREAS in analyst.json()["detail"]


def test_personal_attributes_need_scope(client: Client, department: Department) -> None:
    properties = {
        "ngay": "2025-03-02",
        "so_nguoi_chet": 0,
        "so_nguoi_bi_thuong": 2,
        "tuyen_duong": "QL2",
        "nguoi_dieu_khien": "Nguyễn Văn A",
    }
    add_feature(ACCIDENTS, Point(*VINH_YEN), properties)
    url = tile_url(ACCIDENTS, 14)
    reader_key = issue_key(department, ["geo:read"]).raw_key
    personal_key = issue_key(department, ["geo:read", "personal:read"]).raw_key

    [without] = features_of(client.get(url, **bearer(reader_key)), ACCIDENTS)
    [with_personal] = features_of(client.get(url, **bearer(personal_key)), ACCIDENTS)
    tilejson = client.get(f"/tiles/{ACCIDENTS}/tilejson.json", **bearer(reader_key)).json()

    assert "nguoi_dieu_khien" not in without["properties"]
    assert without["properties"]["tuyen_duong"] == "QL2"
    assert with_personal["properties"]["nguoi_dieu_khien"] == "Nguyễn Văn A"
    assert "nguoi_dieu_khien" not in tilejson["vector_layers"][0]["fields"]


# --- Cache ---------------------------------------------------------------------------------


def test_second_request_from_cache(boundaries: Layer, client: Client) -> None:
    url = tile_url(BOUNDARIES, 12)
    path = render.renderer()

    first = client.get(url)
    after_first = render.RENDER_COUNTS[path]
    second = client.get(url)
    revalidated = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["X-Tile-Cache"] == "miss"
    assert second["X-Tile-Cache"] == "hit"
    assert render.RENDER_COUNTS[path] == after_first
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert first["Cache-Control"] == "public, max-age=60"
    assert revalidated.status_code == 304
    assert revalidated.content == b""


def test_new_feature_changes_cached_tile(client: Client, department: Department) -> None:
    first = add_feature(POLICE_STATIONS, Point(*VINH_YEN), {"ten": "Đồn 1"})
    url = tile_url(POLICE_STATIONS, 14)
    headers = bearer(issue_key(department, ["geo:read"]).raw_key)
    before = client.get(url, **headers)
    cached = client.get(url, **headers)

    second = add_feature(POLICE_STATIONS, Point(VINH_YEN[0] + 0.001, VINH_YEN[1]), {"ten": "Đồn 2"})
    after = client.get(url, **headers)
    stale = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"], **headers)

    assert cached["X-Tile-Cache"] == "hit"
    assert after["X-Tile-Cache"] == "miss"
    assert after["ETag"] != before["ETag"]
    assert [f["id"] for f in features_of(before, POLICE_STATIONS)] == [first.pk]
    assert sorted(f["id"] for f in features_of(after, POLICE_STATIONS)) == [first.pk, second.pk]
    assert stale.status_code == 200


def test_cache_drops_other_revisions(tmp_path: Path) -> None:
    store = TileCache(tmp_path, max_bytes=1 << 20)
    old = TileKey("lop", 1, "t", 10, 1, 2, "", False)
    new = TileKey("lop", 2, "t", 10, 1, 2, "", False)
    other_layer = TileKey("lop-khac", 1, "t", 10, 1, 2, "", False)
    store.put(old, b"old")
    store.put(other_layer, b"other")

    store.put(new, b"new")

    assert store.get(new) == b"new"
    assert store.get(old) is None
    assert store.get(other_layer) == b"other"
    assert not (tmp_path / "lop" / "v1").exists()


def test_cache_stays_under_its_limit(tmp_path: Path) -> None:
    store = TileCache(tmp_path, max_bytes=64 * 1024)
    for x in range(100):
        store.put(TileKey("lop", 1, "t", 12, x, 0, "", False), bytes(2048))

    total = sum(path.stat().st_size for path in tmp_path.rglob("*.mvt.gz"))
    assert total <= 64 * 1024
    assert store.get(TileKey("lop", 1, "t", 12, 99, 0, "", False)) == bytes(2048)


# --- Dates ---------------------------------------------------------------------------------


def test_date_picks_districts_or_communes(boundaries: Layer, client: Client) -> None:
    url = tile_url(BOUNDARIES, 12)

    before = features_of(client.get(url + "?date=2025-06-30"), BOUNDARIES)
    after = features_of(client.get(url + "?date=2025-07-01"), BOUNDARIES)

    codes_before = {f["properties"]["ma"] for f in before}
    codes_after = {f["properties"]["ma"] for f in after}
    assert VINH_YEN_DISTRICT in codes_before
    assert VINH_YEN_DISTRICT not in codes_after
    assert VINH_YEN_COMMUNE in codes_after
    assert {f["properties"]["cap"] for f in before} != {f["properties"]["cap"] for f in after}


# --- TileJSON and style --------------------------------------------------------------------


def test_tilejson_describes_layer(boundaries: Layer, client: Client, shared_data: Path) -> None:
    document = client.get(f"/tiles/{BOUNDARIES}/tilejson.json?lang=en").json()
    communes = shapely.from_geojson((shared_data / COMMUNES).read_text("utf-8"))
    west, south, east, north = document["bounds"]
    p_west, p_south, p_east, p_north = communes.bounds

    assert document["tilejson"] == "3.0.0"
    assert document["name"] == "Administrative boundaries"
    assert "1 July 2025" in document["description"]
    assert document["tiles"] == [f"http://testserver/tiles/{BOUNDARIES}/{{z}}/{{x}}/{{y}}.pbf"]
    assert document["minzoom"] == boundaries.min_zoom
    assert document["maxzoom"] == boundaries.max_zoom
    assert p_west - 0.5 <= west < east <= p_east + 0.5
    assert p_south - 0.5 <= south < north <= p_north + 0.5
    assert west <= document["center"][0] <= east
    assert south <= document["center"][1] <= north
    [vector_layer] = document["vector_layers"]
    assert vector_layer["id"] == BOUNDARIES
    assert vector_layer["fields"]["ma"] == "String"
    assert vector_layer["fields"]["dien_tich_km2"] == "Number"
    assert vector_layer["fields"]["id"] == "Number"
    assert document["attribution"]


def test_tilejson_in_vietnamese(boundaries: Layer, client: Client) -> None:
    document = client.get(f"/tiles/{BOUNDARIES}/tilejson.json").json()

    assert document["name"] == "Ranh giới hành chính"
    assert "01/7/2025" in document["description"]


def test_tilejson_keeps_date(client: Client) -> None:
    document = client.get(f"/tiles/{BOUNDARIES}/tilejson.json?date=2025-06-30").json()

    assert document["tiles"][0].endswith("/{z}/{x}/{y}.pbf?date=2025-06-30")


def test_style_lists_readable_layers(client: Client, department: Department) -> None:
    public = client.get("/tiles/style.json").json()
    headers = bearer(issue_key(department, ["geo:read"]).raw_key)
    agency = client.get("/tiles/style.json", **headers).json()
    public_layers = set(Layer.objects.filter(access_level="public").values_list("slug", flat=True))

    assert public["version"] == 8
    assert set(public["sources"]) == public_layers
    assert POLICE_STATIONS in agency["sources"]
    assert PATROL_AREAS not in agency["sources"]
    assert "glyphs" not in public
    assert "sprite" not in public
    for document in (public, agency):
        for source in document["sources"].values():
            assert source["url"].startswith("http://testserver/tiles/")
            assert source["url"].endswith("/tilejson.json")
        for layer in document["layers"]:
            assert layer["type"] in {"background", "fill", "line", "circle"}
            assert layer.get("source", "") in {"", *document["sources"]}


def test_style_paints_by_geometry(client: Client) -> None:
    document = client.get("/tiles/style.json").json()
    kinds = {layer["id"]: layer["type"] for layer in document["layers"]}

    assert kinds[f"{BOUNDARIES}-fill"] == "fill"
    assert kinds[f"{BOUNDARIES}-line"] == "line"
    assert kinds["osm-duong-giao-thong-line"] == "line"
    assert kinds["osm-dia-danh-circle"] == "circle"
    boundary_fill = next(x for x in document["layers"] if x["id"] == f"{BOUNDARIES}-fill")
    assert boundary_fill["paint"]["fill-color"] == "#9ecae1"


# --- The two encoders ----------------------------------------------------------------------

SYNTHETIC = "tiles-thu-nghiem"


def synthetic_layer() -> Layer:
    """A line layer with a few hundred roads across Vĩnh Yên, written in bulk."""
    layer = Layer.objects.create(
        slug=SYNTHETIC,
        name="Đường thử nghiệm",
        geometry_type="LINESTRING",
        access_level="public",
        schema=[{"name": "ten", "type": "string"}, {"name": "so", "type": "integer"}],
    )
    features = []
    for index in range(300):
        lon = 105.55 + (index % 20) * 0.005
        lat = 21.27 + (index // 20) * 0.004
        line = LineString([(lon, lat), (lon + 0.004, lat + 0.001), (lon + 0.006, lat + 0.003)])
        feature = MapFeature(layer=layer, properties={"ten": f"Đường {index}", "so": index})
        features.append(prepare_feature(feature, line))
    MapFeature.objects.bulk_create(features)
    touch_layer(layer)
    return layer


POINTS = "tiles-diem-thu-nghiem"


def synthetic_points() -> Layer:
    """A point layer with a few thousand points around Vĩnh Yên, written in bulk."""
    layer = Layer.objects.create(
        slug=POINTS, name="Điểm thử nghiệm", geometry_type="POINT", access_level="public"
    )
    features = []
    for index in range(3000):
        point = Point(105.50 + (index % 60) * 0.0031, 21.22 + (index // 60) * 0.0037)
        feature = MapFeature(layer=layer, properties={"ten": f"Điểm {index}", "so": index})
        features.append(prepare_feature(feature, point))
    MapFeature.objects.bulk_create(features)
    touch_layer(layer)
    return layer


def grid_distance(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(shape(a["geometry"]).hausdorff_distance(shape(b["geometry"])))


def test_postgis_and_python_tiles_agree(boundaries: Layer) -> None:
    if not is_postgis():
        pytest.skip("ST_AsMVT needs PostGIS; the Python encoder is the only path on SQLite")
    lines = synthetic_layer()
    points = synthetic_points()
    cases = [(boundaries, z, dt.date(2025, 7, 1)) for z in (8, 10, 12, 13)]
    cases += [(boundaries, 12, dt.date(2025, 6, 30)), (lines, 13, None), (lines, 15, None)]
    cases += [(points, z, None) for z in (9, 12, 14)]

    for layer, z, date in cases:
        x, y = tile_of(*VINH_YEN, z)
        query = render.TileQuery(layer, z, x, y, date, hidden=())
        from_postgis = {
            f["id"]: f for f in decode(render.render_postgis(query))[layer.slug]["features"]
        }
        from_python = {
            f["id"]: f for f in decode(render.render_python(query))[layer.slug]["features"]
        }

        assert from_postgis, (layer.slug, z, date)
        assert set(from_postgis) == set(from_python), (layer.slug, z, date)
        for feature_id, feature in from_postgis.items():
            other = from_python[feature_id]
            assert feature["properties"] == other["properties"], (layer.slug, z, feature_id)
            # One pixel of a 512-pixel tile is 8 units of the 4,096-unit grid.
            assert grid_distance(feature, other) <= 8, (layer.slug, z, feature_id)


def test_hidden_attributes_left_out_by_both_paths(boundaries: Layer) -> None:
    x, y = tile_of(*VINH_YEN, 12)
    query = render.TileQuery(boundaries, 12, x, y, dt.date(2025, 7, 1), hidden=("dien_tich_km2",))

    for tile in [render.render_python(query)] + (
        [render.render_postgis(query)] if is_postgis() else []
    ):
        for feature in decode(tile)[BOUNDARIES]["features"]:
            assert "dien_tich_km2" not in feature["properties"]
            assert "ma" in feature["properties"]


def test_lonlat_tile_bounds_match_mercator() -> None:
    west, south, east, north = mvt.tile_bounds_lonlat(12, *tile_of(*VINH_YEN, 12))

    assert west <= VINH_YEN[0] <= east
    assert south <= VINH_YEN[1] <= north
    assert east - west == pytest.approx(360 / 4096)
