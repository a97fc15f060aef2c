"""The state of a table that only grows (publications, the transition log), read in one indexed query:
it changes with every row committed, so a cache keyed on it is never older than the table."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

# Rows are numbered when they are inserted and become visible when they commit. Two transactions can
# commit out of order: the later id is then already seen while the earlier one is not yet. The state
# holds the sum of the newest RECENT visible rows' ids as well, so that the earlier commit changes it
# too, unless RECENT rows committed after it.
RECENT = 100


def appended_state(model: type[Model], *maxima: str, among: tuple[str, Sequence[int]] | None = None) -> tuple:
    """Of the newest RECENT visible rows: the latest id, how many there are, the sum of their ids, then
    the greatest value of each column named in `maxima`, as the database gives them (for a key, not
    for display); (None, 0, None…) for no rows. `among` = (column, values) reads only the rows with
    one of those values in that column (an index on (column, id) keeps it as quick)."""
    column, values = among if among is not None else (None, ())
    if column is not None and not values:
        raise ValueError(f"no values to read the rows of by {column}")
    with connection.cursor() as cursor:
        cursor.execute(_statement(model._meta.db_table, maxima, column, len(values)), [*values, RECENT])
        return cursor.fetchone()


@functools.cache
def _statement(table: str, maxima: tuple[str, ...], column: str | None, values: int) -> str:
    """Written once per table and filter: every request of a kept page runs it, and the ORM took longer
    to compile an aggregate over a subquery than the database takes to run it. Read as the newest rows
    (`ORDER BY id DESC LIMIT`), which the planner knows to be few: `id > (the latest) - 100` was
    estimated at a third of the table, and planned as a parallel scan (7 ms among a million rows)."""
    q = connection.ops.quote_name
    where = f" WHERE {q(column)} IN ({', '.join(['%s'] * values)})" if column else ""
    newest = f"SELECT {', '.join(q(name) for name in ('id', *maxima))} FROM {q(table)}{where} ORDER BY {q('id')} DESC LIMIT %s"
    columns = "".join(f", MAX({q(name)})" for name in maxima)
    return f"SELECT MAX({q('id')}), COUNT(*), SUM({q('id')}){columns} FROM ({newest}) newest"
