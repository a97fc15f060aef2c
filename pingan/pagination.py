"""The API's pages: page numbers, and a count that never reads more than COUNT_LIMIT rows.

Counting the office's unfiltered list of a national deployment (a million open tasks) cost more than
the page itself (30–100 ms against 2 ms), and nobody pages through a million rows: they filter. So
`count` is exact up to COUNT_LIMIT matching rows and null beyond ("more than `count_limit`: narrow
the filters"). On the last page the count is known without counting, so short lists (a town's) make
no count query at all. `next` and `previous` work as before, whatever the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .page_columns import ScopedRows

COUNT_LIMIT = 1000
LAST_ROW = 2**63 - 1  # the databases' largest integer: a page past it is no page (SQLite and PostgreSQL fail on it)


@dataclass(frozen=True)
class Page:
    """What PageNumberPagination's links need of a page."""

    number: int
    more: bool

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def bounded_count(queryset, seen: int, more: bool, limit: int = COUNT_LIMIT) -> int | None:
    """How many rows match, or None when more than `limit` do.

    `seen` is the number of rows up to the end of the page just read; `more` says whether a row follows."""
    if not more:
        return seen  # the last page: everything is before it or on it
    if seen >= limit:
        return None
    return bounded_counts({"rows": queryset}, limit)["rows"]


def _up_to(queryset, limit: int):
    """What a bounded count counts: `SELECT id … LIMIT limit + 1`. Any rows will do, so in no order and
    without the columns (and joins) of the page."""
    return queryset.order_by().values("pk")[: limit + 1]


def bounded_counts(querysets: Mapping[str, QuerySet], limit: int = COUNT_LIMIT) -> dict[str, int | None]:
    """How many rows each queryset has (None: more than `limit`), all in one statement: a subquery each,
    each reading at most `limit` + 1 rows in no order (a national board's 50,000 open cases counted by
    stage took a GROUP BY over all of them: 15–30 ms). A queryset that can match nothing (`.none()`,
    an empty `__in`) is 0 without a subquery."""
    databases = {queryset.db for queryset in querysets.values()}
    if len(databases) > 1:
        raise ValueError(f"querysets of several databases cannot be counted in one statement: {databases}")
    counts: dict[str, int] = {}
    counted, parts, params = [], [], []  # the keys counted by the statement, in its order
    for key, queryset in querysets.items():
        try:
            sql, subquery_params = _up_to(queryset, limit).query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:
            counts[key] = 0
            continue
        counted.append(key)
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) bounded)")
        params.extend(subquery_params)
    if parts:
        with connections[databases.pop()].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            counts.update(zip(counted, cursor.fetchone(), strict=True))
    return {key: None if counts[key] > limit else counts[key] for key in querysets}


class BoundedPagination(PageNumberPagination):
    """`?page=N` (from 1), PAGE_SIZE rows a page; `count` exact up to `count_limit` rows, else null."""

    count_limit = COUNT_LIMIT

    def paginate_queryset(self, queryset, request, view=None, *, write=list, keeper=None):
        """The page's rows, as `write` writes a list of them; read anew, or as `keeper` keeps the page
        (`keeper.page(statement, make, *facts)`: what `make()` gives for the page that `statement`
        reads, written and counted as `facts` say; workflows.kept.PageKeeper). `queryset` is a QuerySet
        (`statement` its slice) or rows that read their own pages (pingan.page_columns.ScopedRows:
        `statement` their SQL and parameters)."""
        size = self.get_page_size(request)
        if not size:
            return None
        self.request = request
        number = self._number(request, size)
        start = (number - 1) * size
        stop = start + size + 1  # one row more: is there a next page?
        reads_itself = isinstance(queryset, ScopedRows)
        statement = queryset.statement(start, stop) if reads_itself else queryset[start:stop]

        def page() -> tuple[list, bool, int | None]:
            rows = queryset.rows(start, stop, statement) if reads_itself else list(statement)
            more = len(rows) > size
            rows = rows[:size]
            counted = queryset.queryset() if reads_itself else queryset
            return write(rows), more, bounded_count(counted, start + len(rows), more, self.count_limit)

        if keeper is None:
            rows, more, self.count = page()
        else:
            facts = (self.count_limit, write.__module__, write.__qualname__)
            rows, more, self.count = keeper.page(statement, page, *facts)
        if not rows and number > 1:
            raise NotFound(self.invalid_page_message)
        self.page = Page(number, more)
        return rows

    def _number(self, request, size: int) -> int:
        raw = request.query_params.get(self.page_query_param) or "1"
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1 or number * size >= LAST_ROW:  # the row after the page must be a number the database holds
            raise NotFound(self.invalid_page_message)
        return number

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_limit": self.count_limit,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": f"How many match; null when more than count_limit ({self.count_limit}) do: narrow the filters.",
        }
        paged["properties"]["count_limit"] = {"type": "integer", "example": self.count_limit}
        paged["required"] = ["count", "count_limit", "results"]
        return paged
