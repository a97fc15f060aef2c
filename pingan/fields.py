"""Model fields of our own."""

from __future__ import annotations

from django.db import models
from django.db.models.fields.json import KeyTransform


class WholeJSONField(models.JSONField):
    """JSON written once and read whole, never searched inside: kept as PostgreSQL's `json` (the text as
    written) rather than `jsonb` (parsed into a binary tree on the way in). A national day's 44,374 index
    rows went into the table 0.2 s faster in an experiment (about a fifth of their COPY).

    `json` has no equality or containment operators, so filtering on the value or inside it (`items__…`)
    is not for this field; reading it, writing it and key paths in `values()` work as for JSONField."""

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        # psycopg already decodes `json`, the column and its key paths (Django has it leave `jsonb` as
        # text for JSONField to decode): a key path's string is not decoded again ("1" would become 1).
        # Text in the column itself is `jsonb` not yet migrated, and decoded as JSONField does.
        if connection.vendor == "postgresql" and (not isinstance(value, str) or isinstance(expression, KeyTransform)):
            return value
        return super().from_db_value(value, expression, connection)
