"""PostgreSQL's dates and times read by psycopg's C parser.

Django reads every `timestamptz` with a loader of its own (`BaseTzLoader`) that subclasses psycopg's
pure-Python loader, so with psycopg's C build installed each value is still parsed in Python with a
regular expression: 7.4 µs a value, against 0.5 µs for the C loader; 0.4 ms of a task page's 50 rows,
and every `created_at` of every page. The C loader cannot be subclassed, so `_Loader` holds one and
does what Django's does after parsing: it sets the connection's time zone (UTC), which the
connection's session time zone already is. Same values, 2.5 µs each (tests/test_timestamps.py).
"""

from __future__ import annotations

import functools

from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created, dispatch_uid="pingan.timestamps")
def use_c_loader(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection (psycopg 3 with its C build), read `timestamptz` with `_Loader`."""
    if connection.vendor != "postgresql":
        return
    try:
        import psycopg
    except ImportError:  # psycopg2: Django reads timestamps its own way
        return
    if psycopg.pq.__impl__ == "python":  # no C build: nothing faster to use
        return
    adapters = connection.connection.adapters
    c_loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT)
    adapters.register_loader("timestamptz", _loader_class(c_loader, connection.timezone))


@functools.cache
def _loader_class(c_loader: type, zone) -> type:
    """A loader of `timestamptz` that parses with `c_loader` and sets `zone` (None: naive), as Django's.
    `timezone` is what Django's cursors compare with their connection's before using it. Made once per
    zone, not per connection: without persistent connections (CONN_MAX_AGE 0) each request connects."""
    from psycopg import adapt

    class _Loader(adapt.Loader):
        timezone = zone

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = c_loader(oid, context).load

        def load(self, data):
            value = self._parse(data)
            return value if value.tzinfo is zone else value.replace(tzinfo=zone)

    return _Loader
