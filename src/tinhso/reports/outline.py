"""The outline template language of briefing reports: parsing and evaluation, without Django.

An outline (đề cương) is text with one block per paragraph::

    %% A comment line, not printed.
    # I. TÌNH HÌNH KINH TẾ                      heading, level 1 to 3 by the number of #
    Chỉ số sản xuất công nghiệp {{ period_name }} đạt {{ value gso.iip }} (năm trước = 100).
    - Số trường phổ thông: {{ value gso.schools.total }} trường.     a bullet paragraph
    ::: table Biểu 1. Một số chỉ tiêu chủ yếu
    | Chỉ tiêu | {{ previous_period_name }} | {{ period_name }} | So sánh (%) |
    | Dân số trung bình | {{ value gso.pop period=previous_year }} | {{ value gso.pop }} | {{ index gso.pop }} |
    :::
    ::: chart bar Dân số trung bình (nghìn người)
    series gso.pop label="Vĩnh Phúc" years=5
    :::

Consecutive text lines form one paragraph. The first table row is the header. Every
``{{ FUNCTION CODE option=value ... }}`` is a query on IOC data and becomes a numbered figure:

==========  ===========================================================================
function    result
==========  ===========================================================================
value       the value of CODE for the period
change      change in percent against the comparison period: (v / v0 - 1) × 100
index       index with the comparison period = 100: v / v0 × 100
diff        difference against the comparison period: v - v0
share       share of CODE in the indicator ``of=CODE2``, in percent: v / v2 × 100
==========  ===========================================================================

Options:

- ``period=`` and ``against=``: ``current``, ``previous_year`` (the same period of the
  previous year, the default comparison), ``previous`` (the period just before), ``-2y``
  (the same period two years before, for surveys made every other year) or a period code
  such as ``2015``;
- ``unit=``: a unit code (default: the regime's unit);
- ``decimals=``: the decimals shown; ``scale=``: a factor applied before display;
- ``disaggregation=``: a disaggregation such as ``sex=female``;
- ``words``: write a change as "tăng 5,8%" or "giảm 2,1%" (a ``diff`` without the % sign).

Text variables (``period_name``, ``previous_period_name``, ``unit_name``, ``year``) are
replaced without becoming figures.

A query without data renders as :data:`MISSING_MARK` and is listed, never shown as zero.
"""

from __future__ import annotations

import logging
import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tinhso.ioc import periods
from tinhso.ioc.periods import Period, PeriodType

logger = logging.getLogger(__name__)

MISSING_MARK = "(chưa có số liệu)"
FUNCTIONS = frozenset({"value", "change", "index", "diff", "share"})
COMPARING_FUNCTIONS = frozenset({"change", "index", "diff"})
VARIABLES = frozenset({"period_name", "previous_period_name", "unit_name", "year"})
OPTIONS = frozenset(
    {"period", "against", "unit", "decimals", "scale", "disaggregation", "of", "words", "label"}
)
CHART_KINDS = frozenset({"bar", "line"})
PERIOD_KEYWORDS = frozenset({"current", "previous_year", "previous"})
MAX_CHART_YEARS = 30

_EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BLOCK_START = re.compile(r"^:::\s*(\w+)\s*(.*)$")
_YEARS_BACK = re.compile(r"^-([1-9]\d?)y$")


class OutlineError(ValueError):
    """An outline that cannot be read; ``line`` is 1-based and ``code`` is stable."""

    def __init__(self, code: str, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.code = code
        self.line = line
        self.detail = detail


# --- Parsed outline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One ``{{ FUNCTION CODE options }}`` expression as written, at ``line`` of the outline."""

    function: str
    code: str
    options: dict[str, str]
    source: str
    line: int = 0

    def option(self, name: str, default: str = "") -> str:
        return self.options.get(name, default)


@dataclass(frozen=True)
class Variable:
    name: str


Part = str | Query | Variable


@dataclass
class Heading:
    level: int
    parts: list[Part]


@dataclass
class Paragraph:
    parts: list[Part]
    bullet: bool = False


@dataclass
class Table:
    title: list[Part]
    rows: list[list[list[Part]]]


@dataclass
class SeriesSpec:
    """One chart series: an indicator over the ``years`` periods ending at the report period."""

    query: Query
    label: str
    years: int


@dataclass
class Chart:
    kind: str
    title: list[Part]
    series: list[SeriesSpec]


Block = Heading | Paragraph | Table | Chart


def parse(text: str) -> list[Block]:
    """Parse an outline into blocks; raise OutlineError naming the line of the first error."""
    blocks: list[Block] = []
    lines = text.splitlines()
    paragraph: list[tuple[int, str]] = []
    index = 0

    def flush() -> None:
        # Each line is parsed on its own so that an error names its line; an expression
        # cannot span lines.
        if paragraph:
            parts: list[Part] = []
            for position, (number, line) in enumerate(paragraph):
                if position:
                    parts.append(" ")
                parts.extend(parse_inline(line, number))
            blocks.append(Paragraph(_merge_text(parts)))
            paragraph.clear()

    while index < len(lines):
        number = index + 1
        line = lines[index].strip()
        index += 1
        if line.startswith("%%"):
            continue
        if not line:
            flush()
            continue
        block_start = _BLOCK_START.match(line)
        if block_start and line != ":::":
            flush()
            body: list[tuple[int, str]] = []
            while index < len(lines) and lines[index].strip() != ":::":
                body.append((index + 1, lines[index].strip()))
                index += 1
            if index >= len(lines):
                raise OutlineError("unclosed_block", number, "the block is not closed with :::")
            index += 1
            blocks.append(_parse_block(block_start.group(1), block_start.group(2), body, number))
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            blocks.append(Heading(len(heading.group(1)), parse_inline(heading.group(2), number)))
            continue
        if line.startswith("- "):
            flush()
            blocks.append(Paragraph(parse_inline(line[2:].strip(), number), bullet=True))
            continue
        paragraph.append((number, line))
    flush()
    return blocks


def _merge_text(parts: list[Part]) -> list[Part]:
    """Join neighbouring literal strings, so a paragraph reads as one text between figures."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return merged


def _parse_block(kind: str, header: str, body: list[tuple[int, str]], line: int) -> Block:
    if kind == "table":
        return _parse_table(header, body, line)
    if kind == "chart":
        return _parse_chart(header, body, line)
    raise OutlineError("unknown_block", line, f"unknown block {kind!r}; use table or chart")


def _parse_table(title: str, body: list[tuple[int, str]], line: int) -> Table:
    rows: list[list[list[Part]]] = []
    width = 0
    for number, text in body:
        if not text or text.startswith("%%"):
            continue
        if not (text.startswith("|") and text.endswith("|")):
            raise OutlineError("table_row", number, "a table row starts and ends with |")
        cells = [cell.strip() for cell in text[1:-1].split("|")]
        if width and len(cells) != width:
            raise OutlineError(
                "table_width", number, f"the row has {len(cells)} cells, the header {width}"
            )
        width = width or len(cells)
        rows.append([parse_inline(cell, number) for cell in cells])
    if len(rows) < 2:
        raise OutlineError("table_empty", line, "a table needs a header row and one row or more")
    return Table(parse_inline(title.strip(), line), rows)


def _parse_chart(header: str, body: list[tuple[int, str]], line: int) -> Chart:
    kind, _space, title = header.strip().partition(" ")
    if kind not in CHART_KINDS:
        raise OutlineError(
            "chart_kind",
            line,
            f"chart kind {kind!r} is unknown; use {', '.join(sorted(CHART_KINDS))}",
        )
    series: list[SeriesSpec] = []
    for number, text in body:
        if not text or text.startswith("%%"):
            continue
        words = _split(text, number)
        if words[0] != "series" or len(words) < 2:
            raise OutlineError("chart_series", number, "a chart line is: series CODE [options]")
        query = _query(["value", *words[1:]], text, number)
        years_text = query.options.get("years", "5")
        if not years_text.isdigit() or not 1 <= int(years_text) <= MAX_CHART_YEARS:
            raise OutlineError(
                "chart_years", number, f"years={years_text} is not between 1 and {MAX_CHART_YEARS}"
            )
        options = {k: v for k, v in query.options.items() if k not in {"years", "label"}}
        series.append(
            SeriesSpec(
                Query("value", query.code, options, text, number),
                query.options.get("label", query.code),
                int(years_text),
            )
        )
    if not series:
        raise OutlineError("chart_empty", line, "a chart needs one series line or more")
    return Chart(kind, parse_inline(title.strip(), line), series)


def parse_inline(text: str, line: int = 0) -> list[Part]:
    """Split text into literal strings, queries and variables."""
    parts: list[Part] = []
    position = 0
    for match in _EXPRESSION.finditer(text):
        if match.start() > position:
            parts.append(text[position : match.start()])
        parts.append(parse_expression(match.group(1), line))
        position = match.end()
    if "{{" in text[position:] or "}}" in text[position:]:
        raise OutlineError("unclosed_expression", line, "an expression is not closed with }}")
    if position < len(text):
        parts.append(text[position:])
    return parts


def parse_expression(text: str, line: int = 0) -> Query | Variable:
    """Parse the inside of ``{{ }}``: a text variable or a query."""
    words = _split(text, line)
    if not words:
        raise OutlineError("empty_expression", line, "an expression {{ }} is empty")
    if len(words) == 1 and words[0] in VARIABLES:
        return Variable(words[0])
    return _query(words, "{{ " + text.strip() + " }}", line)


def _split(text: str, line: int) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as error:
        raise OutlineError("quoting", line, f"{error} in {text.strip()!r}") from None


def _query(words: list[str], source: str, line: int) -> Query:
    function = words[0]
    if function not in FUNCTIONS:
        known = ", ".join(sorted(FUNCTIONS | VARIABLES))
        raise OutlineError("unknown_function", line, f"{function!r} is unknown; use one of {known}")
    if len(words) < 2 or "=" in words[1]:
        raise OutlineError("missing_code", line, f"{function} needs an indicator code")
    options: dict[str, str] = {}
    for word in words[2:]:
        name, equals, value = word.partition("=")
        if name not in OPTIONS and name != "years":
            raise OutlineError("unknown_option", line, f"option {name!r} is unknown")
        options[name] = value if equals else "yes"
    if function == "share" and not options.get("of"):
        raise OutlineError("share_of", line, "share needs of=CODE, the whole it is a share of")
    for name in ("decimals", "scale"):
        if name in options:
            _number_option(options[name], name, line)
    for name in ("period", "against"):
        if name in options:
            _check_period_reference(options[name], name, line)
    return Query(function, words[1], options, source, line)


def _check_period_reference(reference: str, name: str, line: int) -> None:
    if reference in PERIOD_KEYWORDS or _YEARS_BACK.match(reference):
        return
    try:
        periods.parse(reference)
    except periods.InvalidPeriodError:
        raise OutlineError(
            "option_period",
            line,
            f"{name}={reference} is not current, previous_year, previous, -Ny or a period code",
        ) from None


def _number_option(text: str, name: str, line: int) -> float:
    try:
        number = float(text)
    except ValueError:
        raise OutlineError("option_number", line, f"{name}={text} is not a number") from None
    if name == "decimals" and not (number.is_integer() and 0 <= number <= 6):
        raise OutlineError("option_number", line, f"decimals={text} is not between 0 and 6")
    return number


def queries(blocks: list[Block]) -> list[Query]:
    """Collect every query of an outline, chart series included, in reading order."""
    found: list[Query] = []
    for block in blocks:
        for parts in _part_lists(block):
            found.extend(part for part in parts if isinstance(part, Query))
        if isinstance(block, Chart):
            found.extend(spec.query for spec in block.series)
    return found


def _part_lists(block: Block) -> list[list[Part]]:
    if isinstance(block, Heading | Paragraph):
        return [block.parts]
    if isinstance(block, Table):
        return [block.title, *(cell for row in block.rows for cell in row)]
    return [block.title]


def indicator_codes(blocks: list[Block]) -> list[str]:
    """Collect the indicator codes the outline's queries read, each once, in reading order."""
    codes: dict[str, None] = {}
    for query in queries(blocks):
        codes[query.code] = None
        if query.function == "share":
            codes[query.option("of")] = None
    return list(codes)


# --- Numbers -----------------------------------------------------------------------------------


def format_number(value: float, decimals: int = 1) -> str:
    """Write a number the Vietnamese way: 1.234,5 (dot thousands, decimal comma)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value} cannot be written as a figure")
    text = f"{abs(value):,.{decimals}f}"
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    negative = value < 0 and any(ch not in "0,." for ch in text)
    return f"-{text}" if negative else text


def format_change_words(change: float, decimals: int = 1, suffix: str = "%") -> str:
    """Write a change as "tăng 5,8%", "giảm 2,1%", or "tương đương" when it rounds to zero."""
    shown = format_number(abs(change), decimals)
    if not any(ch not in "0,." for ch in shown):
        return "tương đương"
    return f"{'tăng' if change > 0 else 'giảm'} {shown}{suffix}"


# --- Data access ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """A stored value a figure was computed from; ``meta`` contains its provenance for the appendix."""

    code: str
    unit_code: str
    period: str
    value: float | None
    data_value_id: int | None
    version: int | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    unit_of_measure: str
    decimals: int


class DataSource(Protocol):
    """Data access of the evaluator; :mod:`tinhso.reports.data` implements it on the database."""

    def indicator(self, code: str) -> IndicatorInfo | None: ...

    def observation(
        self, code: str, unit_code: str, period: Period, disaggregation: str
    ) -> Observation | None: ...

    def unit_name(self, unit_code: str, period: Period) -> str: ...


# --- Evaluation ------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One evaluated query: the number shown, how it was computed and from which stored values."""

    id: str
    query: Query
    unit_code: str
    period: str
    against: str
    value: float | None
    text: str
    inputs: list[Observation]
    missing: str = ""

    @property
    def is_missing(self) -> bool:
        return self.value is None

    def to_manifest(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "query": self.query.source,
            "function": self.query.function,
            "code": self.query.code,
            "options": dict(self.query.options),
            "unit": self.unit_code,
            "period": self.period,
            "against": self.against,
            "value": self.value,
            "text": self.text,
            "missing": self.missing,
            "inputs": [
                {
                    "code": o.code,
                    "unit": o.unit_code,
                    "period": o.period,
                    "value": o.value,
                    "data_value_id": o.data_value_id,
                    "version": o.version,
                }
                for o in self.inputs
            ],
        }


@dataclass
class Context:
    """The report being evaluated: its period and the unit whose data it presents."""

    period: Period
    unit_code: str
    source: DataSource


@dataclass
class RenderedChart:
    kind: str
    title: str
    labels: list[str]
    series: list[tuple[str, list[Figure]]]
    number: int = 0


RenderedPart = str | Figure


@dataclass
class RenderedBlock:
    """A block with its queries evaluated; ``kind`` is heading, paragraph, bullet, table or chart."""

    kind: str
    level: int = 0
    parts: list[RenderedPart] = field(default_factory=list)
    rows: list[list[list[RenderedPart]]] = field(default_factory=list)
    chart: RenderedChart | None = None


@dataclass
class Evaluation:
    blocks: list[RenderedBlock]
    figures: list[Figure]

    @property
    def missing(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.is_missing]


def resolve_period(reference: str, report_period: Period) -> Period:
    """Return the period a ``period=`` or ``against=`` option names, relative to the report's."""
    if reference in {"", "current"}:
        return report_period
    if reference == "previous_year":
        return periods.same_period_last_year(report_period)
    if reference == "previous":
        return periods.previous(report_period)
    years_back = _YEARS_BACK.match(reference)
    if years_back:
        period = report_period
        for _step in range(int(years_back.group(1))):
            period = periods.same_period_last_year(period)
        return period
    return periods.parse(reference)


def period_name(period: Period) -> str:
    """Name a period as Vietnamese reports do: "năm 2016", "9 tháng năm 2016", "tháng 7 năm 2016"."""
    year = period.code[:4]
    kind = period.type
    if kind in {PeriodType.YEAR, PeriodType.REPORT_YEAR}:
        return f"năm {year}"
    if kind in {PeriodType.NINE_MONTHS, PeriodType.REPORT_NINE_MONTHS}:
        return f"9 tháng năm {year}"
    if kind is PeriodType.MONTH:
        return f"tháng {period.start.month} năm {year}"
    if kind is PeriodType.REPORT_MONTH:
        return f"tháng {period.end.month + (1 if period.end.day >= period.cutoff_day else 0)} năm {year}"
    if kind is PeriodType.QUARTER:
        return f"quý {['I', 'II', 'III', 'IV'][(period.start.month - 1) // 3]} năm {year}"
    if kind in {PeriodType.HALF_YEAR, PeriodType.REPORT_HALF_YEAR}:
        first = period.code[4:].lstrip("RS").startswith("1")
        return f"6 tháng {'đầu' if first else 'cuối'} năm {year}"
    if kind is PeriodType.WEEK:
        return f"tuần {period.code.split('W')[1]} năm {year}"
    return period.start.strftime("ngày %d/%m/%Y")


class Evaluator:
    """Evaluate an outline's blocks against a data source, numbering figures F1, F2, … in order."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.figures: list[Figure] = []
        self.charts = 0

    def run(self, blocks: list[Block]) -> Evaluation:
        rendered = [self._block(block) for block in blocks]
        return Evaluation(rendered, self.figures)

    def _block(self, block: Block) -> RenderedBlock:
        if isinstance(block, Heading):
            return RenderedBlock("heading", level=block.level, parts=self._parts(block.parts))
        if isinstance(block, Paragraph):
            kind = "bullet" if block.bullet else "paragraph"
            return RenderedBlock(kind, parts=self._parts(block.parts))
        if isinstance(block, Table):
            rows = [[self._parts(cell) for cell in row] for row in block.rows]
            return RenderedBlock("table", parts=self._parts(block.title), rows=rows)
        return RenderedBlock("chart", chart=self._chart(block))

    def _parts(self, parts: list[Part]) -> list[RenderedPart]:
        rendered: list[RenderedPart] = []
        for part in parts:
            if isinstance(part, str):
                rendered.append(part)
            elif isinstance(part, Variable):
                rendered.append(self.variable(part.name))
            else:
                rendered.append(self.figure(part))
        return rendered

    def variable(self, name: str) -> str:
        period = self.context.period
        if name == "period_name":
            return period_name(period)
        if name == "previous_period_name":
            return period_name(periods.same_period_last_year(period))
        if name == "year":
            return period.code[:4]
        return self.context.source.unit_name(self.context.unit_code, period)

    def _chart(self, chart: Chart) -> RenderedChart:
        self.charts += 1
        years = max(spec.years for spec in chart.series)
        chart_periods = [self.context.period]
        for _step in range(years - 1):
            chart_periods.insert(0, periods.same_period_last_year(chart_periods[0]))
        series: list[tuple[str, list[Figure]]] = []
        for spec in chart.series:
            points = []
            for period in chart_periods[-spec.years :]:
                options = {**spec.query.options, "period": period.code}
                points.append(
                    self.figure(
                        Query("value", spec.query.code, options, spec.query.source, spec.query.line)
                    )
                )
            series.append((spec.label, points))
        title = "".join(p if isinstance(p, str) else p.text for p in self._parts(chart.title))
        labels = [
            period.code[:4] if period.type is PeriodType.YEAR else period.code
            for period in chart_periods
        ]
        return RenderedChart(chart.kind, title, labels, series, self.charts)

    def figure(self, query: Query) -> Figure:
        """Evaluate one query into a new numbered figure."""
        figure = evaluate_query(query, self.context, f"F{len(self.figures) + 1}")
        self.figures.append(figure)
        return figure


def evaluate(blocks: list[Block], context: Context) -> Evaluation:
    return Evaluator(context).run(blocks)


def evaluate_query(query: Query, context: Context, figure_id: str = "") -> Figure:
    """Compute one query's value, text and inputs; a query without data gets MISSING_MARK."""
    source = context.source
    unit_code = query.option("unit") or context.unit_code
    disaggregation = query.option("disaggregation")
    period = resolve_period(query.option("period"), context.period)
    against_period: Period | None = None
    if query.function in COMPARING_FUNCTIONS:
        against_period = resolve_period(query.option("against", "previous_year"), period)

    def fetch(code: str, at: Period) -> Observation:
        found = source.observation(code, unit_code, at, disaggregation)
        return found or Observation(code, unit_code, at.code, None, None, None)

    main = fetch(query.code, period)
    inputs = [main]
    if against_period is not None:
        inputs.append(fetch(query.code, against_period))
    if query.function == "share":
        inputs.append(fetch(query.option("of"), period))

    value, missing = _compute(query.function, [o.value for o in inputs])
    if value is not None and query.function in {"value", "diff"}:
        value *= float(query.option("scale", "1"))
    info = source.indicator(query.code)
    if info is None:
        missing = f"chỉ tiêu {query.code} không tồn tại"
        value = None
    text = MISSING_MARK if value is None else _figure_text(query, value, info)
    return Figure(
        id=figure_id,
        query=query,
        unit_code=unit_code,
        period=period.code,
        against=against_period.code if against_period else "",
        value=value,
        text=text,
        inputs=inputs,
        missing=missing,
    )


def _compute(function: str, numbers: list[float | None]) -> tuple[float | None, str]:
    """Apply ``function`` to the input values; return (value, reason it is missing)."""
    if any(number is None for number in numbers):
        return None, "thiếu số liệu đầu vào"
    values = [float(number) for number in numbers if number is not None]
    if function == "value":
        return values[0], ""
    if function == "diff":
        return values[0] - values[1], ""
    if values[1] == 0:
        return None, "giá trị so sánh bằng 0"
    if function == "change":
        return (values[0] / values[1] - 1) * 100, ""
    return values[0] / values[1] * 100, ""  # index and share


def _figure_text(query: Query, value: float, info: IndicatorInfo | None) -> str:
    default_decimals = info.decimals if info and query.function in {"value", "diff"} else 1
    if query.option("scale") and "decimals" not in query.options:
        default_decimals = 1
    decimals = int(float(query.option("decimals", str(default_decimals))))
    if query.function in {"change", "diff"} and query.option("words"):
        return format_change_words(value, decimals, "%" if query.function == "change" else "")
    text = format_number(value, decimals)
    return f"{text}%" if query.function == "change" else text


# --- Helpers for renderers ---------------------------------------------------------------------------


def plain_text(parts: list[RenderedPart]) -> str:
    return "".join(part if isinstance(part, str) else part.text for part in parts)


def figure_runs(
    parts: list[RenderedPart], on_text: Callable[[str], None], on_figure: Callable[[Figure], None]
) -> None:
    """Call ``on_text`` for literal text and ``on_figure`` for each figure, in order."""
    for part in parts:
        if isinstance(part, str):
            on_text(part)
        else:
            on_figure(part)
