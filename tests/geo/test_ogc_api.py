"""OGC API Features under /ogc/: Django's test client, and OWSLib against a live server."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import owslib.ogcapi
import pytest
from django.test import Client
from owslib.ogcapi.features import Features
from shapely.geometry import Point, box, mapping

from tinhso.api import keys
from tinhso.api.models import ApiAccessLog
from tinhso.core.models import AuditAction, AuditEvent, Department
from tinhso.geo import crs
from tinhso.geo.boundaries import import_boundaries
from tinhso.geo.builtin import BOUNDARIES
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.ogc import crs_refs, documents
from tinhso.geo.services.features import create_feature

DISTRICTS = "boundaries/vinhphuc_province_districts_gischinhphu.geojson"
COMMUNES = "boundaries/phutho_wards_2025_vietnam3dmap.geojson"
HYDRANTS = "tru-nuoc-chua-chay"
RESIDENTIAL = "khu-dan-cu"
ACCIDENTS = "diem-tai-nan-giao-thong"
EPSG_5897 = crs_refs.EPSG_URI + "5897"
EPSG_4326 = crs_refs.EPSG_URI + "4326"
# Thành phố Vĩnh Yên, a district of Vĩnh Phúc until 30 June 2025.
VINH_YEN_DISTRICT = "249"


def hydrant_points(count: int) -> list[Point]:
    """Points on a diagonal across Vĩnh Yên, west to east, one per 0.002°."""
    return [Point(105.55 + index * 0.002, 21.28 + index * 0.001) for index in range(count)]


def add_hydrants(count: int) -> list[MapFeature]:
    layer = Layer.objects.get(slug=HYDRANTS)
    return [
        create_feature(layer, mapping(point), {"loai": "trụ nước", "ten": f"Trụ số {index}"}, None)
        for index, point in enumerate(hydrant_points(count))
    ]


def add_accident() -> MapFeature:
    layer = Layer.objects.get(slug=ACCIDENTS)
    properties = {"ngay": "2026-11-02", "so_nguoi_chet": 1, "nguoi_dieu_khien": "Nguyễn Văn A"}
    return create_feature(layer, mapping(Point(105.6, 21.31)), properties, None)


def add_residential_area() -> MapFeature:
    layer = Layer.objects.get(slug=RESIDENTIAL)
    area = box(105.58, 21.30, 105.59, 21.31)
    return create_feature(layer, mapping(area), {"ten": "Tổ dân phố 5", "so_ho": 120}, None)


def new_key(scopes: list[str]) -> str:
    department, _created = Department.objects.get_or_create(code="ca-tinh", name="Công an tỉnh")
    return keys.issue_key(department, scopes).raw_key


def bearer(raw_key: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def get_json(client: Client, url: str, status: int = 200, **headers: str) -> Any:
    response = client.get(url, **headers)  # type: ignore[arg-type]
    assert response.status_code == status, response.content.decode()[:500]
    return json.loads(response.content)


def ids_of(document: dict[str, Any]) -> list[int]:
    return [feature["id"] for feature in document["features"]]


def codes_of(document: dict[str, Any]) -> set[str]:
    return {feature["properties"]["ma"] for feature in document["features"]}


@pytest.fixture
def real_boundaries(db: None, shared_data: Path) -> None:
    import_boundaries(shared_data / DISTRICTS)
    import_boundaries(shared_data / COMMUNES)


# --- Django test client ---------------------------------------------------------------------


@pytest.mark.django_db
def test_landing_page_links(client: Client) -> None:
    response = client.get("/ogc/")
    assert response.status_code == 200
    assert response["Content-Type"] == documents.JSON
    rels = {link["rel"]: link for link in json.loads(response.content)["links"]}
    assert rels["service-desc"]["type"] == documents.OPENAPI
    assert rels["conformance"]["href"].endswith("/ogc/conformance")
    assert rels["data"]["href"].endswith("/ogc/collections")


@pytest.mark.django_db
def test_declared_conformance_classes_are_served(client: Client) -> None:
    add_hydrants(3)
    key = new_key(["geo:read"])
    declared = set(get_json(client, "/ogc/conformance")["conformsTo"])
    assert declared == set(documents.CONFORMANCE_CLASSES)
    assert len(declared) == 4

    # core: landing page, collections, items with limit and bbox.
    assert get_json(client, "/ogc/")["links"]
    collection_ids = [c["id"] for c in get_json(client, "/ogc/collections")["collections"]]
    assert BOUNDARIES in collection_ids
    page = get_json(
        client, f"/ogc/collections/{HYDRANTS}/items?limit=2&bbox=105,21,106,22", **bearer(key)
    )
    assert page["numberReturned"] == 2
    # geojson: items and one item as application/geo+json.
    items = client.get(f"/ogc/collections/{HYDRANTS}/items", **bearer(key))  # type: ignore[arg-type]
    assert items["Content-Type"] == documents.GEOJSON
    assert json.loads(items.content)["type"] == "FeatureCollection"
    # oas30: an OpenAPI 3.0 document at the service-desc link.
    api = client.get("/ogc/api")
    assert api["Content-Type"] == documents.OPENAPI
    assert json.loads(api.content)["openapi"].startswith("3.0.")
    # crs: each collection lists its CRSs, and the crs parameter changes the coordinates.
    described = get_json(client, f"/ogc/collections/{HYDRANTS}", **bearer(key))
    assert described["storageCrs"] == crs_refs.CRS84
    assert EPSG_5897 in described["crs"]
    projected = client.get(f"/ogc/collections/{HYDRANTS}/items?crs={EPSG_5897}", **bearer(key))  # type: ignore[arg-type]
    assert projected["Content-Crs"] == f"<{EPSG_5897}>"
    x, _y = json.loads(projected.content)["features"][0]["geometry"]["coordinates"]
    assert x > 1000


@pytest.mark.django_db
def test_api_definition_describes_readable_layers(client: Client) -> None:
    public = get_json(client, "/ogc/api")
    assert f"/collections/{BOUNDARIES}/items" in public["paths"]
    assert f"/collections/{HYDRANTS}/items" not in public["paths"]
    item_parameters = public["paths"][f"/collections/{BOUNDARIES}/items"]["get"]["parameters"]
    assert {"name": "ten", "in": "query"}.items() <= next(
        parameter for parameter in item_parameters if parameter.get("name") == "ten"
    ).items()

    keyed = get_json(client, "/ogc/api", **bearer(new_key(["geo:read"])))
    assert f"/collections/{HYDRANTS}/items" in keyed["paths"]


@pytest.mark.django_db
def test_collection_lists_crs_extent_links_and_schema(client: Client) -> None:
    add_hydrants(5)
    key = new_key(["geo:read"])
    document = get_json(client, f"/ogc/collections/{HYDRANTS}", **bearer(key))
    assert document["crs"] == crs_refs.URIS
    assert document["itemType"] == "feature"
    min_x, min_y, max_x, max_y = document["extent"]["spatial"]["bbox"][0]
    assert (min_x, min_y) == pytest.approx((105.55, 21.28))
    assert (max_x, max_y) == pytest.approx((105.558, 21.284))
    rels = {link["rel"]: link["href"] for link in document["links"]}
    assert rels["items"].endswith(f"/ogc/collections/{HYDRANTS}/items")
    assert rels["tiles"].endswith(f"/tiles/{HYDRANTS}/tilejson.json")
    queryables = get_json(client, rels[documents.QUERYABLES_REL], **bearer(key))
    assert queryables["properties"]["loai"]["enum"][0] == "trụ nước"
    assert queryables["properties"]["luu_luong_ls"]["type"] == "number"
    assert queryables["properties"]["geometry"] == {
        "oneOf": [
            {"$ref": "https://geojson.org/schema/Point.json"},
            {"$ref": "https://geojson.org/schema/MultiPoint.json"},
        ]
    }


@pytest.mark.django_db
def test_items_pages_with_next_and_prev_links(client: Client) -> None:
    features = add_hydrants(25)
    key = new_key(["geo:read"])
    url = f"/ogc/collections/{HYDRANTS}/items?limit=10&offset=10"
    page = get_json(client, url, **bearer(key))
    assert page["numberMatched"] == 25
    assert page["numberReturned"] == 10
    assert ids_of(page) == [feature.pk for feature in features[10:20]]
    links = {link["rel"]: link["href"] for link in page["links"]}
    assert "offset=20" in links["next"]
    assert "limit=10" in links["next"]
    assert "offset" not in links["prev"]

    last = get_json(client, links["next"], **bearer(key))
    assert last["numberReturned"] == 5
    assert last["numberMatched"] == 25
    assert "next" not in {link["rel"] for link in last["links"]}

    default = get_json(client, f"/ogc/collections/{HYDRANTS}/items", **bearer(key))
    assert default["numberReturned"] == 10


@pytest.mark.django_db
def test_limit_above_maximum_is_lowered(client: Client) -> None:
    add_hydrants(3)
    page = get_json(
        client, f"/ogc/collections/{HYDRANTS}/items?limit=50000", **bearer(new_key(["geo:read"]))
    )
    assert page["numberReturned"] == 3


@pytest.mark.django_db
def test_items_bbox_in_crs84_and_vn2000(client: Client) -> None:
    features = add_hydrants(20)
    key = new_key(["geo:read"])
    # Points 5 to 9 lie in longitudes 105.560 to 105.568.
    page = get_json(
        client,
        f"/ogc/collections/{HYDRANTS}/items?bbox=105.5599,21.0,105.5681,22.0&limit=100",
        **bearer(key),
    )
    assert ids_of(page) == [feature.pk for feature in features[5:10]]
    assert page["numberMatched"] == 5

    # The box around points 5 to 9 in the zone, 1 m wide of them; neighbours lie 200 m away.
    to_zone = crs.transformer(crs.WGS84, "EPSG:5897")
    corners = [to_zone.transform(point.x, point.y) for point in hydrant_points(20)[5:10]]
    west, south = (min(c[0] for c in corners) - 1, min(c[1] for c in corners) - 1)
    east, north = (max(c[0] for c in corners) + 1, max(c[1] for c in corners) + 1)
    projected = get_json(
        client,
        f"/ogc/collections/{HYDRANTS}/items?bbox={west},{south},{east},{north}"
        f"&bbox-crs={EPSG_5897}&limit=100",
        **bearer(key),
    )
    assert ids_of(projected) == ids_of(page)


@pytest.mark.django_db
def test_items_in_vn2000_transform_back_within_a_millimetre(client: Client) -> None:
    feature = add_hydrants(1)[0]
    key = new_key(["geo:read"])
    url = f"/ogc/collections/{HYDRANTS}/items/{feature.pk}"
    plain = get_json(client, url, **bearer(key))
    response = client.get(f"{url}?crs={EPSG_5897}", **bearer(key))  # type: ignore[arg-type]
    assert response["Content-Crs"] == f"<{EPSG_5897}>"
    easting, northing = json.loads(response.content)["geometry"]["coordinates"]

    # The project's transformations pin VN-2000 to WGS 84 to EPSG:6960, as the published
    # parameters require, and make the way into VN-2000 the exact inverse of the way out.
    lon, lat = plain["geometry"]["coordinates"]
    expected = crs.transform(Point(lon, lat), crs.WGS84, "EPSG:5897")
    back = crs.transform(Point(easting, northing), "EPSG:5897", crs.WGS84)
    assert abs(expected.x - easting) < 0.001
    assert abs(expected.y - northing) < 0.001
    assert back.x == pytest.approx(lon, abs=1e-8)
    assert back.y == pytest.approx(lat, abs=1e-8)


@pytest.mark.django_db
def test_epsg_4326_has_latitude_first(client: Client) -> None:
    feature = add_hydrants(1)[0]
    key = new_key(["geo:read"])
    document = get_json(
        client, f"/ogc/collections/{HYDRANTS}/items/{feature.pk}?crs={EPSG_4326}", **bearer(key)
    )
    assert document["geometry"]["coordinates"] == pytest.approx([21.28, 105.55])
    page = get_json(client, f"/ogc/collections/{HYDRANTS}/items?crs={EPSG_4326}", **bearer(key))
    assert page["features"][0]["geometry"]["coordinates"] == pytest.approx([21.28, 105.55])


@pytest.mark.django_db
@pytest.mark.shared_data
def test_boundaries_by_date_before_and_after_reform(client: Client, real_boundaries: None) -> None:
    url = f"/ogc/collections/{BOUNDARIES}/items?limit=1000"
    before = get_json(client, f"{url}&datetime=2024-01-01")
    after = get_json(client, f"{url}&datetime=2025-07-01")
    until = get_json(client, f"{url}&datetime=../2025-06-30")
    since = get_json(client, f"{url}&datetime=2025-07-01T08:00:00Z/..")

    assert VINH_YEN_DISTRICT in codes_of(before)
    assert VINH_YEN_DISTRICT not in codes_of(after)
    assert VINH_YEN_DISTRICT in codes_of(until)
    assert VINH_YEN_DISTRICT not in codes_of(since)
    communes_2025 = MapFeature.objects.filter(layer__slug=BOUNDARIES, unit__parent__code="25")
    new_codes = set(
        communes_2025.exclude(valid_from__gt=dt.date(2025, 7, 1)).values_list(
            "properties__ma", flat=True
        )
    )
    assert len(new_codes) == 148
    assert new_codes <= codes_of(after)
    assert not new_codes & codes_of(before)
    assert after["numberMatched"] == after["numberReturned"]

    collection = get_json(client, f"/ogc/collections/{BOUNDARIES}")
    assert collection["extent"]["temporal"]["trs"] == documents.GREGORIAN


@pytest.mark.django_db
@pytest.mark.shared_data
def test_boundaries_property_filter_by_name(client: Client, real_boundaries: None) -> None:
    page = get_json(
        client, f"/ogc/collections/{BOUNDARIES}/items?ten=Phường Vĩnh Yên&datetime=2025-07-01"
    )
    assert page["numberMatched"] == 1
    assert page["features"][0]["properties"]["ten"] == "Phường Vĩnh Yên"
    none = get_json(client, f"/ogc/collections/{BOUNDARIES}/items?ten=Phường Không Có")
    assert none["numberMatched"] == 0
    assert none["features"] == []


@pytest.mark.django_db
def test_property_filter_names_are_data(client: Client) -> None:
    """Attribute names that look like Django lookups filter as plain attribute names."""
    schema = [
        {"name": "contains", "type": "string", "label": "Chứa", "label_en": "Contains"},
        {"name": "so__tang", "type": "integer", "label": "Số tầng", "label_en": "Floors"},
    ]
    layer = Layer.objects.create(
        slug="toa-nha", name="Tòa nhà", geometry_type="POINT", access_level="public", schema=schema
    )
    for floors in (3, 5):
        properties = {"contains": "kho", "so__tang": floors}
        create_feature(layer, mapping(Point(105.6, 21.3)), properties, None)

    page = get_json(client, "/ogc/collections/toa-nha/items?contains=kho&so__tang=5")
    assert page["numberMatched"] == 1
    assert page["features"][0]["properties"]["so__tang"] == 5
    assert get_json(client, "/ogc/collections/toa-nha/items?contains=k")["numberMatched"] == 0


@pytest.mark.django_db
def test_single_item_and_missing_items(client: Client) -> None:
    hydrant = add_hydrants(1)[0]
    accident = add_accident()
    key = new_key(["geo:read"])
    document = get_json(client, f"/ogc/collections/{HYDRANTS}/items/{hydrant.pk}", **bearer(key))
    assert document["type"] == "Feature"
    assert document["id"] == hydrant.pk
    assert document["properties"]["ten"] == "Trụ số 0"
    assert {link["rel"] for link in document["links"]} == {"self", "collection"}

    # A feature of another layer is not a feature of this collection.
    wrong = get_json(client, f"/ogc/collections/{HYDRANTS}/items/{accident.pk}", 404, **bearer(key))
    assert str(accident.pk) in wrong["description"]
    get_json(client, f"/ogc/collections/{HYDRANTS}/items/abc", 404, **bearer(key))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "query", "title"),
    [
        ({}, "", "Ranh giới hành chính"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, "", "Administrative boundaries"),
        ({}, "?lang=en", "Administrative boundaries"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "?lang=vi", "Ranh giới hành chính"),
    ],
)
def test_titles_follow_language(
    client: Client, header: dict[str, str], query: str, title: str
) -> None:
    document = get_json(client, f"/ogc/collections/{BOUNDARIES}{query}", **header)
    assert document["title"] == title


@pytest.mark.django_db
def test_error_messages_follow_language(client: Client) -> None:
    header = {"HTTP_AUTHORIZATION": "Basic abc"}
    english = get_json(client, "/ogc/collections?lang=en", 401, **header)
    vietnamese = get_json(client, "/ogc/collections?lang=vi", 401, **header)
    assert english["description"] == 'The Authorization header must be "Bearer KEY".'
    assert vietnamese["description"].startswith("Tiêu đề Authorization")


@pytest.mark.django_db
def test_key_scopes_open_layers(client: Client) -> None:
    add_hydrants(2)
    add_residential_area()
    geo_key = new_key(["geo:read"])
    hydrant_key = new_key([f"layer:{HYDRANTS}"])
    residential_key = new_key([f"layer:{RESIDENTIAL}"])

    def listed(**headers: str) -> set[str]:
        return {c["id"] for c in get_json(client, "/ogc/collections", **headers)["collections"]}

    assert BOUNDARIES in listed()
    assert HYDRANTS not in listed()
    assert HYDRANTS in listed(**bearer(geo_key))
    assert RESIDENTIAL not in listed(**bearer(geo_key))
    assert RESIDENTIAL in listed(**bearer(residential_key))

    hydrants = f"/ogc/collections/{HYDRANTS}/items"
    anonymous = get_json(client, hydrants, 404)
    assert "Authorization: Bearer KEY" in anonymous["description"]
    assert get_json(client, hydrants, **bearer(geo_key))["numberMatched"] == 2
    assert get_json(client, hydrants, **bearer(hydrant_key))["numberMatched"] == 2
    assert get_json(client, f"/ogc/collections/{HYDRANTS}", 404, **bearer(residential_key))
    residential = f"/ogc/collections/{RESIDENTIAL}/items"
    assert get_json(client, residential, 404, **bearer(geo_key))["code"] == "NotFound"
    assert get_json(client, residential, **bearer(residential_key))["numberMatched"] == 1
    assert get_json(client, f"/ogc/collections/{BOUNDARIES}/items")["type"] == "FeatureCollection"


@pytest.mark.django_db
def test_invalid_and_revoked_keys_get_401(client: Client) -> None:
    unknown = get_json(client, "/ogc/collections", 401, HTTP_AUTHORIZATION="Bearer tsk_nothing")
    assert unknown["code"] == "Unauthorized"
    malformed = get_json(client, "/ogc/collections?lang=en", 401, HTTP_AUTHORIZATION="Basic abc")
    assert "Bearer KEY" in malformed["description"]

    department = Department.objects.create(code="so-gtvt", name="Sở Giao thông vận tải")
    issued = keys.issue_key(department, ["geo:read"])
    keys.revoke_key(issued.api_key)
    revoked = get_json(
        client, "/ogc/collections?lang=en", 401, HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}"
    )
    assert "revoked" in revoked["description"]


@pytest.mark.django_db
def test_personal_attribute_needs_personal_scope(client: Client) -> None:
    accident = add_accident()
    reader_key = new_key(["geo:read"])
    personal_key = new_key(["geo:read", "personal:read"])
    items = f"/ogc/collections/{ACCIDENTS}/items"

    plain = get_json(client, items, **bearer(reader_key))
    assert "nguoi_dieu_khien" not in plain["features"][0]["properties"]
    assert plain["features"][0]["properties"]["so_nguoi_chet"] == 1
    single = get_json(client, f"{items}/{accident.pk}", **bearer(reader_key))
    assert "nguoi_dieu_khien" not in single["properties"]
    queryables = get_json(client, f"/ogc/collections/{ACCIDENTS}/queryables", **bearer(reader_key))
    assert "nguoi_dieu_khien" not in queryables["properties"]
    probe = get_json(client, f"{items}?nguoi_dieu_khien=Nguyễn Văn A", 400, **bearer(reader_key))
    assert "nguoi_dieu_khien" in probe["description"]
    assert not AuditEvent.objects.filter(action=AuditAction.READ_PERSONAL).exists()

    full = get_json(client, items, **bearer(personal_key))
    assert full["features"][0]["properties"]["nguoi_dieu_khien"] == "Nguyễn Văn A"
    filtered = get_json(client, f"{items}?nguoi_dieu_khien=Nguyễn Văn A", **bearer(personal_key))
    assert filtered["numberMatched"] == 1
    events = AuditEvent.objects.filter(action=AuditAction.READ_PERSONAL)
    assert events.count() == 2
    event = events.first()
    assert event is not None
    assert event.actor_name.startswith("apikey:tsk_")
    assert event.object_id == str(Layer.objects.get(slug=ACCIDENTS).pk)
    assert event.extra["feature_ids"] == [accident.pk]
    assert event.extra["fields"] == ["nguoi_dieu_khien"]


@pytest.mark.django_db
def test_access_log_names_the_key(client: Client) -> None:
    raw_key = new_key(["geo:read"])
    client.get(f"/ogc/collections/{HYDRANTS}/items?limit=5", **bearer(raw_key))  # type: ignore[arg-type]
    client.get("/ogc/collections/no-such-layer")
    rows = list(ApiAccessLog.objects.filter(path__startswith="/ogc/").order_by("id"))
    assert [row.path for row in rows] == [
        f"/ogc/collections/{HYDRANTS}/items",
        "/ogc/collections/no-such-layer",
    ]
    assert rows[0].key_prefix == "_".join(raw_key.split("_")[:2])
    assert rows[0].query == "limit=5"
    assert rows[0].status == 200
    assert rows[1].key_prefix == ""
    assert rows[1].status == 404


BAD_REQUESTS = [
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=106,21,105,22", "bbox"),
    ("bbox=105,-100,106,22", "bbox"),
    ("bbox=nan,21,106,22", "bbox"),
    ("bbox-crs=" + EPSG_5897, "bbox-crs"),
    ("limit=-1", "limit"),
    ("limit=0", "limit"),
    ("limit=ten", "limit"),
    ("offset=-5", "offset"),
    ("datetime=garbage", "datetime"),
    ("datetime=2025-13-45", "datetime"),
    ("datetime=2025-07-01/2024-01-01", "datetime"),
    ("crs=EPSG:1234", "crs"),
    ("crs=http://www.opengis.net/def/crs/EPSG/0/2154", "crs"),
    ("f=xml", "f"),
    ("sortby=ten", "sortby"),
    ("dien_tich_km2=nhiều", "dien_tich_km2"),
    ("ten='; DROP TABLE geo_mapfeature; --&%3Cscript%3E=1", "<script>"),
    ("datetime=" + "9" * 600, "datetime"),
    ("ten=Ph%00ng", "ten"),
    ("offset=" + "9" * 30, "offset"),
    ("dien_tich_km2=1e400", "dien_tich_km2"),
    (f"bbox=1e300,1e300,1e301,1e301&bbox-crs={EPSG_5897}", "bbox"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "parameter"), BAD_REQUESTS)
def test_bad_parameters_get_400_naming_them(client: Client, query: str, parameter: str) -> None:
    document = get_json(client, f"/ogc/collections/{BOUNDARIES}/items?{query}&lang=en", 400)
    assert document["code"] == "InvalidParameterValue"
    assert parameter in document["description"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/no-such-layer",
        "/ogc/collections/no-such-layer/items",
        "/ogc/collections/%3Cscript%3Ealert(1)%3C%2Fscript%3E/items",
        f"/ogc/collections/{BOUNDARIES}/items/999999999",
        f"/ogc/collections/{BOUNDARIES}/items/99999999999999999999999",
        f"/ogc/collections/{'x' * 300}",
    ],
)
def test_unknown_resources_get_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == documents.JSON
    assert json.loads(response.content)["code"] == "NotFound"


@pytest.mark.django_db
def test_other_methods_and_unknown_parameters(client: Client) -> None:
    response = client.post("/ogc/collections")
    assert response.status_code == 405
    unknown = get_json(client, "/ogc/collections?foo=1&lang=en", 400)
    assert unknown["description"].startswith("Unknown parameter foo")


@pytest.mark.django_db
def test_html_pages(client: Client) -> None:
    for url in (
        "/ogc/?f=html",
        "/ogc/collections?f=html",
        f"/ogc/collections/{BOUNDARIES}/items?f=html",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")


# --- OWSLib against a live server -----------------------------------------------------------


@pytest.fixture
def owslib_headers() -> Iterator[None]:
    """Restore OWSLib's module-wide request headers, which ``Features(headers=...)`` updates in place."""
    saved = dict(owslib.ogcapi.REQUEST_HEADERS)
    yield
    owslib.ogcapi.REQUEST_HEADERS.clear()
    owslib.ogcapi.REQUEST_HEADERS.update(saved)


@pytest.fixture
def live_province(transactional_db: None, shared_data: Path) -> None:
    """Reference units and real boundaries; the live server's flush removes them after each test."""
    from tinhso.core.services.history import apply_transfers
    from tinhso.core.services.reference import load_reference_units

    load_reference_units()
    apply_transfers()
    import_boundaries(shared_data / DISTRICTS)
    import_boundaries(shared_data / COMMUNES)


@pytest.mark.shared_data
def test_owslib_reads_boundaries(
    live_server: Any, live_province: None, owslib_headers: None
) -> None:
    service = Features(f"{live_server.url}/ogc/")
    assert set(service.conformance()["conformsTo"]) == set(documents.CONFORMANCE_CLASSES)
    assert BOUNDARIES in service.feature_collections()
    assert service.api()["openapi"].startswith("3.0.")
    assert "ten" in service.collection_queryables(BOUNDARIES)["properties"]

    first = service.collection_items(BOUNDARIES, limit=5, datetime_="2025-07-01")
    second = service.collection_items(BOUNDARIES, limit=5, offset=5, datetime_="2025-07-01")
    assert first["numberReturned"] == 5
    assert not set(ids_of(first)) & set(ids_of(second))
    assert first["numberMatched"] == second["numberMatched"]

    before = service.collection_items(BOUNDARIES, limit=1000, datetime_="2024-01-01")
    after = service.collection_items(BOUNDARIES, limit=1000, datetime_="2025-07-01")
    assert VINH_YEN_DISTRICT in codes_of(before)
    assert VINH_YEN_DISTRICT not in codes_of(after)

    vinh_yen = service.collection_items(
        BOUNDARIES,
        bbox=[105.58, 21.29, 105.60, 21.31],
        datetime_="2025-07-01",
        ten="Phường Vĩnh Yên",
    )
    assert vinh_yen["numberMatched"] == 1
    feature_id = vinh_yen["features"][0]["id"]
    single = service.collection_item(BOUNDARIES, str(feature_id))
    assert single["properties"]["ten"] == "Phường Vĩnh Yên"


def test_owslib_with_bearer_keys(
    live_server: Any, transactional_db: None, owslib_headers: None
) -> None:
    add_hydrants(3)
    add_accident()
    reader_key = new_key(["geo:read"])
    personal_key = new_key(["geo:read", "personal:read"])
    url = f"{live_server.url}/ogc/"

    anonymous = Features(url)
    assert HYDRANTS not in anonymous.feature_collections()
    with pytest.raises(RuntimeError, match="Bearer KEY"):
        anonymous.collection_items(HYDRANTS)

    reader = Features(url, headers={"Authorization": f"Bearer {reader_key}"})
    assert (
        reader.collection_items(HYDRANTS, bbox=[105.549, 21.27, 105.553, 21.29])["numberMatched"]
        == 2
    )
    accident = reader.collection_items(ACCIDENTS)["features"][0]
    assert "nguoi_dieu_khien" not in accident["properties"]

    personal = Features(url, headers={"Authorization": f"Bearer {personal_key}"})
    accident = personal.collection_items(ACCIDENTS)["features"][0]
    assert accident["properties"]["nguoi_dieu_khien"] == "Nguyễn Văn A"
    assert AuditEvent.objects.filter(action=AuditAction.READ_PERSONAL).count() == 1
    logged = ApiAccessLog.objects.filter(path=f"/ogc/collections/{ACCIDENTS}/items")
    assert logged.exclude(key_prefix="").count() == 2
