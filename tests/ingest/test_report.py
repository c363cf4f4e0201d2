from __future__ import annotations

import pytest
from django.utils import translation

from tinhso.ingest.report import describe_position


@pytest.mark.parametrize(
    ("language", "position", "shown"),
    [
        ("vi", "row 12", "dòng 12"),
        ("vi", "feature 3", "đối tượng 3"),
        ("en", "row 12", "row 12"),
        ("vi", "sheet Dân số, row 4", "sheet Dân số, row 4"),
        ("vi", "", ""),
    ],
)
def test_describe_position_translates(language: str, position: str, shown: str) -> None:
    with translation.override(language):
        assert describe_position(position) == shown
