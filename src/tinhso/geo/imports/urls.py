from django.urls import URLPattern, URLResolver

app_name = "geo_imports"

urlpatterns: list[URLPattern | URLResolver] = []
