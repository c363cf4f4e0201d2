"""Pages of log sources; included by tinhso.soc.urls at /soc/sources/ in the "soc" namespace."""

from django.urls import path

from tinhso.soc.collect import views

urlpatterns = [
    path("", views.source_list, name="source_list"),
    path("new/", views.source_create, name="source_create"),
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("<int:soc_source_id>/", views.source_detail, name="source_detail"),
    path("<int:soc_source_id>/rotate-key/", views.source_rotate_key, name="source_rotate_key"),
    path("upload/", views.evtx_upload, name="evtx_upload"),
    path("upload/<int:soc_upload_job_id>/", views.evtx_job, name="evtx_job"),
]
