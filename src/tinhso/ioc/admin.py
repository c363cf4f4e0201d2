"""Admin pages for the IOC data core: indicators, groups, targets, values and events."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tinhso.ioc.models import DataValue, DataValueVersion, Event, Indicator, IndicatorGroup, Target


@admin.register(IndicatorGroup)
class IndicatorGroupAdmin(admin.ModelAdmin[IndicatorGroup]):
    list_display = ["code", "name", "sector", "source"]
    search_fields = ["code", "name", "name_en", "source"]
    list_filter = ["sector"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin[Indicator]):
    list_display = [
        "code",
        "name",
        "unit_of_measure",
        "periodicity",
        "aggregation",
        "department",
        "group",
    ]
    list_filter = ["periodicity", "value_type", "aggregation", "department", "group__sector"]
    search_fields = ["code", "name", "name_en", "national_code", "source"]
    raw_id_fields = ["group", "weight_indicator", "department"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Target]):
    list_display = ["indicator", "unit", "year", "value", "higher_is_better", "document"]
    list_filter = ["year"]
    search_fields = ["indicator__code", "indicator__name", "unit__name", "document"]
    raw_id_fields = ["indicator", "unit"]


class VersionInline(admin.TabularInline[DataValueVersion, DataValue]):
    model = DataValueVersion
    fields = (
        "version",
        "value",
        "status",
        "source_kind",
        "changed_at",
        "changed_by",
        "document",
        "reason",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(DataValue)
class DataValueAdmin(admin.ModelAdmin[DataValue]):
    """Values are corrected through imports or the API so that each correction keeps its version."""

    list_display = [
        "indicator",
        "unit",
        "period",
        "disaggregation",
        "value",
        "status",
        "source_kind",
        "updated_at",
    ]
    list_filter = ["status", "source_kind", "period_type"]
    search_fields = ["indicator__code", "indicator__name", "unit__name", "unit__code", "period"]
    readonly_fields = [field.name for field in DataValue._meta.fields]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DataValue | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DataValue | None = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["occurred_at", "event_type", "severity", "title", "unit", "topic"]
    list_filter = ["event_type", "severity"]
    search_fields = ["title", "event_type", "message_id"]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False
