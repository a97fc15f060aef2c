"""The product's URLs plus `/bench/bare/`: a DRF view with the workflow API's authentication and
permissions that returns a tiny JSON, the yardstick of bench/load.py's throughput ratio."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from pingan.api_base import WORKFLOW_PERMISSIONS


class Bare(APIView):
    """Authenticates (token or session, the default classes) and checks the workflow permissions, then
    answers `{"ok": true}`: no query of its own."""

    permission_classes = WORKFLOW_PERMISSIONS

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/bare/", Bare.as_view(), name="bench-bare"),
    path("", include("pingan.urls")),
]
