"""Template filters that show SOC links only to those whose role may open them."""

from __future__ import annotations

from typing import Any

from django import template

from tinhso.core.models import User
from tinhso.soc.access import SOC_ANALYSTS

register = template.Library()


@register.filter
def may_analyse(user: Any) -> bool:
    """Return whether ``user`` may open the analysts' pages (log sources, intelligence)."""
    return isinstance(user, User) and user.is_authenticated and SOC_ANALYSTS.allows_role(user)
