from django.urls import URLPattern, URLResolver, path

from tinhso.geo.webmap import views

app_name = "geo_map"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.map_page, name="map"),
    path("search/", views.search, name="search"),
    path("measure/", views.measure_view, name="measure"),
    path("layers/", views.layer_list, name="layers"),
    path("layers/<slug:catalogue_layer>/", views.layer_detail, name="layer"),
]
