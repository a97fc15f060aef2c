"""Importing a file of daily counts: one file is one submission."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..errors import DomainError, RejectedFile, RowProblem
from ..models import City, DailyCount, DataImport, Indicator, Publication, Submission, Town
from ..tabular import Row, parse_count, parse_date, read_rows

COUNT_COLUMNS = ["date", "town", "indicator", "count"]
OPTIONAL_COLUMNS = ("deaths",)

Pair = tuple[datetime.date, int]  # (date, indicator id)


@dataclass
class CountImportResult:
    file_name: str
    rows: int
    city: City
    pairs_new: int = 0
    pairs_replaced: int = 0
    pairs_unchanged: int = 0
    changed_dates: set[datetime.date] = field(default_factory=set)
    data_import: DataImport | None = None

    @property
    def changed(self) -> bool:
        return bool(self.pairs_new or self.pairs_replaced)


@dataclass(frozen=True)
class _CountRow:
    line: int
    date: datetime.date
    town_id: int
    indicator_id: int
    count: int
    deaths: int


def resolve_city(city: City | str | None) -> City:
    """The city a command works on: the one named, or the only one there is."""
    if isinstance(city, City):
        return city
    if city:
        try:
            return City.objects.get(name=city)
        except City.DoesNotExist:
            names = ", ".join(City.objects.values_list("name", flat=True)) or "none yet"
            raise DomainError(f"unknown city {city!r} (cities: {names})") from None
    cities = list(City.objects.all()[:2])
    if not cities:
        raise DomainError("there are no regions yet: run import_regions first")
    if len(cities) > 1:
        raise DomainError("there are several cities: say which one with --city")
    return cities[0]


def import_counts(
    path: Path, *, city: City | str | None = None, user=None, today: datetime.date | None = None
) -> CountImportResult:
    """Store a file of daily counts as the complete data of every (date, indicator) pair in it.

    Towns absent for a pair had no events. A pair whose data is already stored unchanged is left
    alone; a pair with different data replaces what was stored. Any bad row rejects the whole file.
    """
    city = resolve_city(city)
    raw = read_rows(path, COUNT_COLUMNS, OPTIONAL_COLUMNS)
    return store_counts(
        raw, city=city, source=path.name, content=path.read_bytes(), user=user, today=today or timezone.localdate()
    )


def store_counts(
    raw: list[Row], *, city: City, source: str, content: bytes, user=None, today: datetime.date
) -> CountImportResult:
    """Validate rows of counts (from a file or the API) and store them as one submission, all or nothing."""
    rows = _validate(raw, city, today, source)
    result = CountImportResult(file_name=source, rows=len(rows), city=city)

    incoming: dict[Pair, dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        if row.count or row.deaths:  # a zero row says what the submission already implies
            incoming[(row.date, row.indicator_id)][row.town_id] = (row.count, row.deaths)
        else:
            incoming.setdefault((row.date, row.indicator_id), {})
    if not incoming:
        return result

    dates = {d for d, _ in incoming}
    indicator_ids = {i for _, i in incoming}
    submitted = set(
        Submission.objects.filter(city=city, date__in=dates, indicator_id__in=indicator_ids).values_list(
            "date", "indicator_id"
        )
    )
    stored: dict[Pair, dict[int, tuple[int, int]]] = defaultdict(dict)
    for day, indicator_id, town_id, count, deaths in DailyCount.objects.filter(
        town__district__city=city, date__in=dates, indicator_id__in=indicator_ids
    ).values_list("date", "indicator_id", "town_id", "count", "deaths"):
        stored[(day, indicator_id)][town_id] = (count, deaths)

    changed: list[Pair] = []
    for pair, data in incoming.items():
        if pair in submitted and stored.get(pair, {}) == data:
            result.pairs_unchanged += 1
            continue
        changed.append(pair)
        if pair in submitted:
            result.pairs_replaced += 1
        else:
            result.pairs_new += 1
    if not changed:
        return result
    result.changed_dates = {d for d, _ in changed}

    try:
        with transaction.atomic():
            result.data_import = _store(source, content, city, user, result, changed, incoming)
    except IntegrityError as exc:
        raise DomainError(
            f"{source}: another import changed the same dates at the same moment; nothing stored, try again"
        ) from exc
    return result


def _store(source: str, content: bytes, city, user, result, changed: list[Pair], incoming) -> DataImport:
    now = timezone.now()
    data_import = DataImport.objects.create(
        file_name=source,
        sha256=hashlib.sha256(content).hexdigest(),
        imported_by=user,
        rows=result.rows,
        pairs_new=result.pairs_new,
        pairs_replaced=result.pairs_replaced,
        pairs_unchanged=result.pairs_unchanged,
    )
    by_date: dict[datetime.date, list[int]] = defaultdict(list)
    for day, indicator_id in changed:
        by_date[day].append(indicator_id)
    for day, indicator_ids in by_date.items():
        DailyCount.objects.filter(town__district__city=city, date=day, indicator_id__in=indicator_ids).delete()
    DailyCount.objects.bulk_create(
        [
            DailyCount(town_id=town_id, date=day, indicator_id=indicator_id, count=count, deaths=deaths)
            for day, indicator_id in changed
            for town_id, (count, deaths) in incoming[(day, indicator_id)].items()
        ],
        batch_size=2000,
    )
    Submission.objects.bulk_create(
        [
            Submission(
                city=city,
                date=day,
                indicator_id=indicator_id,
                source=source,
                data_import=data_import,
                submitted_at=now,
            )
            for day, indicator_id in changed
        ],
        update_conflicts=True,
        unique_fields=["city", "date", "indicator"],
        update_fields=["source", "data_import", "submitted_at"],
        batch_size=500,
    )
    return data_import


def _validate(raw: list[Row], city: City, today: datetime.date, source: str) -> list[_CountRow]:
    towns_by_code: dict[str, Town] = {}
    towns_by_name: dict[str, list[Town]] = defaultdict(list)
    for town in Town.objects.filter(district__city=city).select_related("district"):
        towns_by_name[town.name].append(town)
        if town.code:
            towns_by_code[town.code] = town
    indicators = {}
    for indicator in Indicator.objects.all():
        indicators[indicator.code] = indicators[indicator.name] = indicator

    rows, problems, seen = [], [], {}
    for line in raw:
        v = line.values
        errors: list[str] = []
        day = town = indicator = count = deaths = None
        try:
            day = parse_date(v["date"])
            if day > today:
                errors.append(f"date {day} is in the future")
        except ValueError as exc:
            errors.append(str(exc))
        name = v["town"]
        if name in towns_by_code:
            town = towns_by_code[name]
        elif len(towns_by_name.get(name, [])) == 1:
            town = towns_by_name[name][0]
        elif name in towns_by_name:
            districts = "、".join(t.district.name for t in towns_by_name[name])
            errors.append(f"town {name!r} is ambiguous in {city} (districts {districts}): use its code")
        else:
            errors.append(f"unknown town {name!r} in {city}" if name else "town is empty")
        indicator = indicators.get(v["indicator"])
        if indicator is None:
            known = ", ".join(sorted(i.code for i in set(indicators.values())))
            errors.append(f"unknown indicator {v['indicator']!r} (known: {known})")
        elif not indicator.active:
            errors.append(f"indicator {indicator.code!r} is not active")
        try:
            count = parse_count(v["count"], "count")
        except ValueError as exc:
            errors.append(str(exc))
        try:
            deaths = parse_count(v.get("deaths") or "0", "deaths")
        except ValueError as exc:
            errors.append(str(exc))
        if count == 0 and deaths:
            errors.append("deaths reported with a count of 0 events")
        if not errors:
            key = (day, town.id, indicator.id)
            if key in seen:
                errors.append(f"duplicate of line {seen[key]} (same date, town and indicator)")
            else:
                seen[key] = line.line
        if errors:
            problems.extend(RowProblem(line.line, e) for e in errors)
        else:
            rows.append(_CountRow(line.line, day, town.id, indicator.id, count, deaths))
    if problems:
        raise RejectedFile(source, problems)
    return rows


def recompute_published(city: City, dates) -> list:
    """Recompute the days among `dates` that were already published (a correction); returns their reports."""
    from .publication import publish_day

    published = Publication.objects.filter(city=city, date__in=dates).values_list("date", flat=True).distinct()
    return [publish_day(day, cities=[city]) for day in sorted(set(published))]
