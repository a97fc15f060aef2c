"""PostgreSQL connections prepare repeated statements (bound by the server) unless the operator turns
it off for a pooler in transaction mode; SQLite is left as it was."""

import pytest
from django.db import connection

from tests.factories import settings_read_afresh


def database_options(**env) -> dict:
    return settings_read_afresh("settings.DATABASES['default'].get('OPTIONS', {})", **env)


def test_postgresql_prepares_repeated_statements_by_default():
    options = database_options(DATABASE_URL="postgres://pingan@db.internal:5432/pingan")
    assert options == {"server_side_binding": True, "prepare_threshold": 1}


def test_an_operator_behind_a_transaction_pooler_turns_it_off():
    options = database_options(
        DATABASE_URL="postgres://pingan@db.internal:5432/pingan", DATABASE_PREPARED_STATEMENTS="0"
    )
    assert options == {}


def test_sqlite_keeps_its_own_options():
    options = database_options(DATABASE_URL="sqlite:///tmp/x.sqlite3")
    assert "prepare_threshold" not in options
    assert options["transaction_mode"] == "IMMEDIATE"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_twice_is_prepared_on_the_connection():
    from pingan.models import Town

    if "prepare_threshold" not in connection.settings_dict["OPTIONS"]:
        pytest.skip("prepared statements turned off in this environment (DATABASE_PREPARED_STATEMENTS=0)")
    for _ in range(2):
        list(Town.objects.filter(name="prepared-check", pk__gt=-1).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    # bound by the server: the statement holds placeholders, not the values
    assert any('"pingan_town"."name" = $1' in s and '"pingan_town"."id" > $2' in s for s in statements), statements
