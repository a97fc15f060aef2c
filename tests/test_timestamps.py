"""On PostgreSQL, `timestamptz` values are read by psycopg's C parser (pingan.timestamps) into exactly what
Django's own loader makes of them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TEXTS = [
    "2026-11-28 11:04:05.123456+00",
    "2026-11-28 11:04:05+00",
    "2026-11-28 11:04:05.5+05:30",  # another offset: the same instant in UTC
    "2026-11-28 00:30:00-08",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def django_loader():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    class Loader(BaseTzLoader):
        timezone = connection.timezone

    return Loader


def test_the_connection_reads_timestamps_with_the_c_parser():
    import psycopg

    connection.ensure_connection()
    oid = psycopg.adapters.types["timestamptz"].oid
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(oid, psycopg.pq.Format.TEXT)
    assert loader.__qualname__.endswith("_Loader") and loader.__module__ == "pingan.timestamps"
    assert loader.timezone == connection.timezone  # so Django's cursors keep it


def test_the_values_are_djangos():
    reference = django_loader()(0, connection.connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(TEXTS)) + ", NULL::timestamptz", TEXTS)
        read = cursor.fetchone()
    expected = [reference.load(text.encode()) for text in TEXTS]
    assert list(read[:-1]) == expected and read[-1] is None
    assert all(value.tzinfo is datetime.UTC for value in read[:-1])
    assert read[2] == datetime.datetime(2026, 11, 28, 5, 34, 5, 500000, tzinfo=datetime.UTC)


def test_a_model_reads_back_what_it_saved(django_user_model):
    joined = datetime.datetime(2026, 11, 2, 16, 30, 0, 120, tzinfo=datetime.UTC)
    user = django_user_model.objects.create(username="时间", date_joined=joined)
    assert django_user_model.objects.get(pk=user.pk).date_joined == joined


@pytest.mark.parametrize("zone", [None, datetime.UTC])
def test_the_loader_sets_the_zone_as_djangos_does(zone):
    """Without USE_TZ Django's connections read naive datetimes (their zone None)."""
    import psycopg
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    from pingan.timestamps import _loader_class

    connection.ensure_connection()
    oid = psycopg.adapters.types["timestamptz"].oid
    c_loader = psycopg.adapters.get_loader(oid, psycopg.pq.Format.TEXT)
    ours = _loader_class(c_loader, zone)(oid, connection.connection)
    djangos = type("Loader", (BaseTzLoader,), {"timezone": zone})(oid, connection.connection)
    for text in TEXTS:
        value = ours.load(text.encode())
        assert value == djangos.load(text.encode()) and value.tzinfo is zone
