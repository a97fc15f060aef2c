"""Writing thousands of rows in one statement without building a model instance per row.

On PostgreSQL, `insert_rows` sends the rows as one JSON array of arrays and inserts
`SELECT (r->>0)::type, … FROM jsonb_array_elements(…)`: no per-row, per-field preparation in
Python (Django's `bulk_create` spends most of its time there for the sweep's thousands of rows), and
one string to quote (psycopg's client-side binding quotes an array parameter element by element: four
times as long as `json.dumps` for the same rows). Elsewhere it falls back to `bulk_create`. Columns
left out take the model's default (evaluated once for all rows).

Values must already be what the column stores: ints for foreign keys (`case_id`), str, date, aware
datetime, Decimal, None.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from decimal import Decimal

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
    quote = connection.ops.quote_name
    given = [meta.get_field(c) for c in columns]
    names = [f.attname for f in given] + list(defaults)
    values = [_element(n, f.db_type(connection)) for n, f in enumerate(given)]
    values += [f"%s::{meta.get_field(name).db_type(connection)}" for name in defaults]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT {', '.join(values)} FROM jsonb_array_elements(%s::jsonb) AS r"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(meta.get_field(c).attname) for c in returning)}"
    # The defaults' placeholders come before the rows' in the statement.
    params = [*defaults.values(), json.dumps(rows, default=_json_scalar, ensure_ascii=False)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()] if returning else []


def _element(position: int, db_type: str) -> str:
    """The `position`th value of a row `r` (a JSON array), as the column's type."""
    if db_type == "jsonb":
        return f"(r->{position})"
    return f"(r->>{position})::{db_type}"


def _json_scalar(value):
    """What json.dumps cannot write itself: dates and times (ISO 8601, with their offset), decimals."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"insert_rows cannot store {type(value).__name__} {value!r}")


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
