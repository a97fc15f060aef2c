"""Public pages of the index: the day's index like a weather report, and a town's history."""

from __future__ import annotations

import datetime
from collections import Counter
from itertools import groupby

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import public_cache
from .cache import read_through
from .models import DailyIndex, Town
from .selectors import LEVELS, day_indices, district_summaries, scored_indicators

# Safety tips for a red town, chosen by the indicator that drove the colour.
SAFETY_TIPS = {
    "crime": _("Keep valuables out of sight, go out in company at night, and call 110 about anything suspicious."),
    "fire": _(
        "Check gas and electric appliances, keep stairwells clear, and do not charge e-bikes indoors; fire: call 119."
    ),
    "traffic": _("Obey the signals, wear a helmet on an e-bike, never drink and drive; accidents: call 122."),
}
HISTORY_DAYS = (30, 90)
# A city with up to this many towns lists them all on the public page, as Zhuhai's 24 always were;
# a bigger one lists its districts with their colours, each opening its towns.
FEW_TOWNS = 200
DISTRICTS_PER_PAGE = 100


def _day_from(request) -> datetime.date | None:
    requested = request.GET.get("date")
    if requested:
        try:
            return datetime.date.fromisoformat(requested)
        except ValueError:
            raise Http404(_("bad date")) from None
    return DailyIndex.objects.current().order_by("-date").values_list("date", flat=True).first()


def district_id_from(request) -> int | None:
    """The `?district=` asked for (a 404 for anything but an id)."""
    requested = request.GET.get("district")
    if not requested:
        return None
    if not requested.isdigit() or len(requested) > 18:
        raise Http404(_("no such district"))
    return int(requested)


def public_index(request):
    """The published index of a day (default: the latest): the towns of a small city, by district, else
    a summary per district linking to its towns; safety tips for red towns. The day's part is cached
    until the next publication (see public_cache)."""

    def make() -> dict:
        context = _public_index_context(request)
        return {"day": context["day"], "html": render_to_string("pingan/public_index_day.html", context)}

    part = read_through(public_cache.key("page", request), make, public_cache.SECONDS)
    response = render(
        request,
        "pingan/public_index.html",
        {"nav": "index", "day": part["day"], "day_html": mark_safe(part["html"])},  # noqa: S308 our own render
    )
    # private: the header around the day's part carries the visitor's CSRF token and login.
    patch_cache_control(response, private=True, max_age=public_cache.MAX_AGE)
    return response


def _public_index_context(request) -> dict:
    day = _day_from(request)
    district_id = district_id_from(request)
    # Every page of the day (a district, a page of districts) starts from the same summaries: counted once.
    summaries = (
        cache.get_or_set(
            public_cache.key("summaries", request, only=("date",)),
            lambda: district_summaries(day),
            public_cache.SECONDS,
        )
        if day
        else []
    )
    levels = Counter()
    for s in summaries:
        levels.update({lv: s[lv] for lv in LEVELS})
    context = {
        "day": day,
        "date_param": request.GET.get("date", ""),
        "previous": day - datetime.timedelta(days=1) if day else None,
        "levels": [(lv, levels[lv]) for lv in LEVELS],
        "towns_total": sum(s["towns"] for s in summaries),
        "chosen": None,
        "districts": [],
        "summaries": None,
    }
    if not summaries:
        return context
    indicators = scored_indicators(day)
    context["indicators"] = indicators
    if district_id is not None:
        chosen = next((s for s in summaries if s["district_id"] == district_id), None)
        if chosen is None:
            raise Http404(_("no such district"))
        context["chosen"] = _with_levels(chosen)
        context["districts"] = _district_tables(day, indicators, district_id)
        context["show_all_link"] = context["towns_total"] > FEW_TOWNS
    elif context["towns_total"] <= FEW_TOWNS:
        context["districts"] = _district_tables(day, indicators)
    else:
        page = Paginator(summaries, DISTRICTS_PER_PAGE).get_page(request.GET.get("page"))
        ids = [s["district_id"] for s in page.object_list]
        own = {r.district_id: r for r in DailyIndex.objects.current().districts().filter(date=day, district_id__in=ids)}
        page.object_list = [{**_with_levels(s), "index": own.get(s["district_id"])} for s in page.object_list]
        context["summaries"] = page
        context["several_cities"] = len({s["district__city_id"] for s in summaries}) > 1
    return context


def _with_levels(summary: dict) -> dict:
    return {**summary, "levels": [(lv, summary[lv]) for lv in LEVELS]}


def _district_tables(day: datetime.date, indicators, district_id: int | None = None) -> list[dict]:
    """The town rows of a day (or of one district's), grouped by district, with tips for red towns."""
    names = {i.code: i.name for i in indicators}
    rows = day_indices(day)
    if district_id is not None:
        rows = rows.filter(district_id=district_id)
    districts = []
    for _district_id, group in groupby(rows, key=lambda r: r.district_id):
        group = list(group)
        towns = [r for r in group if r.scope == DailyIndex.Scope.TOWN]
        for town in towns:
            town.tips = [
                (names.get(code, code), SAFETY_TIPS[code])
                for code, item in town.items.items()
                if town.level == "red" and item["grade"] in ("poor", "very_poor") and code in SAFETY_TIPS
            ]
        districts.append(
            {
                "district": group[0].district,
                "summary": next((r for r in group if r.scope == DailyIndex.Scope.DISTRICT), None),
                "towns": towns,
            }
        )
    return districts


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
            "levels": [(lv, counts[lv]) for lv in LEVELS],
            "chart": {
                "dates": [r.date.isoformat() for r in reversed(rows)],
                "scores": [float(r.score) for r in reversed(rows)],
            },
        },
    )
