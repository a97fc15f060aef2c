"""Pieces every API module shares: the error body, transition endpoints, permissions."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from .access import access_of


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why, in the user's language.")
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's line (header = 1), or the item's position + 1.")
    message = serializers.CharField()


class RejectionSerializer(ErrorSerializer):
    problems = ProblemSerializer(many=True, required=False, help_text="Every bad row of a rejected submission.")
    fields = serializers.DictField(required=False, help_text="Errors per field of the request body.")


ERRORS = {
    400: RejectionSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    429: ErrorSerializer,
}


class NotADataFeed(permissions.BasePermission):
    """Data-feed tokens write counts; they read nothing of the workflow."""

    message = _("a data-feed account may only submit counts")

    def has_permission(self, request, view) -> bool:
        return request.user.is_authenticated and not access_of(request).is_feed


WORKFLOW_PERMISSIONS = [permissions.IsAuthenticated, NotADataFeed]


def _body(name: str, text: str, required: bool) -> type[serializers.Serializer]:
    if required:
        field = serializers.CharField(help_text=f"the {text} (required)")
    else:
        field = serializers.CharField(required=False, allow_blank=True, default="")
    camel = "".join(part.title() for part in name.split("_"))
    return type(f"{camel}Body", (serializers.Serializer,), {text: field})


def transition(
    name: str, service: Callable, *, id_keyword: str, response: type, text: str = "comment", required: bool = False
):
    """A `POST …/<id>/<name>/` endpoint that runs one transition service on an object the user sees.

    The body is `{"<text>": "…"}`; the answer is the object after the transition. A refusal by
    state answers 409, by permission 403; an object the user does not see, 404."""
    body = _body(name, text, required)

    def handler(self, request, pk=None):
        obj = self.get_object()
        data = body(data=request.data)
        data.is_valid(raise_exception=True)
        service(**{id_keyword: obj.pk, "user": request.user, text: data.validated_data.get(text, "")})
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)

    handler.__name__ = name
    handler.__doc__ = (service.__doc__ or name).strip().splitlines()[0]
    handler = extend_schema(request=body, responses={200: response})(handler)
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"))(handler)


class PinganAutoSchema(AutoSchema):
    """Every operation documents the error bodies it can answer with, not only those declared."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        public = any(isinstance(p, permissions.AllowAny) for p in getattr(self.view, "get_permissions", lambda: [])())
        codes = [400, 404] if public else [400, 401, 403, 404]
        if self.method in ("POST", "PUT", "PATCH") and not public:
            codes.append(409)
        if getattr(self.view, "throttle_scope", None) and self.method == "POST":
            codes.append(429)
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ERRORS[code], str(code), direction=direction)
        return responses
