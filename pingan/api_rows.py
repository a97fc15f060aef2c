"""A list page written from `.values()` rows through its serializer's own fields.

A ModelSerializer builds a model instance for each row, then walks the serializer's fields for each:
15–20 ms for a page of 50 tasks, five times the cost of the rest of the request. The busiest lists
(tasks, cases) read their page with `.values()` instead and write each row with the same serializer's
fields (`to_representation`), so the JSON is the serializer's (tests compare the two) and the schema
stays the serializer's too. Fields computed per row (method fields, nested lists) are the caller's.
"""

from __future__ import annotations

from functools import cached_property

from rest_framework import serializers


class ValueRows:
    """Writes `.values(*rows.lookups)` rows as `serializer_class` would write the same objects.

    `lookups` overrides the `.values()` lookup of a field whose source is not a column path (a file's
    name is its column: `{"name": "file"}`)."""

    def __init__(self, serializer_class: type[serializers.Serializer], lookups: dict[str, str] | None = None) -> None:
        self.serializer_class = serializer_class
        self.overrides = lookups or {}

    @cached_property
    def fields(self) -> list[tuple[str, str | None, serializers.Field | None]]:
        """(name, values() lookup or None if computed by the caller, field or None if written as read)."""
        fields = []
        for name, field in self.serializer_class().fields.items():
            if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
                fields.append((name, None, None))
            else:
                lookup = self.overrides.get(name, field.source.replace(".", "__"))
                # A related field's column is already the primary key it writes.
                fields.append((name, lookup, None if isinstance(field, serializers.RelatedField) else field))
        return fields

    @cached_property
    def lookups(self) -> list[str]:
        return [lookup for _, lookup, _ in self.fields if lookup is not None]

    def write(self, row: dict, **computed) -> dict:
        """One row as the serializer writes it; `computed` gives every computed field's value."""
        out = {}
        for name, lookup, field in self.fields:
            if lookup is None:
                out[name] = computed[name]
            else:
                value = row[lookup]
                out[name] = value if value is None or field is None else field.to_representation(value)
        return out
