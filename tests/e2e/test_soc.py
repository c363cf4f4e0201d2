"""An analyst works an incident in the browser: dashboard, incident, acknowledge, comment, resolve.

The incidents come from a real EVTX attack sample run through real SigmaHQ rules in a
fixture, before Chromium starts, because the browser fixtures allow no database access
after that. The page reports the incident's status in ``data-status``, which the test reads
whatever language the labels are in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_no_browser_errors, log_in
from tests.soc.incidents.support import (
    MSHTA_RULES,
    MSHTA_SAMPLE,
    RULES,
    SAMPLES,
    SHELL_SPAWN_RULE,
    make_agency,
    store_evtx,
)

ANALYST_USERNAME = "phantich"


@pytest.fixture
def incident_id(
    accounts: dict[str, Any],
    make_user: Callable[..., Any],
    shared_data: Path,
    tmp_path: Path,
    settings: Any,
) -> int:
    """An analyst, and the incidents that the real sample raises; return the high one's id."""
    from tinhso.soc import detection
    from tinhso.soc.models import Incident

    make_user(ANALYST_USERNAME, role="security_analyst", first_name="Minh", last_name="Lê Văn")
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in MSHTA_RULES:
        shutil.copy(shared_data / RULES / name, folder)
    settings.TINHSO_SOC_RULES = [folder]
    detection.forget_ruleset()
    events = store_evtx(shared_data / SAMPLES / MSHTA_SAMPLE, make_agency())
    assert detection.detect_events(events)
    detection.forget_ruleset()
    return int(Incident.objects.get(rule_id=SHELL_SPAWN_RULE).pk)


def test_analyst_acknowledges_comments_resolves(incident_id: int, page: Page) -> None:
    log_in(page, ANALYST_USERNAME, PASSWORD)
    page.goto("/soc/")
    expect(page.get_by_test_id("open-total")).to_contain_text("3")
    expect(page.locator("#soc-chart")).to_have_attribute("data-ready", "1")
    heatmap = page.get_by_test_id("heatmap")
    # The rule names two tactics, but ATT&CK puts T1059.001 under Execution only.
    execution = heatmap.locator('[data-tactic="execution"]')
    expect(execution.locator('[data-technique="T1059.001"]')).to_be_visible()
    expect(heatmap.locator('[data-technique="T1059.001"]')).to_have_count(1)
    # The heatmap scrolls inside the page column instead of widening the page.
    widths = heatmap.evaluate(
        "element => [element.getBoundingClientRect().width,"
        " element.closest('section').getBoundingClientRect().width]"
    )
    assert widths[0] <= widths[1]
    nav = page.get_by_test_id("soc-nav")
    expect(nav.locator('a[href="/soc/sources/"]')).to_be_visible()
    expect(nav.locator('a[href="/soc/intel/"]')).to_be_visible()
    expect(page.get_by_test_id("top-hosts")).to_contain_text("IEWIN7")

    with page.expect_navigation():
        page.get_by_test_id("open-incidents").locator(
            f'a[href="/soc/incidents/{incident_id}/"]'
        ).click()
    status = page.get_by_test_id("incident-status")
    expect(status).to_have_attribute("data-status", "new")
    expect(page.get_by_test_id("alert")).to_have_count(2)
    expect(page.get_by_test_id("events").first).to_contain_text("IEWIN7")

    page.get_by_test_id("acknowledge-form").locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "acknowledged")
    expect(page.get_by_test_id("action-notice")).to_be_visible()
    expect(page.get_by_test_id("incident-assignee")).to_contain_text("Lê Văn Minh")

    comment = page.get_by_test_id("comment-form")
    comment.locator("textarea").fill("Đã cách ly máy IEWIN7 khỏi mạng nội bộ.")
    comment.locator("button[type=submit]").click()
    expect(page.get_by_test_id("activity")).to_contain_text("Đã cách ly máy IEWIN7")

    resolve = page.get_by_test_id("resolve-form")
    resolve.locator("select").select_option("true_positive")
    resolve.locator("button[type=submit]").click()
    # The note is required, so the browser keeps the form until it is written.
    expect(resolve.locator("textarea:invalid")).to_have_count(1)
    expect(status).to_have_attribute("data-status", "acknowledged")
    resolve.locator("textarea").fill("Xóa tệp HTA và tác vụ lập lịch, đổi mật khẩu IEUser.")
    resolve.locator("button[type=submit]").click()
    expect(status).to_have_attribute("data-status", "resolved")
    expect(page.get_by_test_id("close-form")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("incident-status")).to_have_attribute("data-status", "resolved")
    expect(page.get_by_test_id("activity")).to_contain_text("Xóa tệp HTA")
    assert_no_browser_errors(page)
