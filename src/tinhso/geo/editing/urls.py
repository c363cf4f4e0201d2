"""Editing features in the browser with history, exporting a selection, printing a map view.

Mounted under ``map/`` before the web map's own URLs, so only ``features/``, ``export/`` and
``print/`` belong here.
"""

from django.urls import URLPattern, URLResolver, path

from tinhso.geo.editing import history, output, views

app_name = "geo_editing"

urlpatterns: list[URLPattern | URLResolver] = [
    # Listed before features/<slug>/ because "editable-layers" is a valid slug too.
    path("features/editable-layers/", views.editable_layers, name="editable_layers"),
    path("features/<slug:layer_slug>/", views.layer_features, name="layer_features"),
    path("features/<slug:layer_slug>/history/", history.layer_history, name="layer_history"),
    path("features/<slug:layer_slug>/<int:feature_pk>/", views.feature_detail, name="feature"),
    path(
        "features/<slug:layer_slug>/<int:feature_pk>/delete/",
        views.feature_delete,
        name="feature_delete",
    ),
    path(
        "features/<slug:layer_slug>/<int:feature_pk>/history/",
        history.feature_history,
        name="feature_history",
    ),
    path("export/", output.export_selection, name="export"),
    path("print/", output.print_map, name="print"),
]
