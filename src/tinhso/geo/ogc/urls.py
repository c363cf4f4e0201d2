"""OGC API Features (Core, GeoJSON, CRS by reference) over the map layers, under ``/ogc/``."""

from django.urls import URLPattern, URLResolver, path

from tinhso.geo.ogc import views

app_name = "geo_ogc"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.landing, name="landing"),
    path("conformance", views.conformance, name="conformance"),
    path("api", views.api_definition, name="api"),
    path("collections", views.collections, name="collections"),
    path("collections/<str:collection_id>", views.collection, name="collection"),
    path("collections/<str:collection_id>/queryables", views.queryables, name="queryables"),
    path("collections/<str:collection_id>/items", views.items, name="items"),
    path("collections/<str:collection_id>/items/<str:feature_id>", views.item, name="item"),
    # Any other path under /ogc/ gets the API's JSON 404 instead of the site's HTML page.
    path("<path:unknown_path>", views.unknown_path, name="unknown"),
]
