"""The outline template language without a database: parsing, evaluation, number formatting."""

from __future__ import annotations

import pytest

from tinhso.ioc import periods
from tinhso.ioc.periods import Period
from tinhso.reports import outline
from tinhso.reports.outline import (
    MISSING_MARK,
    Chart,
    Context,
    Heading,
    IndicatorInfo,
    Observation,
    OutlineError,
    Paragraph,
    Query,
    Table,
    Variable,
    format_change_words,
    format_number,
)


class FakeSource:
    """Values keyed by (code, unit, period code); every known code has one decimal."""

    def __init__(self, values: dict[tuple[str, str, str], float | None]) -> None:
        self.values = values
        self.lookups: list[tuple[str, str, str]] = []

    def indicator(self, code: str) -> IndicatorInfo | None:
        known = {key[0] for key in self.values}
        return IndicatorInfo(code, f"Tên {code}", "người", 1) if code in known else None

    def observation(
        self, code: str, unit_code: str, period: Period, disaggregation: str
    ) -> Observation | None:
        key = (code, unit_code, period.code)
        self.lookups.append(key)
        if key not in self.values:
            return None
        return Observation(code, unit_code, period.code, self.values[key], 7, 2, {})

    def unit_name(self, unit_code: str, period: Period) -> str:
        return "tỉnh Vĩnh Phúc"


def context(values: dict[tuple[str, str, str], float | None], period: str = "2016") -> Context:
    return Context(periods.parse(period), "26", FakeSource(values))


# --- Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (105.8, 1, "105,8"),
        (1234.5, 1, "1.234,5"),
        (191457, 0, "191.457"),
        (3874.7, 1, "3.874,7"),
        (10209, 0, "10.209"),
        (1234567.891, 2, "1.234.567,89"),
        (-2.25, 1, "-2,2"),
        (-1234.5, 1, "-1.234,5"),
        (-0.04, 1, "0,0"),
        (0, 0, "0"),
        (99.39, 2, "99,39"),
    ],
)
def test_format_number_vietnamese(value: float, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected


def test_format_number_rejects_nan() -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        format_number(float("nan"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [(5.83, "tăng 5,8%"), (-2.1, "giảm 2,1%"), (0.04, "tương đương"), (-0.04, "tương đương")],
)
def test_change_words(change: float, expected: str) -> None:
    assert format_change_words(change) == expected


# --- Parsing -------------------------------------------------------------------------------------


def test_parse_blocks() -> None:
    text = """%% comment
# I. KINH TẾ
Dòng một {{ value A }}
dòng hai {{ period_name }}.

- Gạch đầu dòng {{ change A words }}
::: table Biểu 1
| Chỉ tiêu | {{ period_name }} |
| A | {{ value A period=previous_year decimals=0 }} |
:::
::: chart bar Biểu đồ
series A label="Vĩnh Phúc" years=3
series A unit=VN label="Cả nước"
:::
"""
    blocks = outline.parse(text)
    assert [type(block) for block in blocks] == [Heading, Paragraph, Paragraph, Table, Chart]
    heading = blocks[0]
    assert isinstance(heading, Heading)
    assert heading.level == 1
    paragraph = blocks[1]
    assert isinstance(paragraph, Paragraph)
    assert paragraph.parts[0] == "Dòng một "
    assert paragraph.parts[2] == " dòng hai "
    assert paragraph.parts[3] == Variable("period_name")
    bullet = blocks[2]
    assert isinstance(bullet, Paragraph)
    assert bullet.bullet
    query = bullet.parts[1]
    assert isinstance(query, Query)
    assert query.function == "change"
    assert query.options == {"words": "yes"}
    table = blocks[3]
    assert isinstance(table, Table)
    assert len(table.rows) == 2
    cell = table.rows[1][1][0]
    assert isinstance(cell, Query)
    assert cell.options == {"period": "previous_year", "decimals": "0"}
    chart = blocks[4]
    assert isinstance(chart, Chart)
    assert chart.kind == "bar"
    assert [(s.label, s.years) for s in chart.series] == [("Vĩnh Phúc", 3), ("Cả nước", 5)]
    assert chart.series[1].query.options == {"unit": "VN"}
    assert outline.indicator_codes(blocks) == ["A"]


def test_share_codes_are_listed() -> None:
    blocks = outline.parse("{{ share A of=B }}")
    assert outline.indicator_codes(blocks) == ["A", "B"]


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("Dòng\n{{ total A }}", "unknown_function", 2),
        ("{{ value }}", "missing_code", 1),
        ("{{ value A colour=red }}", "unknown_option", 1),
        ("{{ share A }}", "share_of", 1),
        ("{{ value A decimals=x }}", "option_number", 1),
        ("{{ value A decimals=9 }}", "option_number", 1),
        ("{{ value A period=lastyear }}", "option_period", 1),
        ("{{ change A against=2016Q5 }}", "option_period", 1),
        ("text {{ value A", "unclosed_expression", 1),
        ("{{ }}", "empty_expression", 1),
        ('{{ value A label="x }}', "quoting", 1),
        ("::: table T\n| a | b |\n| c | d |", "unclosed_block", 1),
        ("::: table T\n| a | b |\n| c |\n:::", "table_width", 3),
        ("::: table T\n| a | b |\n:::", "table_empty", 1),
        ("::: table T\n| a | b |\nc\n:::", "table_row", 3),
        ("::: chart pie T\nseries A\n:::", "chart_kind", 1),
        ("::: chart bar T\n:::", "chart_empty", 1),
        ("::: chart bar T\nline A\n:::", "chart_series", 2),
        ("::: chart bar T\nseries A years=99\n:::", "chart_years", 2),
        ("::: map T\n:::", "unknown_block", 1),
    ],
)
def test_parse_errors_name_line(text: str, code: str, line: int) -> None:
    with pytest.raises(OutlineError) as raised:
        outline.parse(text)
    assert raised.value.code == code
    assert raised.value.line == line


# --- Periods -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("2016", "năm 2016"),
        ("2016N9", "9 tháng năm 2016"),
        ("201607", "tháng 7 năm 2016"),
        ("2016R07", "tháng 7 năm 2016"),
        ("2016Q3", "quý III năm 2016"),
        ("2016S1", "6 tháng đầu năm 2016"),
        ("2016RY", "năm 2016"),
    ],
)
def test_period_names(code: str, name: str) -> None:
    assert outline.period_name(periods.parse(code)) == name


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("", "2016"), ("current", "2016"), ("previous_year", "2015"), ("previous", "2015"),
     ("-2y", "2014"), ("2012", "2012")],
)  # fmt: skip
def test_resolve_period(reference: str, expected: str) -> None:
    assert outline.resolve_period(reference, periods.parse("2016")).code == expected


def test_resolve_nine_months_previous_year() -> None:
    assert outline.resolve_period("previous_year", periods.parse("2016N9")).code == "2015N9"


# --- Evaluation -----------------------------------------------------------------------------------


VALUES: dict[tuple[str, str, str], float | None] = {
    ("A", "26", "2016"): 1066.0,
    ("A", "26", "2015"): 1054.5,
    ("A", "26", "2014"): 1041.9,
    ("A", "VN", "2016"): 92695.1,
    ("U", "26", "2016"): 248.5,
    ("Z", "26", "2016"): 5.0,
    ("Z", "26", "2015"): 0.0,
}


def evaluate_one(source_text: str, period: str = "2016") -> outline.Figure:
    query = outline.parse_expression(source_text.strip("{} "))
    assert isinstance(query, Query)
    return outline.evaluate_query(query, context(VALUES, period), "F1")


@pytest.mark.parametrize(
    ("text", "shown", "value"),
    [
        ("value A", "1.066,0", 1066.0),
        ("value A period=previous_year", "1.054,5", 1054.5),
        ("value A unit=VN", "92.695,1", 92695.1),
        ("value A decimals=0", "1.066", 1066.0),
        ("value A scale=0.001 decimals=3", "1,066", 1.066),
        ("change A", "1,1%", (1066.0 / 1054.5 - 1) * 100),
        ("change A words", "tăng 1,1%", (1066.0 / 1054.5 - 1) * 100),
        ("change A against=-2y", "2,3%", (1066.0 / 1041.9 - 1) * 100),
        ("index A", "101,1", 1066.0 / 1054.5 * 100),
        ("diff A", "11,5", 11.5),
        ("diff A words", "tăng 11,5", 11.5),
        ("share U of=A", "23,3", 248.5 / 1066.0 * 100),
    ],
)
def test_evaluate_functions(text: str, shown: str, value: float) -> None:
    figure = evaluate_one(text)
    assert figure.text == shown
    assert figure.value == pytest.approx(value)
    assert figure.inputs[0].data_value_id == 7


def test_missing_value_is_marked_not_zero() -> None:
    figure = evaluate_one("value A period=2013")
    assert figure.value is None
    assert figure.text == MISSING_MARK
    assert figure.is_missing


def test_missing_comparison_is_marked() -> None:
    figure = evaluate_one("change U")
    assert figure.text == MISSING_MARK
    assert [o.period for o in figure.inputs] == ["2016", "2015"]
    assert figure.inputs[1].data_value_id is None


def test_zero_base_is_marked() -> None:
    figure = evaluate_one("change Z")
    assert figure.text == MISSING_MARK
    assert figure.missing == "giá trị so sánh bằng 0"


def test_unknown_indicator_is_marked() -> None:
    figure = evaluate_one("value NOPE")
    assert figure.text == MISSING_MARK
    assert "NOPE" in figure.missing


def test_evaluate_numbers_figures_and_charts() -> None:
    text = """Dân số {{ period_name }} ({{ unit_name }}): {{ value A }}; {{ previous_period_name }}: {{ value A period=previous_year }}.
::: chart line Dân số
series A years=3
:::
"""
    result = outline.evaluate(outline.parse(text), context(VALUES))
    assert [figure.id for figure in result.figures] == ["F1", "F2", "F3", "F4", "F5"]
    paragraph = result.blocks[0]
    assert outline.plain_text(paragraph.parts) == (
        "Dân số năm 2016 (tỉnh Vĩnh Phúc): 1.066,0; năm 2015: 1.054,5."
    )
    chart = result.blocks[1].chart
    assert chart is not None
    assert chart.labels == ["2014", "2015", "2016"]
    assert [f.value for f in chart.series[0][1]] == [1041.9, 1054.5, 1066.0]
    assert result.missing == []


def test_manifest_entry_keeps_inputs() -> None:
    entry = evaluate_one("index A").to_manifest()
    assert entry["function"] == "index"
    assert entry["period"] == "2016"
    assert entry["against"] == "2015"
    assert [i["period"] for i in entry["inputs"]] == ["2016", "2015"]
    assert entry["inputs"][0]["version"] == 2
