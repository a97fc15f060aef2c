from django.contrib import admin
from django.urls import include, path

from accountability import views as accountability_views
from workflows import views as workflow_views

from . import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notices/<int:notice_id>/", workflow_views.notice_print, name="notice-print"),
    path("evaluations/export/", accountability_views.evaluations_export, name="evaluations-export"),
    path("admin/", admin.site.urls),
]
