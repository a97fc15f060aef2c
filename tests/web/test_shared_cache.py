"""The cache shared by the web processes (DJANGO_CACHE_URL=redis://…), which a Redis outage turns into
no cache rather than failed pages (pingan/cache.py)."""

import logging
import os
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from pingan import cache as shared
from tests.factories import settings_read_afresh
from tests.web.test_board_cache import look

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def cache_settings(**env) -> dict:
    return settings_read_afresh("settings.CACHES['default']", **env)


def redis_cache(url: str) -> dict:
    return {"default": {**cache_settings(DJANGO_CACHE_URL=url), "KEY_PREFIX": "tests"}}


def test_each_process_keeps_its_own_cache_unless_a_redis_url_is_given():
    assert cache_settings()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    shared_cache = cache_settings(DJANGO_CACHE_URL="redis://cache.internal:6379/2")
    assert shared_cache["BACKEND"] == "pingan.cache.ResilientRedisCache"
    assert shared_cache["LOCATION"] == "redis://cache.internal:6379/2"


def test_an_unreachable_redis_reads_as_a_miss_and_drops_writes(caplog):
    with override_settings(CACHES=redis_cache(UNREACHABLE)), caplog.at_level(logging.WARNING, "pingan.cache"):
        assert cache.get("k") is None and cache.get("k", "default") == "default"
        cache.set("k", "v")
        assert cache.add("k", "v") is False and cache.get_many(["k"]) == {}
        assert cache.get_or_set("k", lambda: "computed") == "computed"
    assert "cache unreachable" in caplog.text


def test_after_a_failure_the_cache_is_not_asked_for_a_pause():
    with override_settings(CACHES=redis_cache(UNREACHABLE)):
        asked = mock.Mock(side_effect=RedisConnectionError("refused"))
        with mock.patch("django.core.cache.backends.redis.RedisCacheClient.get", asked):
            now = 1000.0
            with mock.patch("pingan.cache.time.monotonic", lambda: now):
                assert cache.get("k", "miss") == "miss"
                assert cache.get("k", "miss") == "miss"
                assert asked.call_count == 1  # paused
                now += shared.PAUSE + 1
                assert cache.get("k", "miss") == "miss"
                assert asked.call_count == 2  # asked again


def test_the_board_is_served_while_the_cache_fails(client, world, people):
    client.force_login(people["office"])
    with override_settings(CACHES=redis_cache(UNREACHABLE)):
        page, tables = look(client)
        again, _ = look(client)
    assert "一镇" in page and "一镇" in again and "workflows_case" in tables


@pytest.mark.broker
def test_the_boards_lists_are_kept_in_redis_for_every_process(client, world, people):
    """Against the live Redis of CELERY_BROKER_URL (another database number): the rendered lists are in
    Redis, where every web process and machine reads them."""
    import redis

    broker = os.environ["CELERY_BROKER_URL"]
    if not broker.startswith("redis://"):
        pytest.skip("the broker is not Redis")
    url = broker.rsplit("/", 1)[0] + "/14"
    client.force_login(people["office"])
    with override_settings(CACHES=redis_cache(url)):
        caches["default"].clear()
        try:
            look(client)
            assert any(b"pingan:board:" in key for key in redis.Redis.from_url(url).keys("tests:*"))
            again, tables = look(client)
            assert "workflows_case" not in tables and "一镇" in again
        finally:
            caches["default"].clear()
