"""The units API: listing by parent and date, pagination, detail with succession, errors, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

OLD_VINH_PHUC_DISTRICTS = [
    ("243", "Thành phố Vĩnh Yên"),
    ("244", "Thành phố Phúc Yên"),
    ("246", "Huyện Lập Thạch"),
    ("247", "Huyện Tam Dương"),
    ("248", "Huyện Tam Đảo"),
    ("249", "Huyện Bình Xuyên"),
    ("251", "Huyện Yên Lạc"),
    ("252", "Huyện Vĩnh Tường"),
    ("253", "Huyện Sông Lô"),
]
VINH_YEN_PREDECESSORS = [
    ("08707", "Phường Tích Sơn"),
    ("08713", "Phường Hội Hợp"),
    ("08722", "Phường Đồng Tâm"),
    ("08731", "Xã Thanh Trù"),
]


@pytest.fixture
def api(client: Client) -> Client:
    """An API client that asks for English messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def get_json(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


def codes_and_names(units: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(unit["code"], unit["name"]) for unit in units]


# --- Listing and pagination -------------------------------------------------------------------


def test_communes_of_phu_tho_after_reform(api: Client) -> None:
    page = get_json(api, "/api/v1/units?parent=25&date=2025-07-01")

    assert page["count"] == 148
    assert {unit["level"] for unit in page["results"]} == {3}
    assert {unit["parent"] for unit in page["results"]} == {"25"}


def test_first_page_links_to_second(api: Client) -> None:
    page = get_json(api, "/api/v1/units?parent=25&date=2025-07-01")

    assert len(page["results"]) == 100
    assert page["previous"] is None
    assert page["next"] == "/api/v1/units?parent=25&date=2025-07-01&page=2&page_size=100"


def test_last_page_links_back(api: Client) -> None:
    first = get_json(api, "/api/v1/units?parent=25&date=2025-07-01")
    second = get_json(api, first["next"])

    assert len(second["results"]) == 48
    assert second["next"] is None
    assert second["previous"] == "/api/v1/units?parent=25&date=2025-07-01&page=1&page_size=100"


def test_pages_cover_every_commune_once(api: Client) -> None:
    codes: list[str] = []
    url: str | None = "/api/v1/units?parent=25&date=2025-07-01&page_size=40"
    while url:
        page = get_json(api, url)
        codes += [unit["code"] for unit in page["results"]]
        url = page["next"]

    assert len(codes) == 148
    assert len(set(codes)) == 148


def test_page_size_is_applied(api: Client) -> None:
    page = get_json(api, "/api/v1/units?parent=25&date=2025-07-01&page_size=10&page=3")

    assert (page["page"], page["page_size"], len(page["results"])) == (3, 10, 10)


def test_old_vinh_phuc_districts(api: Client) -> None:
    page = get_json(api, "/api/v1/units?parent=26&date=2025-06-30")

    assert page["count"] == 9
    assert codes_and_names(page["results"]) == OLD_VINH_PHUC_DISTRICTS


def test_old_province_has_nothing_after_reform(api: Client) -> None:
    assert get_json(api, "/api/v1/units?parent=26&date=2025-07-01")["count"] == 0


def test_search_ignores_diacritics(api: Client) -> None:
    page = get_json(api, "/api/v1/units?q=vinh%20yen")

    assert ("08707", "Phường Vĩnh Yên") in codes_and_names(page["results"])


def test_search_with_diacritics_finds_same(api: Client) -> None:
    plain = get_json(api, "/api/v1/units?q=vinh%20yen")
    marked = get_json(api, "/api/v1/units?q=V%C4%A9nh%20Y%C3%AAn")  # "Vĩnh Yên"

    assert codes_and_names(marked["results"]) == codes_and_names(plain["results"])


def test_no_parent_lists_provinces(api: Client) -> None:
    page = get_json(api, "/api/v1/units?date=2025-07-01")

    assert page["count"] == 34
    assert {unit["level"] for unit in page["results"]} == {1}


# --- Detail -----------------------------------------------------------------------------------


def test_code_without_leading_zero(api: Client) -> None:
    assert get_json(api, "/api/v1/units/8707") == get_json(api, "/api/v1/units/08707")


def test_detail_lists_predecessors(api: Client) -> None:
    unit = get_json(api, "/api/v1/units/08707")

    assert unit["name"] == "Phường Vĩnh Yên"
    assert [(link["unit"]["code"], link["unit"]["name"]) for link in unit["predecessors"]] == (
        VINH_YEN_PREDECESSORS
    )
    assert {link["kind"] for link in unit["predecessors"]} == {"merge"}
    assert unit["successors"] == []


def test_old_date_lists_successor(api: Client) -> None:
    unit = get_json(api, "/api/v1/units/08707?date=2025-06-30")

    assert unit["name"] == "Phường Tích Sơn"
    assert unit["valid_to"] == "2025-06-30"
    assert [(link["unit"]["code"], link["unit"]["name"]) for link in unit["successors"]] == [
        ("08707", "Phường Vĩnh Yên")
    ]
    assert unit["successors"][0]["effective_date"] == "2025-07-01"


def test_detail_of_parent_counts_children(api: Client) -> None:
    assert get_json(api, "/api/v1/units/26")["children_count"] == 9


# --- Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "code", "named_value"),
    [
        ("/api/v1/units?date=2025-13-01", 400, "invalid_parameter", "2025-13-01"),
        ("/api/v1/units?date=01/07/2025", 400, "invalid_parameter", "01/07/2025"),
        ("/api/v1/units/08707?date=hom-nay", 400, "invalid_parameter", "hom-nay"),
        ("/api/v1/units?page_size=0", 400, "invalid_parameter", "page_size=0"),
        ("/api/v1/units?page_size=501", 400, "invalid_parameter", "page_size=501"),
        ("/api/v1/units?page=0", 400, "invalid_parameter", "page=0"),
        ("/api/v1/units?level=7", 400, "invalid_parameter", "level=7"),
        ("/api/v1/units/99999", 404, "unknown_unit", "99999"),
        ("/api/v1/units?parent=99999", 404, "unknown_unit", "99999"),
        ("/api/v1/units/abc", 404, "unknown_unit", "abc"),
        ("/api/v1/units?page_size=abc", 422, "invalid_parameters", "page_size"),
    ],
)
def test_error_names_value(api: Client, url: str, status: int, code: str, named_value: str) -> None:
    error = get_json(api, url, status)

    assert error["code"] == code
    assert named_value in error["message"]


def test_missing_boundary_is_not_found(api: Client) -> None:
    error = get_json(api, "/api/v1/units/08707/boundary", 404)

    assert error == {
        "code": "not_found",
        "message": "Unit Phường Vĩnh Yên has no boundary yet; import one with tinhso geo import-boundaries.",
    }


def test_error_messages_follow_accept_language(client: Client) -> None:
    response = client.get("/api/v1/units/99999", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert response.json()["message"].startswith("No administrative unit has the code 99999.")


# --- OpenAPI ----------------------------------------------------------------------------------


@pytest.fixture
def openapi(api: Client) -> dict[str, Any]:
    return dict(get_json(api, "/api/v1/openapi.json"))


def test_openapi_is_version_3(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "Tỉnh số API"
    assert openapi["info"]["version"] == "1"


def test_openapi_lists_paths(openapi: dict[str, Any]) -> None:
    assert sorted(openapi["paths"]) == [
        "/api/v1/",
        "/api/v1/ioc/dataValueSets",
        "/api/v1/ioc/indicators",
        "/api/v1/ioc/overview",
        "/api/v1/ioc/values",
        "/api/v1/share/datasets",
        "/api/v1/share/datasets/{dataset}",
        "/api/v1/share/datasets/{dataset}/changes",
        "/api/v1/share/datasets/{dataset}/dataValueSets",
        "/api/v1/share/datasets/{dataset}/values",
        "/api/v1/soc/events",
        "/api/v1/units",
        "/api/v1/units/geojson",
        "/api/v1/units/{code}",
        "/api/v1/units/{code}/boundary",
    ]


def operations_of(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }


def test_openapi_operations_have_responses(openapi: dict[str, Any]) -> None:
    operations = operations_of(openapi)

    assert [name for name, operation in operations.items() if not operation.get("responses")] == []


def test_openapi_operation_ids_are_unique(openapi: dict[str, Any]) -> None:
    operations = operations_of(openapi)

    assert len({operation["operationId"] for operation in operations.values()}) == len(operations)


def test_openapi_references_resolve(openapi: dict[str, Any]) -> None:
    def references(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [ref for value in node.values() for ref in references(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in references(value)]
        return []

    schemas = openapi["components"]["schemas"]
    refs = set(references(openapi))
    prefix = "#/components/schemas/"

    assert refs
    assert [
        ref for ref in refs if not ref.startswith(prefix) or ref[len(prefix) :] not in schemas
    ] == []


def test_openapi_declares_bearer_scheme(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"].values()

    assert {"type": "http", "scheme": "bearer"} in list(schemes)


def test_api_root_points_to_openapi(api: Client) -> None:
    assert get_json(api, "/api/v1/")["openapi"] == "/api/v1/openapi.json"


# --- GeoJSON ----------------------------------------------------------------------------------


def test_geojson_of_communes_has_centres(api: Client) -> None:
    collection = get_json(api, "/api/v1/units/geojson?parent=25&date=2025-07-01")

    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 148
    assert collection["parent"] == {"code": "25", "name": "Tỉnh Phú Thọ"}
