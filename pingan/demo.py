"""Demo data for Zhuhai: its districts and towns, synthetic daily counts from the first day of last
year to yesterday (so this year's baselines compute), and recent days shaped to show every colour.

Every number is a pure function of (town, day, indicator), so seeding again, or on another day,
extends the same history instead of changing it.
"""

from __future__ import annotations

import csv
import datetime
import math
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from .models import Baseline, City, DailyCount, Indicator, Submission, Town
from .services.baselines import compute_baseline
from .services.regions import import_regions

CITY = "珠海市"
POPULATION_DATE = datetime.date(2020, 1, 1)
# (district, town, actual residents)
TOWNS = [
    ("香洲区", "拱北街道", 121000),
    ("香洲区", "吉大街道", 113000),
    ("香洲区", "翠香街道", 132000),
    ("香洲区", "狮山街道", 154000),
    ("香洲区", "香湾街道", 139000),
    ("香洲区", "梅华街道", 118000),
    ("香洲区", "前山街道", 204000),
    ("香洲区", "湾仔街道", 61000),
    ("香洲区", "凤山街道", 92000),
    ("香洲区", "南屏镇", 183000),
    ("香洲区", "唐家湾镇", 256000),
    ("香洲区", "桂山镇", 5200),
    ("香洲区", "万山镇", 3100),
    ("香洲区", "担杆镇", 2100),
    ("斗门区", "井岸镇", 205000),
    ("斗门区", "白藤街道", 128000),
    ("斗门区", "白蕉镇", 152000),
    ("斗门区", "斗门镇", 63000),
    ("斗门区", "乾务镇", 72000),
    ("斗门区", "莲洲镇", 58000),
    ("金湾区", "三灶镇", 148000),
    ("金湾区", "红旗镇", 131000),
    ("金湾区", "南水镇", 52000),
    ("金湾区", "平沙镇", 69000),
]
ISLAND_TOWNS = {"桂山镇", "万山镇", "担杆镇"}
# A later census: the population is effective-dated.
POPULATION_UPDATES = [("唐家湾镇", datetime.date(2026, 1, 1), 271000), ("前山街道", datetime.date(2026, 1, 1), 199000)]

# Events per 10,000 residents per day last year; this year runs a little safer.
RATES = {"crime": 0.25, "fire": 0.018, "traffic": 0.05}
DEATH_SHARE = {"crime": 0.0, "fire": 0.01, "traffic": 0.004}
THIS_YEAR_FACTOR = 0.65

# The last days before today, shaped per town: grades by indicator (e = excellent, g = good,
# p = poor, v = very poor), for as many days back as listed (yesterday first).
SCENARIOS = {
    "拱北街道": ["ppe"] * 5 + ["pee"] * 2,  # red five days running
    "前山街道": ["pee", "pee", "gee"],  # orange, orange, yellow
    "井岸镇": ["eev", "eee"],  # a traffic death yesterday
    "三灶镇": ["gee", "gee"],  # yellow
    "狮山街道": ["eee", "eee", "eee"],  # blue
    "唐家湾镇": ["gpe", "eee"],  # crime good, fire poor → yellow (84)
    "白蕉镇": ["ppp"],  # red (68 and below)
}


@dataclass
class SeedResult:
    days_generated: int
    counts: int
    published_days: int


def daily_count(town: str, population: int, day: datetime.date, code: str) -> tuple[int, int]:
    """The synthetic (count, deaths) of a town-day for an indicator."""
    rng = random.Random(f"{town}|{day.isoformat()}|{code}")
    mean = population / 10_000 * RATES[code] * (1.0 if day.year < timezone.localdate().year else THIS_YEAR_FACTOR)
    count = _poisson(rng, mean)
    deaths = sum(1 for _ in range(count) if rng.random() < DEATH_SHARE[code])
    return count, deaths


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def seed_demo(
    *, today: datetime.date | None = None, publish_days: int = 90, progress: Callable[[str], None] = print
) -> SeedResult:
    """Load Zhuhai with a history up to yesterday and publish the last `publish_days` days."""
    from .services import backfill

    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    first = datetime.date(yesterday.year - 1, 1, 1)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zhuhai-regions.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["city", "district", "town", "population", "effective_from"])
            for district, town, population in TOWNS:
                writer.writerow([CITY, district, town, population, POPULATION_DATE.isoformat()])
            populations = {t: p for _, t, p in TOWNS}
            for town, effective_from, population in POPULATION_UPDATES:
                district = next(d for d, t, _ in TOWNS if t == town)
                writer.writerow([CITY, district, town, population, effective_from.isoformat()])
        import_regions(path)
    city = City.objects.get(name=CITY)
    Town.objects.filter(district__city=city, name__in=ISLAND_TOWNS).update(kind=Town.Kind.ISLAND)
    towns = {t.name: t for t in Town.objects.filter(district__city=city)}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=RATES)}

    def population_on(name: str, day: datetime.date) -> int:
        value = populations[name]
        for town, effective_from, population in POPULATION_UPDATES:
            if town == name and effective_from <= day:
                value = population
        return value

    submitted = set(
        Submission.objects.filter(city=city, date__range=(first, yesterday)).values_list("date", "indicator__code")
    )
    days = [first + datetime.timedelta(n) for n in range((yesterday - first).days + 1)]
    todo = [d for d in days if any((d, code) not in submitted for code in RATES)]
    progress(f"generating counts for {len(todo)} day(s) from {first} to {yesterday}")
    n_counts = 0
    now = timezone.now()
    for start in range(0, len(todo), 60):
        chunk = todo[start : start + 60]
        counts, submissions = [], []
        for day in chunk:
            for code, indicator in indicators.items():
                if (day, code) in submitted:
                    continue
                submissions.append(
                    Submission(city=city, date=day, indicator=indicator, source="seed_demo", submitted_at=now)
                )
                for name, town in towns.items():
                    count, deaths = daily_count(name, population_on(name, day), day, code)
                    if count:
                        counts.append(DailyCount(town=town, date=day, indicator=indicator, count=count, deaths=deaths))
        with transaction.atomic():
            DailyCount.objects.bulk_create(counts, batch_size=2000)
            Submission.objects.bulk_create(submissions, batch_size=500)
        n_counts += len(counts)
        progress(f"  {min(start + 60, len(todo))}/{len(todo)} days")

    for indicator in indicators.values():
        if not Baseline.objects.filter(city=city, indicator=indicator, year=yesterday.year).exists():
            compute_baseline(city, indicator, yesterday.year)
    _shape_recent_days(city, towns, indicators, yesterday, population_on)

    published = 0
    last_day = yesterday - datetime.timedelta(days=publish_days - 1)
    days = backfill.days_between(max(datetime.date(first.year + 1, 1, 1), last_day), yesterday)
    for report in backfill.publish_days(days, cities=[city]):
        for problems in report.problems.values():
            raise RuntimeError(f"demo day {report.day} could not be scored: {problems}")
        published += 1
        if published % 10 == 0:
            progress(f"  published {published} day(s), up to {report.day}")
    return SeedResult(days_generated=len(todo), counts=n_counts, published_days=published)


def _shape_recent_days(city, towns, indicators, yesterday, population_on) -> None:
    """Overwrite the scenario towns' last days so that every colour shows."""
    for name, days in SCENARIOS.items():
        town = towns[name]
        for back, grades in enumerate(days):
            day = yesterday - datetime.timedelta(days=back)
            for code, wanted in zip(("crime", "fire", "traffic"), grades, strict=True):
                indicator = indicators[code]
                rate = Baseline.objects.get(city=city, indicator=indicator, year=day.year).rate
                count, deaths = _count_for_grade(wanted, rate * Fraction(population_on(name, day), 10_000))
                DailyCount.objects.filter(town=town, date=day, indicator=indicator).delete()
                if count:
                    DailyCount.objects.create(town=town, date=day, indicator=indicator, count=count, deaths=deaths)


def _count_for_grade(wanted: str, expected: Fraction) -> tuple[int, int]:
    """A count whose ratio to `expected` (the count at q = 1) gives the wanted grade."""
    if wanted == "e":
        return 0, 0
    if wanted == "v":
        return 1, 1
    if wanted == "p":
        return math.floor(expected * Fraction(6, 5)) + 1, 0
    good = math.ceil(expected * Fraction(4, 5))
    if good > expected * Fraction(6, 5):
        raise ValueError(f"no whole count is 'good' when the expected count is {float(expected):.2f}")
    return good, 0
