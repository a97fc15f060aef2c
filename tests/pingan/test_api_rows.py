"""ValueRows writes a `.values()` row exactly as its serializer writes the same object, also for fields
that write their values otherwise than as read (a subclass, numbers as strings, choices keyed by number)
and for dates and times, which a page's writer puts in the time zone active when it was made."""

from __future__ import annotations

import datetime
import zoneinfo
from types import SimpleNamespace

import pytest
from django.utils import timezone
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
    huge = serializers.BigIntegerField()
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
        "huge": 2**40,
        "colour": "red",
        "grade": 2,
        "day": datetime.date(2026, 11, 28),
        "note": None,
    }
    written = ValueRows(Row).writer()(values)
    assert written == Row(SimpleNamespace(**values)).data
    assert written["loud"] == "QUIET" and written["big"] == str(2**40) and written["day"] == "2026-11-28"
    assert written["huge"] == 2**40


def test_a_value_not_of_the_type_a_field_writes_as_read_goes_through_the_field():
    """A text field reads a number, a number field text, a choice its key as text: each is written as the
    field writes it, not as read."""
    values = {
        "name": 12,
        "loud": "quiet",
        "count": "7",
        "big": 5,
        "huge": "6",
        "colour": "red",
        "grade": "2",
        "day": datetime.date(2026, 11, 28),
        "note": 3,
    }
    written = ValueRows(Row).writer()(values)
    assert written == Row(SimpleNamespace(**values)).data
    assert (written["name"], written["count"], written["huge"], written["note"]) == ("12", 7, 6, "3")


def test_numbers_and_text_are_written_as_read_without_their_field():
    """What each field writes unchanged is written without calling it: a model's id (a big integer),
    unless the field writes it as text."""
    as_is = {name: kind for name, _, kind, _, _ in ValueRows(Row)._plan}
    assert as_is == {
        "name": str,
        "loud": None,  # a subclass: its own way
        "count": int,
        "big": None,  # written as text
        "huge": int,
        "colour": str,
        "grade": None,  # keyed by number: the text of a number is written as the number
        "day": None,
        "note": str,
    }


class Times(serializers.Serializer):
    at = serializers.DateTimeField()
    utc = serializers.DateTimeField(default_timezone=datetime.UTC)
    printed = serializers.DateTimeField(format="%Y年%m月%d日 %H:%M")


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 28, 1, 2, 3, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 28, 9, 2, 3, 456789, tzinfo=SHANGHAI),
        datetime.datetime(2026, 3, 8, 7, 30, tzinfo=datetime.UTC),  # New York's clocks go forward
        datetime.datetime(2026, 11, 28, 9, 2, 3),  # naive: the field makes it aware in its zone
    ],
)
def test_a_page_writes_dates_and_times_as_the_serializer_in_the_active_time_zone(zone, moment):
    values = {"at": moment, "utc": moment, "printed": moment}
    with timezone.override(zone):
        written = ValueRows(Times).writer()(values)
        assert written == Times(SimpleNamespace(**values)).data
    if zone == "UTC" and moment.tzinfo is not None:
        assert written["at"].endswith("Z")


def test_a_page_writer_keeps_the_time_zone_active_when_it_was_made():
    moment = datetime.datetime(2026, 11, 28, 1, 2, 3, tzinfo=datetime.UTC)
    with timezone.override("America/New_York"):
        write = ValueRows(Times).writer()
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    assert write({"at": moment, "utc": moment, "printed": moment})["at"] == "2026-11-27T20:02:03-05:00"
