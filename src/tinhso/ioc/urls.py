from django.urls import path

from tinhso.ioc import views

app_name = "ioc"

urlpatterns = [
    path("", views.home, name="home"),
    path("import/", views.import_start, name="import_start"),
    path("import/<int:job_id>/preview/", views.import_preview, name="import_preview"),
    path("import/<int:job_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:job_id>/", views.import_job, name="import_job"),
    path("templates/<slug:group_code>.xlsx", views.template_download, name="template"),
]
