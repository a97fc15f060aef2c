"""Who a request is: the API's token and a page's signed-in user, each read by one statement written in SQL.

Every API request reads its token and user first, and every page its session's user. DRF and Django read
them through the ORM, whose filter and compiler took longer, on every request, than the database takes
to answer. These read the same rows with the same conditions, turn the columns into values as the ORM
does (the database backend's converters and the fields'), and are DRF's and Django's in everything else:
the header's parsing, the errors, an inactive user refused, the session's hash checked (as
pingan.sessions reads a session).
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


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
        q = connections[alias].ops.quote_name
        where = f"{q(User._meta.db_table)}.{q(User._meta.pk.column)} = %s"
        row = _select(alias, f"{_columns(alias, User)} FROM {q(User._meta.db_table)} WHERE {where}", user_id)
        if row is None:
            return None
        user = _instance(alias, User, row)
        return user if self.user_can_authenticate(user) else None


def _read_token(model, key: str):
    """The token of `key` with its user (set on it), or None."""
    User = get_user_model()
    alias = router.db_for_read(model)
    q = connections[alias].ops.quote_name
    token_table, user_table = q(model._meta.db_table), q(User._meta.db_table)
    user_column = q(model._meta.get_field("user").column)
    row = _select(
        alias,
        f"{_columns(alias, model)}, {_columns(alias, User)} FROM {token_table} "
        f"JOIN {user_table} ON {user_table}.{q(User._meta.pk.column)} = {token_table}.{user_column} "
        f"WHERE {token_table}.{q(model._meta.pk.column)} = %s",
        key,
    )
    if row is None:
        return None
    split = len(model._meta.concrete_fields)
    token = _instance(alias, model, row[:split])
    token.user = _instance(alias, User, row[split:])
    return token


def _select(alias: str, statement: str, parameter):
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {statement}", [parameter])
        return cursor.fetchone()


@cache
def _columns(alias: str, model) -> str:
    """The model's columns, named with their table."""
    q = connections[alias].ops.quote_name
    return ", ".join(f"{q(model._meta.db_table)}.{q(f.column)}" for f in model._meta.concrete_fields)


def _instance(alias: str, model, values):
    """The model's instance of a row of `_columns`, its values converted as the ORM converts them."""
    converted = []
    for value, (column, converters) in zip(values, _converters(alias, model), strict=True):
        for convert in converters:
            value = convert(value, column, connections[alias])
        converted.append(value)
    return model.from_db(alias, [f.attname for f in model._meta.concrete_fields], converted)


@cache
def _converters(alias: str, model) -> list:
    """Per column: the column's expression and the converters the ORM applies to its values."""
    connection = connections[alias]
    result = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        result.append((column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)))
    return result
