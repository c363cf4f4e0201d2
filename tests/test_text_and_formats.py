"""Vietnamese text folding, name comparison, and the display formats of numbers and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from tinhso.text import fold, same_name


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Phường Vĩnh Yên", "phuong vinh yen"),
        ("Đồng Tâm", "dong tam"),
        ("  Xã   Thanh  Trù ", "xa thanh tru"),
        ("THỊ TRẤN", "thi tran"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Phường Xuân Hoà", "Phường Xuân Hòa", True),
        ("Thuỷ", "Thủy", True),
        ("Khoẻ", "Khỏe", True),
        ("Hòa", "Hóa", False),
        ("Vĩnh Yên", "Vinh Yen", False),
    ],
)
def test_same_name(first: str, second: str, same: bool) -> None:
    assert same_name(first, second) is same


def render(template: str, **context: object) -> str:
    return Template("{% load l10n %}" + template).render(Context(context))


def test_vietnamese_number_format() -> None:
    with translation.override("vi"):
        assert render("{{ value|floatformat:'1g' }}", value=1234.5) == "1.234,5"


def test_vietnamese_date_format() -> None:
    with translation.override("vi"):
        assert render("{{ day|date:'SHORT_DATE_FORMAT' }}", day=dt.date(2025, 7, 1)) == "01/07/2025"


def test_english_number_format() -> None:
    with translation.override("en"):
        assert render("{{ value|floatformat:'1g' }}", value=1234.5) == "1,234.5"
