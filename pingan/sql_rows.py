"""Rows read by SQL written by hand, their values made what the ORM would have made of them."""

from __future__ import annotations

from collections.abc import Sequence


def converted(rows: Sequence[Sequence], columns: Sequence, connection) -> Sequence[Sequence]:
    """`rows`, each a value for each of `columns` (the selected expressions: a field's `get_col`, an
    annotation), with every value converted as the ORM converts it: the database backend's converters,
    then the expression's. They are asked of `connection`, this thread's: a backend's converters may
    read it. The rows as they are where no column has a converter."""
    converters = []
    for i, column in enumerate(columns):
        convert = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]
        if convert:
            converters.append((i, convert, column))
    if not converters:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for i, convert, column in converters:
            for converter in convert:
                row[i] = converter(row[i], column, connection)
    return rows
