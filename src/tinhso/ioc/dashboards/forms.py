"""Forms of the dashboard composer: a dashboard with the roles it is shared with, and a widget."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import UnknownUnitError
from tinhso.core.models import Role, Unit
from tinhso.core.services.units import find_unit
from tinhso.ioc import periods
from tinhso.ioc.dashboards.models import Dashboard, Sector, Widget
from tinhso.ioc.models import Indicator

logger = logging.getLogger(__name__)


class DashboardForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Shared with roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave every box empty to share the dashboard with every staff role."),
    )

    class Meta:
        model = Dashboard
        fields = ["slug", "title", "description", "sector", "roles"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.order_by("position", "code")  # type: ignore[attr-defined]


class WidgetForm(forms.ModelForm):
    unit_code = forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=5,
        help_text=_("Code of a commune (e.g. 08707); leave empty for the province."),
    )

    class Meta:
        model = Widget
        fields = ["kind", "title", "indicators", "period_from", "period_to"]
        widgets = {"indicators": forms.SelectMultiple(attrs={"size": 10})}
        help_texts = {
            "period_from": _(
                "A period code such as 2020, 2024Q1 or 202401; empty for the latest periods."
            ),
            "period_to": _(
                "A period code of the same type; empty for the latest period with data."
            ),
        }

    def __init__(self, *args: Any, sector: Sector | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicators = sector.indicators() if sector is not None else Indicator.objects.all()
        if self.instance.pk:
            indicators = indicators | Indicator.objects.filter(
                pk__in=self.instance.indicators.all()
            )
        self.fields["indicators"].queryset = indicators.distinct().order_by("code")  # type: ignore[attr-defined]
        if self.instance.pk and self.instance.unit_id:
            self.initial["unit_code"] = self.instance.unit.code

    def clean_unit_code(self) -> Unit | None:
        code = self.cleaned_data["unit_code"].strip()
        if not code:
            return None
        try:
            return find_unit(code)
        except UnknownUnitError:
            raise forms.ValidationError(
                _("No unit has the code %(code)s; enter a commune code such as 08707."),
                params={"code": code},
            ) from None

    def _clean_period(self, name: str) -> str:
        code = self.cleaned_data[name].strip().upper()
        if not code:
            return ""
        try:
            return periods.parse(code).code
        except periods.InvalidPeriodError:
            raise forms.ValidationError(
                _("%(code)s is not a period code; write e.g. 2024, 2024Q1 or 202401."),
                params={"code": code},
            ) from None

    def clean_period_from(self) -> str:
        return self._clean_period("period_from")

    def clean_period_to(self) -> str:
        return self._clean_period("period_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_from"), cleaned.get("period_to")
        if start and end and periods.parse(start).start > periods.parse(end).start:
            self.add_error("period_to", _("The last period is before the first one."))
        if cleaned.get("kind") == "card" and len(cleaned.get("indicators") or []) > 1:
            self.add_error("indicators", _("A card shows one indicator; choose only one."))
        return cleaned

    def save(self, commit: bool = True) -> Widget:
        widget: Widget = super().save(commit=False)
        widget.unit = self.cleaned_data.get("unit_code")
        if commit:
            widget.save()
            self.save_m2m()
        return widget
