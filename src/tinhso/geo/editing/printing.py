"""A map view printed to a one-page A4 landscape PDF: title, map image, scale bar, north arrow, legend.

No Django here: the caller passes every text already translated. The scale bar is computed
from the metres per pixel of the map at its centre latitude. It is exact at the centre of a
Web Mercator view, and the true scale drifts by about 0.07 % per 0.1° of latitude at 21° N.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

logger = logging.getLogger(__name__)

FONT = "TinhsoMapSans"
FONT_BOLD = "TinhsoMapSans-Bold"
DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(matplotlib.get_data_path()) / "fonts" / "ttf",
)
# Lengths a scale bar may show, in metres: 1, 2 and 5 times a power of ten.
SCALE_STEPS = (1, 2, 5)
# One PostScript point in metres (1/72 inch).
POINT_M = 0.0254 / 72
PAGE = landscape(A4)
MARGIN = 12 * mm
LEGEND_WIDTH = 62 * mm


@dataclass(frozen=True)
class LegendItem:
    """One visible layer: its name, geometry type (POINT, LINESTRING, POLYGON, GEOMETRY) and style."""

    name: str
    geometry_type: str
    style: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintTexts:
    """The translated texts of the page."""

    legend: str
    north: str
    scale: str
    date_line: str
    source_line: str
    crs_note: str
    view_line: str


@dataclass(frozen=True)
class MapView:
    """The printed view: the PNG, metres per image pixel at the centre, and the bearing in degrees."""

    png: bytes
    width_px: int
    height_px: int
    metres_per_pixel: float
    bearing: float = 0.0


@functools.cache
def register_fonts() -> str:
    """Register DejaVu Sans (regular and bold) once; return the folder it came from.

    The system copy is tried first, then the copy matplotlib ships, so printing works where
    the fonts-dejavu package is not installed.
    """
    for folder in DEJAVU_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if not (regular.is_file() and bold.is_file()):
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
        except (OSError, TTFError) as error:
            logger.warning("DejaVu Sans in %s cannot be read: %s", folder, error)
            continue
        logger.info("Map prints use DejaVu Sans from %s", folder)
        return str(folder)
    raise FileNotFoundError("DejaVu Sans not found in " + ", ".join(map(str, DEJAVU_DIRS)))


def nice_length(max_metres: float) -> float:
    """Return the longest 1-2-5 round length (100 m, 200 m, 500 m, 1 km, ...) not above ``max_metres``."""
    if max_metres <= 0 or not math.isfinite(max_metres):
        raise ValueError(f"max_metres must be positive, got {max_metres}")
    power = 10 ** math.floor(math.log10(max_metres))
    best = float(power)
    for step in SCALE_STEPS:
        if step * power <= max_metres:
            best = float(step * power)
    return best


def length_label(metres: float) -> str:
    """``500 m``, ``1 km``, ``2,5 km`` (Vietnamese decimal comma)."""
    if metres < 1000:
        return f"{metres:g} m"
    return f"{metres / 1000:g} km".replace(".", ",")


def ratio_label(metres_per_point: float) -> str:
    """Format the representative fraction (``1:25 000``) of a printed map to 3 significant digits."""
    denominator = metres_per_point / POINT_M
    magnitude = int(math.floor(math.log10(denominator)))
    rounded = int(round(denominator, 2 - magnitude))
    return "1:" + f"{rounded:,}".replace(",", " ")


def _colour(value: Any, fallback: str) -> colors.Color:
    try:
        return colors.HexColor(str(value or fallback))
    except ValueError:
        return colors.HexColor(fallback)


def _draw_swatch(canvas: Canvas, x: float, y: float, item: LegendItem) -> None:
    """Draw a 10 x 6 mm swatch in the layer's style with its lower-left corner at (x, y)."""
    style = item.style
    stroke = _colour(style.get("color"), "#333333")
    fill = _colour(style.get("fill") or style.get("color"), "#999999")
    opacity = float(style.get("opacity", 0.4) or 0.4)
    width = float(style.get("width", 1.5) or 1.5)
    canvas.saveState()
    canvas.setStrokeColor(stroke)
    if item.geometry_type == "POINT":
        radius = min(3 * mm, max(1 * mm, float(style.get("radius", 4) or 4) * 0.5 * mm))
        canvas.setFillColor(stroke)
        canvas.circle(x + 5 * mm, y + 3 * mm, radius, stroke=0, fill=1)
    elif item.geometry_type == "LINESTRING":
        canvas.setLineWidth(width)
        canvas.line(x, y + 3 * mm, x + 10 * mm, y + 3 * mm)
    else:
        canvas.setFillColor(fill)
        canvas.setFillAlpha(min(1.0, max(0.15, opacity)))
        canvas.setLineWidth(min(width, 2.5))
        canvas.rect(x, y, 10 * mm, 6 * mm, stroke=1, fill=1)
    canvas.restoreState()


def _draw_scale_bar(
    canvas: Canvas, x: float, y: float, metres_per_point: float, max_width: float, label: str
) -> str:
    """A two-segment scale bar at (x, y); returns the length label written on it."""
    length_m = nice_length(metres_per_point * max_width)
    bar = length_m / metres_per_point
    text = length_label(length_m)
    canvas.saveState()
    canvas.setFillColor(colors.Color(1, 1, 1, alpha=0.85))
    canvas.rect(x - 2 * mm, y - 2 * mm, bar + 24 * mm, 13 * mm, stroke=0, fill=1)
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(0.6)
    half = bar / 2
    canvas.setFillColor(colors.black)
    canvas.rect(x, y, half, 1.6 * mm, stroke=1, fill=1)
    canvas.setFillColor(colors.white)
    canvas.rect(x + half, y, half, 1.6 * mm, stroke=1, fill=1)
    canvas.setFillColor(colors.black)
    canvas.setFont(FONT, 7)
    canvas.drawString(x, y + 3 * mm, "0")
    canvas.drawCentredString(x + bar, y + 3 * mm, text)
    canvas.drawString(x, y + 6.5 * mm, f"{label} {ratio_label(metres_per_point)}")
    canvas.restoreState()
    return text


def _draw_north_arrow(canvas: Canvas, cx: float, cy: float, bearing: float, label: str) -> None:
    """Draw an arrow to true north, turned by the map's bearing (at bearing 90 north is on the left)."""
    canvas.saveState()
    canvas.setFillColor(colors.Color(1, 1, 1, alpha=0.85))
    canvas.circle(cx, cy, 9 * mm, stroke=0, fill=1)
    canvas.translate(cx, cy)
    # reportlab turns counter-clockwise; a map turned clockwise by its bearing shows north
    # turned counter-clockwise by the same angle.
    canvas.rotate(bearing)
    path = canvas.beginPath()
    path.moveTo(0, 6 * mm)
    path.lineTo(-2.8 * mm, -4 * mm)
    path.lineTo(0, -2 * mm)
    path.lineTo(2.8 * mm, -4 * mm)
    path.close()
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFont(FONT_BOLD, 8)
    canvas.drawCentredString(0, 6.8 * mm, label)
    canvas.restoreState()


def _fit(width_px: int, height_px: int, box_width: float, box_height: float) -> tuple[float, float]:
    scale = min(box_width / width_px, box_height / height_px)
    return width_px * scale, height_px * scale


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` points, breaking at spaces."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def build_pdf(
    title: str, view: MapView, legend: Sequence[LegendItem], texts: PrintTexts
) -> tuple[bytes, str]:
    """Write the PDF; return its bytes and the scale bar's label."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("tinhso")
    page_width, page_height = PAGE

    canvas.setFont(FONT_BOLD, 15)
    title_lines = _wrap(title, FONT_BOLD, 15, page_width - 2 * MARGIN)[:2]
    top = page_height - MARGIN - 12
    for index, line in enumerate(title_lines):
        canvas.drawString(MARGIN, top - index * 18, line)
    map_top = top - 18 * len(title_lines) + 6

    footer_height = 16 * mm
    box_width = page_width - 2 * MARGIN - LEGEND_WIDTH - 6 * mm
    box_height = map_top - MARGIN - footer_height
    image_width, image_height = _fit(view.width_px, view.height_px, box_width, box_height)
    image_x = MARGIN
    image_y = map_top - image_height
    canvas.drawImage(ImageReader(io.BytesIO(view.png)), image_x, image_y, image_width, image_height)
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(0.8)
    canvas.rect(image_x, image_y, image_width, image_height, stroke=1, fill=0)

    metres_per_point = view.metres_per_pixel * view.width_px / image_width
    scale_text = _draw_scale_bar(
        canvas, image_x + 5 * mm, image_y + 5 * mm, metres_per_point, image_width / 4, texts.scale
    )
    _draw_north_arrow(
        canvas, image_x + image_width - 13 * mm, image_y + image_height - 13 * mm,
        view.bearing, texts.north,
    )  # fmt: skip

    _draw_legend(canvas, page_width - MARGIN - LEGEND_WIDTH, map_top, legend, texts.legend)
    _draw_footer(canvas, texts, page_width)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue(), scale_text


def _draw_legend(
    canvas: Canvas, x: float, top: float, legend: Sequence[LegendItem], heading: str
) -> None:
    canvas.setFont(FONT_BOLD, 11)
    canvas.drawString(x, top - 11, heading)
    y = top - 20
    for item in legend:
        lines = _wrap(item.name, FONT, 9, LEGEND_WIDTH - 14 * mm)
        height = max(7 * mm, len(lines) * 11)
        if y - height < MARGIN + 16 * mm:
            # NOTE: layers that do not fit in the column are left out of the printed legend.
            logger.info("Map print legend is full; %s and later layers left out", item.name)
            break
        _draw_swatch(canvas, x, y - 6 * mm, item)
        canvas.setFont(FONT, 9)
        for index, line in enumerate(lines):
            canvas.drawString(x + 13 * mm, y - 9 - index * 11, line)
        y -= height + 2 * mm


def _draw_footer(canvas: Canvas, texts: PrintTexts, page_width: float) -> None:
    canvas.setFont(FONT, 8)
    canvas.setFillColor(colors.black)
    base = MARGIN
    canvas.drawString(MARGIN, base + 20, texts.view_line)
    canvas.drawString(MARGIN, base + 10, texts.crs_note)
    canvas.drawString(MARGIN, base, texts.source_line)
    canvas.drawRightString(page_width - MARGIN, base, texts.date_line)
