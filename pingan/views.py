"""Pages of the index domain."""

from __future__ import annotations

import datetime
from itertools import groupby

from django.http import Http404
from django.shortcuts import render

from .models import DailyIndex
from .selectors import day_indices, scored_indicators


def public_index(request):
    """The published index of a day (default: the latest published), grouped by district."""
    requested = request.GET.get("date")
    if requested:
        try:
            day = datetime.date.fromisoformat(requested)
        except ValueError:
            raise Http404("bad date") from None
    else:
        day = DailyIndex.objects.current().order_by("-date").values_list("date", flat=True).first()
    indicators = scored_indicators(day) if day else []
    districts = []
    if day:
        for _district_id, rows in groupby(day_indices(day), key=lambda r: r.district_id):
            rows = list(rows)
            summary = next((r for r in rows if r.scope == DailyIndex.Scope.DISTRICT), None)
            towns = [r for r in rows if r.scope == DailyIndex.Scope.TOWN]
            districts.append({"summary": summary, "district": rows[0].district, "towns": towns})
    return render(request, "pingan/public_index.html", {"day": day, "districts": districts, "indicators": indicators})
