"""What is kept until the workflow of its cities moves: the supervision board's lists (board_cache) and
the pages of a city-wide user's task list (the API).

Everything they show changes through a service that writes the transition log in the same transaction:
a case opened, moved on, escalated or analysed; a task assigned, accepted, submitted, verified or
returned; an extension asked for or decided (a deadline moved); a warning notice issued. Each log row
carries its case's city, so the state of the log's rows of the user's cities (pingan.appended: one
indexed query) is the version of what they see. What is kept is kept under a key holding it, so the
first look after a change does not find the version before (but see below, with a shared cache). A
transition in another city leaves it be: in a national deployment transitions happen all day, each
city's a few an hour.

What the log does not see shows after at most SECONDS: an edit in the admin, a town or unit renamed,
and a log row committed behind RECENT newer rows of the user's cities (of every city, for a user who
sees them all: pingan.appended).

Where it is kept: in each process's memory. With a cache shared by the web processes (DJANGO_CACHE_URL)
also there, and each change is then made once for all of them: the first process to miss takes a lock
in the shared cache and makes it; the others are given the latest version made meanwhile (a render
old), or wait for the new one (up to MAKING seconds) if there is none or if the user asking made a
transition through a service (write_log) since it was made: their own change shows on their next
look. With four web processes on two cores, four renders of the board at the moment of each change
kept every process busy and the requests queued behind them waiting (docs/BENCHMARKS.md, stop 19).
A maker whose shared cache fails before it releases its lock leaves those who would wait to wait
out MAKING; and while it fails, no transition is noted there, so until it is back its users may be
given a version made before their own change (a render old).
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from pingan.appended import appended_state
from pingan.cache import keep_here, key_of, own_copy, read_through

from .models import TransitionLog

SECONDS = 60
# How long a process waits for another that makes what it wants, at most (then it makes it itself); the
# lock lasts as long, so a maker killed mid-way holds the others up no longer. Whole seconds: Redis
# keeps a key for whole seconds, and Django rounds a shorter time down to none.
MAKING = 5
# How often a waiting process looks whether it is made: a look is a round trip to the shared cache.
LOOK_EVERY = 0.005
# A version made less than this long after a user's transition committed is not taken to show it: the
# clocks of two web machines may differ by as much.
CLOCKS = 1.0

T = TypeVar("T")


def workflow_state(cities: list[int] | None) -> tuple:
    """The version of the workflow of these cities (None: of every city)."""
    return appended_state(TransitionLog, among=None if cities is None else ("city_id", cities))


def kept(name: str, facts: tuple, make: Callable[[], T], *, state: tuple, reader: int | None = None) -> T:
    """What `make()` gives, from the cache under `name`, `facts` and the workflow's `state`, or made and
    kept there for SECONDS; `reader`, the id of the user asking (None: anyone)."""
    key = key_of(name, (*facts, state))
    here = own_copy()
    if here is None:  # no shared cache: the default one is this process's
        return read_through(key, make, SECONDS)
    value = here.get(key)
    if value is None:
        made, current = made_once(key, key_of(f"{name}:latest", facts), make, reader)
        value = keep_here(here, key, made, SECONDS) if current else made[1]
    return value


def made_once(key: str, latest: str, make: Callable[[], T], reader: int | None) -> tuple[tuple[float, T], bool]:
    """What the shared cache holds under `key`, or made, as (when it was made, what), and whether it is
    that (not the version before): made by this process if no other is making it; else the latest
    version made (under `latest`) unless `reader` wrote since, else waited for. While the shared cache
    fails, made here (it then reads as empty and takes no lock: pingan/cache.py)."""
    made = cache.get(key)
    if made is not None:
        return made, True
    lock, token = f"{key}:making", uuid.uuid4().hex
    mine = cache.add(lock, token, MAKING)
    if not mine:
        made = _before(latest, reader)
        if made is not None:
            return made, False
        made = _waited_for(key, lock)
        if made is not None:
            return made, True
    try:
        made = (time.time(), make())
        _keep(key, latest, made)
    finally:
        if mine and cache.get(lock) == token:  # not the next maker's, if this one's expired meanwhile
            cache.delete(lock)
    return made, True


def _keep(key: str, latest: str, made: tuple) -> None:
    """Keep `made` under `key`, and as the latest version unless a newer one is: a maker of an older
    state may finish after one of a newer."""
    newest = cache.get(latest)
    if newest is not None and newest[0] > made[0]:
        cache.set(key, made, SECONDS)
    else:
        cache.set_many({key: made, latest: made}, SECONDS)


def _before(latest: str, reader: int | None) -> tuple | None:
    """The latest version made, if `reader` made no transition since (or is None); else None."""
    wrote = _wrote_key(reader)
    found = cache.get_many([latest, wrote] if reader is not None else [latest])
    if latest not in found:
        return None
    if wrote in found and found[wrote] > found[latest][0] - CLOCKS:
        return None
    return found[latest]


def _waited_for(key: str, lock: str) -> tuple | None:
    """What another process makes under `key` while it holds `lock`; None once it holds it no more
    without having made it (it failed, or the shared cache does) or MAKING seconds pass."""
    deadline = time.monotonic() + MAKING
    while True:
        found = cache.get_many([key, lock])
        if key in found:
            return found[key]
        if lock not in found or time.monotonic() >= deadline:
            return None
        time.sleep(LOOK_EVERY)


def wrote(user_id: int | None) -> None:
    """Note in the shared cache, once the transaction commits, that this user made a transition now: what
    is kept is not shown to them in a version made before it (without a shared cache, none is shown)."""
    if user_id is not None and own_copy() is not None:
        transaction.on_commit(lambda: cache.set(_wrote_key(user_id), time.time(), 2 * SECONDS))


def _wrote_key(user_id: int | None) -> str:
    return f"pingan:wrote:{user_id}"


class PageKeeper:
    """Keeps a city-wide user's pages of a list (pingan.pagination.BoundedPagination asks it).

    A page is keyed on its statement as compiled, parameters included, so two users share a page only
    when they would read the same rows; and on the state of the log of the user's cities, the day (a
    task is overdue from the day after its deadline), the time zone and the language it is written in."""

    def __init__(self, cities: list[int] | None, today: datetime.date, reader: int | None = None) -> None:
        self.cities = cities
        self.today = today
        self.reader = reader

    @classmethod
    def of(cls, access, today: datetime.date) -> PageKeeper | None:
        """For a city-wide user, whose pages the other users of their cities read alike; None for anyone
        else, whose pages (an area's, a unit's) are their own and seldom looked at twice between two
        changes of their city: keeping them would cost each look the key (the statement compiled
        twice on a miss, the log's state) for little."""
        return cls(access.cities, today, access.user.pk) if access.city_wide else None

    def page(self, statement: QuerySet | tuple[str, list], read: Callable[[], T], *facts) -> T:
        """What `read()` gives for the page that `statement` (the page's sliced queryset, or its SQL and
        parameters) reads; `facts`, what else the page depends on (how it is counted and written)."""
        if isinstance(statement, QuerySet):
            try:
                statement = statement.query.get_compiler(using=statement.db).as_sql()
            except EmptyResultSet:
                return read()  # no rows to read: nothing to keep
        sql, params = statement
        facts = (*facts, sql, params, self.today.isoformat(), timezone.get_current_timezone_name(), get_language())
        return kept("page", facts, read, state=workflow_state(self.cities), reader=self.reader)
