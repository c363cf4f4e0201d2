"""``tinhso report generate`` and ``tinhso report verify`` as an operator runs them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document

from tinhso.ioc.models import DataValue
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values
from tinhso.reports import builtin, pdf_writer
from tinhso.reports.models import GeneratedReport, ReportRegime

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINHSO_LANGUAGE", raising=False)


@pytest.mark.shared_data
def test_generate_both_formats_then_verify(
    real_data: None, ktxh: ReportRegime, report_dir: Path, tmp_path: Path
) -> None:
    docx_path = tmp_path / "bao-cao.docx"
    pdf_path = tmp_path / "bao-cao.pdf"
    output = run(
        "generate", "ktxh", "--period", "2016", "--out", str(docx_path), "--out", str(pdf_path)
    )
    assert "bao-cao.docx" in output
    assert "bao-cao.pdf" in output
    assert "F29" in output  # the 2016 budget revenue, missing from the budget file
    text = "\n".join(p.text for p in Document(str(docx_path)).paragraphs)
    assert "bằng 105,8%" in text
    assert "105,8" in pdf_writer.document_text(pdf_path.read_bytes())
    assert GeneratedReport.objects.count() == 1

    verified = run("verify", str(docx_path))
    assert "khớp với dữ liệu hiện tại" in verified


@pytest.mark.shared_data
def test_verify_after_correction_fails(
    real_data: None, ktxh: ReportRegime, report_dir: Path, tmp_path: Path
) -> None:
    pdf_path = tmp_path / "bao-cao.pdf"
    run("generate", "ktxh", "--period", "2016", "--out", str(pdf_path))
    stored = DataValue.objects.get(indicator__code=builtin.PUPILS, unit__code="26", period="2016")
    store_values(
        [
            IncomingValue(
                indicator_id=stored.indicator_id,
                unit_id=stored.unit_id,
                period=parse_period("2016"),
                value=191500,
                status=stored.status,
            )
        ]
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("report", "verify", str(pdf_path), stdout=out)
    assert raised.value.returncode == 2
    assert "không còn khớp" in str(raised.value)
    lines = [line for line in out.getvalue().splitlines() if builtin.PUPILS in line]
    assert lines, out.getvalue()
    assert "kỳ 2016" in lines[0]
    assert "191.457" in lines[0]
    assert "191.500" in lines[0]
    assert "đơn vị 26" in lines[0]


def test_format_option_writes_second_file(
    ktxh: ReportRegime, report_dir: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "ktxh.docx"
    run("generate", "ktxh", "--period", "2016", "--out", str(out_path), "--format", "pdf")
    assert out_path.is_file()
    assert (tmp_path / "ktxh.pdf").read_bytes().startswith(b"%PDF-")


def test_unknown_regime_message(ktxh: ReportRegime, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run("generate", "khong-co", "--period", "2016", "--out", str(tmp_path / "a.docx"))
    message = str(raised.value)
    assert "Chế độ báo cáo 'khong-co' không tồn tại" in message
    assert "ktxh" in message


def test_malformed_period_message(ktxh: ReportRegime, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run("generate", "ktxh", "--period", "2016-13", "--out", str(tmp_path / "a.docx"))
    message = str(raised.value)
    assert "'2016-13' không phải là kỳ báo cáo hợp lệ" in message
    assert "2016N9" in message


def test_unknown_suffix_message(ktxh: ReportRegime, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run("generate", "ktxh", "--period", "2016", "--out", str(tmp_path / "a.txt"))
    assert ".docx hoặc .pdf" in str(raised.value)


def test_file_without_manifest_message(tmp_path: Path) -> None:
    plain = tmp_path / "khac.docx"
    Document().save(str(plain))
    for path in (plain, Path(__file__)):
        with pytest.raises(CommandError) as raised:
            run("verify", str(path))
        assert "không chứa bản kê số liệu" in str(raised.value)


def test_missing_file_message(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as raised:
        run("verify", str(tmp_path / "khong-co.pdf"))
    assert "không tồn tại" in str(raised.value)


def test_english_messages(
    ktxh: ReportRegime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    with pytest.raises(CommandError) as raised:
        run("generate", "ktxh", "--period", "20xx", "--out", str(tmp_path / "a.docx"))
    assert "is not a valid period" in str(raised.value)
    assert os.environ["TINHSO_LANGUAGE"] == "en"


def test_list_regimes(ktxh: ReportRegime) -> None:
    assert run("list").startswith("ktxh\tBáo cáo tình hình kinh tế - xã hội")
