"""A cache shared by the web processes (DJANGO_CACHE_URL=redis://…) that a Redis outage turns into no
cache rather than failed pages.

What is kept (the public index until the next publication, each city's board until its next transition)
is keyed on what the database holds, so losing it loses nothing: the pages are rendered anew. Without
DJANGO_CACHE_URL each process keeps its own copy in memory, and every web process renders a change once;
with it, one of them does, for every process and machine.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

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
