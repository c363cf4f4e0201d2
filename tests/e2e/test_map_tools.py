"""The map's editing, export and print tools in Chromium, used as an officer or a reader would."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyogrio.raw
import pytest
from playwright.sync_api import Dialog, Page, expect
from pypdf import PdfReader
from shapely.geometry import shape

from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    LEADER_USERNAME,
    ProvinceFacts,
    assert_no_browser_errors,
    log_in,
    problems_of,
)
from tests.e2e.test_map import (
    click_and_render,
    jump_to,
    map_centre,
    open_map,
    rendered,
    screen_point,
    wait_until_idle,
)
from tinhso.geo.builtin import BOUNDARIES

HYDRANTS = "tru-nuoc-chua-chay"
PATROL_AREAS = "dia-ban-tuan-tra"
# Corners of the drawn patrol area, in pixels from the map's centre.
PATROL_CORNERS_PX = [(-80, -60), (80, -60), (80, 60), (-80, 60)]
HYDRANTS_NAME = "Trụ nước và nguồn nước chữa cháy"
OFFICER_USERNAME = "congan-pccc"
OFFICER_NAME = "Lê Văn Cường"
# Zoom 16 is about 1.1 m per CSS pixel at 21° N, so the drags below move tens of metres.
STREET_ZOOM = 16
# Where the new hydrant is placed and where it is dragged, in pixels from the map's centre.
PLACE_OFFSET_PX = (40, 30)
DRAG_PX = (60, -45)
# Zoom at which the view around Vĩnh Yên covers a few dozen wards.
EXPORT_ZOOM = 11
# Corners of the drawn export area, in pixels from Vĩnh Yên's centre.
SELECTION_PX = [(-20, -20), (20, -20), (20, 20), (-20, 20)]
PRINT_TITLE = "Bản đồ ranh giới phường Vĩnh Yên"
# Colours of the boundaries' outline (style "color") and of the map's background in map.js.
BOUNDARY_OUTLINE = (0x1F, 0x4E, 0x79)
MAP_BACKGROUND = (0xEE, 0xF2, 0xF5)
SCALE_LABEL = re.compile(r"\b\d+(?:,\d+)? k?m\b")


@pytest.fixture
def accounts(accounts: dict[str, Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    """Add a police officer of the agency that owns the hydrants layer to the shared accounts.

    ``page`` depends on ``accounts``, so these rows are written before Chromium starts.
    """
    from tinhso.core.models import Department, Role
    from tinhso.geo.models import Layer

    police = Department.objects.create(code="ca-tinh", name="Công an tỉnh")
    Layer.objects.filter(slug=HYDRANTS).update(owner=police)
    last_name, first_name = OFFICER_NAME.rsplit(" ", 1)
    officer = make_user(
        OFFICER_USERNAME,
        role=Role.POLICE_OFFICER,
        department=police,
        first_name=first_name,
        last_name=last_name,
    )
    return {**accounts, "officer": officer}


def offset_from_centre(page: Page, dx: float, dy: float) -> tuple[float, float]:
    x, y = map_centre(page)
    return x + dx, y + dy


def wait_for_hydrants(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => document.querySelector('#map').dataset.idle === 'true'"
        f" && document.querySelector('#map').getAttribute('data-rendered-{HYDRANTS}') === '{count}'"
    )


def wait_for_render(page: Page) -> None:
    """Wait for the next idle map, so draw features are hit-testable."""
    page.evaluate(
        "() => new Promise((resolve) => { window.tinhsoMap.map.once('idle', resolve); "
        "window.tinhsoMap.map.triggerRepaint(); })"
    )


def open_editor(page: Page, province_units: ProvinceFacts, slug: str) -> None:
    """Log in as the officer, show layer ``slug`` near Vĩnh Yên and choose it in the editor."""
    log_in(page, OFFICER_USERNAME, PASSWORD)
    open_map(page)
    page.get_by_test_id(f"layer-toggle-{slug}").check()
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, STREET_ZOOM)
    page.get_by_test_id("edit-layer").select_option(slug)


def add_hydrant(page: Page, kind: str, name: str) -> None:
    """Place a point with the add tool and fill the attribute form. The caller saves."""
    page.get_by_test_id("edit-add-draw_point").click()
    expect(page.get_by_test_id("edit-status")).to_have_text("Bấm lên bản đồ để đặt điểm.")
    page.mouse.click(*offset_from_centre(page, *PLACE_OFFSET_PX))
    form = page.get_by_test_id("edit-form")
    expect(form).to_contain_text("Đối tượng mới")
    form.get_by_label("Loại").select_option(kind)
    form.get_by_label("Tên").fill(name)


def history_json(page: Page, url: str) -> dict[str, Any]:
    response = page.request.get(f"{url}?format=json")
    assert response.ok, response.text()
    data: dict[str, Any] = response.json()
    return data


def hydrant_ids_at(page: Page, x: float, y: float) -> list[int]:
    """Return the ids of the hydrants the map draws within a few pixels of page point (x, y)."""
    ids: list[int] = page.evaluate(
        """([x, y, layer]) => {
            const box = [[x - 4, y - 4], [x + 4, y + 4]];
            const found = window.tinhsoMap.map.queryRenderedFeatures(box, { layers: [layer] });
            return [...new Set(found.map((feature) => feature.id))];
        }""",
        [x - map_left(page), y - map_top(page), f"{HYDRANTS}--circle"],
    )
    return ids


def map_left(page: Page) -> float:
    box = page.locator("#map canvas.maplibregl-canvas").bounding_box()
    assert box is not None
    return float(box["x"])


def map_top(page: Page) -> float:
    box = page.locator("#map canvas.maplibregl-canvas").bounding_box()
    assert box is not None
    return float(box["y"])


def test_officer_adds_moves_and_edits_hydrant(page: Page, province_units: ProvinceFacts) -> None:
    open_editor(page, province_units, HYDRANTS)
    wait_for_hydrants(page, 0)
    form = page.get_by_test_id("edit-form")
    status = page.get_by_test_id("edit-status")

    # Add: draw the point, fill the form generated from the schema, save.
    add_hydrant(page, "trụ nước", "Trụ nước đường Kim Ngọc")
    with page.expect_response(f"**/map/features/{HYDRANTS}/") as created_info:
        page.get_by_test_id("edit-save").click()
    created = created_info.value.json()
    assert created_info.value.status == 201, created
    feature_id = created["id"]
    expect(status).to_have_text("Đã lưu.")
    expect(form).to_contain_text(f"Đối tượng số {feature_id} (phiên bản 1)")
    # The layer's tiles are fetched again and show the new point.
    wait_for_hydrants(page, 1)

    # Select it on the map.
    form.get_by_role("button", name="Hủy").click()
    expect(form).to_have_count(0)
    page.get_by_test_id("edit-select").click()
    point_x, point_y = offset_from_centre(page, *PLACE_OFFSET_PX)
    page.mouse.click(point_x, point_y)
    expect(form).to_contain_text(f"Đối tượng số {feature_id} (phiên bản 1)")
    expect(form.get_by_label("Loại")).to_have_value("trụ nước")

    # Move it: the move action, a drag, then save.
    page.get_by_test_id("edit-reshape").click()
    expect(status).to_have_text("Kéo đối tượng hoặc các đỉnh của nó, rồi bấm Lưu.")
    wait_for_render(page)
    page.mouse.move(point_x, point_y)
    page.mouse.down()
    page.mouse.move(point_x + DRAG_PX[0], point_y + DRAG_PX[1], steps=8)
    page.mouse.up()
    with page.expect_response(f"**/map/features/{HYDRANTS}/{feature_id}/") as moved_info:
        page.get_by_test_id("edit-save").click()
    moved = moved_info.value.json()
    assert moved_info.value.status == 200, moved
    assert moved["changed"] is True
    expect(status).to_have_text("Đã lưu.")
    expect(form).to_contain_text(f"Đối tượng số {feature_id} (phiên bản 2)")
    dropped = page.evaluate(
        "([x, y]) => window.tinhsoMap.map.unproject([x, y]).toArray()",
        [point_x + DRAG_PX[0] - map_left(page), point_y + DRAG_PX[1] - map_top(page)],
    )
    assert (
        shape(moved["geometry"]).distance(shape({"type": "Point", "coordinates": dropped})) < 1e-5
    )
    # The refreshed tiles draw the hydrant where it was dropped.
    wait_for_hydrants(page, 1)
    assert hydrant_ids_at(page, point_x + DRAG_PX[0], point_y + DRAG_PX[1]) == [feature_id]
    assert hydrant_ids_at(page, point_x, point_y) == []

    # Change an attribute.
    form.get_by_label("Tình trạng").select_option("hỏng")
    page.locator("#map-edit-comment").fill("Kiểm tra định kỳ")
    with page.expect_response(f"**/map/features/{HYDRANTS}/{feature_id}/") as changed_info:
        page.get_by_test_id("edit-save").click()
    changed = changed_info.value.json()
    assert changed["properties"]["tinh_trang"] == "hỏng"
    expect(status).to_have_text("Đã lưu.")
    expect(form).to_contain_text(f"Đối tượng số {feature_id} (phiên bản 3)")

    # The history page lists the creation and both updates with the officer's name.
    with page.context.expect_page() as history_info:
        page.get_by_test_id("edit-history").click()
    history_page = history_info.value
    rows = history_page.get_by_test_id("edit-row")
    expect(rows).to_have_count(3)
    expect(history_page.locator("[data-testid=edit-row][data-action=create]")).to_have_count(1)
    expect(history_page.locator("[data-testid=edit-row][data-action=update]")).to_have_count(2)
    for index in range(3):
        expect(rows.nth(index)).to_contain_text(OFFICER_NAME)
    expect(history_page.get_by_test_id("edit-history")).to_contain_text("Kiểm tra định kỳ")

    # The stored edits, newest first, carry the geometries before and after each change.
    edits = history_json(page, created["urls"]["history"])["edits"]
    assert [edit["action"] for edit in edits] == ["update", "update", "create"]
    attribute_edit, move_edit, create_edit = edits
    assert create_edit["before"] is None
    assert shape(create_edit["after"]["geometry"]).equals_exact(shape(created["geometry"]), 1e-9)
    assert create_edit["after"]["properties"]["loai"] == "trụ nước"
    assert shape(move_edit["before"]["geometry"]).equals_exact(shape(created["geometry"]), 1e-9)
    assert shape(move_edit["after"]["geometry"]).equals_exact(shape(moved["geometry"]), 1e-9)
    assert move_edit["geometry_change"]["moved_m"] > 1
    assert move_edit["changes"] == []
    assert shape(attribute_edit["before"]["geometry"]).equals_exact(
        shape(attribute_edit["after"]["geometry"]), 1e-9
    )
    assert attribute_edit["changes"] == [
        {"name": "tinh_trang", "label": "Tình trạng", "before": None, "after": "hỏng"}
    ]
    assert attribute_edit["comment"] == "Kiểm tra định kỳ"
    assert {edit["user"] for edit in edits} == {OFFICER_NAME}

    # Delete it: the confirmation names the feature, the tiles lose it, the history keeps it.
    confirmations: list[str] = []

    def confirm(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_test_id("edit-delete").click()
    expect(status).to_contain_text("Đã xóa đối tượng.")
    assert confirmations == [
        f"Xóa đối tượng số {feature_id} của lớp “{HYDRANTS_NAME}”? Lịch sử biên tập vẫn được lưu."
    ]
    expect(form).to_have_count(0)
    wait_for_hydrants(page, 0)
    edits = history_json(page, created["urls"]["history"])["edits"]
    assert [edit["action"] for edit in edits] == ["delete", "update", "update", "create"]
    assert edits[0]["after"] is None
    assert shape(edits[0]["before"]["geometry"]).equals_exact(shape(moved["geometry"]), 1e-9)
    assert_no_browser_errors(page)


def test_required_attribute_missing_shows_error(page: Page, province_units: ProvinceFacts) -> None:
    open_editor(page, province_units, HYDRANTS)
    add_hydrant(page, "", "Bể nước không có loại")

    with page.expect_response(f"**/map/features/{HYDRANTS}/") as rejected_info:
        page.get_by_test_id("edit-save").click()
    rejected = rejected_info.value
    assert rejected.status == 400
    body = rejected.json()
    assert body["field"] == "loai"
    error = page.locator("#map-edit-field-loai-error")
    expect(error).to_have_text(body["error"])
    expect(error).to_be_visible()
    expect(page.get_by_test_id("edit-form").get_by_label("Loại")).to_be_focused()
    expect(page.get_by_test_id("edit-form")).to_contain_text("Đối tượng mới")

    layer_history = page.request.get(f"/map/features/{HYDRANTS}/history/?format=json")
    assert layer_history.ok
    assert layer_history.json()["count"] == 0
    wait_until_idle(page)
    assert rendered(page, HYDRANTS) == 0

    # Choosing the kind and saving again stores the point and clears the message.
    page.get_by_test_id("edit-form").get_by_label("Loại").select_option("bể nước")
    with page.expect_response(f"**/map/features/{HYDRANTS}/") as created_info:
        page.get_by_test_id("edit-save").click()
    assert created_info.value.status == 201
    expect(page.get_by_test_id("edit-status")).to_have_text("Đã lưu.")
    expect(error).to_have_count(1)
    expect(error).to_be_empty()
    wait_for_hydrants(page, 1)
    # The rejected save is the only failed request, and Chromium logs it on the console.
    problems = problems_of(page)
    assert problems.failed_requests == [f"400 {rejected.url}"]
    assert all("status of 400" in message for message in problems.console_errors)
    problems.failed_requests.clear()
    problems.console_errors.clear()
    assert_no_browser_errors(page)


def test_officer_draws_and_reshapes_polygon(page: Page, province_units: ProvinceFacts) -> None:
    open_editor(page, province_units, PATROL_AREAS)
    status = page.get_by_test_id("edit-status")
    form = page.get_by_test_id("edit-form")

    # Add: click the corners, click the first one again to close the ring, name it, save.
    page.get_by_test_id("edit-add-draw_polygon").click()
    expect(status).to_have_text("Bấm để thêm các đỉnh; bấm đúp để khép vùng.")
    corners = [offset_from_centre(page, dx, dy) for dx, dy in PATROL_CORNERS_PX]
    for x, y in corners:
        click_and_render(page, x, y)
    click_and_render(page, *corners[0])
    expect(form).to_contain_text("Đối tượng mới")
    form.get_by_label("Tên").fill("Địa bàn tuần tra số 3")
    with page.expect_response(f"**/map/features/{PATROL_AREAS}/") as created_info:
        page.get_by_test_id("edit-save").click()
    created = created_info.value.json()
    assert created_info.value.status == 201, created
    assert created["geometry"]["type"] == "Polygon"
    assert len(created["geometry"]["coordinates"][0]) == len(corners) + 1
    # The area drawn for editing is not measured.
    expect(page.get_by_test_id("measure-result")).to_be_empty()
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 1)")

    # Reshape: drag one corner outwards and save.
    page.get_by_test_id("edit-reshape").click()
    wait_for_render(page)
    corner_x, corner_y = corners[2]
    page.mouse.move(corner_x, corner_y)
    page.mouse.down()
    page.mouse.move(corner_x + DRAG_PX[0], corner_y - DRAG_PX[1], steps=8)
    page.mouse.up()
    with page.expect_response(f"**{created['urls']['self']}") as reshaped_info:
        page.get_by_test_id("edit-save").click()
    reshaped = reshaped_info.value.json()
    assert reshaped["changed"] is True
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 2)")
    before, after = shape(created["geometry"]), shape(reshaped["geometry"])
    assert after.area > before.area
    assert len(reshaped["geometry"]["coordinates"][0]) == len(corners) + 1

    edits = history_json(page, created["urls"]["history"])["edits"]
    assert [edit["action"] for edit in edits] == ["update", "create"]
    change = edits[0]["geometry_change"]
    assert change["area_change_m2"] > 0
    assert change["vertices_before"] == len(corners) + 1
    assert change["vertices_after"] == len(corners) + 1
    assert_no_browser_errors(page)


def test_stale_save_offers_reload(page: Page, province_units: ProvinceFacts) -> None:
    open_editor(page, province_units, HYDRANTS)
    add_hydrant(page, "ao hồ", "Ao Đầm Vạc")
    with page.expect_response(f"**/map/features/{HYDRANTS}/") as created_info:
        page.get_by_test_id("edit-save").click()
    created = created_info.value.json()
    form = page.get_by_test_id("edit-form")
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 1)")

    # Someone else saves version 2 while this form still shows version 1.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    other_save = page.request.patch(
        created["urls"]["self"],
        data=json.dumps({"properties": {"tinh_trang": "tốt"}, "version": 1}),
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert other_save.ok, other_save.text()

    form.get_by_label("Tên").fill("Ao Đầm Vạc (bờ bắc)")
    with page.expect_response(f"**{created['urls']['self']}") as stale_info:
        page.get_by_test_id("edit-save").click()
    assert stale_info.value.status == 409
    alert = form.locator("p.geo-edit-error")
    expect(alert).to_contain_text("Không lưu được: ")
    expect(alert).to_contain_text(OFFICER_NAME)
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 1)")

    # Reloading shows the other change. Saving again keeps both changes.
    alert.get_by_role("button", name="Tải lại đối tượng").click()
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 2)")
    expect(form.get_by_label("Tình trạng")).to_have_value("tốt")
    form.get_by_label("Tên").fill("Ao Đầm Vạc (bờ bắc)")
    page.get_by_test_id("edit-save").click()
    expect(form).to_contain_text(f"Đối tượng số {created['id']} (phiên bản 3)")
    expect(form.get_by_label("Tình trạng")).to_have_value("tốt")
    expect(form.get_by_label("Tên")).to_have_value("Ao Đầm Vạc (bờ bắc)")

    problems = problems_of(page)
    assert problems.failed_requests == [f"409 {stale_info.value.url}"]
    assert all("status of 409" in message for message in problems.console_errors)
    problems.failed_requests.clear()
    problems.console_errors.clear()
    assert_no_browser_errors(page)


def test_leader_sees_no_editing_tool(page: Page, province_units: ProvinceFacts) -> None:
    log_in(page, LEADER_USERNAME, PASSWORD)
    with page.expect_response("**/map/features/editable-layers/") as listed_info:
        open_map(page)
    assert listed_info.value.json() == {"layers": []}
    # The export and print tools of the same panel are built, the editing tool is not.
    expect(page.get_by_test_id("map-output")).to_be_visible()
    expect(page.locator("section.geo-edit")).to_have_count(0)
    expect(page.get_by_test_id("edit-select")).to_have_count(0)
    expect(page.get_by_test_id("edit-layer")).to_have_count(0)
    assert_no_browser_errors(page)


def export_layer(page: Page, file_format: str, area: str, target: Path) -> Path:
    """Export the boundaries layer through the panel and save the download in ``target``."""
    page.get_by_test_id("export-layer").select_option(BOUNDARIES)
    page.get_by_test_id("export-format").select_option(file_format)
    page.get_by_test_id("export-area").select_option(area)
    with page.expect_download() as download_info:
        page.get_by_test_id("export-run").click()
    download = download_info.value
    target.mkdir(exist_ok=True)
    path = target / download.suggested_filename
    download.save_as(path)
    return path


def read_geojson_names(path: Path) -> list[str]:
    """Return the ``ten`` of every feature of an exported GeoJSON file, read as UTF-8 text."""
    text = path.read_text(encoding="utf-8")
    # Vietnamese is written as UTF-8, not as \u escapes.
    assert "Vĩnh Yên" in text
    return [feature["properties"]["ten"] for feature in json.loads(text)["features"]]


def read_shapefile_names(path: Path, folder: Path) -> list[str]:
    """Return the ``ten`` of every feature of an exported Shapefile zip, read back with GDAL."""
    with zipfile.ZipFile(path) as archive:
        shapefiles = [name for name in archive.namelist() if name.endswith(".shp")]
        archive.extractall(folder)
    assert len(shapefiles) == 1
    meta, _fids, geometries, field_data = pyogrio.raw.read(folder / shapefiles[0])
    assert len(geometries) == len(field_data[0])
    names: list[str] = list(field_data[list(meta["fields"]).index("ten")])
    return names


def test_export_view_and_drawn_area(
    page: Page, province_units: ProvinceFacts, tmp_path: Path
) -> None:
    open_map(page)
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, EXPORT_ZOOM)
    status = page.get_by_test_id("output-status")
    export_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            export_requests.append(request.url) if "/map/export/" in request.url else None
        ),
    )

    # The current view, as GeoJSON and as Shapefile.
    geojson_path = export_layer(page, "geojson", "view", tmp_path / "view")
    assert geojson_path.suffix == ".geojson"
    view_names = read_geojson_names(geojson_path)
    assert len(view_names) > 0
    assert "Phường Vĩnh Yên" in view_names
    expect(status).to_have_text(f"Đã xuất {len(view_names)} đối tượng.")

    zip_path = export_layer(page, "shapefile", "view", tmp_path / "view")
    assert zip_path.suffix == ".zip"
    assert sorted(read_shapefile_names(zip_path, tmp_path / "view-shp")) == sorted(view_names)
    expect(status).to_have_text(f"Đã xuất {len(view_names)} đối tượng.")
    assert len(export_requests) == 2

    # "Drawn area" before anything is drawn asks for an area instead of exporting the view.
    page.get_by_test_id("export-area").select_option("drawn")
    page.get_by_test_id("export-run").click()
    expect(status).to_have_text(
        "Chưa có vùng đã vẽ trên bản đồ; hãy bấm “Vẽ vùng chọn” hoặc chọn khung nhìn hiện tại."
    )
    assert len(export_requests) == 2

    # A drawn area around the ward's centre selects fewer wards than the view.
    centre_x, centre_y = screen_point(page, lon, lat)
    page.get_by_test_id("export-draw").click()
    corners = [(centre_x + dx, centre_y + dy) for dx, dy in SELECTION_PX]
    for x, y in corners:
        click_and_render(page, x, y)
    click_and_render(page, *corners[0])
    expect(status).to_have_text("Đã có vùng chọn.")
    expect(page.get_by_test_id("export-area")).to_have_value("drawn")
    # The area drawn for the export is not measured.
    expect(page.get_by_test_id("measure-result")).to_be_empty()

    drawn_names = read_geojson_names(export_layer(page, "geojson", "drawn", tmp_path / "drawn"))
    assert "Phường Vĩnh Yên" in drawn_names
    assert 0 < len(drawn_names) < len(view_names)
    assert set(drawn_names) < set(view_names)
    expect(status).to_have_text(f"Đã xuất {len(drawn_names)} đối tượng.")
    # The area stays on the map, so the same area goes out in the other format.
    assert page.evaluate("() => window.tinhsoMap.draw.getAll().features.length") == 1
    drawn_zip = export_layer(page, "shapefile", "drawn", tmp_path / "drawn")
    assert sorted(read_shapefile_names(drawn_zip, tmp_path / "drawn-shp")) == sorted(drawn_names)

    # Going back to the view removes the drawn area.
    page.get_by_test_id("export-area").select_option("view")
    assert page.evaluate("() => window.tinhsoMap.draw.getAll().features.length") == 0
    assert len(export_requests) == 4
    assert_no_browser_errors(page)


def test_print_view_to_pdf(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, EXPORT_ZOOM)
    prompts: list[str] = []

    def answer(dialog: Dialog) -> None:
        prompts.append(dialog.message)
        dialog.accept(PRINT_TITLE)

    page.once("dialog", answer)
    with page.expect_download() as download_info:
        page.get_by_test_id("print-run").click()
    download = download_info.value
    assert prompts == ["Tiêu đề bản đồ in:"]
    assert download.suggested_filename.endswith(".pdf")
    expect(page.get_by_test_id("output-status")).to_have_text("Đã tạo tệp PDF.")

    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert PRINT_TITLE in text
    assert "Ranh giới hành chính" in text
    assert SCALE_LABEL.search(text), text

    images = reader.pages[0].images
    assert len(images) == 1
    picture = images[0].image
    assert picture is not None
    colours = picture.convert("RGB").getcolors(maxcolors=1 << 22)
    assert colours is not None
    # A canvas read after MapLibre cleared the drawing buffer comes out in one colour.
    assert len(colours) > 1
    # The map shows the boundaries in their outline colour and the map's background.
    present = {colour for _count, colour in colours}
    assert BOUNDARY_OUTLINE in present
    assert MAP_BACKGROUND in present
    assert_no_browser_errors(page)
