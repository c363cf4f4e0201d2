"""The dashboard composer: administrators add, edit, reorder and remove widgets without code."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.core.access import ADMINISTRATORS, policy
from tinhso.ioc.dashboards.forms import DashboardForm, WidgetForm
from tinhso.ioc.dashboards.models import Dashboard, Widget

logger = logging.getLogger(__name__)


@policy(ADMINISTRATORS)
@require_http_methods(["GET", "POST"])
def composer(request: HttpRequest) -> HttpResponse:
    """List every dashboard and create a new one."""
    form = DashboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dashboard = form.save(commit=False)
        dashboard.created_by = request.user
        dashboard.save()
        logger.info("Dashboard %s created by user id %s", dashboard.slug, request.user.pk)
        return redirect("ioc_dashboards:compose_dashboard", slug=dashboard.slug)
    dashboards = Dashboard.objects.select_related("sector").order_by("title")
    return render(request, "ioc_dashboards/composer.html", {"form": form, "dashboards": dashboards})


@policy(ADMINISTRATORS)
@require_http_methods(["GET", "POST"])
def compose_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a dashboard's title and sharing, and list its widgets with their actions."""
    dashboard = get_object_or_404(Dashboard, slug=slug)
    form = DashboardForm(request.POST or None, instance=dashboard)
    if request.method == "POST" and form.is_valid():
        dashboard = form.save()
        messages.success(request, _("The dashboard was saved."))
        return redirect("ioc_dashboards:compose_dashboard", slug=dashboard.slug)
    widgets = dashboard.widgets.prefetch_related("indicators").select_related("unit")
    return render(
        request,
        "ioc_dashboards/compose_dashboard.html",
        {
            "dashboard": dashboard,
            "form": form,
            "widgets": widgets,
            "widget_form": WidgetForm(sector=dashboard.sector),
        },
    )


@policy(ADMINISTRATORS)
@require_POST
def delete_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = get_object_or_404(Dashboard, slug=slug)
    dashboard.delete()
    logger.info("Dashboard %s deleted by user id %s", slug, request.user.pk)
    messages.success(request, _("The dashboard was deleted."))
    return redirect("ioc_dashboards:composer")


@policy(ADMINISTRATORS)
@require_http_methods(["GET", "POST"])
def add_widget(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = get_object_or_404(Dashboard, slug=slug)
    form = WidgetForm(request.POST or None, sector=dashboard.sector)
    if request.method == "POST" and form.is_valid():
        widget = form.save(commit=False)
        widget.dashboard = dashboard
        last = dashboard.widgets.order_by("-position").values_list("position", flat=True).first()
        widget.position = 0 if last is None else last + 1
        widget.save()
        form.save_m2m()
        messages.success(request, _("The widget was added."))
        return redirect("ioc_dashboards:compose_dashboard", slug=slug)
    return render(
        request,
        "ioc_dashboards/widget_form.html",
        {"dashboard": dashboard, "form": form, "widget": None},
    )


@policy(ADMINISTRATORS)
@require_http_methods(["GET", "POST"])
def edit_widget(request: HttpRequest, slug: str, widget_id: int) -> HttpResponse:
    dashboard = get_object_or_404(Dashboard, slug=slug)
    widget = get_object_or_404(Widget, pk=widget_id, dashboard=dashboard)
    form = WidgetForm(request.POST or None, instance=widget, sector=dashboard.sector)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The widget was saved."))
        return redirect("ioc_dashboards:compose_dashboard", slug=slug)
    return render(
        request,
        "ioc_dashboards/widget_form.html",
        {"dashboard": dashboard, "form": form, "widget": widget},
    )


@policy(ADMINISTRATORS)
@require_POST
def move_widget(request: HttpRequest, slug: str, widget_id: int) -> HttpResponse:
    """Swap a widget with its neighbour above (``direction=up``) or below (``down``)."""
    dashboard = get_object_or_404(Dashboard, slug=slug)
    widgets = list(dashboard.widgets.order_by("position", "pk"))
    index = next((i for i, w in enumerate(widgets) if w.pk == widget_id), None)
    if index is None:
        return redirect("ioc_dashboards:compose_dashboard", slug=slug)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(widgets):
        widgets[index], widgets[other] = widgets[other], widgets[index]
    with transaction.atomic():
        for position, widget in enumerate(widgets):
            if widget.position != position:
                Widget.objects.filter(pk=widget.pk).update(position=position)
    return redirect("ioc_dashboards:compose_dashboard", slug=slug)


@policy(ADMINISTRATORS)
@require_POST
def delete_widget(request: HttpRequest, slug: str, widget_id: int) -> HttpResponse:
    widget = get_object_or_404(Widget, pk=widget_id, dashboard__slug=slug)
    widget.delete()
    messages.success(request, _("The widget was removed."))
    return redirect("ioc_dashboards:compose_dashboard", slug=slug)
