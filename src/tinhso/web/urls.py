from django.urls import path

from tinhso.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("otp/", views.otp_view, name="otp"),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
