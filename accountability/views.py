"""Downloads of accountability data."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse

from pingan.roles import LEADERSHIP, SAFETY_OFFICE

from .evaluation_rules import Period, PeriodError
from .exports import write_csv, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_see_evaluations(user) -> bool:
    return user.is_superuser or user.groups.filter(name__in=[SAFETY_OFFICE, LEADERSHIP]).exists()


@login_required
def evaluations_export(request):
    """A period's evaluations as XLSX (default) or CSV, for the office and leadership."""
    if not may_see_evaluations(request.user):
        raise PermissionDenied
    try:
        period = Period.parse(request.GET.get("period", ""))
    except PeriodError as exc:
        raise Http404(str(exc)) from exc
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        write_csv(out, period)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="evaluations-{period.label}.csv"'
        return response
    out = io.BytesIO()
    write_xlsx(out, period)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="evaluations-{period.label}.xlsx"'
    return response
