"""Who a request is: the API's token and a page's signed-in user, each read by one statement written in SQL.

Every API request reads its token and user first, and every page its session's user. DRF and Django read
them through the ORM, whose filter and compiler took longer, on every request, than the database takes
to answer. These read the same rows with the same conditions (for a user model whose default manager
hides no rows, and without multi-table inheritance: Django's User), pass the parameter and turn the
columns into values as the ORM does (the database backend's converters and the fields'), and are DRF's
and Django's in everything else: the header's parsing, the errors, an inactive user refused, the
session's hash (checked by Django's `get_user` around the backend's), the async `aget_user` (the ORM's).
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .sql_rows import converted


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: the token and its user read together."""

    def authenticate_credentials(self, key):
        token = _read_token(self.get_model(), key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


class ModelBackend(backends.ModelBackend):
    """Django's backend (passwords, permissions), the session's user read in SQL."""

    def get_user(self, user_id):
        User = get_user_model()
        alias = router.db_for_read(User)
        row = _select(alias, _user_statement(alias, User), User._meta.pk, user_id)
        if row is None:
            return None
        user = _instance(alias, User, row)
        return user if self.user_can_authenticate(user) else None


def _read_token(model, key: str):
    """The token of `key` with its user (set on it), or None."""
    User = get_user_model()
    alias = router.db_for_read(model)
    row = _select(alias, _token_statement(alias, model, User), model._meta.get_field("key"), key)
    if row is None:
        return None
    split = len(model._meta.concrete_fields)
    token = _instance(alias, model, row[:split])
    token.user = _instance(alias, User, row[split:])
    return token


@cache
def _user_statement(alias: str, User) -> str:
    q = connections[alias].ops.quote_name
    table = q(User._meta.db_table)
    return f"SELECT {_columns(alias, User)} FROM {table} WHERE {table}.{q(User._meta.pk.column)} = %s"


@cache
def _token_statement(alias: str, model, User) -> str:
    q = connections[alias].ops.quote_name
    tokens, users = q(model._meta.db_table), q(User._meta.db_table)
    user = model._meta.get_field("user")
    return (
        f"SELECT {_columns(alias, model)}, {_columns(alias, User)} FROM {tokens} "
        f"JOIN {users} ON {users}.{q(user.target_field.column)} = {tokens}.{q(user.column)} "
        f"WHERE {tokens}.{q(model._meta.get_field('key').column)} = %s"
    )


def _select(alias: str, statement: str, field, value):
    """The one row of `statement` whose `field` is `value` (passed as the ORM passes it), or None."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement, [field.get_db_prep_value(value, connection)])
        return cursor.fetchone()


def _columns(alias: str, model) -> str:
    """The model's columns, named with their table."""
    q = connections[alias].ops.quote_name
    return ", ".join(f"{q(model._meta.db_table)}.{q(f.column)}" for f in model._meta.concrete_fields)


def _instance(alias: str, model, values):
    """The model's instance of a row of `_columns`, its values converted as the ORM converts them (with
    this thread's connection: a backend's converters may read it)."""
    fields = model._meta.concrete_fields
    if len(values) != len(fields):
        raise ValueError(f"{len(values)} values for the {len(fields)} columns of {model.__name__}")
    columns = [field.get_col(model._meta.db_table) for field in fields]
    (values,) = converted([values], columns, connections[alias])
    return model.from_db(alias, [field.attname for field in fields], values)
