"""Forms of the incident pages: filters, analyst actions, evidence upload and the posture report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Department, Role, User
from tinhso.soc.incidents.workflow import display_name
from tinhso.soc.models import IncidentStatus, Resolution, Severity

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "severity": ("-severity_rank", "-created_at", "-id"),
    "last_seen": ("-last_seen", "-id"),
}
SORT_CHOICES = [
    ("newest", _("newest first")),
    ("oldest", _("oldest first")),
    ("severity", _("most severe first")),
    ("last_seen", _("latest event first")),
]


def analysts() -> QuerySet[User]:
    return User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.SECURITY_ANALYST, Role.SYSTEM_ADMINISTRATOR]) | Q(is_superuser=True)
    )


class DateRangeForm(forms.Form):
    """A filter form whose ``date_from`` and ``date_to`` fields must run forward.

    Subclasses declare the two date fields. The dates are when the SOC raised or opened a
    record (``created_at``), the rule the dashboard and the posture report count by.
    """

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class IncidentFilterForm(DateRangeForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("all")),
            ("open", _("open (new or acknowledged)")),
            *IncidentStatus.choices,
        ],
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("all")), *Severity.choices]
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"), required=False, queryset=Department.objects.order_by("name")
    )
    host = forms.CharField(label=_("Host"), required=False, max_length=255)
    rule = forms.CharField(label=_("Rule"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("Opened from"), required=False, input_formats=DATE_INPUT_FORMATS
    )
    date_to = forms.DateField(
        label=_("Opened to"), required=False, input_formats=DATE_INPUT_FORMATS
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)


class AlertFilterForm(DateRangeForm):
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("all")), *Severity.choices]
    )
    host = forms.CharField(label=_("Host"), required=False, max_length=255)
    rule = forms.CharField(label=_("Rule"), required=False, max_length=100)
    date_from = forms.DateField(
        label=_("Raised from"), required=False, input_formats=DATE_INPUT_FORMATS
    )
    date_to = forms.DateField(
        label=_("Raised to"), required=False, input_formats=DATE_INPUT_FORMATS
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OptionalNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("Why reopen"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AnalystChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return display_name(obj)


class AssignForm(forms.Form):
    assignee = AnalystChoiceField(label=_("Analyst"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = analysts().order_by("username")


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was found and what was done."),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), required=False, max_length=500)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.TINHSO_SOC_EVIDENCE_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Compress or split it.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload


class PeriodForm(forms.Form):
    """The dashboard's period: the last N days."""

    DAYS = (1, 7, 30, 90)
    days = forms.TypedChoiceField(
        label=_("Period"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            (1, _("last 24 hours")),
            (7, _("last 7 days")),
            (30, _("last 30 days")),
            (90, _("last 90 days")),
        ],
    )


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), input_formats=DATE_INPUT_FORMATS)
    date_to = forms.DateField(label=_("To"), input_formats=DATE_INPUT_FORMATS)
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        required=False,
        queryset=Department.objects.order_by("name"),
        empty_label=_("all agencies"),
    )
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("docx", "DOCX (Word)"), ("pdf", "PDF")]
    )

    MAX_DAYS = 366

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first: dt.date | None = data.get("date_from")
        last: dt.date | None = data.get("date_to")
        if first and last:
            if first > last:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days >= self.MAX_DAYS:
                self.add_error(
                    "date_to",
                    _("A report covers at most %(days)s days; choose a shorter period.")
                    % {"days": self.MAX_DAYS},
                )
        return data
