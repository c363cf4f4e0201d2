"""The provincial digital map in Chromium: vector tile layers, layer tree, identify, measure."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect
from shapely.geometry import Polygon

from tests.conftest import PASSWORD
from tests.e2e.conftest import LEADER_USERNAME, ProvinceFacts, assert_no_browser_errors, log_in
from tinhso.geo import crs
from tinhso.geo.builtin import BOUNDARIES

BEFORE_REFORM = "2025-06-30"
# Zoom at which a ward of a few km² covers a good part of the window.
WARD_ZOOM = 13
# Corners of the measured polygon, in pixels from the map's centre.
SQUARE_PX = [(-120, -80), (120, -80), (120, 80), (-120, 80)]
VIETNAMESE_NUMBER = r"\d{1,3}(?:\.\d{3})*,\d+"

MAP_IDLE = "() => document.querySelector('#map').dataset.idle === 'true'"


def rendered(page: Page, slug: str) -> int:
    value = page.locator("#map").get_attribute(f"data-rendered-{slug}")
    return int(value or 0)


def wait_until_idle(page: Page) -> None:
    page.wait_for_function(MAP_IDLE)


def open_map(page: Page) -> None:
    page.goto("/map/")
    page.wait_for_selector("#map[data-ready='true']")
    page.wait_for_function(
        f"() => Number(document.querySelector('#map').getAttribute('data-rendered-{BOUNDARIES}')) > 0"
    )


def jump_to(page: Page, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(
        "([lon, lat, zoom]) => window.tinhsoMap.map.jumpTo({ center: [lon, lat], zoom: zoom })",
        [lon, lat, zoom],
    )
    wait_until_idle(page)


def screen_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """The page coordinates of a longitude/latitude on the map."""
    point = page.evaluate("([lon, lat]) => window.tinhsoMap.map.project([lon, lat])", [lon, lat])
    box = page.locator("#map canvas.maplibregl-canvas").bounding_box()
    assert box is not None
    return box["x"] + point["x"], box["y"] + point["y"]


def click_and_render(page: Page, x: float, y: float) -> None:
    """Click the map and wait until it has drawn the result.

    mapbox-gl-draw finds the vertex under a click among the features last drawn, so a click
    on the first corner only closes the polygon once that corner has been rendered.
    """
    page.evaluate(
        "() => { window.tinhsoRendered = new Promise((resolve) => window.tinhsoMap.map.once('idle', resolve)); }"
    )
    page.mouse.click(x, y)
    page.evaluate("() => window.tinhsoRendered.then(() => true)")


def map_centre(page: Page) -> tuple[float, float]:
    box = page.locator("#map canvas.maplibregl-canvas").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_map_renders_boundaries_and_layer_tree(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)

    tree = page.get_by_test_id("layer-tree")
    expect(tree).to_contain_text("Ranh giới hành chính")
    expect(tree.locator("summary").first).to_have_text("Nền")
    # Layers of the agencies are hidden from the public.
    expect(tree).not_to_contain_text("Trụ sở, đồn công an")
    assert rendered(page, BOUNDARIES) > 0
    assert page.locator("#map").get_attribute("data-date") is not None
    # Scripts loaded after the map (editing, export) are called back with the same object.
    slugs = page.evaluate(
        "() => new Promise((resolve) => window.tinhsoMap.whenReady((api) => resolve(api.layers.map((layer) => layer.slug))))"
    )
    assert BOUNDARIES in slugs
    assert_no_browser_errors(page)


def test_staff_map_shows_agency_layers(page: Page, province_units: ProvinceFacts) -> None:
    log_in(page, LEADER_USERNAME, PASSWORD)
    open_map(page)

    tree = page.get_by_test_id("layer-tree")
    expect(tree).to_contain_text("Trụ sở, đồn công an")
    expect(tree).to_contain_text("Khu dân cư (số liệu cư trú tổng hợp)")
    expect(tree).to_contain_text("An ninh trật tự")
    wait_until_idle(page)
    assert_no_browser_errors(page)


def test_search_flies_to_commune(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)

    page.get_by_test_id("map-search").fill("vinh yen")
    first = page.get_by_test_id("map-search-results").locator("button").first
    expect(first).to_contain_text("Phường Vĩnh Yên")
    first.click()
    page.wait_for_function(
        "() => !window.tinhsoMap.map.isMoving() && document.querySelector('#map').dataset.idle === 'true'"
    )

    lon, lat = province_units.vinh_yen_centroid
    bounds = page.evaluate("() => window.tinhsoMap.map.getBounds().toArray()")
    (west, south), (east, north) = bounds
    assert west < lon < east
    assert south < lat < north
    assert page.evaluate("() => window.tinhsoMap.map.getZoom()") > 11
    assert_no_browser_errors(page)


def test_layer_toggle_hides_and_shows(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    toggle = page.get_by_test_id(f"layer-toggle-{BOUNDARIES}")

    toggle.uncheck()
    wait_until_idle(page)
    visibility = page.evaluate(
        f"() => window.tinhsoMap.map.getLayoutProperty('{BOUNDARIES}--fill', 'visibility')"
    )
    assert visibility == "none"
    page.wait_for_function(
        f"() => document.querySelector('#map').getAttribute('data-rendered-{BOUNDARIES}') === '0'"
    )

    toggle.check()
    page.wait_for_function(
        f"() => Number(document.querySelector('#map').getAttribute('data-rendered-{BOUNDARIES}')) > 0"
    )
    assert_no_browser_errors(page)


def test_identify_commune_by_click(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, WARD_ZOOM)

    x, y = screen_point(page, lon, lat)
    page.mouse.click(x, y)

    popup = page.get_by_test_id("identify-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("Ranh giới hành chính")
    expect(popup).to_contain_text("Tên đơn vị")
    expect(popup).to_contain_text("Phường Vĩnh Yên")
    assert_no_browser_errors(page)


def test_boundaries_before_reform(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    tile_dates: list[str] = []
    page.on(
        "request",
        lambda request: (
            tile_dates.append(request.url) if f"/tiles/{BOUNDARIES}/" in request.url else None
        ),
    )

    page.get_by_test_id("map-date-before").click()

    page.wait_for_selector(f"#map[data-date='{BEFORE_REFORM}']")
    expect(page.get_by_test_id("map-date-input")).to_have_value(BEFORE_REFORM)
    wait_until_idle(page)
    assert tile_dates
    assert all(url.endswith(f"?date={BEFORE_REFORM}") for url in tile_dates)
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, WARD_ZOOM)
    x, y = screen_point(page, lon, lat)
    page.mouse.click(x, y)
    # Before the reform the same place lay in the old Vĩnh Yên city, drawn as a district.
    expect(page.get_by_test_id("identify-popup")).to_contain_text("Vĩnh Yên")
    expect(page.get_by_test_id("identify-popup")).not_to_contain_text("Phường Vĩnh Yên")
    assert_no_browser_errors(page)


def test_measure_area_of_drawn_polygon(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    lon, lat = province_units.vinh_yen_centroid
    jump_to(page, lon, lat, WARD_ZOOM)
    centre_x, centre_y = map_centre(page)

    page.locator(".mapbox-gl-draw_polygon").click()
    corners = [(centre_x + dx, centre_y + dy) for dx, dy in SQUARE_PX]
    for x, y in corners:
        click_and_render(page, x, y)
    # A click on the first corner closes the ring and finishes the polygon.
    click_and_render(page, *corners[0])

    result = page.get_by_test_id("measure-result")
    expect(result).to_have_attribute("data-area-m2", re.compile(r"^\d"))
    drawn: Any = page.evaluate("() => window.tinhsoMap.draw.getAll().features[0].geometry")
    assert drawn["type"] == "Polygon"
    expected = crs.area_m2(Polygon(drawn["coordinates"][0]), area_crs=crs.TM3_PHU_THO)
    area = float(result.get_attribute("data-area-m2") or "nan")
    assert abs(area - expected) < 1e-6 * expected
    assert result.get_attribute("data-crs") == "EPSG:9208"
    text = result.inner_text()
    assert re.search(rf"{VIETNAMESE_NUMBER} m² \({VIETNAMESE_NUMBER} ha\)", text), text
    assert "EPSG:9208" in text
    assert_no_browser_errors(page)


def test_search_results_follow_boundary_date(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    results = page.get_by_test_id("map-search-results")

    page.get_by_test_id("map-search").fill("vinh yen")
    expect(results.locator("button").first).to_contain_text("Phường Vĩnh Yên")
    expect(results).not_to_contain_text("Thành phố Vĩnh Yên")

    page.get_by_test_id("map-date-before").click()
    expect(results).to_contain_text("Thành phố Vĩnh Yên")
    assert_no_browser_errors(page)
