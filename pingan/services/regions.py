"""Importing the region tree and its effective-dated populations."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from ..errors import RejectedFile, RowProblem
from ..models import City, District, Indicator, Population, Town, Unit
from ..tabular import parse_count, parse_date, read_rows

REGION_COLUMNS = ["city", "district", "town", "population", "effective_from"]

# The city departments that take tasks for each default indicator.
DEFAULT_DEPARTMENTS = {
    "crime": "公安局",
    "fire": "消防救援支队",
    "traffic": "公安局交通警察支队",
}


@dataclass
class RegionImportResult:
    cities: int = 0
    districts: int = 0
    towns: int = 0
    units: int = 0
    populations_added: int = 0
    populations_changed: int = 0


@dataclass(frozen=True)
class _RegionRow:
    line: int
    city: str
    district: str
    town: str
    population: int
    effective_from: datetime.date


def town_kind(name: str) -> str:
    """街道 are streets; the office marks island towns in the admin."""
    return Town.Kind.STREET if name.endswith("街道") else Town.Kind.TOWN


def import_regions(path: Path) -> RegionImportResult:
    """Create the cities, districts and towns of a file with their bundled units, and add populations.

    Any bad row rejects the whole file."""
    rows, problems = _parse(path)
    if problems:
        raise RejectedFile(path.name, problems)
    result = RegionImportResult()
    with transaction.atomic():
        for row in rows:
            city = _city(row.city, result)
            district = _district(city, row.district, result)
            town = _town(district, row.town, result)
            record, created = Population.objects.get_or_create(
                town=town, effective_from=row.effective_from, defaults={"population": row.population}
            )
            if created:
                result.populations_added += 1
            elif record.population != row.population:
                record.population = row.population
                record.save(update_fields=["population"])
                result.populations_changed += 1
    return result


def _parse(path: Path) -> tuple[list[_RegionRow], list[RowProblem]]:
    rows, problems, seen = [], [], {}
    for raw in read_rows(path, REGION_COLUMNS):
        v = raw.values
        errors = [f"{column} is empty" for column in ("city", "district", "town") if not v[column]]
        population = effective_from = None
        try:
            population = parse_count(v["population"], "population")
            if population == 0:
                errors.append("population must be positive")
        except ValueError as exc:
            errors.append(str(exc))
        try:
            effective_from = parse_date(v["effective_from"])
        except ValueError as exc:
            errors.append(f"effective_from: {exc}")
        key = (v["city"], v["district"], v["town"], effective_from)
        if not errors and key in seen:
            errors.append(f"duplicate of line {seen[key]} (same town and effective_from)")
        if errors:
            problems.extend(RowProblem(raw.line, e) for e in errors)
            continue
        seen[key] = raw.line
        rows.append(_RegionRow(raw.line, v["city"], v["district"], v["town"], population, effective_from))
    return rows, problems


def _city(name: str, result: RegionImportResult) -> City:
    city, created = City.objects.get_or_create(name=name)
    if created:
        result.cities += 1
        _unit(city, f"{name}平安办", Unit.Kind.SAFETY_OFFICE, result)
        for indicator in Indicator.objects.filter(code__in=DEFAULT_DEPARTMENTS):
            unit = _unit(city, f"{name}{DEFAULT_DEPARTMENTS[indicator.code]}", Unit.Kind.DEPARTMENT, result)
            unit.indicators.add(indicator)
    return city


def _district(city: City, name: str, result: RegionImportResult) -> District:
    district, created = District.objects.get_or_create(city=city, name=name)
    if created:
        result.districts += 1
        _unit(city, f"{name}人民政府", Unit.Kind.DISTRICT_GOVERNMENT, result, district=district)
        _unit(city, f"{name}公安分局", Unit.Kind.POLICE_BRANCH, result, district=district)
    return district


def _town(district: District, name: str, result: RegionImportResult) -> Town:
    town, created = Town.objects.get_or_create(district=district, name=name, defaults={"kind": town_kind(name)})
    if created:
        result.towns += 1
        government = f"{name}办事处" if town.kind == Town.Kind.STREET else f"{name}人民政府"
        for unit_name, kind in ((government, Unit.Kind.TOWN_GOVERNMENT), (f"{name}派出所", Unit.Kind.POLICE_STATION)):
            if Unit.objects.filter(city=district.city, name=unit_name).exists():
                unit_name = f"{district.name}{unit_name}"  # two towns of one city share a name
            _unit(district.city, unit_name, kind, result, district=district, town=town)
    return town


def _unit(city: City, name: str, kind: str, result: RegionImportResult, **where) -> Unit:
    unit, created = Unit.objects.get_or_create(city=city, name=name, defaults={"kind": kind, **where})
    result.units += created
    return unit
