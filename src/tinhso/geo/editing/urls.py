from django.urls import URLPattern, URLResolver

app_name = "geo_editing"

urlpatterns: list[URLPattern | URLResolver] = []
