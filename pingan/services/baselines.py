"""Baselines: last year's citywide rate per indicator, computed from stored data or entered."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .. import scoring
from ..errors import DomainError
from ..models import Baseline, City, DailyCount, Indicator, Population, Submission


def missing_days(city: City, indicator: Indicator, year: int) -> list[datetime.date]:
    """The days of a year for which the indicator's data was not submitted in the city."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    submitted = set(
        Submission.objects.filter(city=city, indicator=indicator, date__range=(start, end)).values_list(
            "date", flat=True
        )
    )
    days = (end - start).days + 1
    return [d for d in (start + datetime.timedelta(n) for n in range(days)) if d not in submitted]


def compute_baseline(city: City, indicator: Indicator, year: int) -> Baseline:
    """Compute and store the baseline of `year` from the complete data of year − 1."""
    previous = year - 1
    gaps = missing_days(city, indicator, previous)
    if gaps:
        raise DomainError(
            f"no baseline for {indicator.code} ({indicator.name}) {year} in {city}: "
            f"{previous} is incomplete ({len(gaps)} day(s) without a submission, first {gaps[0]}); "
            f"enter it in the admin or with `manage.py set_baseline`"
        )
    start, end = datetime.date(previous, 1, 1), datetime.date(previous, 12, 31)
    events = (
        DailyCount.objects.filter(town__district__city=city, indicator=indicator, date__range=(start, end)).aggregate(
            total=Sum("count")
        )["total"]
        or 0
    )
    records: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for town_id, effective_from, population in Population.objects.filter(town__district__city=city).values_list(
        "town_id", "effective_from", "population"
    ):
        records[town_id].append((effective_from, population))
    resident_days = sum(scoring.resident_days(r, start, end) for r in records.values())
    if not resident_days:
        raise DomainError(f"no baseline for {indicator.code} {year} in {city}: no population in force in {previous}")
    with transaction.atomic():
        baseline, _ = Baseline.objects.update_or_create(
            city=city,
            indicator=indicator,
            year=year,
            defaults={
                "source": Baseline.Source.COMPUTED,
                "events": events,
                "resident_days": resident_days,
                "manual_rate": None,
                "note": f"computed from {previous}",
            },
        )
    return baseline


def set_manual_baseline(city: City, indicator: Indicator, year: int, rate: Decimal, note: str = "") -> Baseline:
    """Enter a baseline by hand (when last year's data is not in the system)."""
    if rate < 0:
        raise DomainError(f"a baseline rate cannot be negative (got {rate})")
    baseline, _ = Baseline.objects.update_or_create(
        city=city,
        indicator=indicator,
        year=year,
        defaults={
            "source": Baseline.Source.MANUAL,
            "manual_rate": rate,
            "events": None,
            "resident_days": None,
            "note": note,
        },
    )
    return baseline
