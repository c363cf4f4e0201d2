from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tinhso.api import keys
from tinhso.api.models import ApiAccessLog, ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are issued with ``tinhso apikey create`` so that the key is printed once; here they are revoked."""

    list_display = [
        "prefix",
        "department",
        "name",
        "scopes",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["department", "revoked_at"]
    search_fields = ["prefix", "name", "department__name"]
    readonly_fields = [
        "prefix",
        "department",
        "scopes",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    fields = [
        "prefix",
        "department",
        "name",
        "scopes",
        "rate_limit_per_minute",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # A revoked key keeps its agency, scopes and dates for the access log and the audit
        # log. Deleting it would erase them without writing an audit row.
        return False

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True):
            keys.revoke_key(api_key)
        messages.success(request, _("The selected keys are revoked."))


@admin.register(ApiAccessLog)
class ApiAccessLogAdmin(admin.ModelAdmin[ApiAccessLog]):
    """The API access log, searchable and read-only like the audit log."""

    list_display = [
        "at",
        "method",
        "path",
        "status",
        "key_prefix",
        "user",
        "duration_ms",
        "ip_address",
    ]
    list_filter = ["status", "method"]
    search_fields = ["path", "key_prefix", "request_id", "ip_address"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in ApiAccessLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiAccessLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiAccessLog | None = None) -> bool:
        return False
