"""Switching the interface between Vietnamese and English with the selector in the header."""

from __future__ import annotations

from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import assert_no_browser_errors

LANGUAGE_SELECT = "#language-select"
LOGIN_LINK = ".account a[href='/login/']"


def choose_language(page: Page, code: str) -> Response:
    """Pick a language and return the response of the page that follows.

    The selector submits its form, and the server redirects back to the page.
    """
    with page.expect_navigation() as navigation:
        page.select_option(LANGUAGE_SELECT, code)
    response = navigation.value
    assert response is not None
    return response


def test_vietnamese_by_default(page: Page) -> None:
    response = page.goto("/")

    assert response is not None
    assert response.headers.get("content-language") == "vi"
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(LANGUAGE_SELECT)).to_have_value("vi")
    # Needs the Vietnamese catalogue (Django's own has this msgid too).
    expect(page.locator(LOGIN_LINK)).to_have_text("Đăng nhập")
    # Needs the project's Vietnamese catalogue.
    expect(page).to_have_title("Bản đồ tỉnh · Tỉnh số")
    assert_no_browser_errors(page)


def test_switch_to_english_and_back(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector("#map[data-feature-count]")

    response = choose_language(page, "en")

    assert response.url.endswith("/")
    assert response.headers.get("content-language") == "en"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(LANGUAGE_SELECT)).to_have_value("en")
    expect(page.locator(LOGIN_LINK)).to_have_text("Log in")
    expect(page).to_have_title("Province map · Tỉnh số")
    expect(page.get_by_test_id("commune-count")).to_contain_text("commune-level units")
    # Unit names are proper names and stay Vietnamese.
    expect(page.locator("main h1")).to_have_text("Tỉnh Phú Thọ")
    page.wait_for_selector("#map[data-feature-count='148']")

    # The choice is kept for the next pages.
    page.goto("/units/08707/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(LOGIN_LINK)).to_have_text("Log in")

    response = choose_language(page, "vi")

    assert response.url.endswith("/units/08707/")
    assert response.headers.get("content-language") == "vi"
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(LANGUAGE_SELECT)).to_have_value("vi")
    expect(page.locator(LOGIN_LINK)).to_have_text("Đăng nhập")
    assert_no_browser_errors(page)


def test_map_details_follow_language(page: Page) -> None:
    """Unit types in the map's info panel come from the API in the page's language."""
    page.goto("/")
    page.wait_for_selector("#map[data-feature-count]")
    page.get_by_test_id("unit-search").fill("vinh yen")
    page.get_by_test_id("search-results").locator("a[data-code='08707']").click()
    info = page.locator("#unit-info")
    # Needs the project's Vietnamese catalogue for the unit type.
    expect(info).to_contain_text("Phường · 08707")

    choose_language(page, "en")
    page.wait_for_selector("#map[data-feature-count]")
    page.get_by_test_id("unit-search").fill("vinh yen")
    page.get_by_test_id("search-results").locator("a[data-code='08707']").click()
    expect(info).to_contain_text("Ward · 08707")
    assert_no_browser_errors(page)
