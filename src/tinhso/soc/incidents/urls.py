"""Pages of this part of the SOC; included by tinhso.soc.urls in the "soc" namespace."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
