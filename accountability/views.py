"""Downloads of accountability data."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pingan.access import access_of
from pingan.errors import DomainError
from pingan.roles import LEADERSHIP, SAFETY_OFFICE

from .evaluation_rules import Period, PeriodError
from .exports import write_csv, write_xlsx
from .models import Evaluation
from .services import evaluations

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
        write_csv(out, period, cities=access_of(request).cities)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="evaluations-{period.label}.csv"'
        return response
    out = io.BytesIO()
    write_xlsx(out, period, cities=access_of(request).cities)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="evaluations-{period.label}.xlsx"'
    return response


def _visible(request):
    """The evaluations of the user's cities (all of them for a one-city deployment)."""
    return access_of(request).in_cities(Evaluation.objects.all(), "unit__city")


@login_required
def evaluations_page(request):
    """Leadership's ranking per group for a period, with approval and the XLSX export."""
    if not may_see_evaluations(request.user):
        raise PermissionDenied
    periods = list(
        _visible(request).order_by("-period_start", "period_kind").values_list("period", flat=True).distinct()
    )
    chosen = request.GET.get("period") or (periods[0] if periods else "")
    rows = (
        _visible(request)
        .filter(period=chosen)
        .select_related("unit__town")
        .order_by("group", "unit__kind", "rank", "unit__name")
    )
    groups: dict = {}
    for e in rows:
        groups.setdefault((e.get_group_display(), e.unit.get_kind_display()), []).append(e)
    return render(
        request,
        "accountability/evaluations.html",
        {
            "nav": "evaluations",
            "periods": periods,
            "period": chosen,
            "groups": [(group, kind, items) for (group, kind), items in groups.items()],
            "is_leadership": request.user.is_superuser or request.user.groups.filter(name=LEADERSHIP).exists(),
            "is_office": request.user.is_superuser or request.user.groups.filter(name=SAFETY_OFFICE).exists(),
        },
    )


@login_required
def evaluation_detail(request, evaluation_id: int):
    """One evaluation with every number traced to the days, tasks, records and findings behind it."""
    if not may_see_evaluations(request.user):
        raise PermissionDenied
    evaluation = get_object_or_404(_visible(request).select_related("unit__town"), pk=evaluation_id)
    return render(request, "accountability/evaluation_detail.html", {"nav": "evaluations", "e": evaluation})


EVALUATION_ACTIONS = {
    "submit_for_review": evaluations.evaluation_submit_for_review,
    "approve": evaluations.evaluation_approve,
    "publish": evaluations.evaluation_publish,
}


@login_required
@require_POST
def evaluation_act(request, name: str):
    """Submit, approve or publish the evaluations chosen on the ranking page."""
    service = EVALUATION_ACTIONS.get(name)
    if service is None or not may_see_evaluations(request.user):
        raise PermissionDenied
    done = 0
    chosen = [int(i) for i in request.POST.getlist("evaluation") if i.isdigit()]
    for evaluation_id in _visible(request).filter(pk__in=chosen).values_list("pk", flat=True):
        try:
            done += service(evaluation_id=evaluation_id, user=request.user).log is not None
        except (DomainError, ValueError, Evaluation.DoesNotExist) as exc:
            messages.error(request, str(exc))
    messages.success(request, _("%(n)s evaluation(s) done") % {"n": done})
    return redirect(f"{reverse('evaluations')}?period={request.POST.get('period', '')}")
