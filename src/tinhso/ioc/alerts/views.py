"""Pages of alerts, alert rules and directives, and the dashboard panel.

Every queryset goes through :func:`tinhso.core.access.restrict`, so a commune officer gets
the alerts and directives of their commune and a department officer those of their
department. Actions are POST requests; an htmx request gets back the fragment it replaces,
a plain form post is redirected to the page it came from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.access import Policy, policy, restrict
from tinhso.core.models import Department, Role, User
from tinhso.ioc.alerts import services
from tinhso.ioc.alerts.evaluation import check_rules
from tinhso.ioc.alerts.forms import (
    AssignForm,
    DirectiveCloseForm,
    DirectiveForm,
    DirectiveUpdateForm,
    NoteForm,
    OptionalNoteForm,
    RuleForm,
)
from tinhso.ioc.alerts.messages import alert_message, period_label, rule_status
from tinhso.ioc.alerts.models import (
    OPEN_STATUSES,
    Alert,
    AlertRule,
    AlertStatus,
    Directive,
    DirectiveStatus,
    Severity,
)
from tinhso.ioc.models import Indicator

logger = logging.getLogger(__name__)

ALERT_USERS = Policy(
    roles=frozenset(
        {
            Role.PROVINCIAL_LEADER,
            Role.DEPARTMENT_OFFICER,
            Role.COMMUNE_OFFICER,
            Role.SYSTEM_ADMINISTRATOR,
        }
    )
)
RULE_EDITORS = Policy(
    roles=frozenset({Role.PROVINCIAL_LEADER, Role.DEPARTMENT_OFFICER, Role.SYSTEM_ADMINISTRATOR})
)
LEADERS = Policy(roles=frozenset({Role.PROVINCIAL_LEADER, Role.SYSTEM_ADMINISTRATOR}))

PAGE_SIZE = 25
PANEL_SIZE = 10


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        # The access policy lets only logged-in users reach these views.
        raise PermissionDenied
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Visible records -------------------------------------------------------------------------


def visible_alerts(user: User) -> QuerySet[Alert]:
    """Select the alerts in ``user``'s scope and those assigned to them by name."""
    alerts = Alert.objects.all()
    return restrict(alerts, user) | alerts.filter(assigned_to=user)


def visible_directives(user: User) -> QuerySet[Directive]:
    """Select the directives in ``user``'s scope and those assigned to their department."""
    directives = Directive.objects.all()
    visible = restrict(directives, user)
    if user.department_id is not None:
        visible = visible | directives.filter(department_id=user.department_id)
    return visible


def may_report_on(user: User, directive: Directive) -> bool:
    """Check whether ``user`` belongs to the assigned department, whose officers report progress."""
    return user.department_id is not None and user.department_id == directive.department_id


# --- Alerts ----------------------------------------------------------------------------------


@policy(ALERT_USERS)
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """List the alerts the user may see, with filters by status, severity and indicator."""
    alerts = visible_alerts(_user(request)).select_related("indicator", "unit", "rule")

    status = request.GET.get("status", "open")
    if status == "open":
        alerts = alerts.filter(status__in=OPEN_STATUSES)
    elif status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    else:
        status = ""
    severity = request.GET.get("severity", "")
    if severity in Severity.values:
        alerts = alerts.filter(severity=severity)
    indicator = request.GET.get("indicator", "")
    if indicator.isdigit():
        alerts = alerts.filter(indicator_id=int(indicator))

    page = _page(request, alerts.order_by("-created_at", "-id"))
    for alert in page:
        alert.text = alert_message(alert)

    context = {
        "page": page,
        "status": status,
        "severity": severity,
        "indicator": indicator,
        "statuses": AlertStatus.choices,
        "severities": Severity.choices,
        "indicators": Indicator.objects.filter(
            pk__in=visible_alerts(_user(request)).values("indicator_id")
        ).order_by("code"),
        "filtered": bool(severity or indicator) or status != "open",
        "query": _query_without_page(request),
    }
    return render(request, "ioc_alerts/alert_list.html", context)


def _get_alert(request: HttpRequest, alert_id: int) -> Alert:
    alerts = visible_alerts(_user(request)).select_related(
        "indicator", "unit", "rule", "department", "assigned_to"
    )
    return get_object_or_404(alerts, pk=alert_id)


def _alert_context(alert: Alert, user: User, **forms: Form) -> dict[str, Any]:
    return {
        "alert": alert,
        "text": alert_message(alert),
        "period_text": period_label(alert.period),
        "activities": alert.activities.select_related("actor"),
        "directives": alert.directives.all(),
        "can_direct": LEADERS.allows_role(user),
        "note_form": forms.get("note_form") or NoteForm(),
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"department": alert.department_id}),
        "action_form": forms.get("action_form") or OptionalNoteForm(),
        "error": forms.get("error"),
    }


@policy(ALERT_USERS)
@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert(request, alert_id)
    return render(request, "ioc_alerts/alert_detail.html", _alert_context(alert, _user(request)))


def _alert_response(
    request: HttpRequest, alert: Alert, status: int = 200, **forms: Any
) -> HttpResponse:
    """Render the workflow fragment for htmx, else the detail page with errors, or redirect."""
    alert.refresh_from_db()
    context = _alert_context(alert, _user(request), **forms)
    if _is_htmx(request):
        # htmx swaps only successful responses, so a form with errors comes back as 200.
        return render(request, "ioc_alerts/_alert_workflow.html", context)
    if status != 200:
        return render(request, "ioc_alerts/alert_detail.html", context, status=status)
    return redirect("ioc_alerts:alert_detail", alert_id=alert.pk)


def _alert_action(
    request: HttpRequest,
    alert_id: int,
    form_class: type[Form],
    form_name: str,
    action: Callable[[Alert, User, dict[str, Any]], None],
) -> HttpResponse:
    alert = _get_alert(request, alert_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _alert_response(request, alert, status=400, **{form_name: form})
    try:
        action(alert, _user(request), form.cleaned_data)
    except services.TransitionError:
        error = _("This action is not possible while the alert is %(status)s.") % {
            "status": alert.get_status_display()
        }
        return _alert_response(request, alert, status=409, error=error)
    logger.info("Alert %s: %s by user id %s", alert.pk, request.path, request.user.pk)
    return _alert_response(request, alert)


@policy(ALERT_USERS)
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(
        request, alert_id, OptionalNoteForm, "action_form",
        lambda alert, user, data: services.acknowledge(alert, user, data["note"]),
    )  # fmt: skip


@policy(ALERT_USERS)
@require_POST
def alert_assign(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(
        request, alert_id, AssignForm, "assign_form",
        lambda alert, user, data: services.assign(
            alert, user, assignee=data["assigned_to"], department=data["department"],
            note=data["note"],
        ),
    )  # fmt: skip


@policy(ALERT_USERS)
@require_POST
def alert_note(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(
        request, alert_id, NoteForm, "note_form",
        lambda alert, user, data: services.add_note(alert, user, data["note"]),
    )  # fmt: skip


@policy(ALERT_USERS)
@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(
        request, alert_id, OptionalNoteForm, "action_form",
        lambda alert, user, data: services.resolve(alert, user, data["note"]),
    )  # fmt: skip


@policy(ALERT_USERS)
@require_POST
def alert_close(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_action(
        request, alert_id, OptionalNoteForm, "action_form",
        lambda alert, user, data: services.close(alert, user, data["note"]),
    )  # fmt: skip


@policy(ALERT_USERS)
@require_GET
def panel(request: HttpRequest) -> HttpResponse:
    """Render the dashboard fragment: the newest open alerts and the overdue directives."""
    user = _user(request)
    alerts = list(
        visible_alerts(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("indicator", "unit", "rule")
        .order_by("-created_at", "-id")[:PANEL_SIZE]
    )
    for alert in alerts:
        alert.text = alert_message(alert)  # type: ignore[attr-defined]
    overdue = (
        visible_directives(user)
        .filter(_overdue_condition())
        .select_related("department")
        .order_by("deadline", "id")[:PANEL_SIZE]
    )
    return render(request, "ioc_alerts/panel.html", {"alerts": alerts, "overdue": overdue})


# --- Rules -----------------------------------------------------------------------------------


def _visible_rules(user: User) -> QuerySet[AlertRule]:
    return restrict(AlertRule.objects.select_related("indicator", "unit", "department"), user)


@policy(RULE_EDITORS)
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = _page(request, _visible_rules(_user(request)).order_by("-active", "name", "id"))
    for rule in rules:
        rule.status_text = rule_status(rule)
    return render(request, "ioc_alerts/rule_list.html", {"page": rules, "query": ""})


@policy(RULE_EDITORS)
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, AlertRule())


@policy(RULE_EDITORS)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(_visible_rules(_user(request)), pk=rule_id)
    return _rule_form(request, rule)


def _rule_form(request: HttpRequest, rule: AlertRule) -> HttpResponse:
    form = RuleForm(request.POST or None, instance=rule, user=_user(request))
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            check_rules([saved])
            messages.success(
                request,
                _("Rule %(name)s saved and checked against the stored data.")
                % {"name": saved.name},
            )
            return redirect("ioc_alerts:rule_list")
        return render(
            request, "ioc_alerts/rule_form.html", {"form": form, "rule": rule}, status=400
        )
    return render(request, "ioc_alerts/rule_form.html", {"form": form, "rule": rule})


@policy(RULE_EDITORS)
@require_POST
def rule_check(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(_visible_rules(_user(request)), pk=rule_id)
    result = check_rules([rule])
    rule.refresh_from_db()
    messages.info(
        request,
        _("%(name)s checked: %(created)s alerts opened, %(updated)s updated. %(status)s")
        % {
            "name": rule.name,
            "created": len(result.created),
            "updated": len(result.updated),
            "status": rule_status(rule),
        },
    )
    return redirect("ioc_alerts:rule_list")


# --- Directives ------------------------------------------------------------------------------


def _overdue_condition() -> Q:
    return Q(
        status__in=[DirectiveStatus.NEW, DirectiveStatus.IN_PROGRESS],
        deadline__lt=timezone.localdate(),
    )


@policy(ALERT_USERS)
@require_GET
def directive_list(request: HttpRequest) -> HttpResponse:
    """List directives with filters by status, department and overdue."""
    directives = visible_directives(_user(request)).select_related(
        "department", "indicator", "unit"
    )

    status = request.GET.get("status", "")
    if status in DirectiveStatus.values:
        directives = directives.filter(status=status)
    else:
        status = ""
    department = request.GET.get("department", "")
    if department.isdigit():
        directives = directives.filter(department_id=int(department))
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        directives = directives.filter(_overdue_condition())

    page = _page(request, directives.order_by("deadline", "-id"))
    today = timezone.localdate()
    for directive in page:
        directive.overdue = directive.is_overdue(today)

    context = {
        "page": page,
        "status": status,
        "department": department,
        "overdue": overdue,
        "statuses": DirectiveStatus.choices,
        "departments": Department.objects.order_by("name"),
        "filtered": bool(status or department or overdue),
        "can_direct": LEADERS.allows_role(_user(request)),
        "query": _query_without_page(request),
    }
    return render(request, "ioc_alerts/directive_list.html", context)


@policy(LEADERS)
@require_http_methods(["GET", "POST"])
def directive_create(request: HttpRequest) -> HttpResponse:
    """Record a leader's directive, from an alert (``?alert=ID``) or about an indicator."""
    initial: dict[str, Any] = {}
    source = request.GET.get("alert", "")
    alert = None
    if source.isdigit():
        alert = get_object_or_404(visible_alerts(_user(request)), pk=int(source))
        initial = {
            "alert": alert.pk,
            "indicator": alert.indicator_id,
            "department": alert.department_id,
            "unit_code": alert.unit.code if alert.unit else "",
            "title": alert_message(alert)[:300],
        }
    form = DirectiveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        directive = form.save(commit=False)
        directive.issued_by = _user(request)
        directive.save()
        logger.info("Directive %s issued by user id %s", directive.pk, request.user.pk)
        return redirect("ioc_alerts:directive_detail", directive_id=directive.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "ioc_alerts/directive_form.html", {"form": form, "alert": alert}, status=status
    )


def _get_directive(request: HttpRequest, directive_id: int) -> Directive:
    directives = visible_directives(_user(request)).select_related(
        "department", "indicator", "unit", "alert", "issued_by", "closed_by"
    )
    return get_object_or_404(directives, pk=directive_id)


def _directive_context(directive: Directive, user: User, **forms: Any) -> dict[str, Any]:
    return {
        "directive": directive,
        "overdue": directive.is_overdue(),
        "updates": directive.updates.select_related("author"),
        "may_report": may_report_on(user, directive)
        and directive.status in {DirectiveStatus.NEW, DirectiveStatus.IN_PROGRESS},
        "may_close": LEADERS.allows_role(user) and directive.status != DirectiveStatus.CLOSED,
        "update_form": forms.get("update_form") or DirectiveUpdateForm(),
        "close_form": forms.get("close_form") or DirectiveCloseForm(),
        "error": forms.get("error"),
    }


@policy(ALERT_USERS)
@require_GET
def directive_detail(request: HttpRequest, directive_id: int) -> HttpResponse:
    directive = _get_directive(request, directive_id)
    context = _directive_context(directive, _user(request))
    return render(request, "ioc_alerts/directive_detail.html", context)


def _directive_response(
    request: HttpRequest, directive: Directive, status: int = 200, **forms: Any
) -> HttpResponse:
    directive.refresh_from_db()
    context = _directive_context(directive, _user(request), **forms)
    if _is_htmx(request):
        return render(request, "ioc_alerts/_directive_workflow.html", context)
    if status != 200:
        return render(request, "ioc_alerts/directive_detail.html", context, status=status)
    return redirect("ioc_alerts:directive_detail", directive_id=directive.pk)


@policy(ALERT_USERS)
@require_POST
def directive_update(request: HttpRequest, directive_id: int) -> HttpResponse:
    """Record a progress report by an officer of the assigned department."""
    directive = _get_directive(request, directive_id)
    user = _user(request)
    if not may_report_on(user, directive):
        raise PermissionDenied
    form = DirectiveUpdateForm(request.POST)
    if not form.is_valid():
        return _directive_response(request, directive, status=400, update_form=form)
    try:
        services.report_progress(
            directive, user, form.cleaned_data["text"], done=form.cleaned_data["marks_done"]
        )
    except services.TransitionError:
        error = _("The directive is %(status)s; no more progress can be reported.") % {
            "status": directive.get_status_display()
        }
        return _directive_response(request, directive, status=409, error=error)
    return _directive_response(request, directive)


@policy(LEADERS)
@require_POST
def directive_close(request: HttpRequest, directive_id: int) -> HttpResponse:
    directive = _get_directive(request, directive_id)
    form = DirectiveCloseForm(request.POST)
    if not form.is_valid():
        return _directive_response(request, directive, status=400, close_form=form)
    try:
        services.close_directive(directive, _user(request), form.cleaned_data["note"])
    except services.TransitionError:
        error = _("The directive is closed already.")
        return _directive_response(request, directive, status=409, error=error)
    return _directive_response(request, directive)
