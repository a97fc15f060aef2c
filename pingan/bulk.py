"""Writing thousands of rows in one statement without building a model instance per row.

On PostgreSQL, `insert_rows` sends one array per column and inserts `SELECT * FROM unnest(…)`: the
values go to the server as they are, with no per-row, per-field preparation in Python (Django's
`bulk_create` spends most of its time there for the sweep's thousands of rows). Elsewhere it falls
back to `bulk_create`. Columns left out take the model's default (evaluated once for all rows).

Values must already be what the column stores: ints for foreign keys (`case_id`), str, date, aware
datetime, None.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.utils import timezone


def _defaults(model: type[Model], given: Sequence[str]) -> dict[str, object]:
    """The value of every concrete column that the caller left out, as the model would fill it."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in given or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = timezone.now()
        else:
            value = field.get_default()  # "" for text without a default, else None (NOT NULL then names it)
        values[field.attname] = field.get_db_prep_save(value, connection)
    return values


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    ignore_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert `rows` (tuples in the order of `columns`); return the `returning` columns of the rows
    inserted (rows skipped as conflicts are not returned). One statement on PostgreSQL."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return _bulk_create(model, columns, rows, ignore_conflicts=ignore_conflicts, returning=returning)
    meta = model._meta
    defaults = _defaults(model, columns)
    names = [meta.get_field(c).attname for c in columns] + list(defaults)
    arrays = [list(column) for column in zip(*rows, strict=True)] + [[v] * len(rows) for v in defaults.values()]
    types = [meta.get_field(name).db_type(connection) for name in names]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT * FROM unnest({', '.join(f'%s::{t}[]' for t in types)})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(meta.get_field(c).attname) for c in returning)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return [tuple(r) for r in cursor.fetchall()] if returning else []


def _bulk_create(model, columns, rows, *, ignore_conflicts, returning) -> list[tuple]:
    """The portable path. With `returning`, its first column must be unique: the inserted rows are
    found by it (rows whose value was already there before count as conflicts)."""
    unique = returning[0] if returning else None
    if unique:
        position = list(columns).index(unique)
        already = set(
            model._default_manager.filter(**{f"{unique}__in": [r[position] for r in rows]}).values_list(
                unique, flat=True
            )
        )
        rows = [r for r in rows if r[position] not in already]
    model._default_manager.bulk_create(
        [model(**dict(zip(columns, r, strict=True))) for r in rows], ignore_conflicts=ignore_conflicts
    )
    if not unique or not rows:
        return []
    return list(model._default_manager.filter(**{f"{unique}__in": [r[position] for r in rows]}).values_list(*returning))
