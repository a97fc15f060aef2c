"""The cache shared by the web processes (DJANGO_CACHE_URL=redis://…), which a Redis outage turns into
no cache rather than failed pages (pingan/cache.py), and in which what workflows/kept.py keeps is made
once for every process: the others are given the version before meanwhile, or wait for the new one."""

import contextlib
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache, caches
from django.test import Client, override_settings
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from pingan import cache as shared
from tests.factories import settings_read_afresh
from tests.web.test_board_cache import look
from workflows import kept
from workflows.services import rectification

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
FACTS = ("the cities", "the day")
BEFORE, NOW = (41, 3, 120), (42, 4, 162)  # two states of the log
KEY = kept.key_of("board", (*FACTS, NOW))


def board(make, state: tuple = NOW, reader: int | None = None):
    """The kept board as a process gives it: `make()` makes it anew."""
    return kept.kept("board", FACTS, make, state=state, reader=reader)


def fail():
    pytest.fail("made again")


def cache_settings(**env) -> dict:
    return settings_read_afresh("settings.CACHES", **env)


def redis_cache(url: str) -> dict:
    caches_ = cache_settings(DJANGO_CACHE_URL=url)
    return {**caches_, "default": {**caches_["default"], "KEY_PREFIX": "tests"}}


# Threads stand for the web processes: each has its own connections to the caches, and a locmem cache of
# one LOCATION is shared by all of them, as Redis is by processes. Their "process" cache is shared too,
# which only lets one find sooner what another made.
STAND_IN = {
    "default": {"BACKEND": LOCMEM, "LOCATION": "tests-shared"},
    "process": {"BACKEND": LOCMEM, "LOCATION": "tests-process"},
}


@pytest.fixture(params=["stand-in", "redis"])
def shared_cache(request):
    """The caches of web processes that share one: a stand-in in memory, and this machine's Redis (the
    database after CELERY_BROKER_URL's; skipped where the broker is not Redis)."""
    if request.param == "stand-in":
        settings = STAND_IN
    else:
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if not broker.startswith("redis://"):
            pytest.skip("no Redis here (CELERY_BROKER_URL is not redis://)")
        settings = redis_cache(broker.rsplit("/", 1)[0] + "/14")
    with caching(settings) as shared_cache:
        yield shared_cache


@contextlib.contextmanager
def caching(settings: dict, empty: tuple[str, ...] | None = None):
    """These caches for the time of the block (it gets the default one), those named in `empty` (all by
    default) emptied before and after: a process's own cache is not emptied between tests otherwise, as
    only these settings name it."""
    with override_settings(CACHES=settings):
        emptied = [caches[alias] for alias in empty] if empty is not None else caches.all()
        for each in emptied:
            each.clear()
        try:
            yield caches["default"]
        finally:
            for each in emptied:
                each.clear()


def unreachable():
    """The caches with a shared one that cannot be reached (emptying it would make it pause)."""
    return caching(redis_cache(UNREACHABLE), empty=(shared.PROCESS,))


def at_once(*makes) -> tuple[list, list]:
    """Each of `makes` (name, function) given to kept.kept in its own thread, in this order, each started
    once the one before has begun making or waiting: their answers (or what they raised) and the names of
    those that made it."""
    made, answers = [], []
    with ThreadPoolExecutor(len(makes)) as pool:
        for name, make in makes:
            begun = threading.Event()

            def making(name=name, make=make, begun=begun):
                made.append(name)
                begun.set()
                return make()

            answers.append(pool.submit(board, making))
            begun.wait(5 if not answers[1:] else 0.2)  # the first begins making; the others wait and never do
    return [a.exception(10) or a.result() for a in answers], made


@contextlib.contextmanager
def making_in_another_process(what: str, state: tuple = NOW):
    """Another process making `what` for `state`: begun, and held until the block sets the event it
    is given (or the block ends). The block gets (that event, what the other process answers)."""
    begun, release = threading.Event(), threading.Event()

    def slow_render():
        begun.set()
        release.wait(5)
        return what

    with ThreadPoolExecutor(1) as another_process:
        making = another_process.submit(board, slow_render, state)
        assert begun.wait(5)
        try:
            yield release, making
        finally:
            release.set()


def test_each_process_keeps_its_own_cache_unless_a_redis_url_is_given():
    assert cache_settings() == {"default": {"BACKEND": LOCMEM}}
    with_redis = cache_settings(DJANGO_CACHE_URL="redis://cache.internal:6379/2")
    assert with_redis["default"]["BACKEND"] == "pingan.cache.ResilientRedisCache"
    assert with_redis["default"]["LOCATION"] == "redis://cache.internal:6379/2"
    assert with_redis[shared.PROCESS]["BACKEND"] == LOCMEM  # read before the shared one


def test_what_a_process_read_in_the_shared_cache_it_reads_again_in_its_own_copy(shared_cache):
    assert shared.read_through("pingan:public:page", lambda: "made", 60) == "made"
    assert shared_cache.get("pingan:public:page")[1] == "made"  # for every process, with when it was made
    shared_cache.clear()
    assert shared.read_through("pingan:public:page", fail, 60) == "made"  # this process's own copy
    caches[shared.PROCESS].clear()  # another process
    shared_cache.set("pingan:public:page", (time.time(), "made by a third"))
    assert shared.read_through("pingan:public:page", fail, 60) == "made by a third"


def test_what_a_process_asks_for_while_another_makes_it_is_waited_for_not_made_again(shared_cache):
    release = threading.Event()
    threading.Timer(1, release.set).start()

    def slow_render():
        release.wait(5)
        return "the board"

    answers, made = at_once(("first", slow_render), ("second", lambda: "again"), ("third", lambda: "again"))
    assert made == ["first"]
    assert answers == ["the board"] * 3
    assert shared_cache.get(KEY)[1] == "the board" and shared_cache.get(f"{KEY}:making") is None


def test_what_another_process_made_is_read_from_the_shared_cache(shared_cache):
    shared_cache.set(KEY, (time.time(), "made by another process"))
    assert board(fail) == "made by another process"
    shared_cache.clear()  # now kept in this process too
    assert board(fail) == "made by another process"


def test_while_a_process_makes_a_change_the_others_are_given_the_version_before(shared_cache):
    assert board(lambda: "the board before", state=BEFORE) == "the board before"
    with making_in_another_process("the board now") as (release, making):
        assert board(fail) == "the board before"  # at once, not made again
        assert caches[shared.PROCESS].get(KEY) is None  # nor kept as the version asked for
        assert not making.done()
        release.set()
        assert making.result(5) == "the board now"
    assert board(fail) == "the board now"  # the version before was not kept as this one


@pytest.fixture
def committed(db, django_capture_on_commit_callbacks):
    """committed(user_id): a transition of this user's, as its service notes it, committed."""

    def note(user_id: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            kept.wrote(user_id)

    return note


def test_a_user_who_made_a_transition_since_waits_for_the_new_version(shared_cache, committed):
    board(lambda: "the board before", state=BEFORE)
    committed(7)
    with making_in_another_process("the board now") as (release, making):
        assert board(fail, reader=8) == "the board before"  # anyone else
        threading.Timer(0.3, release.set).start()
        assert board(fail, reader=7) == "the board now"  # waited for
        assert making.result(5) == "the board now"


def test_a_transition_made_before_the_version_before_was_made_holds_nobody_up(shared_cache, committed):
    with mock.patch("workflows.kept.time.time", return_value=time.time() - 2 * kept.CLOCKS):
        committed(7)
    board(lambda: "the board before", state=BEFORE)
    shared_cache.add(f"{KEY}:making", 1, 60)  # another process makes the new version
    assert board(fail, reader=7) == "the board before"


def test_a_transitions_service_notes_its_user_once_it_commits(
    world, people, shared_cache, django_capture_on_commit_callbacks
):
    police = people["police"]
    board(lambda: "the board before", state=BEFORE)
    shared_cache.add(f"{KEY}:making", 1, 60)  # another process makes the new version
    with django_capture_on_commit_callbacks() as callbacks:
        rectification.task_accept(task_id=world["一镇"]["tasks"].pk, user=police)
    assert board(fail, reader=police.pk) == "the board before"  # not committed yet: nothing to wait for
    for callback in callbacks:
        callback()
    with mock.patch.object(kept, "MAKING", 0.2):
        assert board(lambda: "the board now", reader=police.pk) == "the board now"  # waited (then made)


def test_on_the_board_whoever_made_a_change_sees_it_while_another_process_makes_it(
    client, world, people, shared_cache, django_capture_on_commit_callbacks
):
    task, police = world["一镇"]["tasks"], people["police"]
    rectification.task_accept(task_id=task.pk, user=police)
    rectification.task_submit(task_id=task.pk, user=police, report="已增派巡逻")
    leader = Client()
    leader.force_login(people["leader"])
    client.force_login(people["office"])
    listed = f'data-task="{task.pk}"'
    assert listed in look(client)[0] and listed in look(leader)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("act", args=["task", task.pk, "verify"]), {"next": "/board/"})
    with mock.patch.object(shared_cache, "add", return_value=False):  # another process makes the new lists
        assert listed in look(leader)[0]  # the version before, at once
        assert listed not in look(client)[0]  # the office's own change


def test_a_version_made_for_an_older_state_after_one_for_a_newer_is_not_taken_for_the_latest(shared_cache):
    with (
        time_machine.travel(time.time(), tick=True),  # a clock that moves (the tests' stands still)
        making_in_another_process("the board before", BEFORE) as (release, older),
    ):
        assert board(lambda: "the board now") == "the board now"
        release.set()
        assert older.result(5) == "the board before"
    later = (43, 5, 205)
    shared_cache.add(f"{kept.key_of('board', (*FACTS, later))}:making", "another process", 60)
    assert board(fail, state=later) == "the board now"  # the version before the one being made


def test_a_maker_whose_lock_expired_leaves_the_next_makers_lock_be(shared_cache):
    def slow_render():
        shared_cache.set(f"{KEY}:making", "the next maker's", 60)  # this one's expired, another took it
        return "the board"

    assert board(slow_render) == "the board"
    assert shared_cache.get(f"{KEY}:making") == "the next maker's"


def test_a_process_keeps_its_copy_no_longer_than_the_version_it_copied_lasts(shared_cache):
    with mock.patch("time.time", return_value=time.time() - kept.SECONDS + 5):
        board(lambda: "the board")  # made 55 s ago, by another process
    caches[shared.PROCESS].clear()
    assert board(fail) == "the board"  # copied from the shared cache
    assert caches[shared.PROCESS].get(KEY) == "the board"
    with mock.patch("time.time", return_value=time.time() + 6):
        assert caches[shared.PROCESS].get(KEY) is None  # gone 60 s after it was made


def test_when_its_maker_fails_a_waiting_process_makes_it_at_once(shared_cache):
    def failing_render():
        time.sleep(0.3)
        raise RuntimeError("the render failed")

    start = time.monotonic()
    (failed, answer), made = at_once(("first", failing_render), ("second", lambda: "the board"))
    assert time.monotonic() - start < kept.MAKING / 2  # not the whole wait
    assert isinstance(failed, RuntimeError) and answer == "the board" and made == ["first", "second"]
    assert board(fail) == "the board"


def test_a_maker_killed_midway_holds_the_others_up_for_MAKING_seconds_at_most(shared_cache):
    shared_cache.add(f"{KEY}:making", 1, 60)  # its lock, never released
    start = time.monotonic()
    with mock.patch.object(kept, "MAKING", 0.3):
        assert board(lambda: "the board") == "the board"
    assert 0.3 <= time.monotonic() - start < 2
    assert shared_cache.get(KEY)[1] == "the board"


def test_while_the_shared_cache_fails_each_process_makes_and_keeps_its_own_copy():
    with unreachable(), mock.patch.object(kept.time, "sleep", side_effect=AssertionError("waited")):
        assert board(lambda: "the board") == "the board"
        assert board(fail) == "the board"


def test_an_unreachable_redis_reads_as_a_miss_and_drops_writes(caplog):
    with unreachable(), caplog.at_level(logging.WARNING, "pingan.cache"):
        assert cache.get("k") is None and cache.get("k", "default") == "default"
        cache.set("k", "v")
        assert cache.add("k", "v") is False and cache.get_many(["k"]) == {}
        assert cache.get_or_set("k", lambda: "computed") == "computed"
    assert "cache unreachable" in caplog.text


def test_after_a_failure_the_cache_is_not_asked_for_a_pause():
    with unreachable():
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
    with unreachable():
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
    with caching(redis_cache(url)):
        look(client)
        assert any(b"pingan:board:" in key for key in redis.Redis.from_url(url).keys("tests:*"))
        caches[shared.PROCESS].clear()  # another process, which has not seen the board yet
        again, tables = look(client)
        assert "workflows_case" not in tables and "一镇" in again
