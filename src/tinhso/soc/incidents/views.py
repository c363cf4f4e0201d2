"""Pages of the SOC: the dashboard, incidents and their workflow, alerts, the posture report.

Security analysts and administrators act on incidents; provincial leaders read the dashboard,
incidents, alerts and reports. Actions are POST requests; an htmx request gets back the
workflow fragment it replaces, a plain form post is redirected to the incident.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tinhso.core import audit
from tinhso.core.access import policy
from tinhso.core.models import AuditAction, User
from tinhso.soc.access import SOC_ANALYSTS, SOC_READERS
from tinhso.soc.incidents import metrics, workflow
from tinhso.soc.incidents import report as posture_report
from tinhso.soc.incidents.attack import parse_tags, tactic_name, technique
from tinhso.soc.incidents.forms import (
    SORTS,
    AlertFilterForm,
    AssignForm,
    EvidenceForm,
    IncidentFilterForm,
    NoteForm,
    OptionalNoteForm,
    PeriodForm,
    ReopenForm,
    ReportForm,
    ResolveForm,
)
from tinhso.soc.models import (
    Alert,
    Incident,
    IncidentEvidence,
    SecurityEvent,
    Severity,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
EVENTS_PER_ALERT = 20
# Confirmations shown after an action succeeds, by the name of the action's form.
ACTION_NOTICES = {
    "ack_form": gettext_lazy("Incident acknowledged."),
    "assign_form": gettext_lazy("Incident assigned to %(name)s."),
    "note_form": gettext_lazy("Comment added."),
    "evidence_form": gettext_lazy("Evidence attached; its SHA-256 is listed below."),
    "resolve_form": gettext_lazy("Incident resolved."),
    "close_form": gettext_lazy("Incident closed."),
    "reopen_form": gettext_lazy("Incident reopened."),
}
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


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


def duration_label(seconds: float | None) -> str:
    """Write a duration in hours and minutes, or a dash when there is none."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


# --- Dashboard ---------------------------------------------------------------------------------


def _chart_data(posture: metrics.Posture) -> dict[str, Any]:
    labels = dict(Severity.choices)
    return {
        "days": [day.strftime("%d/%m") for day, _counts in posture.alerts_per_day],
        "series": [
            {
                "severity": severity,
                "name": str(labels[severity]),
                "data": [counts[severity] for _day, counts in posture.alerts_per_day],
            }
            for severity in metrics.SEVERITIES
        ],
    }


def _heat_level(count: int, highest: int) -> int:
    """Return the colour step 1–5 of a heatmap cell, relative to the highest count."""
    if count <= 0 or highest <= 0:
        return 0
    return max(1, min(5, round(5 * count / highest)))


@policy(SOC_READERS)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    days = 7
    if form.is_valid() and form.cleaned_data.get("days"):
        days = form.cleaned_data["days"]
    posture = metrics.compute(metrics.Period.last_days(days))
    highest = max(
        (count for column in posture.heatmap for _technique, count in column.techniques),
        default=0,
    )
    heatmap = [
        {
            "tactic": column.tactic,
            "name": column.name,
            "total": column.total,
            "cells": [
                {"technique": item, "count": count, "level": _heat_level(count, highest)}
                for item, count in column.techniques
            ],
        }
        for column in posture.heatmap
    ]
    severity_labels = dict(Severity.choices)
    context = {
        "form": form,
        "days": days,
        "posture": posture,
        "alerts_by_severity": [
            (value, severity_labels[value], posture.alerts_by_severity[value])
            for value in metrics.SEVERITIES
        ],
        "incidents_by_severity": [
            (value, severity_labels[value], posture.incidents_by_severity[value])
            for value in metrics.SEVERITIES
        ],
        "chart": _chart_data(posture),
        "heatmap": heatmap,
        "mtta": (duration_label(posture.mtta.median), duration_label(posture.mtta.mean)),
        "mttr": (duration_label(posture.mttr.median), duration_label(posture.mttr.mean)),
        "can_act": SOC_ANALYSTS.allows_role(_user(request)),
    }
    return render(request, "soc/incidents/dashboard.html", context)


# --- Incidents ---------------------------------------------------------------------------------


def valid_filters(form: Form) -> dict[str, Any]:
    """Return the filter values that passed validation; an invalid field is left out.

    A bound form with errors keeps its valid fields in ``cleaned_data``, so one mistyped date
    drops only that filter while the page lists the errors.
    """
    if not form.is_bound:
        return {}
    form.is_valid()
    return dict(getattr(form, "cleaned_data", {}))


def filter_errors(form: Form) -> list[str]:
    """Return the form's errors as "label: message" lines, shown above a filtered list."""
    if not form.is_bound:
        return []
    lines: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        lines.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return lines


def _created_in(queryset: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
    """Keep the records raised or opened (``created_at``) on the days from and to, local time."""
    if data.get("date_from"):
        start = metrics.Period.of_dates(data["date_from"], data["date_from"]).start
        queryset = queryset.filter(created_at__gte=start)
    if data.get("date_to"):
        end = metrics.Period.of_dates(data["date_to"], data["date_to"]).end
        queryset = queryset.filter(created_at__lt=end)
    return queryset


def filter_incidents(form: IncidentFilterForm) -> QuerySet[Incident]:
    """Apply the list's valid filters and sort.

    The dates select when the incident was opened, as the dashboard and the report count.
    """
    incidents = Incident.objects.select_related("agency", "assignee").annotate(
        severity_rank=metrics.severity_order()
    )
    data = valid_filters(form)
    status = data.get("status")
    if status == "open":
        incidents = incidents.filter(status__in=metrics.OPEN_STATUSES)
    elif status:
        incidents = incidents.filter(status=status)
    if data.get("severity"):
        incidents = incidents.filter(severity=data["severity"])
    if data.get("agency"):
        incidents = incidents.filter(agency=data["agency"])
    if data.get("host"):
        incidents = incidents.filter(host__icontains=data["host"].strip())
    if data.get("rule"):
        rule = data["rule"].strip()
        incidents = incidents.filter(rule_id__icontains=rule) | incidents.filter(
            title__icontains=rule
        )
    incidents = _created_in(incidents, data)
    return incidents.order_by(*SORTS.get(data.get("sort") or "newest", SORTS["newest"]))


@policy(SOC_READERS)
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    page = _page(request, filter_incidents(form))
    for incident in page:
        incident.assignee_name = workflow.display_name(incident.assignee)
    context = {
        "form": form,
        "filter_errors": filter_errors(form),
        "page": page,
        "filtered": any(value for key, value in request.GET.items() if key not in {"page", "sort"}),
        "query": _query_without_page(request),
    }
    return render(request, "soc/incidents/incident_list.html", context)


def _get_incident(incident_id: int) -> Incident:
    return get_object_or_404(Incident.objects.select_related("agency", "assignee"), pk=incident_id)


def _shown(value: Any) -> str:
    """Write a number of an explanation in the user's locale (1.234,5 in Vietnamese)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number_format(value, decimal_pos=None if isinstance(value, int) else 2)


def explanation_text(alert: Alert) -> str:
    """Put an explanation in words: the observed value against the baseline, or the indicator."""
    explanation = alert.explanation or {}
    if not explanation:
        return ""
    parts = []
    if "observed" in explanation and "baseline" in explanation:
        parts.append(
            _("Observed %(observed)s against a baseline of %(baseline)s.")
            % {
                "observed": _shown(explanation["observed"]),
                "baseline": _shown(explanation["baseline"]),
            }
        )
    if explanation.get("distance") is not None:
        parts.append(
            _("Distance from the baseline: %(distance)s.")
            % {"distance": _shown(explanation["distance"])}
        )
    if "indicator" in explanation:
        parts.append(
            _("Matched indicator %(indicator)s from the feed %(feed)s in the field %(field)s.")
            % {
                "indicator": explanation["indicator"],
                "feed": explanation.get("feed") or "–",
                "field": explanation.get("matched_field") or "–",
            }
        )
    if "correlation" in explanation:
        group = ", ".join(
            f"{name}={value}" for name, value in (explanation.get("group") or {}).items()
        )
        parts.append(
            _("%(count)s matching events within the correlation window, grouped by %(group)s.")
            % {"count": _shown(explanation.get("count", 0)), "group": group or "–"}
        )
    return " ".join(parts)


def _attack_labels(tags: list[str]) -> list[dict[str, str]]:
    tactic_names, technique_ids = parse_tags(tags)
    labels = [
        {"id": name, "name": tactic_name(name), "label": tactic_name(name)} for name in tactic_names
    ]
    labels += [
        {"id": item, "name": technique(item).name, "label": technique(item).label}
        for item in technique_ids
    ]
    return labels


def _alerts_of(incident: Incident) -> list[Alert]:
    events = SecurityEvent.objects.select_related("source").order_by("time", "id")
    alerts = list(
        incident.alerts.select_related("source", "agency")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("first_seen", "id")
    )
    for alert in alerts:
        shown = list(alert.events.all())
        alert.shown_events = shown[:EVENTS_PER_ALERT]  # type: ignore[attr-defined]
        alert.hidden_events = max(0, len(shown) - EVENTS_PER_ALERT)  # type: ignore[attr-defined]
        alert.explanation_text = explanation_text(alert)  # type: ignore[attr-defined]
        alert.explanation_json = json.dumps(alert.explanation, ensure_ascii=False, indent=1)  # type: ignore[attr-defined]
        alert.attack = _attack_labels(list(alert.tags or []))  # type: ignore[attr-defined]
        for event in alert.shown_events:  # type: ignore[attr-defined]
            event.field_items = sorted((event.fields or {}).items())
    return alerts


def _workflow_context(incident: Incident, user: User, **forms: Any) -> dict[str, Any]:
    notes = list(incident.notes.select_related("author"))
    for note in notes:
        note.label = workflow.ACTION_LABELS.get(note.action, note.action)  # type: ignore[attr-defined]
        note.author_name = workflow.display_name(note.author)  # type: ignore[attr-defined]
    evidence = list(incident.evidence.select_related("uploaded_by"))
    for item in evidence:
        item.uploader_name = workflow.display_name(item.uploaded_by)  # type: ignore[attr-defined]
    return {
        "incident": incident,
        "assignee_name": workflow.display_name(incident.assignee),
        "can_act": SOC_ANALYSTS.allows_role(user),
        "notes": notes,
        "evidence": evidence,
        "ack_form": forms.get("ack_form") or OptionalNoteForm(prefix="ack"),
        "assign_form": forms.get("assign_form")
        or AssignForm(prefix="assign", initial={"assignee": incident.assignee_id}),
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(prefix="evidence"),
        "resolve_form": forms.get("resolve_form") or ResolveForm(prefix="resolve"),
        "close_form": forms.get("close_form") or OptionalNoteForm(prefix="close"),
        "reopen_form": forms.get("reopen_form") or ReopenForm(prefix="reopen"),
        "error": forms.get("error"),
        "notice": forms.get("notice"),
        "max_evidence_mb": _max_evidence_mb(),
    }


def _max_evidence_mb() -> str:
    return f"{settings.TINHSO_SOC_EVIDENCE_MAX_BYTES / (1024 * 1024):.0f}"


@policy(SOC_READERS)
@require_GET
def incident_detail(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    incident = _get_incident(soc_incident_id)
    context = _workflow_context(incident, _user(request))
    context["alerts"] = _alerts_of(incident)
    return render(request, "soc/incidents/incident_detail.html", context)


def _incident_response(
    request: HttpRequest, incident: Incident, status: int = 200, **forms: Any
) -> HttpResponse:
    """Render the workflow fragment for htmx, else the detail page with errors, or redirect.

    A ``notice`` confirms a done action: inside the htmx fragment, or as a message that the
    page after the redirect shows.
    """
    incident = _get_incident(incident.pk)
    notice = forms.pop("notice", None)
    if _is_htmx(request):
        # htmx swaps only successful responses, so a form with errors comes back as 200.
        context = _workflow_context(incident, _user(request), notice=notice, **forms)
        return render(request, "soc/incidents/_workflow.html", context)
    if status != 200:
        context = _workflow_context(incident, _user(request), **forms)
        context["alerts"] = _alerts_of(incident)
        return render(request, "soc/incidents/incident_detail.html", context, status=status)
    if notice:
        messages.success(request, notice)
    return redirect("soc:incident_detail", soc_incident_id=incident.pk)


def _notice(form_name: str, data: dict[str, Any]) -> str:
    text = str(ACTION_NOTICES[form_name])
    if form_name == "assign_form":
        return text % {"name": workflow.display_name(data["assignee"])}
    return text


def _action(
    request: HttpRequest,
    incident_id: int,
    form: Form,
    form_name: str,
    action: Callable[[Incident, User, dict[str, Any]], object],
) -> HttpResponse:
    incident = _get_incident(incident_id)
    if not form.is_valid():
        return _incident_response(request, incident, status=400, **{form_name: form})
    try:
        action(incident, _user(request), form.cleaned_data)
    except workflow.TransitionError as error:
        return _incident_response(request, incident, status=409, error=str(error))
    return _incident_response(request, incident, notice=_notice(form_name, form.cleaned_data))


@policy(SOC_ANALYSTS)
@require_POST
def incident_acknowledge(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, OptionalNoteForm(request.POST, prefix="ack"), "ack_form",
        lambda incident, user, data: workflow.acknowledge(incident, user, data["note"]),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_assign(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, AssignForm(request.POST, prefix="assign"), "assign_form",
        lambda incident, user, data: workflow.assign(incident, user, data["assignee"], data["note"]),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_comment(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, NoteForm(request.POST, prefix="note"), "note_form",
        lambda incident, user, data: workflow.comment(incident, user, data["note"]),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_resolve(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, ResolveForm(request.POST, prefix="resolve"), "resolve_form",
        lambda incident, user, data: workflow.resolve(
            incident, user, data["resolution"], data["note"]
        ),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_close(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, OptionalNoteForm(request.POST, prefix="close"), "close_form",
        lambda incident, user, data: workflow.close(incident, user, data["note"]),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_reopen(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    return _action(
        request, soc_incident_id, ReopenForm(request.POST, prefix="reopen"), "reopen_form",
        lambda incident, user, data: workflow.reopen(incident, user, data["note"]),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_POST
def incident_evidence(request: HttpRequest, soc_incident_id: int) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    return _action(
        request, soc_incident_id, form, "evidence_form",
        lambda incident, user, data: workflow.attach_evidence(
            incident, user, data["file"], data["description"]
        ),
    )  # fmt: skip


@policy(SOC_ANALYSTS)
@require_GET
def evidence_download(
    request: HttpRequest, soc_incident_id: int, soc_evidence_id: int
) -> FileResponse:
    evidence = get_object_or_404(IncidentEvidence, pk=soc_evidence_id, incident_id=soc_incident_id)
    audit.record(
        AuditAction.EXPORT,
        evidence,
        extra={"incident": soc_incident_id, "sha256": evidence.sha256},
    )
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


# --- Alerts ------------------------------------------------------------------------------------


@policy(SOC_READERS)
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = Alert.objects.select_related("agency", "incident").order_by("-created_at", "-id")
    form = AlertFilterForm(request.GET or None)
    data = valid_filters(form)
    if data.get("severity"):
        alerts = alerts.filter(severity=data["severity"])
    host = (data.get("host") or "").strip()
    if host:
        alerts = alerts.filter(host__icontains=host)
    rule = (data.get("rule") or "").strip()
    if rule:
        alerts = alerts.filter(rule_id__icontains=rule) | alerts.filter(title__icontains=rule)
    alerts = _created_in(alerts, data)
    context = {
        "form": form,
        "filter_errors": filter_errors(form),
        "page": _page(request, alerts),
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
        "query": _query_without_page(request),
    }
    return render(request, "soc/incidents/alert_list.html", context)


# --- Posture report ----------------------------------------------------------------------------


@policy(SOC_READERS)
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    """Show the report form; with its fields filled in, send the report file."""
    if not request.GET:
        today = timezone.localdate()
        initial = {
            "date_from": today.replace(day=1).strftime("%d/%m/%Y"),
            "date_to": today.strftime("%d/%m/%Y"),
            "file_format": "docx",
        }
        return render(request, "soc/incidents/report.html", {"form": ReportForm(initial=initial)})
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "soc/incidents/report.html", {"form": form}, status=400)
    data = form.cleaned_data
    period = metrics.Period.of_dates(data["date_from"], data["date_to"])
    built = posture_report.build(period, data["agency"])
    file_format = data["file_format"]
    content = posture_report.write(built, file_format)
    posture_report.record_export(built, file_format)
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    name = posture_report.file_name(built, file_format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
