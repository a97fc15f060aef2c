"""Reads of the case workflow."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from pingan.access import either
from pingan.models import DailyIndex, IndexPolicy, Town
from pingan.page_columns import condition

from .models import CalendarDay, CalendarYear, Case, RectificationTask
from .working_days import WorkCalendar

NOT_COLOURED = ("blue", "yellow")


def work_calendar() -> WorkCalendar:
    """The whole working-day calendar (a few hundred rows)."""
    days = list(CalendarDay.objects.values_list("date", "kind"))
    return WorkCalendar.of(
        CalendarYear.objects.values_list("year", flat=True),
        (d for d, kind in days if kind == CalendarDay.Kind.HOLIDAY),
        (d for d, kind in days if kind == CalendarDay.Kind.WORKDAY),
    )


def policy_for(case: Case, day: datetime.date) -> IndexPolicy:
    policy = IndexPolicy.objects.in_force(case.town.district.city, day)
    if policy is None:
        raise LookupError(f"no index policy in force on {day}")
    return policy


def days_out_of_colour(case: Case) -> int:
    """How many of the town's latest published days in a row were blue or yellow."""
    count = 0
    for level in (
        DailyIndex.objects.current()
        .towns()
        .filter(town_id=case.town_id)
        .order_by("-date")
        .values_list("level", flat=True)[:60]
    ):
        if level not in NOT_COLOURED:
            break
        count += 1
    return count


def required_days_out_of_colour(case: Case, today: datetime.date) -> int:
    return policy_for(case, today).close_after_days


def open_tasks(case: Case) -> QuerySet[RectificationTask]:
    return case.tasks.exclude(state__in=RectificationTask.SETTLED_STATES)


def visible_tasks(access, tasks: QuerySet[RectificationTask]) -> QuerySet[RectificationTask]:
    """The tasks the user may see: the same rows as `access.scope(tasks, town="case__town", units="owner")`
    (the cases of the user's towns and districts, and the tasks of the user's units), filtered on the task
    table's own indexed columns. A task has one case and one owner, so no DISTINCT is needed; the generic
    scope's OR across the joined case table read every task (0.6 s for a town official among 1,000,000).
    The area's cases are a subquery of the same statement, run once (`any_of`), not a query of their own."""
    if access.city_wide or access.is_feed:
        return access.scope(tasks, town="case__town", units="owner")
    return tasks.filter(
        either(
            Q(case__id__any_of=area_cases(access)) if access.town_ids or access.district_ids else None,
            Q(owner_id__in=access.unit_ids) if access.unit_ids else None,
        )
    )


def task_scope(access) -> RawSQL | None:
    """The rows of `visible_tasks` as one SQL condition on the task table, for a page statement compiled
    once (pingan.page_columns.ScopedRows): every task for a city-wide user of every city; for a user who
    is neither city-wide nor a feed, the cases of their area (`= ANY(ARRAY(…))` on PostgreSQL, as
    `any_of`) or the tasks of their units. None for the others (a city-wide user of some cities, a
    feed), whose rows are the generic scope's. The condition names the task table: it is not for a
    queryset used as a subquery, where the ORM gives the table another name."""
    if access.city_wide:
        return condition("1 = 1", []) if access.cities is None else None
    if access.is_feed:
        return None
    task = f'"{RectificationTask._meta.db_table}"'
    parts, sqlite, params = [], [], []
    if access.town_ids or access.district_ids:
        cases = area_cases(access)
        parts.append(f'{task}."case_id" = ANY(ARRAY({cases.sql}))')
        sqlite.append(f'{task}."case_id" IN ({cases.sql})')
        params += cases.params
    if access.unit_ids:
        units = f'{task}."owner_id" IN ({", ".join(["%s"] * len(access.unit_ids))})'
        parts.append(units)
        sqlite.append(units)
        params += access.unit_ids
    if not parts:
        return condition("1 = 0", [])  # no area and no unit: no task
    return condition(" OR ".join(parts), params, sqlite=" OR ".join(sqlite))


def area_cases(access) -> RawSQL:
    """The ids of the cases in the user's towns and districts (`Case.objects.filter(access.area("town"))`),
    as a subquery written in SQL: the ORM's took longer to copy, resolve and compile on every request of
    a town official's task list (a tenth of its work) than the database to run it. The same rows
    (tests/api/test_lists.py)."""
    conditions, params = [], []
    if access.town_ids:
        conditions.append(f"town_id IN ({', '.join(['%s'] * len(access.town_ids))})")
        params += access.town_ids
    if access.district_ids:
        districts = ", ".join(["%s"] * len(access.district_ids))
        conditions.append(f"town_id IN (SELECT id FROM {Town._meta.db_table} WHERE district_id IN ({districts}))")
        params += access.district_ids
    if not conditions:
        conditions.append("1 = 0")  # no area: no case
    return RawSQL(f"SELECT id FROM {Case._meta.db_table} WHERE {' OR '.join(conditions)}", params)
