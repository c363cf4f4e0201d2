from __future__ import annotations

from django.contrib import admin

from tinhso.geo.models import Boundary


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin[Boundary]):
    list_display = ["unit", "area_m2", "source", "imported_at"]
    search_fields = ["unit__code", "unit__name"]
    exclude = ["geom"]
    readonly_fields = [
        "unit",
        "min_x",
        "min_y",
        "max_x",
        "max_y",
        "area_m2",
        "source",
        "imported_at",
        "batch",
    ]
