"""A provincial leader generates the 2016 socio-economic report in the browser and downloads it.

The GSO tables and the budget file are imported in a fixture before Chromium starts, because
the browser fixtures allow no database access after that. The test reads the downloaded
files with python-docx and pypdf.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.conftest import PASSWORD
from tests.e2e.conftest import LEADER_USERNAME, assert_no_browser_errors, log_in

GSO_ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
BUDGET_CSV = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"


@pytest.fixture
def report_data(accounts: dict[str, Any], shared_data: Path, settings: Any, tmp_path: Path) -> None:
    """The real statistics of Vĩnh Phúc and the built-in regime; report files go to tmp_path."""
    from django.core.management import call_command

    from tinhso.ioc.services.gso_import import import_gso
    from tinhso.reports.builtin import ensure_builtin_regimes

    settings.TINHSO_DATA_DIR = tmp_path
    # The live server's database is flushed between tests, so the regime is made again here.
    ensure_builtin_regimes()
    import_gso(shared_data / GSO_ZIP)
    call_command(
        "ioc", "import", str(shared_data / BUDGET_CSV), "--group", "ns-mof", stdout=io.StringIO()
    )


def download(page: Page, test_id: str, target: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_test_id(test_id).click()
    info.value.save_as(target)
    return target.read_bytes()


def test_leader_generates_and_downloads_report(
    report_data: None, page: Page, tmp_path: Path
) -> None:
    log_in(page, LEADER_USERNAME, PASSWORD)
    page.goto("/reports/")
    expect(page.get_by_test_id("regimes")).to_contain_text("Báo cáo tình hình kinh tế - xã hội")
    with page.expect_navigation():
        page.get_by_test_id("regimes").get_by_role("link").first.click()

    form = page.get_by_test_id("generate-form")
    form.locator("select[name=kind]").select_option("year")
    form.locator("input[name=year]").fill("2016")
    with page.expect_navigation():
        page.get_by_test_id("generate-button").click()

    assert re.search(r"/reports/generated/\d+/$", page.url), page.url
    expect(page.locator("h1")).to_contain_text("Tình hình kinh tế - xã hội năm 2016")
    expect(page.get_by_test_id("missing-figures")).to_contain_text("ns-mof.thu-nsnn-tren-dia-ban")

    docx_data = download(page, "download-docx", tmp_path / "bao-cao.docx")
    pdf_data = download(page, "download-pdf", tmp_path / "bao-cao.pdf")

    document = Document(io.BytesIO(docx_data))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "bằng 105,8% so với cùng kỳ năm trước" in text
    assert "362 trường phổ thông" in text
    assert "10.209 giáo viên" in text
    assert "191.457 học sinh" in text
    assert "266 dự án FDI" in text
    assert "3.874,7 triệu USD" in text

    pdf_text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf_data)).pages)
    pdf_text = re.sub(r"\s+", " ", pdf_text)
    for figure in ("105,8", "362", "10.209", "191.457", "266", "3.874,7"):
        assert figure in pdf_text, figure

    with page.expect_navigation():
        page.get_by_test_id("verify-button").click()
    expect(page.get_by_test_id("verify-result")).to_contain_text("khớp với dữ liệu hiện tại")
    assert_no_browser_errors(page)
