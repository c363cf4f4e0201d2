"""Admin pages of alert rules, alerts and directives.

Alerts come from rules and directives from leaders' pages, so the admin site shows them
without add or delete: deleting one would remove its activity log.
"""

from __future__ import annotations

import logging

from django.contrib import admin
from django.http import HttpRequest

from tinhso.ioc.alerts.models import (
    Alert,
    AlertActivity,
    AlertRule,
    Directive,
    DirectiveUpdate,
)

logger = logging.getLogger(__name__)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin[AlertRule]):
    list_display = ["name", "kind", "indicator", "unit", "severity", "department", "active"]
    list_filter = ["kind", "severity", "active"]
    search_fields = ["name", "indicator__code", "indicator__name", "event_type"]
    raw_id_fields = ["indicator", "unit", "department", "created_by"]
    readonly_fields = ["last_checked_at", "last_status", "created_at", "updated_at"]


class ActivityInline(admin.TabularInline[AlertActivity, Alert]):
    model = AlertActivity
    fields = ("at", "action", "actor_name", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = ["created_at", "rule", "unit", "period", "value", "severity", "status"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["message", "period", "unit__name", "indicator__code"]
    readonly_fields = [field.name for field in Alert._meta.fields]
    inlines = [ActivityInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False


class UpdateInline(admin.TabularInline[DirectiveUpdate, Directive]):
    model = DirectiveUpdate
    fields = ("at", "author_name", "text", "marks_done")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Directive)
class DirectiveAdmin(admin.ModelAdmin[Directive]):
    list_display = ["title", "department", "deadline", "status", "issued_by", "created_at"]
    list_filter = ["status", "department"]
    search_fields = ["title", "content"]
    raw_id_fields = ["alert", "indicator", "unit", "department", "issued_by", "closed_by"]
    inlines = [UpdateInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Directive | None = None) -> bool:
        return False
