"""A list page written from `.values()` rows through its serializer's own fields.

A ModelSerializer builds a model instance for each row, then walks the serializer's fields for each:
15–20 ms for a page of 50 tasks, five times the cost of the rest of the request. The busiest lists
(tasks, cases) read their page with `.values()` instead and write each row with the same serializer's
fields (`to_representation`), so the JSON is the serializer's (tests compare the two) and the schema
stays the serializer's too. Fields computed per row (method fields, nested lists) are the caller's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


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

    @cached_property
    def _plan(self) -> list[tuple[str, str | None, type | None, object, bool]]:
        """Per field: name, lookup, the type a value of which the field writes as it is (a text field's
        str, a number field's int: `to_representation` would return it unchanged), the field's
        `to_representation` (None: every value is written as read), and whether it is a date and time
        written in ISO 8601 in the active time zone (which the page's writer reads once)."""
        return [
            (name, lookup, _written_as_read(field), None if field is None else field.to_representation, _in_zone(field))
            for name, lookup, field in self.fields
        ]

    def writer(self) -> Callable[..., dict]:
        """`write(row, **computed)` for one page: each row as the serializer writes it, `computed` giving
        every computed field's value. DRF's DateTimeField looks up the active time zone for every
        value (a third of a task page's writing); the page's writer looks it up once."""
        zone = timezone.get_current_timezone()
        represents = [_iso_in(zone, represent) if in_zone else represent for *_, represent, in_zone in self._plan]
        return self._write_function(*represents, *(as_is for _, _, as_is, _, _ in self._plan))

    @cached_property
    def _write_function(self) -> Callable[..., Callable[..., dict]]:
        """A function that makes a page's `write` from each field's `to_representation` and type written
        as read: `write` is one dict display of the fields, in the serializer's order, made once with
        `exec` as dataclasses make their `__init__`. Walking the fields in a loop for every row took
        9 µs a task row, 5 µs this way. Names and lookups are the serializer's, written as literals."""
        fields = []
        for i, (name, lookup, as_is, represent, _) in enumerate(self._plan):
            if lookup is None:
                value = f"computed[{name!r}]"
            elif represent is None:
                value = f"row[{lookup!r}]"
            elif as_is is None:
                value = f"None if (v := row[{lookup!r}]) is None else r{i}(v)"
            else:
                value = f"v if (v := row[{lookup!r}]) is None or type(v) is t{i} else r{i}(v)"
            fields.append(f"{name!r}: {value}")
        count = len(self._plan)
        arguments = ", ".join([*(f"r{i}" for i in range(count)), *(f"t{i}" for i in range(count))])
        source = (
            f"def make({arguments}):\n"
            f"    def write(row, **computed):\n"
            f"        return {{{', '.join(fields)}}}\n"
            f"    return write\n"
        )
        namespace: dict = {}
        exec(compile(source, f"<ValueRows of {self.serializer_class.__name__}>", "exec"), namespace)  # noqa: S102
        return namespace["make"]


def _written_as_read(field) -> type | None:
    """The type of the values `field` writes unchanged (None: every value goes through the field). Exactly
    these classes: a subclass may write its values otherwise."""
    kind = type(field)
    if kind is serializers.CharField:
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.BigIntegerField:  # a model's id: a number, unless written as text
        return None if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else int
    if kind is serializers.ChoiceField and all(type(k) is str for k in field.choices):
        return str  # choices keyed by text: a str value maps to itself
    return None


def _in_zone(field) -> bool:
    """Exactly DRF's DateTimeField writing ISO 8601 in the active time zone (no zone or format of its own)."""
    return (
        type(field) is serializers.DateTimeField
        and settings.USE_TZ
        and not hasattr(field, "timezone")
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    )


def _iso_in(zone: datetime.tzinfo, represent: Callable) -> Callable:
    """DateTimeField.to_representation in `zone`, for the aware datetimes a database with USE_TZ reads."""

    def iso(value):
        if type(value) is not datetime.datetime or value.tzinfo is None:
            return represent(value)  # naive, or not a datetime: the field's own way
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso
