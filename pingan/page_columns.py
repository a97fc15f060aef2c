"""A list's page read as `.values()` rows (pingan.api_rows.ValueRows writes them), its columns resolved
once, and for a user whose scope is one SQL condition, its statement compiled by the ORM once.

SQL written inside these statements may differ by database: `VendorSQL` is a RawSQL with SQLite's text
beside the others'.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from .api_rows import ValueRows
from .sql_rows import converted


class VendorSQL(RawSQL):
    """A RawSQL whose text differs on SQLite (its JSON functions are named otherwise, it has no arrays);
    both take the same parameters."""

    def __init__(self, sql: str, params, output_field, sqlite: str | None = None) -> None:
        super().__init__(sql, params, output_field=output_field)
        self.sqlite = sql if sqlite is None else sqlite

    def as_sqlite(self, compiler, connection):
        return f"({self.sqlite})", self.params


_BOOLEAN = BooleanField()  # what a condition gives: one field for all, as Django's Exists has one


def condition(sql: str, params, sqlite: str | None = None) -> VendorSQL:
    """A WHERE condition written in SQL, for `.filter()` and for PageColumns.reader."""
    return VendorSQL(sql, params, _BOOLEAN, sqlite)


def _sql_on(expression: RawSQL, connection) -> tuple[str, list]:
    """The expression's SQL and parameters on `connection`'s database, as the ORM's compiler picks them."""
    as_vendor = getattr(expression, f"as_{connection.vendor}", None) or expression.as_sql
    sql, params = as_vendor(None, connection)
    return sql, list(params)


class PageColumns:
    """The `.values()` a list's page reads, in the list's order: the lookups of its ValueRows and the
    per-row columns its writer reads, resolved once, not on every request (naming 16 columns and
    annotating three took 0.5–1 ms of a task page's 5–6). `rows()` gives a copy, as DRF's views copy
    their class's queryset, for the request to scope and filter: the one built is never run."""

    def __init__(self, queryset: Callable[[], QuerySet], rows: ValueRows, **columns) -> None:
        self._queryset, self._rows, self._columns = queryset, rows, columns

    @cached_property
    def _values(self) -> QuerySet:
        names = dict.fromkeys([*self._rows.lookups, *self._columns])
        return self._queryset().annotate(**self._columns).values(*names)

    def rows(self) -> QuerySet:
        return self._values.all()

    def reader(self, scope: RawSQL) -> ScopedRows:
        """The rows of `rows().filter(scope)`, whose pages are read without building and compiling the
        ORM's statement."""
        return ScopedRows(self, scope)


class ScopedRows:
    """The rows of `page.rows().filter(scope)` (`scope`: a condition written in SQL), which
    pingan.pagination.BoundedPagination pages through as through that queryset. A page is read by a
    statement the ORM compiles once for each page's bounds and database, with a mark where the scope's
    condition goes: each read writes the condition in and converts the columns as the ORM would (with
    this thread's connection). Only a count, asked for when a page has a next one, goes through the
    ORM (`queryset()`). In process, a town official's task page (one page, 23 tasks of 40,000) took
    0.98–1.08 ms of CPU, against 1.26–1.35 ms building and compiling the ORM's statement
    (docs/BENCHMARKS.md, stop 21)."""

    def __init__(self, page: PageColumns, scope: RawSQL) -> None:
        self.page, self.scope = page, scope
        self.alias = page._values.db  # asked once: a router may answer otherwise the next time

    def queryset(self) -> QuerySet:
        """The same rows through the ORM."""
        return self.page.rows().using(self.alias).filter(self.scope)

    def statement(self, start: int, stop: int) -> tuple[str, list]:
        """The SQL and parameters that read rows [start, stop)."""
        compiled = _compiled(self.page, self.alias, start, stop)
        sql, params = _sql_on(self.scope, connections[self.alias])
        return compiled.around[0] + sql + compiled.around[1], compiled.params(params)

    def rows(self, start: int, stop: int, statement: tuple[str, list] | None = None) -> list[dict]:
        """Rows [start, stop), read by `statement` if it was asked for already."""
        connection = connections[self.alias]
        sql, params = statement or self.statement(start, stop)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return _compiled(self.page, self.alias, start, stop).values(rows, connection)


SCOPE = "pingan_scope_goes_here"  # the mark in a compiled page statement


@dataclass(frozen=True)
class _Statement:
    around: tuple[str, str]  # the SQL before and after the scope's condition
    before: list  # the parameters before it, and after it
    after: list
    names: list[str]  # the rows' keys, as `.values()` names them
    columns: list  # the selected expressions, whose converters the values go through

    def params(self, scope: list) -> list:
        return [*self.before, *scope, *self.after]

    def values(self, rows: list[tuple], connection) -> list[dict]:
        """The rows as `.values()` gives them (`connection`: this thread's)."""
        return [dict(zip(self.names, row, strict=True)) for row in converted(rows, self.columns, connection)]


@functools.lru_cache(maxsize=128)
def _compiled(page: PageColumns, alias: str, start: int, stop: int) -> _Statement:
    marked = page.rows().using(alias).filter(condition(SCOPE, []))[start:stop]
    compiler = marked.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    head, mark, tail = sql.partition(f"({SCOPE})")
    if not mark or SCOPE in tail:
        raise ValueError(f"cannot place a scope in the page statement: {sql}")
    placed = re.findall(r"%%|%s", head).count("%s")  # the parameters before the mark ("%%" is a percent sign)
    query = marked.query
    if query.selected:  # the keys as Django's ValuesIterable names them
        names = list(query.selected)
    else:
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
    if len(names) != compiler.col_count:
        raise ValueError(f"{len(names)} names for {compiler.col_count} columns: {sql}")
    return _Statement(
        around=(head, tail),
        before=list(params[:placed]),
        after=list(params[placed:]),
        names=names,
        columns=[column for column, _, _ in compiler.select[: compiler.col_count]],
    )
