from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
