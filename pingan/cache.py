"""A cache shared by the web processes (DJANGO_CACHE_URL=redis://…) that a Redis outage turns into no
cache rather than failed pages, read after each process's own copy.

What is kept (the public index until the next publication, each city's board until its next transition)
is keyed on what the database holds, so losing it loses nothing: the pages are rendered anew. Without
DJANGO_CACHE_URL each process keeps its own copy in memory, and every web process renders a change once;
with it, one of them does, for every process and machine (workflows/kept.py: the others wait for it or
are given the version before), and each process also keeps a copy of what it read there: reading Redis
costs a round trip (0.4 ms for a miss, 0.75 ms for the board's 50 KB; 0.03 ms from the process's
memory).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import BaseCache, cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The alias of each process's own cache beside a shared one (pingan/settings.py).
PROCESS = "process"


def key_of(name: str, facts: tuple) -> str:
    """The key of what `name` keeps for these facts (hashed: any length, any characters)."""
    return f"pingan:{name}:{hashlib.sha256(repr(facts).encode()).hexdigest()}"


def own_copy() -> BaseCache | None:
    """This process's own cache, beside a shared one; None without a shared one (the default cache is
    then this process's own)."""
    return caches[PROCESS] if PROCESS in settings.CACHES else None


def read_through(key: str, make: Callable[[], T], seconds: float) -> T:
    """What is kept under `key`: this process's copy, else the shared cache's (then copied here), else
    `make()`, kept in both for `seconds` from when it was made."""
    here = own_copy()
    if here is None:
        value = cache.get(key)
        if value is None:
            value = make()
            cache.set(key, value, seconds)
        return value
    value = here.get(key)
    if value is None:
        made = cache.get(key)  # (when it was made, what)
        if made is None:
            made = (time.time(), make())
            cache.set(key, made, seconds)
        value = keep_here(here, key, made, seconds)
    return value


def keep_here(here: BaseCache, key: str, made: tuple[float, T], seconds: float) -> T:
    """What `made` = (when it was made, what) holds, kept in this process's copy for what is left of
    `seconds` since it was made: a copy lasts no longer than what it copied."""
    left = made[0] + seconds - time.time()
    if left > 0:
        here.set(key, made[1], left)
    return made[1]


# After a failure the cache is not asked again for this many seconds: a request should not wait for an
# unreachable server's timeout on every read and write.
PAUSE = 10.0


def _guarded(method, fallback):
    """`method`, or `fallback(*args, **kwargs)` while Redis fails and for PAUSE seconds after."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            self._down_until = time.monotonic() + PAUSE
            logger.warning("cache unreachable, pages are rendered without it for %s s: %s", PAUSE, exc)
            return fallback(*args, **kwargs)

    return guarded


def _answer(value):
    return lambda *args, **kwargs: value() if callable(value) else value


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, whose reads miss and whose writes are dropped while the server fails."""

    _down_until = 0.0

    get = _guarded(RedisCache.get, lambda key, default=None, version=None: default)
    get_many = _guarded(RedisCache.get_many, _answer(dict))
    has_key = _guarded(RedisCache.has_key, _answer(False))
    add = _guarded(RedisCache.add, _answer(False))
    set = _guarded(RedisCache.set, _answer(None))
    set_many = _guarded(RedisCache.set_many, _answer(list))
    touch = _guarded(RedisCache.touch, _answer(False))
    delete = _guarded(RedisCache.delete, _answer(False))
    delete_many = _guarded(RedisCache.delete_many, _answer(None))
    clear = _guarded(RedisCache.clear, _answer(False))
