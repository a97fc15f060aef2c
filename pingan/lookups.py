"""`field__any_of=[…]`: `field__in` for lists of thousands of values.

`__in` writes one placeholder per value, and psycopg's client-side binding then splits and fills a
statement of thousands of `%s` (0.05 s for the sweep's 5,000 owners, three times a sweep). On
PostgreSQL `any_of` sends the values as one array parameter, `= ANY(%s)`; elsewhere it is `__in`.
It takes plain values: on a foreign key, name the key it points to (`unit__id__any_of=ids`, which
reads the key's own column, no join).

It also takes a subquery: on PostgreSQL `= ANY(ARRAY(subquery))`, which runs the subquery once and
looks its values up by index, also as one side of an OR. `__in` with a subquery beside an OR made
PostgreSQL test every row against it: 950 ms for a town official's tasks among a million, 0.2 ms so.
"""

from __future__ import annotations

from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "as_sql"):  # a subquery, written "(SELECT …)"
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        values = [v for v in self.rhs if v is not None]  # as __in: NULL matches nothing
        prep = self.lhs.output_field.get_db_prep_value
        return f"{lhs} = ANY(%s)", [*lhs_params, [prep(v, connection, prepared=True) for v in values]]
