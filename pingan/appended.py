"""The state of a table that only grows (publications, the transition log), read in one indexed query:
it changes with every row committed, so a cache keyed on it is never older than the table."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Model

# Rows are numbered when they are inserted and become visible when they commit. Two transactions can
# commit out of order: the later id is then already seen while the earlier one is not yet. Counting the
# rows among the last RECENT_IDS ids as well makes that earlier commit change the state too.
RECENT_IDS = 100


def appended_state(model: type[Model], *maxima: str) -> tuple:
    """The latest id, how many of the last RECENT_IDS ids are visible, then the greatest value of each
    column named in `maxima` among those rows, as the database gives them (for a key, not for display).
    (None, 0, None…) for an empty table."""
    with connection.cursor() as cursor:
        cursor.execute(_statement(model._meta.db_table, maxima), [RECENT_IDS])
        return cursor.fetchone()


@functools.cache
def _statement(table: str, maxima: tuple[str, ...]) -> str:
    """Written once per table: every request of a kept page runs it, and the ORM's aggregate with a
    subquery took longer to compile than the indexed statement takes to run."""
    q = connection.ops.quote_name
    columns = "".join(f", MAX({q(column)})" for column in maxima)
    return f"SELECT MAX({q('id')}), COUNT(*){columns} FROM {q(table)} WHERE {q('id')} > (SELECT MAX({q('id')}) FROM {q(table)}) - %s"
