"""The twelve systems of the platform, for the navigation; a system shows once its app exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class System:
    number: int
    app_label: str
    name: Promise
    url_name: str


SYSTEMS = [
    System(1, "ioc", _("Intelligent operations centre"), "ioc:home"),
    System(1, "reports", _("Briefing reports"), "reports:home"),
    System(2, "lab", _("Research centre and incubator"), "lab:home"),
    System(3, "camera", _("AI security and traffic cameras"), "camera:home"),
    System(4, "geo", _("Provincial digital map"), "geo_map:map"),
    System(5, "soc", _("Cyber-security operations centre"), "soc:home"),
    System(6, "publicorder", _("Public-order analysis"), "publicorder:home"),
    System(7, "kpi", _("Civil-servant KPI"), "kpi:home"),
    System(8, "land", _("Digital cadastral database"), "land:home"),
    System(9, "land", _("Land data of the merged communes"), "land:merged"),
    System(10, "planning", _("Urban planning"), "planning:home"),
    System(11, "edu", _("Teacher workforce plan"), "edu:home"),
    System(12, "invest", _("InvestTech"), "invest:home"),
]


def available_systems() -> list[tuple[System, str]]:
    """The systems whose app is installed and routed, with their URLs."""
    found = []
    for system in SYSTEMS:
        if not apps.is_installed(f"tinhso.{system.app_label}"):
            continue
        try:
            found.append((system, reverse(system.url_name)))
        except NoReverseMatch:
            continue
    return found
