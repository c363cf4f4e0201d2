"""Administration of sectors and dashboards; the composer pages do the same without the admin."""

from __future__ import annotations

import logging

from django.contrib import admin

from tinhso.ioc.dashboards.models import Dashboard, Sector, Widget

logger = logging.getLogger(__name__)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "position", "built_in"]
    search_fields = ["code", "name", "name_en"]


class WidgetInline(admin.TabularInline):
    model = Widget
    extra = 0
    autocomplete_fields = ["unit"]
    filter_horizontal = ["indicators"]


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "sector", "updated_at"]
    list_filter = ["sector"]
    search_fields = ["slug", "title"]
    inlines = [WidgetInline]
    readonly_fields = ["created_by", "updated_at"]
