"""Pages of this part of the SOC; included by tinhso.soc.urls in the "soc" namespace."""

from django.urls import path

from tinhso.soc.intel import views

urlpatterns = [
    path("", views.feed_list, name="intel_feed_list"),
    path("import/", views.feed_import, name="intel_feed_import"),
    path("<int:soc_feed_id>/", views.feed_detail, name="intel_feed_detail"),
]
