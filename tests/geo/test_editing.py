"""Editing map features through the browser endpoints: create, move, reshape, change, delete, history."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from shapely.geometry import Point, Polygon, mapping, shape

from tests.accounts import login_verified
from tinhso.api import keys
from tinhso.core.models import AuditAction, AuditEvent, Department, Role
from tinhso.geo.models import EditAction, FeatureEdit, Layer, MapFeature
from tinhso.geo.services.features import create_feature

pytestmark = pytest.mark.django_db

POSTS = "tru-so-cong-an"
PATROL_AREAS = "dia-ban-tuan-tra"
STATION = Point(105.597, 21.309)
AREA = Polygon([(105.59, 21.30), (105.60, 21.30), (105.60, 21.31), (105.59, 21.31)])


@pytest.fixture(autouse=True)
def english_messages() -> None:
    translation.activate("en")


@pytest.fixture
def police_department() -> Department:
    department = Department.objects.create(code="ca-tinh", name="Công an tỉnh")
    Layer.objects.filter(slug__in=[POSTS, PATROL_AREAS]).update(owner=department)
    return department


@pytest.fixture
def officer(make_user: Callable[..., Any], police_department: Department) -> Any:
    user = make_user("congan-bando", Role.POLICE_OFFICER, department=police_department)
    user.last_name, user.first_name = "Nguyễn Văn", "An"
    user.save()
    return user


@pytest.fixture
def officer_client(officer: Any) -> Client:
    client = english_client()
    login_verified(client, officer)
    return client


@pytest.fixture
def leader_client(make_user: Callable[..., Any]) -> Client:
    client = english_client()
    login_verified(client, make_user("lanhdao-bando", Role.PROVINCIAL_LEADER))
    return client


def english_client(**options: Any) -> Client:
    client = Client(**options)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def send(client: Client, method: str, url: str, body: dict[str, Any], **extra: Any) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body), content_type="application/json", **extra
    )


def create_station(client: Client, **properties: Any) -> Any:
    body = {
        "geometry": mapping(STATION),
        "properties": {"ten": "Đồn Công an Tích Sơn", "cap": "đồn", **properties},
    }
    return send(client, "post", f"/map/features/{POSTS}/", body)


def history_json(client: Client, slug: str, pk: int) -> dict[str, Any]:
    response = client.get(f"/map/features/{slug}/{pk}/history/?format=json")
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def test_create_records_history_and_audit(officer_client: Client, officer: Any) -> None:
    response = create_station(officer_client, so_can_bo="12")
    assert response.status_code == 201, response.content
    body = response.json()
    feature = MapFeature.objects.get(pk=body["id"])
    assert feature.properties["so_can_bo"] == 12
    assert feature.updated_by == officer
    assert body["version"] == 1
    assert body["layer"]["can_edit"] is True
    assert body["urls"]["history"] == f"/map/features/{POSTS}/{feature.pk}/history/"
    edit = FeatureEdit.objects.get(feature_ref=feature.pk)
    assert edit.action == EditAction.CREATE
    assert edit.user == officer
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="geo.mapfeature", object_id=str(feature.pk)
    ).exists()


def test_move_bumps_version_and_reports_metres(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    moved = Point(STATION.x, STATION.y + 0.001)  # about 110.7 m north
    response = send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"geometry": mapping(moved), "version": 1, "comment": "Đo lại bằng GPS"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["changed"] is True
    assert shape(response.json()["geometry"]).equals_exact(moved, 1e-7)
    latest = history_json(officer_client, POSTS, pk)["edits"][0]
    assert latest["action"] == "update"
    assert latest["comment"] == "Đo lại bằng GPS"
    assert 105 < latest["geometry_change"]["moved_m"] < 116
    assert latest["geometry_summary"].startswith("Moved by 110")


def test_reshape_polygon_counts_vertices(officer_client: Client) -> None:
    body = {"geometry": mapping(AREA), "properties": {"ten": "Địa bàn 1"}}
    created = send(officer_client, "post", f"/map/features/{PATROL_AREAS}/", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    reshaped = Polygon(
        [(105.59, 21.30), (105.60, 21.30), (105.605, 21.305), (105.60, 21.31), (105.59, 21.31)]
    )
    response = send(
        officer_client,
        "post",
        f"/map/features/{PATROL_AREAS}/{pk}/",
        {"geometry": mapping(reshaped), "version": 1},
    )
    assert response.status_code == 200, response.content
    change = history_json(officer_client, PATROL_AREAS, pk)["edits"][0]["geometry_change"]
    assert change["vertices_before"] == 5
    assert change["vertices_after"] == 6
    assert change["area_change_m2"] > 0


def test_attribute_change_merges_and_keeps_others(officer_client: Client) -> None:
    pk = create_station(officer_client, dien_thoai="0211 3862 113").json()["id"]
    response = send(
        officer_client,
        "post",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"so_can_bo": 15, "cap": "xã"}, "version": 1},
    )
    assert response.status_code == 200, response.content
    properties = MapFeature.objects.get(pk=pk).properties
    assert properties["so_can_bo"] == 15
    assert properties["cap"] == "xã"
    assert properties["dien_thoai"] == "0211 3862 113"
    changes = history_json(officer_client, POSTS, pk)["edits"][0]["changes"]
    by_name = {change["name"]: change for change in changes}
    assert by_name["cap"]["before"] == "đồn"
    assert by_name["cap"]["after"] == "xã"
    assert by_name["cap"]["label"] == "Level"
    assert by_name["so_can_bo"]["before"] is None


def test_unchanged_update_records_nothing(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    response = send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"cap": "đồn"}, "version": 1},
    )
    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert FeatureEdit.objects.filter(feature_ref=pk).count() == 1


def test_delete_keeps_history_page(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"cap": "xã"}, "version": 1},
    )
    response = send(
        officer_client,
        "delete",
        f"/map/features/{POSTS}/{pk}/",
        {"version": 2, "comment": "Giải thể"},
    )
    assert response.status_code == 200, response.content
    assert not MapFeature.objects.filter(pk=pk).exists()
    history = history_json(officer_client, POSTS, pk)
    assert history["exists"] is False
    assert [edit["action"] for edit in history["edits"]] == ["delete", "update", "create"]
    assert history["edits"][0]["comment"] == "Giải thể"
    page = officer_client.get(f"/map/features/{POSTS}/{pk}/history/")
    assert page.status_code == 200
    assert b'data-testid="feature-deleted"' in page.content


def test_delete_through_post_url(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    response = officer_client.post(f"/map/features/{POSTS}/{pk}/delete/", {"version": "1"})
    assert response.status_code == 200, response.content
    assert not MapFeature.objects.filter(pk=pk).exists()


def test_history_page_lists_who_when_before_after(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"ten": "Đồn Công an Vĩnh Yên"}, "version": 1},
    )
    page = officer_client.get(f"/map/features/{POSTS}/{pk}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="edit-row"') == 2
    assert "Nguyễn Văn An" in html
    assert "<del>Đồn Công an Tích Sơn</del>" in html
    assert "<ins>Đồn Công an Vĩnh Yên</ins>" in html
    edit = FeatureEdit.objects.filter(feature_ref=pk).first()
    assert edit is not None
    assert timezone.localtime(edit.at).strftime("%H:%M:%S %d/%m/%Y") in html


def test_leader_without_edit_rights_gets_403(leader_client: Client, officer_client: Client) -> None:
    assert create_station(leader_client).status_code == 403
    pk = create_station(officer_client).json()["id"]
    response = send(
        leader_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"cap": "xã"}, "version": 1},
    )
    assert response.status_code == 403
    assert "may not edit" in response.json()["error"]
    assert leader_client.get(f"/map/features/{POSTS}/{pk}/").status_code == 200


def test_police_of_another_agency_gets_403(
    make_user: Callable[..., Any], police_department: Department
) -> None:
    other = Department.objects.create(code="ca-huyen", name="Công an huyện")
    client = english_client()
    login_verified(client, make_user("congan-khac", Role.POLICE_OFFICER, department=other))
    assert create_station(client).status_code == 403


def test_attribute_error_names_the_field(officer_client: Client) -> None:
    response = create_station(officer_client, so_can_bo="mười hai")
    assert response.status_code == 400
    assert response.json()["field"] == "so_can_bo"
    assert "so_can_bo" in response.json()["error"]
    missing = send(
        officer_client,
        "post",
        f"/map/features/{POSTS}/",
        {"geometry": mapping(STATION), "properties": {"cap": "đồn"}},
    )
    assert missing.status_code == 400
    assert missing.json()["field"] == "ten"
    wrong_choice = create_station(officer_client, cap="huyện")
    assert wrong_choice.json()["field"] == "cap"


def test_geometry_errors_name_geometry(officer_client: Client) -> None:
    line = {"type": "LineString", "coordinates": [[105.59, 21.30], [105.60, 21.31]]}
    response = send(
        officer_client,
        "post",
        f"/map/features/{POSTS}/",
        {"geometry": line, "properties": {"ten": "Đồn"}},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "geometry"
    assert "LineString" in response.json()["error"]
    garbage = send(officer_client, "post", f"/map/features/{POSTS}/", {"geometry": "POINT(1 2)"})
    assert garbage.status_code == 400


def test_stale_version_gets_409(officer_client: Client) -> None:
    pk = create_station(officer_client).json()["id"]
    first = send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"cap": "xã"}, "version": 1},
    )
    assert first.status_code == 200
    stale = send(
        officer_client,
        "patch",
        f"/map/features/{POSTS}/{pk}/",
        {"properties": {"cap": "trạm"}, "version": 1},
    )
    assert stale.status_code == 409
    assert "Someone else changed this feature" in stale.json()["error"]
    assert stale.json()["current_version"] == 2
    assert MapFeature.objects.get(pk=pk).properties["cap"] == "xã"
    stale_delete = send(officer_client, "delete", f"/map/features/{POSTS}/{pk}/", {"version": 1})
    assert stale_delete.status_code == 409
    missing = send(
        officer_client, "patch", f"/map/features/{POSTS}/{pk}/", {"properties": {"cap": "trạm"}}
    )
    assert missing.status_code == 400
    assert missing.json()["field"] == "version"


def test_api_key_cannot_edit(officer_client: Client, police_department: Department) -> None:
    key = keys.issue_key(police_department, ["geo:read"])
    response = send(
        officer_client,
        "post",
        f"/map/features/{POSTS}/",
        {"geometry": mapping(STATION), "properties": {"ten": "Đồn"}},
        HTTP_AUTHORIZATION=f"Bearer {key.raw_key}",
    )
    assert response.status_code == 403
    assert "API keys" in response.json()["error"]
    assert not MapFeature.objects.filter(layer__slug=POSTS).exists()


def test_csrf_token_is_required(officer: Any) -> None:
    client = english_client(enforce_csrf_checks=True)
    login_verified(client, officer)
    response = create_station(client)
    assert response.status_code == 403
    assert not MapFeature.objects.filter(layer__slug=POSTS).exists()


def test_personal_attributes_follow_roles(
    officer_client: Client, leader_client: Client, officer: Any
) -> None:
    layer = Layer.objects.get(slug=PATROL_AREAS)
    layer.personal_roles = [Role.POLICE_OFFICER.value]
    layer.save()
    feature = create_feature(layer, AREA, {"ten": "Địa bàn 2", "chi_huy": "Trần Thị C"}, officer)
    url = f"/map/features/{PATROL_AREAS}/{feature.pk}/"
    assert officer_client.get(url).json()["properties"]["chi_huy"] == "Trần Thị C"
    assert AuditEvent.objects.filter(
        action=AuditAction.READ_PERSONAL, object_id=str(feature.pk)
    ).exists()
    for_leader = leader_client.get(url).json()
    assert "chi_huy" not in for_leader["properties"]
    assert "chi_huy" not in [field["name"] for field in for_leader["layer"]["schema"]]
    history = leader_client.get(url + "history/?format=json").json()
    assert "chi_huy" not in history["edits"][0]["after"]["properties"]
    assert "Trần Thị C" not in leader_client.get(url + "history/").content.decode()


def test_layer_history_paginates(officer_client: Client, officer: Any) -> None:
    layer = Layer.objects.get(slug=POSTS)
    for number in range(55):
        create_feature(
            layer, Point(105.5 + number / 1000, 21.3), {"ten": f"Trạm {number}"}, officer
        )
    first = officer_client.get(f"/map/features/{POSTS}/history/?format=json").json()
    assert first["count"] == 55
    assert first["pages"] == 2
    assert len(first["edits"]) == 50
    second = officer_client.get(f"/map/features/{POSTS}/history/?format=json&page=2").json()
    assert len(second["edits"]) == 5
    page = officer_client.get(f"/map/features/{POSTS}/history/")
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="edit-row"') == 50


def test_editable_layers_lists_only_editable(officer_client: Client, leader_client: Client) -> None:
    slugs = [
        layer["slug"]
        for layer in officer_client.get("/map/features/editable-layers/").json()["layers"]
    ]
    assert POSTS in slugs
    assert "ranh-gioi-hanh-chinh" not in slugs
    posts = next(
        layer
        for layer in officer_client.get("/map/features/editable-layers/").json()["layers"]
        if layer["slug"] == POSTS
    )
    assert posts["geometry_type"] == "POINT"
    assert {
        "name": "ten",
        "type": "string",
        "label": "Name",
        "required": True,
        "choices": [],
        "personal": False,
    } in posts["schema"]
    assert leader_client.get("/map/features/editable-layers/").json()["layers"] == []


def test_labels_follow_request_language(officer_client: Client) -> None:
    english = officer_client.get(f"/map/features/{POSTS}/").json()
    assert {field["name"]: field["label"] for field in english["schema"]}["so_can_bo"] == "Officers"
    officer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = officer_client.get(f"/map/features/{POSTS}/").json()
    assert {field["name"]: field["label"] for field in vietnamese["schema"]}[
        "so_can_bo"
    ] == "Số cán bộ"
    assert vietnamese["name"] == "Trụ sở, đồn công an"
