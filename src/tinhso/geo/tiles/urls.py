from django.urls import URLPattern, URLResolver

app_name = "geo_tiles"

urlpatterns: list[URLPattern | URLResolver] = []
