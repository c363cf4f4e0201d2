"""The PDF file of a report (reportlab), with an embedded TrueType font that has Vietnamese glyphs.

The font is Times New Roman when installed, else Liberation Serif (metric-compatible with
it), else DejaVu Serif from matplotlib's own files. Each figure carries a named destination
(its id, ``F12``), and the manifest is attached as the embedded file ``tinhso-manifest.json``.
"""

from __future__ import annotations

import functools
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from tinhso.reports import document as layout
from tinhso.reports.outline import RenderedBlock, RenderedPart

logger = logging.getLogger(__name__)

MANIFEST_ATTACHMENT = "tinhso-manifest.json"
# Widths of the two columns of the header block; together they fill the 165 mm text width.
LEFT_COLUMN_MM = 62
RIGHT_COLUMN_MM = 103
FAMILY = "TinhsoSerif"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/msttcorefonts"),
    Path("/usr/share/fonts/truetype/times-new-roman"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("C:/Windows/Fonts"),
)
# File names of (regular, bold, italic, bold italic), in order of preference.
FONT_FILES = (
    ("Times New Roman", ("Times_New_Roman.ttf", "Times_New_Roman_Bold.ttf", "Times_New_Roman_Italic.ttf", "Times_New_Roman_Bold_Italic.ttf")),
    ("Times New Roman", ("times.ttf", "timesbd.ttf", "timesi.ttf", "timesbi.ttf")),
    ("Liberation Serif", ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf")),
)  # fmt: skip
# Precomposed letters that fonts without full Vietnamese support lack.
VIETNAMESE_SAMPLE = "ĂÂĐÊÔƠƯăâđêôơưẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
DEJAVU_FILES = (
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf",
)


class ManifestNotFoundError(ValueError):
    """The PDF file carries no report manifest."""


@dataclass(frozen=True)
class FontChoice:
    name: str
    files: tuple[Path, Path, Path, Path]


def covers_vietnamese(path: Path) -> bool:
    """True when the font file has a glyph for every letter of VIETNAMESE_SAMPLE."""
    try:
        charmap = TTFont(f"probe-{path.stem}", str(path)).face.charToGlyph
    except (OSError, TTFError) as error:
        logger.warning("Font %s cannot be read: %s", path, error)
        return False
    return all(ord(letter) in charmap for letter in VIETNAMESE_SAMPLE)


def find_font() -> FontChoice:
    """Return the first serif family with all four styles and Vietnamese glyphs, else DejaVu Serif."""
    for name, files in FONT_FILES:
        for directory in FONT_DIRS:
            paths = tuple(directory / file for file in files)
            if not all(path.is_file() for path in paths):
                continue
            if all(covers_vietnamese(path) for path in paths):
                return FontChoice(name, paths)  # type: ignore[arg-type]
            # Liberation Serif before version 2 has no precomposed Vietnamese letters.
            logger.info("Font %s in %s lacks Vietnamese letters; trying the next", name, directory)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return FontChoice("DejaVu Serif", tuple(fonts / file for file in DEJAVU_FILES))  # type: ignore[arg-type]


@functools.cache
def register_font() -> FontChoice:
    """Register the chosen family with reportlab once per process and log which one it is."""
    choice = find_font()
    names = (FAMILY, f"{FAMILY}-Bold", f"{FAMILY}-Italic", f"{FAMILY}-BoldItalic")
    for name, path in zip(names, choice.files, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FAMILY, normal=names[0], bold=names[1], italic=names[2], boldItalic=names[3]
    )
    logger.info("PDF reports use the font %s from %s", choice.name, choice.files[0].parent)
    return choice


# DejaVu Serif is wider than Times New Roman, so the PDF body uses the lower end of the
# 13–14 pt range that Decree 30/2020/NĐ-CP allows.
PDF_BODY_SIZE_PT = 13


def _styles() -> dict[str, ParagraphStyle]:
    size = PDF_BODY_SIZE_PT
    base = ParagraphStyle("base", fontName=FAMILY, fontSize=size, leading=size * 1.3)
    return {
        "center": ParagraphStyle("center", base, alignment=TA_CENTER, fontSize=13, leading=16),
        "center_bold": ParagraphStyle("center_bold", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=13, leading=16),
        "national": ParagraphStyle("national", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=_national_size(), leading=15),
        "date": ParagraphStyle("date", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Italic", fontSize=14, leading=17),
        "type": ParagraphStyle("type", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=14, leading=18, spaceBefore=12),
        "title": ParagraphStyle("title", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=14, leading=18),
        "heading": ParagraphStyle("heading", base, alignment=TA_JUSTIFY, fontName=f"{FAMILY}-Bold", firstLineIndent=10 * mm, spaceAfter=6, spaceBefore=6),
        "heading3": ParagraphStyle("heading3", base, alignment=TA_JUSTIFY, fontName=f"{FAMILY}-BoldItalic", firstLineIndent=10 * mm, spaceAfter=6),
        "body": ParagraphStyle("body", base, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=6),
        "caption": ParagraphStyle("caption", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Italic", fontSize=12, leading=15, spaceAfter=8),
        "table_title": ParagraphStyle("table_title", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=13, leading=16, spaceAfter=4),
        "cell": ParagraphStyle("cell", base, alignment=TA_LEFT, fontSize=12, leading=14),
        "cell_number": ParagraphStyle("cell_number", base, alignment=TA_RIGHT, fontSize=12, leading=14),
        "cell_head": ParagraphStyle("cell_head", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=12, leading=14),
        "recipients_head": ParagraphStyle("recipients_head", base, fontName=f"{FAMILY}-BoldItalic", fontSize=12, leading=14),
        "recipients": ParagraphStyle("recipients", base, fontSize=11, leading=13),
        "signer": ParagraphStyle("signer", base, alignment=TA_CENTER, fontName=f"{FAMILY}-Bold", fontSize=14, leading=17),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9),
        "small_head": ParagraphStyle("small_head", base, fontName=f"{FAMILY}-Bold", fontSize=7.5, leading=9),
        "list": ParagraphStyle("list", base, fontSize=10, leading=12),
        "list_head": ParagraphStyle("list_head", base, fontName=f"{FAMILY}-Bold", fontSize=12, leading=15, spaceBefore=8),
    }  # fmt: skip


def _national_size() -> float:
    """Return the largest size from 13 down to 11 pt at which the national title fits on one line."""
    for size in (13, 12.5, 12, 11.5, 11):
        if (
            pdfmetrics.stringWidth(layout.NATIONAL_TITLE, f"{FAMILY}-Bold", size)
            <= RIGHT_COLUMN_MM * mm
        ):
            return size
    return 11


def write_pdf(report: layout.ReportDocument) -> bytes:
    """Build the PDF file of ``report`` with the manifest attached, and return its bytes."""
    register_font()
    styles = _styles()
    buffer = io.BytesIO()
    template = _template(buffer, report.title, report.subject)
    story: list[Flowable] = []
    story.extend(_header(report, styles))
    for block in report.evaluation.blocks:
        story.extend(_block(block, report, styles))
    story.append(CondPageBreak(60 * mm))
    story.append(_closing(report, styles))
    # A report built without figure queries has no data sources to list.
    if report.evaluation.figures:
        story.append(NextPageTemplate("landscape"))
        story.append(PageBreak())
        story.extend(_appendix(report, styles))
    template.build(story)
    return _attach_manifest(buffer.getvalue(), report)


def _template(buffer: io.BytesIO, title: str, subject: str) -> BaseDocTemplate:
    portrait_size = A4
    landscape_size = landscape(A4)
    margins = {
        "leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0,
    }  # fmt: skip

    def frame(size: tuple[float, float], name: str) -> Frame:
        return Frame(
            layout.MARGIN_LEFT_MM * mm,
            layout.MARGIN_BOTTOM_MM * mm,
            size[0] - (layout.MARGIN_LEFT_MM + layout.MARGIN_RIGHT_MM) * mm,
            size[1] - (layout.MARGIN_TOP_MM + layout.MARGIN_BOTTOM_MM) * mm,
            id=name,
            **margins,
        )

    def page_number(canvas: Any, doc: Any) -> None:
        # Decree 30/2020/NĐ-CP numbers pages from the second, centred in the top margin.
        if doc.page > 1:
            canvas.setFont(FAMILY, 13)
            width = canvas._pagesize[0]
            canvas.drawCentredString(width / 2, canvas._pagesize[1] - 12 * mm, str(doc.page))

    template = BaseDocTemplate(
        buffer,
        pagesize=portrait_size,
        title=title,
        author="Tỉnh số",
        subject=subject,
        initialFontName=FAMILY,
        pageTemplates=[
            PageTemplate("portrait", [frame(portrait_size, "p")], onPage=page_number, pagesize=portrait_size),
            PageTemplate("landscape", [frame(landscape_size, "l")], onPage=page_number, pagesize=landscape_size),
        ],
    )  # fmt: skip
    return template


def _markup(parts: list[RenderedPart]) -> str:
    """Paragraph markup of ``parts``; each figure gets a named destination with its id."""
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(escape(part))
        else:
            pieces.append(f'<a name="{part.id}"/>{escape(part.text)}')
    return "".join(pieces)


def _header(report: layout.ReportDocument, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    left: list[Flowable] = []
    if report.issuer_parent:
        left.append(Paragraph(escape(report.issuer_parent.upper()), styles["center"]))
    for line in report.issuer_lines:
        left.append(Paragraph(escape(line.upper()), styles["center_bold"]))
    left.append(_Rule(18 * mm))
    left.append(Spacer(1, 3 * mm))
    left.append(Paragraph(escape(report.number_line), styles["center"]))
    right: list[Flowable] = [
        Paragraph(layout.NATIONAL_TITLE, styles["national"]),
        Paragraph(layout.MOTTO, styles["center_bold"]),
        _Rule(55 * mm),
        Spacer(1, 3 * mm),
        Paragraph(escape(report.place_date), styles["date"]),
    ]
    table = Table([[left, right]], colWidths=[LEFT_COLUMN_MM * mm, RIGHT_COLUMN_MM * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        table,
        Paragraph(layout.DOCUMENT_TYPE, styles["type"]),
        Paragraph(escape(report.title), styles["title"]),
        _Rule(30 * mm),
        Spacer(1, 6 * mm),
    ]


class _Rule(Flowable):
    """A short centred line under a heading, as administrative documents draw them."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.line_width = width

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.available = available_width
        return available_width, 2 * mm

    def draw(self) -> None:
        start = (self.available - self.line_width) / 2
        self.canv.setLineWidth(0.6)
        self.canv.line(start, 1 * mm, start + self.line_width, 1 * mm)


def _block(
    block: RenderedBlock, report: layout.ReportDocument, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    if block.kind == "heading":
        style = styles["heading3"] if block.level >= 3 else styles["heading"]
        return [CondPageBreak(25 * mm), Paragraph(_markup(block.parts), style)]
    if block.kind == "paragraph":
        return [Paragraph(_markup(block.parts), styles["body"])]
    if block.kind == "bullet":
        return [Paragraph("- " + _markup(block.parts), styles["body"])]
    if block.kind == "table":
        return _data_table(block, styles)
    chart = block.chart
    if chart is None:
        return []
    flowables: list[Flowable] = []
    image = report.chart_images.get(chart.number)
    if image is not None:
        width = 150 * mm
        flowables.append(Image(io.BytesIO(image), width=width, height=width * 3.0 / 6.2))
    flowables.append(Paragraph(escape(f"Biểu đồ {chart.number}. {chart.title}"), styles["caption"]))
    return [KeepTogether(flowables)]


def _data_table(block: RenderedBlock, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows = []
    for row_index, row in enumerate(block.rows):
        cells = []
        for column_index, parts in enumerate(row):
            if row_index == 0:
                style = styles["cell_head"]
            elif column_index >= 2:
                style = styles["cell_number"]
            else:
                style = styles["cell"]
            cells.append(Paragraph(_markup(parts), style))
        rows.append(cells)
    columns = len(block.rows[0])
    first = 55 * mm
    rest = (165 * mm - first) / max(columns - 1, 1)
    table = Table(rows, colWidths=[first] + [rest] * (columns - 1), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
            ]
        )
    )
    return [
        CondPageBreak(40 * mm),
        Paragraph(_markup(block.parts), styles["table_title"]),
        table,
        Spacer(1, 6 * mm),
    ]


def _closing(report: layout.ReportDocument, styles: dict[str, ParagraphStyle]) -> Table:
    left: list[Flowable] = [Paragraph("Nơi nhận:", styles["recipients_head"])]
    for index, recipient in enumerate(report.recipients):
        end = "." if index == len(report.recipients) - 1 else ";"
        left.append(Paragraph(escape(f"- {recipient}{end}"), styles["recipients"]))
    right: list[Flowable] = [
        Paragraph(escape(line.upper()), styles["signer"]) for line in report.signer_authority
    ]
    if report.signer_title:
        right.append(Paragraph(escape(report.signer_title.upper()), styles["signer"]))
    right.append(Spacer(1, 28 * mm))
    right.append(Paragraph(escape(report.signer_name or " "), styles["signer"]))
    table = Table([[left, right]], colWidths=[80 * mm, 85 * mm])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def _appendix(report: layout.ReportDocument, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    flowables: list[Flowable] = [
        Paragraph(escape(layout.APPENDIX_TITLE.upper()), styles["title"]),
        Paragraph(escape(f"(Kèm theo báo cáo: {report.title})"), styles["caption"]),
    ]
    header = [Paragraph(escape(text), styles["small_head"]) for text in layout.APPENDIX_HEADERS]
    rows: list[list[Any]] = [header]
    for row in layout.appendix_rows(report.evaluation):
        rows.append(
            [Paragraph(escape(text).replace("\n", "<br/>"), styles["small"]) for text in row]
        )
    widths_mm = (12, 22, 62, 16, 20, 60, 12, 22, 22)
    table = Table(rows, colWidths=[w * mm for w in widths_mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
            ]
        )
    )
    flowables.append(table)
    missing = report.evaluation.missing
    if missing:
        flowables.append(Paragraph(escape(layout.MISSING_LIST_TITLE), styles["list_head"]))
        for figure in missing:
            text = f"- {figure.id}: {figure.query.source} (kỳ {figure.period}, đơn vị {figure.unit_code}; {figure.missing})"
            flowables.append(Paragraph(escape(text), styles["list"]))
    return flowables


def _attach_manifest(data: bytes, report: layout.ReportDocument) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    payload = json.dumps(report.manifest, ensure_ascii=False, sort_keys=True).encode()
    writer.add_attachment(MANIFEST_ATTACHMENT, payload)
    writer.add_metadata({"/TinhsoManifest": MANIFEST_ATTACHMENT})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def read_manifest(data: bytes) -> dict[str, Any]:
    """Return the manifest attached to a PDF file; raise ManifestNotFoundError without one."""
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        contents = attachments.get(MANIFEST_ATTACHMENT)
    except (PdfReadError, ValueError, KeyError) as error:
        raise ManifestNotFoundError(str(error)) from None
    if not contents:
        raise ManifestNotFoundError("no manifest attachment")
    manifest: dict[str, Any] = json.loads(contents[0])
    return manifest


def document_text(data: bytes) -> str:
    """Extract the text of every page of a PDF file, for tests and search."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
