from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accountability import views as accountability_views
from workflows import views as workflow_views

from . import views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("towns/<int:town_id>/", views.town_history, name="town-history"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", workflow_views.dashboard, name="dashboard"),
    path("my/", workflow_views.my_work, name="my-work"),
    path("board/", workflow_views.board, name="board"),
    path("board/cases/<int:case_id>/tasks/", workflow_views.add_task, name="board-add-task"),
    path("board/cases/<int:case_id>/accountability/", workflow_views.propose_accountability, name="board-propose"),
    path("act/<str:kind>/<int:object_id>/<str:name>/", workflow_views.act, name="act"),
    path("tasks/<int:task_id>/submit/", workflow_views.submit_task, name="submit-task"),
    path("tasks/<int:task_id>/extension/", workflow_views.request_extension, name="request-extension"),
    path("notices/<int:notice_id>/", workflow_views.notice_print, name="notice-print"),
    path("evaluations/", accountability_views.evaluations_page, name="evaluations"),
    path("evaluations/<int:evaluation_id>/", accountability_views.evaluation_detail, name="evaluation-page"),
    path("evaluations/act/<str:name>/", accountability_views.evaluation_act, name="evaluation-act"),
    path("evaluations/export/", accountability_views.evaluations_export, name="evaluations-export"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("pingan.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
