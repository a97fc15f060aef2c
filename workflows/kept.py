"""What is kept until the workflow of its cities moves: the supervision board's lists (board_cache) and
the pages of a city-wide user's task list (the API).

Everything they show changes through a service that writes the transition log in the same transaction:
a case opened, moved on, escalated or analysed; a task assigned, accepted, submitted, verified or
returned; an extension asked for or decided (a deadline moved); a warning notice issued. Each log row
carries its case's city, so the state of the log's rows of the user's cities (pingan.appended: one
indexed query) is the version of what they see. What is kept is kept under a key holding it, and the
first look after a change, the user's own included, reads anew. A transition in another city leaves it
be: in a national deployment transitions happen all day, each city's a few an hour.

What the log does not see shows after at most SECONDS: an edit in the admin, a town or unit renamed,
and a log row committed behind RECENT newer rows of the user's cities (of every city, for a user who
sees them all: pingan.appended).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from pingan.appended import appended_state

from .models import TransitionLog

SECONDS = 60

T = TypeVar("T")


def workflow_state(cities: list[int] | None) -> tuple:
    """The version of the workflow of these cities (None: of every city)."""
    return appended_state(TransitionLog, among=None if cities is None else ("city_id", cities))


def kept(name: str, facts: tuple, make: Callable[[], T]) -> T:
    """What `make()` gives, from the cache under `name` and `facts` (which hold the workflow's state),
    or made and kept there for SECONDS."""
    key = f"pingan:{name}:{hashlib.sha256(repr(facts).encode()).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = make()
        cache.set(key, value, SECONDS)
    return value


class PageKeeper:
    """Keeps a city-wide user's pages of a list (pingan.pagination.BoundedPagination asks it).

    A page is keyed on its statement as compiled, parameters included, so two users share a page only
    when they would read the same rows; and on the state of the log of the user's cities, the day (a
    task is overdue from the day after its deadline), the time zone and the language it is written in."""

    def __init__(self, cities: list[int] | None, today: datetime.date) -> None:
        self.cities = cities
        self.today = today

    @classmethod
    def of(cls, access, today: datetime.date) -> PageKeeper | None:
        """For a city-wide user, whose pages the other users of their cities read alike; None for anyone
        else, whose pages (an area's, a unit's) are their own and seldom looked at twice between two
        changes of their city: keeping them would cost each look the key (the statement compiled
        twice on a miss, the log's state) for little."""
        return cls(access.cities, today) if access.city_wide else None

    def page(self, statement: QuerySet, read: Callable[[], T], *facts) -> T:
        """What `read()` gives for the page that `statement` (the page's sliced queryset) reads; `facts`,
        what else the page depends on (how it is counted and written)."""
        try:
            sql, params = statement.query.get_compiler(using=statement.db).as_sql()
        except EmptyResultSet:
            return read()  # no rows to read: nothing to keep
        facts = (
            *facts,
            sql,
            params,
            workflow_state(self.cities),
            self.today.isoformat(),
            timezone.get_current_timezone_name(),
            get_language(),
        )
        return kept("page", facts, read)
