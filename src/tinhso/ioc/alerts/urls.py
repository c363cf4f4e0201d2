"""URLs of alerts, alert rules and directives under /ioc/alerts/."""

from django.urls import path

from tinhso.ioc.alerts import views

app_name = "ioc_alerts"

urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("panel/", views.panel, name="panel"),
    path("<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("<int:alert_id>/assign/", views.alert_assign, name="alert_assign"),
    path("<int:alert_id>/note/", views.alert_note, name="alert_note"),
    path("<int:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("<int:alert_id>/close/", views.alert_close, name="alert_close"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/check/", views.rule_check, name="rule_check"),
    path("directives/", views.directive_list, name="directive_list"),
    path("directives/new/", views.directive_create, name="directive_create"),
    path("directives/<int:directive_id>/", views.directive_detail, name="directive_detail"),
    path("directives/<int:directive_id>/update/", views.directive_update, name="directive_update"),
    path("directives/<int:directive_id>/close/", views.directive_close, name="directive_close"),
]
