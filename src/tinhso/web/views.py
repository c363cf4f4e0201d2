"""Pages of the web shell: home with the province map, login with TOTP, unit pages, health."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_otp.middleware import is_verified as otp_is_verified

from tinhso.core.access import PUBLIC, STAFF, needs_second_factor, policy
from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Unit
from tinhso.core.services import units as unit_service
from tinhso.text import fold
from tinhso.web import otp
from tinhso.web.forms import OtpTokenForm

logger = logging.getLogger(__name__)

SEARCH_RESULT_LIMIT = 20


@policy(PUBLIC)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    province = (
        unit_service.find_unit(settings.TINHSO_PROVINCE_CODE) if Unit.objects.exists() else None
    )
    communes = 0
    if province is not None:
        communes = Unit.objects.valid_on(timezone.localdate()).filter(parent=province).count()
    return render(
        request,
        "web/home.html",
        {
            "province": province,
            "commune_count": communes,
            "reform_date": unit_service.REFORM_DATE,
            "before_reform_date": unit_service.DAY_BEFORE_REFORM,
        },
    )


@policy(PUBLIC)
@require_GET
def unit_search(request: HttpRequest) -> HttpResponse:
    """Units matching ``q`` ignoring diacritics, as an HTML fragment for htmx."""
    query = request.GET.get("q", "").strip()[:100]
    # The home page sends the period chosen on the map as ``period``.
    date_text = request.GET.get("date") or request.GET.get("period") or ""
    try:
        on_date = dt.date.fromisoformat(date_text) if date_text else timezone.localdate()
    except ValueError:
        on_date = timezone.localdate()
    results: list[Unit] = []
    if len(query) >= 2:
        matches = Unit.objects.valid_on(on_date).search(query)
        # Rank every match before cutting to the limit: the search also matches parts of
        # words ("yen" in "huyen"), so ordering by level and name alone could push the unit
        # the user typed past the limit.
        words = fold(query).split()
        candidates = list(matches.values_list("pk", "search_name", "level", "name"))
        candidates.sort(key=lambda row: search_rank(words, row[1], row[2], row[3]))
        best = [row[0] for row in candidates[:SEARCH_RESULT_LIMIT]]
        units = Unit.objects.filter(pk__in=best).select_related("parent").in_bulk()
        results = [units[pk] for pk in best]
    return render(request, "web/_unit_search_results.html", {"query": query, "results": results})


def search_rank(
    words: list[str], search_name: str, level: int, name: str
) -> tuple[bool, bool, int, str]:
    """Sort key of a search match for the folded query ``words``: the query as a phrase
    first, then as whole words, then provinces before districts before communes, then name."""
    padded_name = f" {search_name} "
    is_phrase = f" {' '.join(words)} " in padded_name
    has_whole_words = all(f" {word} " in padded_name for word in words)
    return (not is_phrase, not has_whole_words, level, name)


@policy(PUBLIC)
@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    date_text = request.GET.get("date", "")
    try:
        on_date = dt.date.fromisoformat(date_text) if date_text else None
        unit = unit_service.find_unit(code, on_date)
    except (ValueError, UnknownUnitError):
        return render(request, "web/unit_missing.html", {"code": code[:20]}, status=404)
    children = Unit.objects.filter(parent=unit).order_by("code")
    return render(
        request,
        "web/unit_detail.html",
        {
            "unit": unit,
            "predecessors": unit_service.predecessors(unit),
            "successors": unit_service.successors(unit),
            "children": children,
            "has_boundary": hasattr(unit, "boundary"),
        },
    )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        user = self.request.user
        if not hasattr(user, "is_verified"):
            # auth.login() has just replaced request.user with the form's user, which
            # OTPMiddleware never wrapped. Give it the same fields: a password alone
            # verifies no OTP device.
            user.otp_device = None  # type: ignore[union-attr]
            user.is_verified = functools.partial(otp_is_verified, user)  # type: ignore[union-attr]
        if needs_second_factor(user):  # type: ignore[arg-type]
            next_url = self.get_redirect_url()
            url = reverse("web:otp")
            # Encoded, so that a next URL with its own query string arrives whole.
            return f"{url}?{urlencode({'next': next_url})}" if next_url else url
        return super().get_success_url()


login_view = policy(PUBLIC, otp_exempt=True)(LoginView.as_view())


@policy(PUBLIC, otp_exempt=True)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("web:home")


@policy(STAFF, otp_exempt=True)
@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    """Verify the TOTP code, or enrol an authenticator app first if the user has none."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if getattr(user, "is_verified", lambda: False)():
        return redirect(next_url or "web:home")

    device = otp.confirmed_device(user)  # type: ignore[arg-type]
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = otp.seconds_until_allowed(user)  # type: ignore[arg-type]
        if wait:
            form.add_error(
                "token",
                _(
                    "Too many wrong codes. Wait %(seconds)s seconds, then enter the code your app shows."
                )
                % {"seconds": wait},
            )
        elif otp.verify(request, user, form.cleaned_data["token"]):  # type: ignore[arg-type]
            return redirect(next_url or "web:home")
        else:
            form.add_error(
                "token", _("The code is wrong or has expired. Enter the code your app shows now.")
            )

    context: dict[str, Any] = {"form": form, "next": next_url, "enrolling": device is None}
    if device is None:
        pending = otp.pending_device(user)  # type: ignore[arg-type]
        context["qr_code"] = otp.qr_code_data_uri(pending)
        context["secret"] = otp.base32_secret(pending)
    return render(request, "web/otp.html", context)


set_language = policy(PUBLIC, otp_exempt=True)(django_set_language)


@policy(PUBLIC, otp_exempt=True)
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the database and migration state; 503 when either is not ready."""
    state: dict[str, Any] = {"status": "ok", "database": {"vendor": connection.vendor}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        state["database"]["status"] = "ok"
        state["migrations"] = {
            "applied": len(executor.loader.applied_migrations),
            "pending": [
                f"{migration.app_label}.{migration.name}" for migration, _backwards in pending
            ],
        }
        if pending:
            state["status"] = "migrations_pending"
    except DatabaseError as error:
        logger.exception("Health check could not reach the database")
        state["status"] = "database_unavailable"
        state["database"]["status"] = type(error).__name__
    return JsonResponse(state, status=200 if state["status"] == "ok" else 503)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)
