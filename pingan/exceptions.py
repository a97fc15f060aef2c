"""One exception handler for the API: every error is JSON that says why, in the user's language.

validation 400 · unauthenticated 401 · forbidden 403 · invisible 404 · refused by state or by a
concurrent change 409.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from workflows.errors import NotPermitted, TransitionRefused

from .errors import CannotScore, DomainError, RejectedFile


def api_exception_handler(exc, context):
    if isinstance(exc, NotPermitted):
        return Response({"detail": str(exc), "code": "forbidden"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (TransitionRefused, CannotScore)):
        return Response({"detail": str(exc), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RejectedFile):
        return Response(
            {
                "detail": str(exc).split("\n")[0],
                "code": "invalid",
                "problems": [{"line": p.line, "message": p.message} for p in exc.problems],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = NotFound()  # Django's "No Case matches the given query." is neither translated nor needed
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": _summary(fields), "code": "invalid", "fields": fields}
    elif isinstance(exc, APIException) and isinstance(response.data, dict):
        codes = exc.get_codes()
        response.data.setdefault("code", codes if isinstance(codes, str) else "invalid")
    return response


def _summary(fields: dict) -> str:
    """The field errors as one sentence a person can read."""
    parts = []
    for name, errors in fields.items():
        messages = errors if isinstance(errors, list) else [errors]
        parts.append(f"{name}: {' '.join(str(m) for m in messages)}")
    return "; ".join(parts)
