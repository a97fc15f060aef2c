"""Public pages of the index: the day's index like a weather report, and a town's history."""

from __future__ import annotations

import datetime
from collections import Counter
from itertools import groupby

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from .models import DailyIndex, Town
from .selectors import day_indices, scored_indicators

# Safety tips for a red town, chosen by the indicator that drove the colour.
SAFETY_TIPS = {
    "crime": _("Keep valuables out of sight, go out in company at night, and call 110 about anything suspicious."),
    "fire": _(
        "Check gas and electric appliances, keep stairwells clear, and do not charge e-bikes indoors; fire: call 119."
    ),
    "traffic": _("Obey the signals, wear a helmet on an e-bike, never drink and drive; accidents: call 122."),
}
HISTORY_DAYS = (30, 90)


def _day_from(request) -> datetime.date | None:
    requested = request.GET.get("date")
    if requested:
        try:
            return datetime.date.fromisoformat(requested)
        except ValueError:
            raise Http404(_("bad date")) from None
    return DailyIndex.objects.current().order_by("-date").values_list("date", flat=True).first()


def public_index(request):
    """The published index of a day (default: the latest), by district, with tips for red towns."""
    day = _day_from(request)
    indicators = scored_indicators(day) if day else []
    names = {i.code: i.name for i in indicators}
    districts, levels = [], Counter()
    if day:
        for _district_id, rows in groupby(day_indices(day), key=lambda r: r.district_id):
            rows = list(rows)
            towns = [r for r in rows if r.scope == DailyIndex.Scope.TOWN]
            levels.update(r.level for r in towns)
            for town in towns:
                town.tips = [
                    (names.get(code, code), SAFETY_TIPS[code])
                    for code, item in town.items.items()
                    if town.level == "red" and item["grade"] in ("poor", "very_poor") and code in SAFETY_TIPS
                ]
            districts.append(
                {
                    "district": rows[0].district,
                    "summary": next((r for r in rows if r.scope == DailyIndex.Scope.DISTRICT), None),
                    "towns": towns,
                }
            )
    return render(
        request,
        "pingan/public_index.html",
        {
            "nav": "index",
            "day": day,
            "previous": day - datetime.timedelta(days=1) if day else None,
            "districts": districts,
            "indicators": indicators,
            "levels": [(lv, levels[lv]) for lv in ("blue", "yellow", "orange", "red")],
            "towns_total": sum(levels.values()),
        },
    )


def town_history(request, town_id: int):
    """One town's index over the last 30 or 90 published days."""
    town = get_object_or_404(Town.objects.select_related("district"), pk=town_id)
    try:
        days = int(request.GET.get("days", HISTORY_DAYS[0]))
    except ValueError:
        days = HISTORY_DAYS[0]
    days = days if days in HISTORY_DAYS else HISTORY_DAYS[0]
    rows = list(DailyIndex.objects.current().filter(town=town).order_by("-date")[:days])
    indicators = scored_indicators(rows[0].date) if rows else []
    counts = Counter(r.level for r in rows)
    return render(
        request,
        "pingan/town_history.html",
        {
            "nav": "index",
            "town": town,
            "rows": rows,
            "days": days,
            "choices": HISTORY_DAYS,
            "indicators": indicators,
            "levels": [(lv, counts[lv]) for lv in ("blue", "yellow", "orange", "red")],
            "chart": {
                "dates": [r.date.isoformat() for r in reversed(rows)],
                "scores": [float(r.score) for r in reversed(rows)],
            },
        },
    )
