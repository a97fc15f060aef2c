"""Who sees what: every API read is scoped here, in the queryset, so a foreign row is invisible in
lists and 404 on detail. What a user may *do* is the services' business."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cache, cached_property, reduce

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Q

from . import roles
from .models import City, DataFeed, Unit


@dataclass
class Access:
    user: object

    @cached_property
    def units(self) -> list[Unit]:
        return self._facts["units"]

    @cached_property
    def _facts(self) -> dict:
        """The user's units, whether they are in the office's or leadership's group, whether they are a
        data feed, and how many cities there are: one statement, as every request asks."""
        if not self.user.is_authenticated:
            return {"units": [], "city_group": False, "feed": False, "all_cities": 0}
        uid = self.user.pk
        with connection.cursor() as cursor:
            cursor.execute(_facts_sql(), [uid, roles.SAFETY_OFFICE, roles.LEADERSHIP, uid, uid])
            rows = cursor.fetchall()
        city_group, feed, all_cities = rows[0][:3]
        columns = _unit_columns()
        units = [Unit.from_db(connection.alias, columns, row[3:]) for row in rows if row[3] is not None]
        return {"units": units, "city_group": bool(city_group), "feed": bool(feed), "all_cities": all_cities}

    @cached_property
    def city_wide(self) -> bool:
        """The city safety office and leadership see everything in their city (see `cities`)."""
        u = self.user
        if not u.is_authenticated:
            return False
        return (
            u.is_superuser
            or self._facts["city_group"]
            or any(unit.kind == Unit.Kind.SAFETY_OFFICE for unit in self.units)
        )

    @cached_property
    def cities(self) -> list[int] | None:
        """The cities a city-wide user sees: those of their units; None for every city (a superuser, a
        user in no unit — the office and leadership of a one-city deployment need no unit — or the
        units' cities being every city there is, which spares the filter)."""
        if self.user.is_superuser:
            return None
        mine = sorted({u.city_id for u in self.units})
        if not mine or len(mine) >= self._facts["all_cities"]:
            return None
        return mine

    def in_cities(self, queryset, city_path: str):
        """Rows of the user's cities (`city_path`: the lookup from the row to its city)."""
        if self.cities is None:
            return queryset
        return queryset.filter(**{f"{city_path}__in": self.cities})

    @cached_property
    def is_feed(self) -> bool:
        return self._facts["feed"]

    @cached_property
    def district_ids(self) -> list[int]:
        kinds = (Unit.Kind.DISTRICT_GOVERNMENT, Unit.Kind.POLICE_BRANCH)
        return [u.district_id for u in self.units if u.kind in kinds and u.district_id]

    @cached_property
    def town_ids(self) -> list[int]:
        kinds = (Unit.Kind.TOWN_GOVERNMENT, Unit.Kind.POLICE_STATION)
        return [u.town_id for u in self.units if u.kind in kinds and u.town_id]

    @cached_property
    def unit_ids(self) -> list[int]:
        return [u.id for u in self.units]

    def area(self, town_path: str) -> Q:
        """Rows of the user's towns and districts, given the lookup path from the row to its town. A part
        the user has none of is left out rather than written as an empty `IN`: the ORM drops that from the
        WHERE clause but not the join it set up, so a town official's query joined the town table for the
        districts they have none of."""
        return either(
            Q(**{f"{town_path}__in": self.town_ids}) if self.town_ids else None,
            Q(**{f"{town_path}__district__in": self.district_ids}) if self.district_ids else None,
        )

    def scope(self, queryset, *, town: str | None = None, units: str | None = None):
        """All rows of their cities for the city-wide, else the rows of the user's area and/or units; none
        for a feed."""
        if self.city_wide:
            if self.cities is None:
                return queryset
            if town is not None:
                return self.in_cities(queryset, f"{town}__district__city")
            return self.in_cities(queryset, f"{units}__city").distinct()
        if self.is_feed:
            return queryset.none()
        condition = either(
            self.area(town) if town is not None else None,
            Q(**{f"{units}__in": self.unit_ids}) if units is not None and self.unit_ids else None,
        )
        return queryset.filter(condition).distinct()


def either(*conditions: Q | None) -> Q:
    """The rows that meet any of `conditions` (None: a part left out); no row when none is given."""
    given = [c for c in conditions if c is not None]
    if not given:
        return Q(pk__in=[])
    return reduce(operator.or_, given)


def access_of(request) -> Access:
    """One Access per request, so its lookups run once."""
    cached = getattr(request, "_pingan_access", None)
    if cached is None or cached.user is not request.user:
        cached = request._pingan_access = Access(request.user)
    return cached


@cache
def _unit_columns() -> tuple[str, ...]:
    return tuple(f.attname for f in Unit._meta.concrete_fields)


@cache
def _facts_sql() -> str:
    """Access._facts's statement: a row per unit of the user (or one row without a unit), each with the
    three facts. Written in SQL: the ORM took three times as long to compile the facts (1.3 ms) as the
    database to answer them. Parameters: user, the two group names, user, user."""
    unit_columns = ", ".join(f"x.{column}" for column in _unit_columns())
    return f"""
        SELECT f.city_group, f.feed, f.all_cities, u.*
        FROM (
            SELECT
                EXISTS (
                    SELECT 1 FROM {get_user_model().groups.through._meta.db_table} m
                    JOIN {Group._meta.db_table} g ON g.id = m.group_id
                    WHERE m.user_id = %s AND g.name IN (%s, %s)
                ) AS city_group,
                EXISTS (SELECT 1 FROM {DataFeed._meta.db_table} WHERE user_id = %s) AS feed,
                (SELECT COUNT(*) FROM {City._meta.db_table}) AS all_cities
        ) f
        LEFT JOIN (
            SELECT {unit_columns} FROM {Unit._meta.db_table} x
            JOIN {Unit.members.through._meta.db_table} um ON um.unit_id = x.id
            WHERE um.user_id = %s
        ) u ON 1 = 1
        ORDER BY u.city_id, u.kind, u.name  -- as Unit.Meta.ordering
    """
