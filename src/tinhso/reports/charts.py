"""Charts of a report drawn with matplotlib (Agg backend) as PNG bytes for DOCX and PDF."""

from __future__ import annotations

import io
import logging

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure as PlotFigure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from tinhso.reports.outline import RenderedChart, format_number  # noqa: E402

logger = logging.getLogger(__name__)

WIDTH_INCHES = 6.2
HEIGHT_INCHES = 3.0
DPI = 150


def render_png(chart: RenderedChart) -> bytes:
    """Draw ``chart``; points without data are left out and named in the legend."""
    # A Figure without pyplot keeps no global state, so concurrent requests do not interfere.
    plot = PlotFigure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    axes = plot.add_subplot()
    positions = list(range(len(chart.labels)))

    count = len(chart.series)
    values = [
        f.value for _label_text, figures in chart.series for f in figures if f.value is not None
    ]
    decimals = 0 if all(float(v).is_integer() for v in values) else 1
    width = 0.8 / max(count, 1)
    for index, (label, figures) in enumerate(chart.series):
        offset = len(chart.labels) - len(figures)
        xs = [positions[offset + i] for i, f in enumerate(figures) if f.value is not None]
        ys = [float(f.value) for f in figures if f.value is not None]
        missing = sum(1 for f in figures if f.value is None)
        name = label if not missing else f"{label} (thiếu {missing} kỳ)"
        if chart.kind == "bar":
            shifted = [x + (index - (count - 1) / 2) * width for x in xs]
            bars = axes.bar(shifted, ys, width=width, label=name)
            axes.bar_label(bars, labels=[format_number(y, decimals) for y in ys], fontsize=7)
        else:
            axes.plot(xs, ys, marker="o", label=name)
            for x, y in zip(xs, ys, strict=True):
                axes.annotate(format_number(y, decimals), (x, y), textcoords="offset points", xytext=(0, 5),
                              ha="center", fontsize=7)  # fmt: skip

    axes.set_xticks(positions, chart.labels)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: _label(y)))
    axes.tick_params(labelsize=8)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(fontsize=8, frameon=False)

    plot.tight_layout()
    buffer = io.BytesIO()
    plot.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _label(value: float) -> str:
    """Format an axis tick: whole numbers without decimals, others with one."""
    return format_number(value, 0 if float(value).is_integer() else 1)
