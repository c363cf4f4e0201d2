"""The ktxh report of 2016 on the real GSO tables and budget file: figures, layout, manifest, verify."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from pypdf import PdfReader

from tinhso.core.models import AuditAction, AuditEvent
from tinhso.ioc.models import DataValue
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values
from tinhso.reports import builtin, docx_writer, pdf_writer, services
from tinhso.reports.document import APPENDIX_HEADERS, MOTTO, NATIONAL_TITLE
from tinhso.reports.models import GeneratedReport, ReportRegime
from tinhso.reports.outline import MISSING_MARK

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

# Figures of Vĩnh Phúc in 2016 as the GSO tables state them, written the Vietnamese way.
FIGURES_2016 = [
    "105,8",  # index of industrial production
    "362",  # general education schools
    "10.209",  # teachers
    "191.457",  # pupils
    "266",  # FDI projects accumulated to 31-12-2016
    "3.874,7",  # their registered capital, million USD
    "35.293,8",  # retail sales, billion dong
]


@pytest.fixture
def built(real_data: None, ktxh: ReportRegime) -> services.BuiltReport:
    return services.build_report(ktxh, "2016")


def docx_text(data: bytes) -> str:
    return docx_writer.document_text(data)


def pdf_text(data: bytes) -> str:
    return pdf_writer.document_text(data)


def figure(built: services.BuiltReport, code: str, **options: str) -> dict[str, object]:
    """The first manifest entry of a value query on ``code`` with exactly ``options``."""
    for entry in built.manifest["figures"]:
        if entry["code"] == code and entry["function"] == "value" and entry["options"] == options:
            return entry
    raise AssertionError(f"no figure for {code} {options}")


def test_docx_has_real_2016_figures(built: services.BuiltReport) -> None:
    text = docx_text(built.files["docx"])
    for number in FIGURES_2016:
        assert number in text, number
    assert "Chỉ số sản xuất toàn ngành công nghiệp (IIP) năm 2016 bằng 105,8%" in text
    assert "362 trường phổ thông" in text
    assert "10.209 giáo viên" in text
    assert "191.457 học sinh" in text
    assert "266 dự án FDI" in text
    assert "3.874,7 triệu USD" in text


def test_pdf_has_real_2016_figures(built: services.BuiltReport) -> None:
    text = re.sub(r"\s+", " ", pdf_text(built.files["pdf"]))
    for number in FIGURES_2016:
        assert number in text, number
    assert "Tình hình kinh tế - xã hội năm 2016" in text


def test_comparisons_with_previous_year(built: services.BuiltReport) -> None:
    text = docx_text(built.files["docx"])
    # 35,293.8 against 32,110.0 billion dong in 2015.
    assert "35.293,8 tỷ đồng, tăng 9,9% so với năm 2015" in text
    # 2.9% of households against 3.7% in 2015.
    assert "Tỷ lệ hộ nghèo còn 2,9%, giảm 0,8 điểm phần trăm so với năm 2015" in text
    assert "chỉ số của năm 2015 là 101,6%" in text


def test_budget_2016_missing_is_marked(built: services.BuiltReport) -> None:
    """The budget file ends in 2015: 2016 shows the marker, 2015 the real figure."""
    text = docx_text(built.files["docx"])
    assert f"Thu ngân sách nhà nước trên địa bàn năm 2016: {MISSING_MARK}" in text
    assert "thu ngân sách nhà nước trên địa bàn 21.990.000" in text
    missing_codes = {f.query.code for f in built.evaluation.missing}
    assert missing_codes == {builtin.BUDGET_REVENUE, builtin.BUDGET_SPENDING}
    assert "0,0" not in re.findall(r"năm 2016: \S+", text)[0]


def test_docx_layout_nd30(built: services.BuiltReport) -> None:
    doc = Document(io.BytesIO(built.files["docx"]))
    section = doc.sections[0]
    # Word stores margins in twentieths of a point, so millimetres come back rounded.
    assert 20 <= round(section.top_margin.mm) <= 25
    assert 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"].font  # type: ignore[attr-defined]
    assert normal.name == "Times New Roman"
    assert 13 <= normal.size.pt <= 14
    header = doc.tables[0]
    left = header.cell(0, 0).text
    right = header.cell(0, 1).text
    assert "ỦY BAN NHÂN DÂN" in left
    assert "TỈNH PHÚ THỌ" in left
    assert "/BC-UBND" in left
    assert NATIONAL_TITLE in right
    assert MOTTO in right
    assert re.search(r"Phú Thọ, ngày \d\d tháng \d+ năm \d{4}", right)
    texts = [p.text for p in doc.paragraphs]
    assert "BÁO CÁO" in texts
    title_index = texts.index("BÁO CÁO") + 1
    assert texts[title_index] == "Tình hình kinh tế - xã hội năm 2016 trên địa bàn tỉnh Vĩnh Phúc"
    assert doc.paragraphs[title_index].alignment == 1  # centred
    closing = next(t for t in doc.tables if "Nơi nhận:" in t.cell(0, 0).text)
    assert "TM. ỦY BAN NHÂN DÂN" in closing.cell(0, 1).text
    assert "CHỦ TỊCH" in closing.cell(0, 1).text


def test_docx_embeds_charts_and_bookmarks(built: services.BuiltReport) -> None:
    doc = Document(io.BytesIO(built.files["docx"]))
    images = [r for r in doc.part.rels.values() if r.reltype == RT.IMAGE]
    assert len(images) == 3
    names = {b.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}name")
             for b in doc.element.body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}bookmarkStart")}  # fmt: skip
    assert {"F1", "F2"} <= names


def test_appendix_rows(built: services.BuiltReport) -> None:
    doc = Document(io.BytesIO(built.files["docx"]))
    appendix = doc.tables[-1]
    assert tuple(cell.text for cell in appendix.rows[0].cells) == APPENDIX_HEADERS
    rows = {row.cells[0].text: [cell.text for cell in row.cells] for row in appendix.rows[1:]}
    assert len(rows) == len(built.evaluation.figures)
    iip = figure(built, builtin.IIP)
    row = rows[str(iip["id"])]
    value = DataValue.objects.get(pk=iip["inputs"][0]["data_value_id"])  # type: ignore[index]
    assert row[1] == "105,8"
    assert builtin.IIP in row[2]
    assert "Chỉ số sản xuất công nghiệp" in row[2]
    assert row[4] == "2016 (26)"
    assert "Index of Industrial production by province.csv#2016" in row[5]
    assert row[6] == str(value.batch_id)
    assert "đã phê duyệt" in row[7]
    assert row[8] == f"{value.pk} v1"
    missing = built.evaluation.missing[0]
    assert rows[missing.id][1] == MISSING_MARK
    assert "chưa có số liệu" in rows[missing.id][5]


def test_pdf_font_appendix_and_landscape(built: services.BuiltReport) -> None:
    reader = PdfReader(io.BytesIO(built.files["pdf"]))
    fonts = set()
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    chosen = pdf_writer.register_font()
    family = chosen.name.replace(" ", "")
    assert any(family in name for name in fonts), fonts
    assert chosen.name in {"Times New Roman", "Liberation Serif", "DejaVu Serif"}
    assert all(pdf_writer.covers_vietnamese(path) for path in chosen.files)
    first = reader.pages[0]
    assert float(first.mediabox.width) < float(first.mediabox.height)
    last = reader.pages[-1]
    assert float(last.mediabox.width) > float(last.mediabox.height)
    text = re.sub(r"\s+", " ", pdf_text(built.files["pdf"]))
    assert "PHỤ LỤC: NGUỒN SỐ LIỆU" in text
    assert NATIONAL_TITLE in text
    assert MOTTO in text
    assert "Nơi nhận:" in text


def test_manifests_match_in_both_formats(built: services.BuiltReport) -> None:
    from_docx = services.read_manifest(built.files["docx"])
    from_pdf = services.read_manifest(built.files["pdf"])
    assert from_docx == from_pdf == json.loads(json.dumps(built.manifest))
    assert from_docx["regime"] == "ktxh"
    assert from_docx["period"] == "2016"
    assert from_docx["generated_at"]
    iip = figure(built, builtin.IIP)
    assert iip["value"] == 105.8
    assert iip["text"] == "105,8"
    assert iip["inputs"][0]["version"] == 1  # type: ignore[index]


def test_generate_stores_files_and_audits(
    real_data: None, ktxh: ReportRegime, report_dir: Path
) -> None:
    record, built = services.generate(ktxh, "2016")
    assert (report_dir / record.docx_path).read_bytes() == built.files["docx"]
    assert (report_dir / record.pdf_path).read_bytes() == built.files["pdf"]
    assert len(record.docx_sha256) == 64
    assert record.sha256 == services.manifest_hash(built.manifest)
    assert record.figure_count == len(built.evaluation.figures)
    assert record.missing_count == 6
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(record.pk))
    assert event.extra["regime"] == "ktxh"
    assert event.extra["period"] == "2016"
    assert ktxh.indicators.filter(code=builtin.IIP).exists()
    assert GeneratedReport.objects.count() == 1


def test_verify_unchanged_report_passes(built: services.BuiltReport) -> None:
    assert services.verify(services.read_manifest(built.files["pdf"])) == []


def test_verify_names_corrected_value(built: services.BuiltReport) -> None:
    iip = figure(built, builtin.IIP)
    stored = DataValue.objects.get(pk=iip["inputs"][0]["data_value_id"])  # type: ignore[index]
    store_values(
        [
            IncomingValue(
                indicator_id=stored.indicator_id,
                unit_id=stored.unit_id,
                period=parse_period("2016"),
                value=106.1,
                status=stored.status,
                source_detail="Cục Thống kê, số chính thức",
            )
        ],
        reason="Số liệu chính thức",
    )
    mismatches = services.verify(services.read_manifest(built.files["docx"]))
    changed = {m.figure_id: m for m in mismatches}
    assert iip["id"] in changed
    mismatch = changed[str(iip["id"])]
    assert mismatch.code == builtin.IIP
    assert mismatch.period == "2016"
    assert mismatch.unit == "26"
    assert mismatch.old_text == "105,8"
    assert mismatch.new_text == "106,1"
    assert "Chỉ số sản xuất công nghiệp" in mismatch.indicator_name
    # The same value appears in the chart and the table; nothing else changed.
    assert {m.code for m in mismatches} == {builtin.IIP}


def test_nine_month_report_marks_missing(real_data: None, ktxh: ReportRegime) -> None:
    """The GSO tables are yearly, so a nine-month report shows markers, never zeros."""
    built = services.build_report(ktxh, "2016N9", ["docx"])
    text = docx_text(built.files["docx"])
    assert "9 tháng năm 2016" in text
    assert MISSING_MARK in text
    assert len(built.evaluation.missing) == len(built.evaluation.figures)
