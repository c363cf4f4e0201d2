"""Forms of the alert, rule and directive pages; every error names the field it concerns."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Department, Role, Unit, User
from tinhso.core.services.units import find_unit
from tinhso.ioc.alerts.evaluation import SEASONS_PER_YEAR
from tinhso.ioc.alerts.models import AlertRule, Comparison, Directive, RuleKind
from tinhso.ioc.models import Indicator

logger = logging.getLogger(__name__)

# Roles whose members can be given an alert to handle.
ASSIGNABLE_ROLES = (
    Role.PROVINCIAL_LEADER,
    Role.DEPARTMENT_OFFICER,
    Role.COMMUNE_OFFICER,
    Role.SYSTEM_ADMINISTRATOR,
)


class UnitCodeField(forms.CharField):
    """An administrative unit entered by its official code ("08707" or "8707")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Unit | None:
        code = super().clean(value)
        if not code:
            return None
        try:
            return find_unit(code)
        except UnknownUnitError:
            raise ValidationError(
                _(
                    "Unit: no administrative unit has the code %(code)s. Enter the official "
                    "code, such as 08707, or leave the field empty."
                ),
                params={"code": code},
                code="unknown_unit",
            ) from None


def _indicator_choices() -> Any:
    return Indicator.objects.order_by("code")


class RuleForm(forms.ModelForm[AlertRule]):
    unit_code = UnitCodeField(
        label=_("Unit code"),
        help_text=_("Official code of the unit to watch; leave empty to watch every unit."),
    )

    class Meta:
        model = AlertRule
        fields = [
            "name", "kind", "indicator", "comparison", "threshold", "anomaly_score", "direction",
            "min_history_years", "event_type", "event_severity", "event_count", "window_minutes",
            "severity", "department", "active",
        ]  # fmt: skip

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["indicator"].queryset = _indicator_choices()  # type: ignore[attr-defined]
        self.fields["comparison"].choices = [("", "—"), *Comparison.choices]  # type: ignore[attr-defined]
        if self.instance.pk and self.instance.unit_id:
            self.initial["unit_code"] = self.instance.unit.code  # type: ignore[union-attr]
        if user.role == Role.DEPARTMENT_OFFICER:
            # A department officer's rules alert their own department.
            del self.fields["department"]
        self.fields["name"].error_messages["required"] = _("Name: enter a name for the rule.")
        self.fields["kind"].error_messages["required"] = _(
            "Kind: choose threshold, seasonal anomaly or event stream."
        )
        self.fields["kind"].error_messages["invalid_choice"] = self.fields["kind"].error_messages[
            "required"
        ]

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name", "")).strip()
        if not name:
            raise ValidationError(_("Name: enter a name for the rule."), code="required")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in {RuleKind.THRESHOLD, RuleKind.ANOMALY}:
            self._clean_value_rule(kind, data)
        elif kind == RuleKind.EVENT:
            self._clean_event_rule(data)
        return data

    def _clean_value_rule(self, kind: str, data: dict[str, Any]) -> None:
        indicator = data.get("indicator")
        if indicator is None:
            self.add_error(
                "indicator",
                _("Indicator: choose the indicator that a threshold or anomaly rule watches."),
            )
        if kind == RuleKind.THRESHOLD:
            if not data.get("comparison"):
                self.add_error(
                    "comparison", _("Comparison: choose >, ≥, < or ≤ for a threshold rule.")
                )
            if data.get("threshold") is None:
                self.add_error(
                    "threshold", _("Threshold: enter the value that the indicator must not break.")
                )
            return
        score = data.get("anomaly_score")
        if score is None or score <= 0:
            self.add_error(
                "anomaly_score",
                _("Anomaly score threshold: enter a number above 0; 3.5 is the usual choice."),
            )
        years = data.get("min_history_years")
        if years is None or years < 1:
            self.add_error(
                "min_history_years", _("Minimum years of history: enter at least 1 year.")
            )
        if indicator is not None and indicator.periodicity not in SEASONS_PER_YEAR:
            self.add_error(
                "indicator",
                _(
                    "Indicator: %(code)s has %(periodicity)s values; anomaly rules need "
                    "monthly, quarterly, half-yearly or annual values."
                )
                % {"code": indicator.code, "periodicity": indicator.get_periodicity_display()},
            )

    def _clean_event_rule(self, data: dict[str, Any]) -> None:
        if not str(data.get("event_type", "")).strip():
            self.add_error(
                "event_type",
                _("Event type: enter the event type to watch, as in the MQTT topic (flood, fire)."),
            )
        count = data.get("event_count")
        if count is None or count < 1:
            self.add_error("event_count", _("Number of events: enter at least 1."))
        window = data.get("window_minutes")
        if window is None or window < 1:
            self.add_error("window_minutes", _("Window (minutes): enter at least 1 minute."))

    def save(self, commit: bool = True) -> AlertRule:
        rule = super().save(commit=False)
        rule.unit = self.cleaned_data.get("unit_code")
        if rule.kind == RuleKind.EVENT:
            rule.indicator = None
            rule.event_type = rule.event_type.strip()
        else:
            rule.event_type = ""
        if self.user.role == Role.DEPARTMENT_OFFICER:
            rule.department_id = self.user.department_id
        if rule.pk is None:
            rule.created_by = self.user
        if commit:
            rule.save()
        return rule


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("Note: write the note before you save it."), code="required")
        return note


class OptionalNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label=_("User"), queryset=User.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, role__in=ASSIGNABLE_ROLES
        ).order_by("last_name", "first_name", "username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("assigned_to") and not data.get("department"):
            self.add_error(
                "assigned_to", _("User: choose a user or a department to assign the alert to.")
            )
        return data


class DirectiveForm(forms.ModelForm[Directive]):
    unit_code = UnitCodeField(
        label=_("Unit code"), help_text=_("Optional: the unit the directive concerns.")
    )

    class Meta:
        model = Directive
        fields = ["title", "content", "alert", "indicator", "department", "deadline"]
        widgets = {
            "alert": forms.HiddenInput,
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "content": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = _indicator_choices()  # type: ignore[attr-defined]
        self.fields["indicator"].required = False
        self.fields["department"].queryset = Department.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["department"].error_messages["required"] = _(
            "Assigned department: choose the department that carries out the directive."
        )
        self.fields["title"].error_messages["required"] = _(
            "Title: enter a short title for the directive."
        )
        self.fields["content"].error_messages["required"] = _(
            "Content: write what the department must do."
        )
        self.fields["deadline"].error_messages["required"] = _(
            "Deadline: enter the date by which the department must report."
        )
        self.fields["deadline"].error_messages["invalid"] = _(
            "Deadline: enter a date as dd/mm/yyyy."
        )
        self.fields["deadline"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]  # type: ignore[attr-defined]

    def clean_deadline(self) -> Any:
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(
                _("Deadline: %(date)s is in the past; choose today or a later date."),
                params={"date": deadline.strftime("%d/%m/%Y")},
                code="past",
            )
        return deadline

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        alert = data.get("alert")
        if alert is None and data.get("indicator") is None:
            self.add_error(
                "indicator",
                _(
                    "Indicator: choose the indicator the directive concerns, or start from an alert."
                ),
            )
        return data

    def save(self, commit: bool = True) -> Directive:
        directive = super().save(commit=False)
        directive.unit = self.cleaned_data.get("unit_code")
        alert = directive.alert
        if alert is not None:
            directive.indicator = directive.indicator or alert.indicator
            directive.unit = directive.unit or alert.unit
        if commit:
            directive.save()
        return directive


class DirectiveUpdateForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    marks_done = forms.BooleanField(label=_("The directive is carried out"), required=False)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Progress: describe what has been done."), code="required")
        return text


class DirectiveCloseForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
