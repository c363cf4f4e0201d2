"""Mapbox Vector Tiles of the map layers under ``/tiles/``, with TileJSON, style and cache."""

from django.urls import URLPattern, URLResolver, path

from tinhso.geo.tiles import views

app_name = "geo_tiles"

urlpatterns: list[URLPattern | URLResolver] = [
    path("style.json", views.style, name="style"),
    path("<slug:tile_layer>/tilejson.json", views.tilejson, name="tilejson"),
    path("<slug:tile_layer>/<int:z>/<int:x>/<int:y>.pbf", views.tile, name="tile"),
]
