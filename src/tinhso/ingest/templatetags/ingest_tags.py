"""Template filters for import reports."""

from __future__ import annotations

from django import template

from tinhso.ingest.report import describe_position

register = template.Library()


@register.filter
def position_label(position: str) -> str:
    """Show a stored problem position ("row 12") in the active language."""
    return describe_position(position)
