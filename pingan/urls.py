from django.contrib import admin
from django.urls import include, path

from workflows import views as workflow_views

from . import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notices/<int:notice_id>/", workflow_views.notice_print, name="notice-print"),
    path("admin/", admin.site.urls),
]
