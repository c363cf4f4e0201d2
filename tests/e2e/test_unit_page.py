"""The page of one administrative unit, with the units it was formed from."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_no_browser_errors, problems_of

# The four communes of Vĩnh Yên city merged into Phường Vĩnh Yên on 1 July 2025.
VINH_YEN_PREDECESSORS = [
    ("08707", "Phường Tích Sơn"),
    ("08713", "Phường Hội Hợp"),
    ("08722", "Phường Đồng Tâm"),
    ("08731", "Xã Thanh Trù"),
]


def test_unit_page_lists_predecessors(page: Page) -> None:
    page.goto("/units/08707/")

    expect(page.locator("main h1")).to_have_text("Phường Vĩnh Yên")
    expect(page.get_by_test_id("unit-code")).to_have_text("08707")
    rows = page.get_by_test_id("predecessors").locator("tbody tr")
    expect(rows).to_have_count(len(VINH_YEN_PREDECESSORS))
    for row, (code, name) in zip(rows.all(), VINH_YEN_PREDECESSORS, strict=True):
        expect(row.locator("td").nth(0)).to_have_text(code)
        link = row.locator("td").nth(1).locator("a")
        expect(link).to_have_text(name)
        expect(link).to_have_attribute("href", f"/units/{code}/?date=2025-06-30")
    assert_no_browser_errors(page)


def test_predecessor_links_back(page: Page) -> None:
    page.goto("/units/08707/")

    with page.expect_navigation():
        page.get_by_test_id("predecessors").get_by_role("link", name="Xã Thanh Trù").click()

    expect(page.locator("main h1")).to_have_text("Xã Thanh Trù")
    successor = page.get_by_test_id("successors").locator("tbody tr")
    expect(successor).to_have_count(1)
    expect(successor.locator("a")).to_have_text("Phường Vĩnh Yên")
    with page.expect_navigation():
        successor.locator("a").click()
    expect(page.locator("main h1")).to_have_text("Phường Vĩnh Yên")
    assert_no_browser_errors(page)


def test_unknown_unit_code(page: Page) -> None:
    response = page.goto("/units/99999/")

    assert response is not None
    assert response.status == 404
    expect(page.locator("main a[href='/']")).to_be_visible()
    # The 404 response is the expected result here, not a broken page.
    problems = problems_of(page)
    assert problems.csp_violations == []
    assert problems.page_errors == []
    assert problems.failed_requests == ["404 " + response.url]
