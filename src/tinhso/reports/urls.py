"""URLs of the briefing reports under /reports/."""

from django.urls import path

from tinhso.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("regimes/<slug:regime_code>/", views.regime_detail, name="regime"),
    path("regimes/<slug:regime_code>/generate/", views.generate, name="generate"),
    path("generated/<int:report_id>/", views.report_detail, name="report"),
    path("generated/<int:report_id>/verify/", views.verify, name="verify"),
    path("generated/<int:report_id>/download/<str:file_format>/", views.download, name="download"),
]
