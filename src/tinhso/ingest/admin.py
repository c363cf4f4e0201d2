from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tinhso.ingest.models import ImportBatch, QuarantineRecord


class QuarantineInline(admin.TabularInline[QuarantineRecord, ImportBatch]):
    model = QuarantineRecord
    fields = ("position", "field", "code", "message")
    readonly_fields = ("position", "field", "code", "message")
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    list_display = [
        "id",
        "kind",
        "source_name",
        "status",
        "rows_total",
        "rows_accepted",
        "rows_rejected",
        "started_at",
        "actor_name",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["source_name", "actor_name"]
    readonly_fields = [field.name for field in ImportBatch._meta.fields]
    inlines = [QuarantineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Import history is evidence of where data came from; it is never deleted by hand.
    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(QuarantineRecord)
class QuarantineRecordAdmin(admin.ModelAdmin[QuarantineRecord]):
    list_display = ["batch", "position", "field", "code", "message"]
    list_filter = ["code", "batch__kind"]
    search_fields = ["message", "position"]
    readonly_fields = [field.name for field in QuarantineRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Import history is evidence of where data came from; it is never deleted by hand.
    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
