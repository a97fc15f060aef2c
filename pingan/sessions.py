"""Sessions in the database, each read by one statement written in SQL.

Every page a signed-in user opens reads their session first. Django's database store reads it through
the ORM, whose filter and compiler took longer, on every request, than the database takes to answer
(two fifths of the kept supervision board's time went to finding the session and the user). This store
reads the same row with the same conditions (the key, not expired) and is Django's in everything else:
the table, the session's encoding, saving, expiry and `clearsessions`.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The session's row if its key is stored and not expired, else None (and the key forgotten, as
        Django's store does, so that a new one is made when the session is saved)."""
        if self.session_key is None:  # no key, or one Django refused as malformed
            return None
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_statement(connection, self.model._meta.db_table), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])


def _statement(connection, table: str) -> str:
    q = connection.ops.quote_name
    return f"SELECT {q('session_data')} FROM {q(table)} WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
