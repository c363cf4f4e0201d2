"""Pages of the security operations centre, all in the ``soc`` namespace."""

from django.urls import include, path

app_name = "soc"

urlpatterns = [
    path("sources/", include("tinhso.soc.collect.urls")),
    path("intel/", include("tinhso.soc.intel.urls")),
    path("", include("tinhso.soc.incidents.urls")),
]
