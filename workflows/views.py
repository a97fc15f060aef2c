"""Pages of the workflow."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from .guards import is_office
from .models import Notice


@login_required
def notice_print(request, notice_id: int):
    """A numbered notice as a printable page, for the office and the case's owners."""
    notice = get_object_or_404(Notice.objects.select_related("case__town__district__city", "city"), pk=notice_id)
    owner = notice.case.owners.filter(unit__members=request.user).exists()
    if not (is_office(notice.case, request.user) or owner):
        raise PermissionDenied
    return render(request, "workflows/notice_print.html", {"notice": notice})
