"""URLs of the leaders' dashboards under /ioc/dashboards/; the overview itself is /ioc/."""

from django.urls import path

from tinhso.ioc.dashboards import compose, live, views

app_name = "ioc_dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("live/", live.live, name="live"),
    path("map/", views.map_data, name="map_data"),
    path("value/<int:value_id>/", views.value_provenance, name="value"),
    path("computed/", views.computed_provenance, name="computed"),
    path("sectors/<slug:sector_code>/", views.sector_dashboard, name="sector"),
    path("units/<str:unit_code>/", views.unit_dashboard, name="unit"),
    path("d/<slug:slug>/", views.dashboard_view, name="dashboard"),
    path("compose/", compose.composer, name="composer"),
    path("compose/<slug:slug>/", compose.compose_dashboard, name="compose_dashboard"),
    path("compose/<slug:slug>/delete/", compose.delete_dashboard, name="delete_dashboard"),
    path("compose/<slug:slug>/widgets/add/", compose.add_widget, name="add_widget"),
    path("compose/<slug:slug>/widgets/<int:widget_id>/", compose.edit_widget, name="edit_widget"),
    path(
        "compose/<slug:slug>/widgets/<int:widget_id>/move/", compose.move_widget, name="move_widget"
    ),
    path(
        "compose/<slug:slug>/widgets/<int:widget_id>/delete/",
        compose.delete_widget,
        name="delete_widget",
    ),
]
