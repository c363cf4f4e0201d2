"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tinhso import __version__
from tinhso.web.systems import available_systems


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"tinhso_version": __version__, "tinhso_systems": available_systems()}
