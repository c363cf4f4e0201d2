from django.urls import URLPattern, URLResolver

app_name = "geo_ogc"

urlpatterns: list[URLPattern | URLResolver] = []
