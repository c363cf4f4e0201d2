"""Formulas of derived indicators."""

from __future__ import annotations

import pytest

from tinhso.ioc.formulas import FormulaError, Reference, compile_formula


def test_per_capita() -> None:
    formula = compile_formula("{GRDP} / {DAN_SO} * 1000")
    assert formula.evaluate({Reference("GRDP"): 100.0, Reference("DAN_SO"): 50.0}) == 2000.0


def test_growth_function_reads_last_year() -> None:
    formula = compile_formula("growth({IIP})")
    assert set(formula.references) == {Reference("IIP"), Reference("IIP", -1)}
    assert formula.evaluate(
        {Reference("IIP"): 105.8, Reference("IIP", -1): 100.0}
    ) == pytest.approx(105.8)


def test_explicit_offset() -> None:
    formula = compile_formula("{XK} - {XK}[-2Y]")
    assert formula.evaluate({Reference("XK"): 10.0, Reference("XK", -2): 4.0}) == 6.0


def test_ratio_and_functions() -> None:
    formula = compile_formula("ratio({THU}, {CHI}) + max({A}, -{B}) + abs(-2)")
    values = {
        Reference("THU"): 1.0,
        Reference("CHI"): 4.0,
        Reference("A"): 1.0,
        Reference("B"): 3.0,
    }
    assert formula.evaluate(values) == 25.0 + 1.0 + 2.0


def test_missing_value_gives_none() -> None:
    assert compile_formula("{A} + {B}").evaluate({Reference("A"): 1.0}) is None


def test_division_by_zero_gives_none() -> None:
    assert compile_formula("{A} / {B}").evaluate({Reference("A"): 1.0, Reference("B"): 0.0}) is None


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("__import__('os')", "__import__('os')"),
        ("{A} ** 2", "{A} ** 2"),
        ("{A}.real", "is not allowed"),
        ("open({A})", "open({A})"),
        ("{A} if {B} else 1", "is not allowed"),
        ("{A} +", "is not a valid expression"),
        ("{A b}", "malformed"),
        ("1 + 2", "refers to no indicator"),
        ("", "empty"),
        ("[{A}]", "is not allowed"),
    ],
)
def test_rejected_formulas(source: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as raised:
        compile_formula(source)
    assert fragment.replace("{A}", "v_A") in str(raised.value) or fragment in str(raised.value)
