"""ValueRows writes a `.values()` row exactly as its serializer writes the same object, also for fields
that write their values otherwise than as read (a subclass, numbers as strings, choices keyed by number)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from rest_framework import serializers

from pingan.api_rows import ValueRows


class Shout(serializers.CharField):
    def to_representation(self, value):
        return str(value).upper()


class Row(serializers.Serializer):
    name = serializers.CharField()
    loud = Shout()
    count = serializers.IntegerField()
    big = serializers.BigIntegerField(coerce_to_string=True)
    colour = serializers.ChoiceField(choices=[("red", "红"), ("blue", "蓝")])
    grade = serializers.ChoiceField(choices=[(1, "一"), (2, "二")])
    day = serializers.DateField()
    note = serializers.CharField(allow_null=True)


def test_a_row_is_written_as_its_serializer_writes_it():
    values = {
        "name": "一镇",
        "loud": "quiet",
        "count": 7,
        "big": 2**40,
        "colour": "red",
        "grade": 2,
        "day": datetime.date(2026, 11, 28),
        "note": None,
    }
    written = ValueRows(Row).write(values)
    assert written == Row(SimpleNamespace(**values)).data
    assert written["loud"] == "QUIET" and written["big"] == str(2**40) and written["day"] == "2026-11-28"
