"""Pages of the map import, under /map/import/."""

from django.urls import URLPattern, URLResolver, path

from tinhso.geo.imports import views

app_name = "geo_imports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.start, name="start"),
    path("<int:layer_job_id>/confirm/", views.confirm, name="confirm"),
    path("<int:layer_job_id>/", views.job_page, name="job"),
]
