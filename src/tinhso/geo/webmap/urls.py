from django.urls import URLPattern, URLResolver

app_name = "geo_map"

urlpatterns: list[URLPattern | URLResolver] = []
