"""Forms of the web interface."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class UnitSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a unit"), max_length=100, required=False)
