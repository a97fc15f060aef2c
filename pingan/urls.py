from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accountability import views as accountability_views
from workflows import views as workflow_views

from . import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notices/<int:notice_id>/", workflow_views.notice_print, name="notice-print"),
    path("evaluations/export/", accountability_views.evaluations_export, name="evaluations-export"),
    path("api/v1/", include("pingan.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
