"""Pages of this part of the SOC; included by tinhso.soc.urls in the "soc" namespace."""

from django.urls import path

from tinhso.soc.incidents import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<int:soc_incident_id>/", views.incident_detail, name="incident_detail"),
    path(
        "incidents/<int:soc_incident_id>/acknowledge/",
        views.incident_acknowledge,
        name="incident_acknowledge",
    ),
    path("incidents/<int:soc_incident_id>/assign/", views.incident_assign, name="incident_assign"),
    path(
        "incidents/<int:soc_incident_id>/comment/", views.incident_comment, name="incident_comment"
    ),
    path(
        "incidents/<int:soc_incident_id>/evidence/",
        views.incident_evidence,
        name="incident_evidence",
    ),
    path(
        "incidents/<int:soc_incident_id>/evidence/<int:soc_evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "incidents/<int:soc_incident_id>/resolve/", views.incident_resolve, name="incident_resolve"
    ),
    path("incidents/<int:soc_incident_id>/close/", views.incident_close, name="incident_close"),
    path("incidents/<int:soc_incident_id>/reopen/", views.incident_reopen, name="incident_reopen"),
    path("alerts/", views.alert_list, name="alert_list"),
    path("reports/", views.report_page, name="report"),
]
