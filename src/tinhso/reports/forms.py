"""The period picker of the "Tạo báo cáo" form."""

from __future__ import annotations

import logging

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.ioc.periods import DEFAULT_CUTOFF_DAY, PeriodType

logger = logging.getLogger(__name__)

FIRST_YEAR = 2000

# Period types the picker offers, in the order officials think of them.
KIND_CHOICES = [
    (PeriodType.YEAR.value, _("Year")),
    (PeriodType.NINE_MONTHS.value, _("Nine months")),
    (PeriodType.MONTH.value, _("Month")),
    (PeriodType.REPORT_YEAR.value, _("Reporting year (with cut-off day)")),
    (PeriodType.REPORT_NINE_MONTHS.value, _("Reporting nine months (with cut-off day)")),
    (PeriodType.REPORT_MONTH.value, _("Reporting month (with cut-off day)")),
]


def _not_future(value: int) -> None:
    if value > timezone.localdate().year:
        raise forms.ValidationError(_("The year is in the future."))


class GenerateForm(forms.Form):
    """A period as kind, year and month; :meth:`period_code` writes it as a period code."""

    kind = forms.ChoiceField(label=_("Period type"), choices=KIND_CHOICES)
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, validators=[_not_future])
    month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[(str(number), str(number)) for number in range(1, 13)],
        coerce=int,
        required=False,
        help_text=_("Only for monthly reports."),
    )

    def __init__(
        self,
        *args: object,
        allowed: list[str] | None = None,
        cutoff_day: int = DEFAULT_CUTOFF_DAY,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cutoff_day = cutoff_day
        kind = self.fields["kind"]
        if allowed:
            kind.choices = [choice for choice in KIND_CHOICES if choice[0] in allowed]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind in {PeriodType.MONTH.value, PeriodType.REPORT_MONTH.value} and not data.get(
            "month"
        ):
            self.add_error("month", _("Choose the month of a monthly report."))
        return data

    def period_code(self) -> str:
        kind = self.cleaned_data["kind"]
        year = self.cleaned_data["year"]
        month = self.cleaned_data.get("month") or 0
        suffix = "" if self.cutoff_day == DEFAULT_CUTOFF_DAY else f"@{self.cutoff_day}"
        codes = {
            PeriodType.YEAR.value: f"{year}",
            PeriodType.NINE_MONTHS.value: f"{year}N9",
            PeriodType.MONTH.value: f"{year}{month:02d}",
            PeriodType.REPORT_YEAR.value: f"{year}RY{suffix}",
            PeriodType.REPORT_NINE_MONTHS.value: f"{year}RN9{suffix}",
            PeriodType.REPORT_MONTH.value: f"{year}R{month:02d}{suffix}",
        }
        return codes[kind]
