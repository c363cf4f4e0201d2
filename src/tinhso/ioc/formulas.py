"""Formulas of derived indicators, evaluated safely over the values of other indicators.

No Django here. A formula is an arithmetic expression over indicator codes written in braces,
with an optional period offset in brackets:

    {GRDP} / {DAN_SO} * 1000000        per-capita value
    {XK} / {XK}[-1Y] * 100            growth versus the same period last year (previous year = 100)
    growth({XK})                      the same, written with the function
    ratio({THU_NSNN}, {CHI_NSNN})     a percentage
    sum({A}, {B}, {C}), min(...), max(...), abs(...)

Only numbers, the four operations, brackets, unary minus and those functions are allowed;
anything else is rejected when the formula is compiled, with the position of the problem.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_REFERENCE = re.compile(r"\{([A-Za-z][A-Za-z0-9_.]*)\}(?:\[(-\d+)Y\])?")


class FormulaError(ValueError):
    """A formula that cannot be compiled or evaluated; the message names the part at fault."""


@dataclass(frozen=True)
class Reference:
    """One indicator value a formula needs: the indicator code and the year offset of its period.

    ``year_offset`` is -1 for the same period of the previous year, 0 for the period itself.
    """

    code: str
    year_offset: int = 0

    @property
    def variable(self) -> str:
        suffix = f"__minus{-self.year_offset}" if self.year_offset else ""
        return f"v_{self.code.replace('.', '_')}{suffix}"


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator * 100


_FUNCTIONS: dict[str, Callable[..., float]] = {
    "ratio": _ratio,
    "sum": lambda *values: float(sum(values)),
    "min": min,
    "max": max,
    "abs": abs,
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass(frozen=True)
class Formula:
    """A compiled formula: its source, the values it needs, and a checked expression tree."""

    source: str
    references: tuple[Reference, ...]
    _tree: ast.Expression

    def evaluate(self, values: Mapping[Reference, float | None]) -> float | None:
        """The formula's value, or None when a needed value is missing or a division is by zero."""
        variables: dict[str, float] = {}
        for reference in self.references:
            value = values.get(reference)
            if value is None:
                return None
            variables[reference.variable] = float(value)
        try:
            result = _evaluate(self._tree.body, variables)
        except ZeroDivisionError:
            return None
        return result if math.isfinite(result) else None


def compile_formula(source: str) -> Formula:
    """Check ``source`` and return a Formula; raise FormulaError naming what is not allowed."""
    if not source.strip():
        raise FormulaError("the formula is empty")
    expanded = re.sub(
        r"growth\(\s*\{([A-Za-z][A-Za-z0-9_.]*)\}\s*\)", r"({\1} / {\1}[-1Y] * 100)", source
    )

    references: dict[str, Reference] = {}

    def substitute(match: re.Match[str]) -> str:
        reference = Reference(match.group(1), int(match.group(2)) if match.group(2) else 0)
        references[reference.variable] = reference
        return reference.variable

    python_source = _REFERENCE.sub(substitute, expanded)
    if "{" in python_source or "}" in python_source:
        raise FormulaError(
            f"{source!r}: an indicator reference is malformed; write it as {{CODE}} or {{CODE}}[-1Y]"
        )
    try:
        tree = ast.parse(python_source, mode="eval")
    except SyntaxError as error:
        raise FormulaError(
            f"{source!r} is not a valid expression (near character {error.offset})"
        ) from None
    _check(tree.body, set(references), source)
    if not references:
        raise FormulaError(f"{source!r} refers to no indicator")
    return Formula(source=source, references=tuple(references.values()), _tree=tree)


def _check(node: ast.AST, variables: set[str], source: str) -> None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return
    if isinstance(node, ast.Name) and node.id in variables:
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, variables, source)
        _check(node.right, variables, source)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, variables, source)
        return
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and node.args
    ):
        for argument in node.args:
            _check(argument, variables, source)
        return
    fragment = ast.get_source_segment(source, node) if hasattr(node, "col_offset") else None
    raise FormulaError(
        f"{source!r}: {fragment or type(node).__name__!r} is not allowed; use numbers, {{CODE}}, + - * /, "
        "brackets and the functions " + ", ".join(sorted({*_FUNCTIONS, "growth"}))
    )


def _evaluate(node: ast.AST, variables: dict[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](
            _evaluate(node.left, variables), _evaluate(node.right, variables)
        )
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, variables)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return float(_FUNCTIONS[node.func.id](*(_evaluate(arg, variables) for arg in node.args)))
    raise FormulaError(f"unexpected node {type(node).__name__}")
