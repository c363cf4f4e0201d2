"""The home page map: the province's communes, the unit search and the period switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ProvinceFacts, assert_no_browser_errors, problems_of

AFTER_REFORM = "2025-07-01"
BEFORE_REFORM = "2025-06-30"
# home-map.js flies to a unit found by search at this zoom.
UNIT_ZOOM = 11
# In degrees. flyTo ends exactly on its target, so this only absorbs float rounding.
CENTRE_TOLERANCE = 1e-6
STATIC_FILES = [
    "/static/web/css/tinhso.css",
    "/static/web/js/shell.js",
    "/static/web/js/home-map.js",
    "/static/vendor/htmx/htmx.min.js",
    "/static/vendor/maplibre-gl/maplibre-gl.css",
    "/static/vendor/maplibre-gl/maplibre-gl-csp.js",
    "/static/vendor/maplibre-gl/maplibre-gl-csp-worker.js",
]

# Waits until MapLibre has loaded the style and every tile of its sources (on a busy machine
# the first frames come before the worker has cut the communes), then reads back the WebGL
# frame right after MapLibre has drawn it (the drawing buffer is not preserved afterwards)
# and counts the pixels that differ from the background #eef2f5.
COUNT_DRAWN_PIXELS = """
() => new Promise((resolve) => {
  const map = window.tinhsoMap;
  const count = () => {
    const canvas = map.getCanvas();
    const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
    const width = gl.drawingBufferWidth;
    const height = gl.drawingBufferHeight;
    const pixels = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    const background = [0xee, 0xf2, 0xf5];
    let drawn = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (background.some((value, channel) => Math.abs(pixels[i + channel] - value) > 8)) drawn++;
    }
    resolve({ drawn: drawn, total: width * height });
  };
  const readNextFrame = () => {
    map.once("render", count);
    map.triggerRepaint();
  };
  if (map.loaded()) readNextFrame();
  else map.once("idle", readNextFrame);
})
"""

MAP_AT_REST = "() => window.tinhsoMap !== undefined && !window.tinhsoMap.isMoving()"


def open_map(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector(f"#map[data-period='{AFTER_REFORM}'][data-feature-count]")


def map_data(page: Page, name: str) -> str | None:
    return page.locator("#map").get_attribute(f"data-{name}")


def switch_period(page: Page, testid: str, date: str) -> None:
    page.get_by_test_id(testid).check()
    page.wait_for_selector(f"#map[data-period='{date}']")


def search(page: Page, text: str) -> Any:
    page.get_by_test_id("unit-search").fill(text)
    results = page.get_by_test_id("search-results")
    expect(results).to_be_visible()
    return results


def test_map_shows_province_communes(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)

    expect(page.locator("main h1")).to_have_text("Tỉnh Phú Thọ")
    expect(page.get_by_test_id("commune-count")).to_contain_text("148")
    assert province_units.communes_after_reform == 148
    assert map_data(page, "feature-count") == "148"
    assert map_data(page, "point-count") == "0"
    expect(page.locator("#map-status")).to_be_empty()

    canvas = page.locator("#map canvas.maplibregl-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 400
    pixels = page.evaluate(COUNT_DRAWN_PIXELS)
    # The 148 communes cover about a quarter of a 1366×850 window's map, and the background
    # alone gives 0.
    assert pixels["drawn"] > pixels["total"] * 0.1, pixels

    static = {
        urlsplit(url).path: status for url, status in problems_of(page).static_responses.items()
    }
    for path in STATIC_FILES:
        assert static.get(path) == 200, path
    assert_no_browser_errors(page)


def test_search_centres_map_on_unit(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)
    start_zoom = page.evaluate("() => window.tinhsoMap.getZoom()")

    results = search(page, "vinh yen")
    links = results.locator("a[data-code]")
    expect(links.first).to_have_text("Phường Vĩnh Yên")
    expect(links.first).to_have_attribute("data-code", "08707")

    links.first.click()
    page.wait_for_function(MAP_AT_REST)

    assert urlsplit(page.url).path == "/"
    centre = page.evaluate("() => window.tinhsoMap.getCenter().toArray()")
    lon, lat = province_units.vinh_yen_centroid
    assert abs(centre[0] - lon) < CENTRE_TOLERANCE, centre
    assert abs(centre[1] - lat) < CENTRE_TOLERANCE, centre
    zoom = page.evaluate("() => window.tinhsoMap.getZoom()")
    assert zoom > start_zoom
    assert abs(zoom - UNIT_ZOOM) < 1e-6
    assert map_data(page, "selected") == "08707"
    selected = page.evaluate(
        "() => window.tinhsoMap.getFeatureState({source: 'units', id: '08707'}).selected"
    )
    assert selected is True
    info = page.locator("#unit-info")
    expect(info).to_be_visible()
    expect(info.locator("strong")).to_have_text("Phường Vĩnh Yên")
    # The link names the period shown, because old and new units may share a code.
    expect(info.locator("a")).to_have_attribute("href", "/units/08707/?date=2025-07-01")
    assert_no_browser_errors(page)


def test_search_ignores_case_and_diacritics(page: Page) -> None:
    open_map(page)

    for text in ["VINH YEN", "Vĩnh Yên", "vĩnh yen"]:
        results = search(page, text)
        expect(results.locator("a[data-code='08707']")).to_have_text("Phường Vĩnh Yên")

    page.get_by_test_id("unit-search").fill("khong co don vi nay")
    expect(page.get_by_test_id("search-empty")).to_be_visible()
    expect(page.get_by_test_id("search-results")).to_have_count(0)
    assert_no_browser_errors(page)


def test_period_before_reform(page: Page, province_units: ProvinceFacts) -> None:
    open_map(page)

    switch_period(page, "period-before", BEFORE_REFORM)

    facts = province_units
    # The nine districts of Vĩnh Phúc and the Vĩnh Phúc province outline have boundaries for
    # that date; the map shows the districts, not the outline.
    assert facts.old_district_boundaries == 9
    expected_features = facts.old_district_boundaries + facts.communes_before_reform
    assert map_data(page, "feature-count") == str(expected_features)
    assert map_data(page, "feature-count") != "148"
    assert map_data(page, "point-count") == str(facts.commune_points_before_reform)
    expect(page.locator("#map-status")).not_to_be_empty()
    # The nine districts and the points cover about 7 % of the map.
    pixels = page.evaluate(COUNT_DRAWN_PIXELS)
    assert pixels["drawn"] > pixels["total"] * 0.01, pixels

    switch_period(page, "period-after", AFTER_REFORM)
    assert map_data(page, "feature-count") == "148"
    assert map_data(page, "point-count") == "0"
    assert_no_browser_errors(page)


def test_period_switch_repeats_search(page: Page) -> None:
    open_map(page)
    results = search(page, "vinh yen")
    expect(results.locator("a[data-code]").first).to_have_text("Phường Vĩnh Yên")
    results.locator("a[data-code]").first.click()
    page.wait_for_function(MAP_AT_REST)
    expect(page.locator("#unit-info")).to_be_visible()

    switch_period(page, "period-before", BEFORE_REFORM)

    # Before the reform Vĩnh Yên was a city (district level) of Vĩnh Phúc, code 243.
    first = page.get_by_test_id("search-results").locator("a[data-code]").first
    expect(first).to_have_text("Thành phố Vĩnh Yên")
    expect(first).to_have_attribute("data-code", "243")
    expect(page.locator("#unit-info")).to_be_hidden()
    assert map_data(page, "selected") is None

    first.click()
    page.wait_for_function(MAP_AT_REST)
    assert map_data(page, "selected") == "243"
    expect(page.locator("#unit-info strong")).to_have_text("Thành phố Vĩnh Yên")
    assert_no_browser_errors(page)
