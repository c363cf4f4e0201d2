"""Admin pages for the platform spine. The admin site asks for a verified second factor."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from tinhso.core import audit
from tinhso.core.models import AuditAction, AuditEvent, Department, Unit, UnitLink, User

ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])


class TinhsoAdminSite(admin.AdminSite):
    """The admin site for administrators who have passed TOTP.

    Visitors who are not logged in are sent to log in. Logged-in users who are not staff
    administrators get 403, and administrators who have not passed TOTP yet are sent to
    ``/otp/``. Sending either of them to the login page would loop, because the login page
    sends logged-in users straight back.
    """

    def admin_view(self, view: ViewT, cacheable: bool = False) -> ViewT:
        checked_view = super().admin_view(view, cacheable)

        def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if user.is_authenticated and not self.has_permission(request):
                if not (user.is_active and user.is_staff and user.is_administrator):
                    raise PermissionDenied
                return redirect_to_login(request.get_full_path(), reverse("web:otp"))
            return checked_view(request, *args, **kwargs)

        return cast(ViewT, update_wrapper(gate, checked_view))

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            super().has_permission(request)
            and getattr(user, "is_administrator", False)
            and user.is_verified()  # type: ignore[union-attr]
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        next_url = request.GET.get("next", reverse("admin:index"))
        return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'next': next_url})}")


admin.site.__class__ = TinhsoAdminSite


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = ["code", "name", "type", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "type", "valid_to"]
    search_fields = ["code", "name", "search_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["search_name"]


@admin.register(UnitLink)
class UnitLinkAdmin(admin.ModelAdmin[UnitLink]):
    list_display = ["predecessor", "successor", "kind", "partly", "effective_date"]
    list_filter = ["kind", "partly", "effective_date"]
    search_fields = ["predecessor__code", "predecessor__name", "successor__code", "successor__name"]
    raw_id_fields = ["predecessor", "successor"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "name_en", "unit"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "department",
        "unit",
        "is_active",
    ]
    list_filter = ["role", "is_active", "is_superuser", "department"]
    raw_id_fields = ["unit", "department"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and scope"), {"fields": ("role", "department", "unit")}),
        (_("Personal data"), {"fields": ("citizen_id", "phone")}),
    )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The change form shows the citizen ID number: a read of personal data.
        if request.method == "GET":
            user = self.get_object(request, object_id)
            if user is not None:
                audit.record(
                    AuditAction.READ_PERSONAL, user, extra={"fields": ["citizen_id", "phone"]}
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit log, searchable and read-only."""

    list_display = [
        "at",
        "actor_name",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
        "request_id",
    ]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor_name", "object_repr", "object_id", "request_id", "ip_address"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).select_related("actor")
