"""Sectors, dashboards and their widgets: what the leaders' screens show and who may see them.

A sector (kinh tế, ngân sách, ...) binds indicators through the ``sector`` field of their
indicator groups or through group codes. A dashboard belongs to a sector or to none.
Administrators compose it from widgets bound to indicators, and share it with roles.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Role
from tinhso.ioc.models import Indicator

logger = logging.getLogger(__name__)


class Sector(models.Model):
    """A field of the province's work (lĩnh vực) with the indicator groups that belong to it."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("Vietnamese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    group_sectors = models.JSONField(
        _("group sectors"), default=list, blank=True,
        help_text=_("Values of the indicator groups' sector field that belong here, e.g. [\"Education\"]."),
    )  # fmt: skip
    group_codes = models.JSONField(
        _("group codes"), default=list, blank=True,
        help_text=_("Codes of further indicator groups that belong here, e.g. [\"ns-mof\"]."),
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    built_in = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """Name in the active language: the English name when English is active and one is set."""
        if self.name_en and get_language() == "en":
            return self.name_en
        return self.name

    def indicators(self) -> QuerySet[Indicator]:
        """Return the indicators of the groups bound to this sector."""
        condition = Q(pk__in=[])
        if self.group_sectors:
            condition |= Q(group__sector__in=self.group_sectors)
        if self.group_codes:
            condition |= Q(group__code__in=self.group_codes)
        return Indicator.objects.filter(condition)


class Dashboard(models.Model):
    """A screen of widgets, shared with the roles listed in ``roles``.

    An empty ``roles`` list shares the dashboard with every staff role. Administrators see
    every dashboard, because they compose them.
    """

    slug = models.SlugField(_("code"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    sector = models.ForeignKey(
        Sector, on_delete=models.CASCADE, null=True, blank=True, related_name="dashboards",
        verbose_name=_("sector"),
    )  # fmt: skip
    roles = models.JSONField(
        _("shared with roles"), default=list, blank=True,
        help_text=_("Roles that may open this dashboard; leave empty for every staff role."),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]

    def is_shared_with(self, user: object) -> bool:
        if getattr(user, "is_administrator", False):
            return True
        role = getattr(user, "role", "")
        if not role:
            return False
        return not self.roles or role in self.roles


def dashboards_for(user: object) -> QuerySet[Dashboard]:
    """Return the dashboards ``user`` may open, filtered in Python because JSON lookups differ by database."""
    dashboards = Dashboard.objects.select_related("sector").order_by("title")
    visible = [d.pk for d in dashboards if d.is_shared_with(user)]
    return dashboards.filter(pk__in=visible)


class WidgetKind(models.TextChoices):
    CARD = "card", _("card")
    LINE = "line", _("line chart")
    BAR = "bar", _("bar chart")
    TABLE = "table", _("table by commune")
    MAP = "map", _("map of communes")


class Widget(models.Model):
    """One panel of a dashboard bound to indicators, a unit and a range of periods.

    Without a unit the widget shows the province. ``period_from`` and ``period_to`` are
    period codes (2020, 2024Q1, 202401); empty means the latest periods with data.
    """

    dashboard = models.ForeignKey(
        Dashboard, on_delete=models.CASCADE, related_name="widgets", verbose_name=_("dashboard")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WidgetKind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    indicators = models.ManyToManyField(Indicator, related_name="+", verbose_name=_("indicators"))
    unit = models.ForeignKey(
        "core.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("unit"), help_text=_("Leave empty for the province."),
    )  # fmt: skip
    period_from = models.CharField(_("from period"), max_length=16, blank=True)
    period_to = models.CharField(_("to period"), max_length=16, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("widget")
        verbose_name_plural = _("widgets")
        ordering = ["dashboard", "position", "pk"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()
