"""URL map of the platform."""

from django.contrib import admin
from django.urls import include, path

from tinhso.api.api import api
from tinhso.web import views as web_views

admin.site.site_header = "Tỉnh số"
admin.site.site_title = "Tỉnh số"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ioc/dashboards/", include("tinhso.ioc.dashboards.urls")),
    path("ioc/alerts/", include("tinhso.ioc.alerts.urls")),
    path("ioc/", include("tinhso.ioc.urls")),
    path("reports/", include("tinhso.reports.urls")),
    path("soc/", include("tinhso.soc.urls")),
    path("ogc/", include("tinhso.geo.ogc.urls")),
    path("tiles/", include("tinhso.geo.tiles.urls")),
    path("map/import/", include("tinhso.geo.imports.urls")),
    path("map/", include("tinhso.geo.editing.urls")),
    path("map/", include("tinhso.geo.webmap.urls")),
    path("", include("tinhso.web.urls")),
]

handler403 = "tinhso.web.views.permission_denied"
handler404 = "tinhso.web.views.page_not_found"
