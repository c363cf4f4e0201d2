"""Admin pages of the SOC, where log sources are edited and every other model is read-only.

Events, quarantine and alerts come from the collectors and detection. Incidents, notes,
evidence and intelligence are worked on the SOC's own pages, which keep their history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from tinhso.soc.models import (
    Alert,
    Incident,
    IncidentEvidence,
    IncidentNote,
    IntelFeed,
    LogQuarantine,
    LogSource,
    SecurityEvent,
    ThreatIndicator,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Lists and detail pages only: no adding, changing or deleting."""

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str]:
        return [field.name for field in self.model._meta.fields] + [
            field.name for field in self.model._meta.many_to_many
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(LogSource)
class LogSourceAdmin(admin.ModelAdmin[LogSource]):
    """Sources are registered with ``tinhso soc source add`` or the sources page, which show a
    JSON-lines source's key once; here they are enabled, renamed or given another retention."""

    list_display = ["host", "agency", "kind", "name", "enabled", "retention_days", "last_event_at"]
    list_filter = ["kind", "enabled", "agency"]
    search_fields = ["host", "name", "agency__code", "agency__name"]
    readonly_fields = ["key_prefix", "created_at", "last_event_at"]
    fields = [
        "agency", "host", "kind", "name", "enabled", "retention_days", "key_prefix", "created_at",
        "last_event_at",
    ]  # fmt: skip


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["time", "source", "host", "channel", "event_id", "user", "source_ip"]
    list_filter = ["source__kind", "channel"]
    search_fields = ["host", "user", "event_id", "source_ip", "message"]
    list_select_related = ["source"]
    date_hierarchy = "time"


@admin.register(LogQuarantine)
class LogQuarantineAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "source", "transport", "peer", "position", "code", "reason"]
    list_filter = ["code", "transport"]
    search_fields = ["peer", "position", "reason"]
    list_select_related = ["source"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["first_seen", "severity", "title", "kind", "host", "user", "count", "incident"]
    list_filter = ["severity", "kind"]
    search_fields = ["title", "rule_id", "host", "user"]
    raw_id_fields = ["events"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "severity", "status", "host", "assignee", "alert_count"]
    list_filter = ["status", "severity"]
    search_fields = ["title", "host", "user", "rule_id"]


@admin.register(IncidentNote)
class IncidentNoteAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "incident", "action", "author"]
    list_filter = ["action"]


@admin.register(IncidentEvidence)
class IncidentEvidenceAdmin(ReadOnlyAdmin):
    list_display = ["uploaded_at", "incident", "name", "size", "sha256", "uploaded_by"]
    search_fields = ["name", "sha256"]


@admin.register(IntelFeed)
class IntelFeedAdmin(ReadOnlyAdmin):
    list_display = ["name", "format", "indicator_count", "imported_at"]


@admin.register(ThreatIndicator)
class ThreatIndicatorAdmin(ReadOnlyAdmin):
    list_display = ["kind", "value", "feed", "severity", "valid_until"]
    list_filter = ["kind", "feed"]
    search_fields = ["value", "description"]
