"""Reads of the index domain."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from . import scoring
from .models import DailyIndex, IndexPolicy, Indicator


def scored_indicators(day: datetime.date) -> list[Indicator]:
    """The indicators shown for a day: those weighted by any policy used that day, else the active ones."""
    codes: list[str] = []
    for weights in IndexPolicy.objects.filter(publications__date=day).distinct().values_list("weights", flat=True):
        codes += [c for c in weights if c not in codes]
    indicators = Indicator.objects.filter(code__in=codes) if codes else Indicator.objects.filter(active=True)
    return list(indicators.order_by("position", "id"))


def day_indices(day: datetime.date, city=None):
    """The current town and district indices of a day, districts first within each district."""
    rows = DailyIndex.objects.current().filter(date=day).select_related("district", "town", "policy")
    if city is not None:
        rows = rows.filter(district__city=city)
    return rows.order_by("district__city_id", "district_id", "scope", "town_id")


LEVELS = tuple(level.value for level in scoring.Level)  # best first


def district_summaries(day: datetime.date) -> list[dict]:
    """Per district, for a day: its city, and how many of its towns have each colour, counted by the
    database in one grouped query (a national day has 50,000 towns)."""
    colours = {level: Count("id", filter=Q(level=level)) for level in LEVELS}
    return list(
        DailyIndex.objects.current()
        .towns()
        .filter(date=day)
        .values("district_id", "district__name", "district__city_id", "district__city__name")
        .annotate(towns=Count("id"), **colours)
        .order_by("district__city_id", "district_id")
    )
