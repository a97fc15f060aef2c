"""When the database is unreachable (a restart, a failover), answer 503 cleanly and recover by itself.

Django reconnects on the next request once the database is back (CONN_HEALTH_CHECKS); meanwhile a
request that hits the outage gets a short 503 with Retry-After instead of a 500 and a traceback.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("pingan.resilience")


def database_reachable() -> bool:
    """Whether the database still answers on this request's connection (an OperationalError such as
    SQLite's "expression tree is too large" is a bug, not an outage)."""
    try:
        return connection.connection is not None and connection.is_usable()
    except Exception:
        return False


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)) or database_reachable():
            return None  # not an outage: a bug (or a query the database refused) is a 500 with its traceback
        # The broken connection is dropped by Django at the end of this request (close_old_connections),
        # and the next request opens a fresh one: no restart needed.
        logger.error("database unavailable while serving %s: %s", request.path, exception)
        message = _("The service is briefly unavailable; please try again in a moment.")
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message, "code": "unavailable"}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response


# A job that meets a database outage (a restart, a failover) is retried with backoff rather than
# failed and lost: with late acknowledgement a failed job is still acknowledged. Every job is
# idempotent, so a retry after a partial run is safe. About 17 minutes of retries in all.
JOB_RETRY_ON_OUTAGE = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": False,
    "max_retries": 10,
}
