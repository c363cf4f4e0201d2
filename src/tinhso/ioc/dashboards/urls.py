from django.urls import path  # noqa: F401

app_name = "ioc_dashboards"

urlpatterns: list = []
