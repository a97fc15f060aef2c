"""Fixtures shared by the whole suite, and the rule for tests that need real services.

Tests marked `postgres` or `broker` are skipped where the service is not configured, except when
PINGAN_REQUIRE_SERVICES=1 (as in CI): there a missing service is a failure, not a skip.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.factories import make_small_city

REQUIRE_SERVICES = os.environ.get("PINGAN_REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_inline():
    """Jobs enqueued by the code under test run at once, in the test, unless a test starts a real worker."""
    from pingan.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing test users' passwords the production way costs half a second each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("broker"):
        url = os.environ.get("CELERY_BROKER_URL", "")
        if not url.startswith(("redis://", "amqp://", "pyamqp://")):
            _missing("needs a live broker: set CELERY_BROKER_URL=redis://... or amqp://...")


@pytest.fixture(autouse=True)
def _defaults(request):
    """Transactional tests flush the data migrations installed; put the defaults back."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
        from accountability.defaults import install_default_scheme
        from accountability.models import EvaluationScheme
        from pingan.defaults import install_defaults
        from pingan.models import IndexPolicy, Indicator
        from workflows.calendar_seed import install_calendar
        from workflows.models import CalendarDay, CalendarYear

        install_defaults(Indicator, IndexPolicy)
        install_calendar(CalendarYear, CalendarDay)
        install_default_scheme(EvaluationScheme)


@pytest.fixture
def city(db):
    """A small city: district 甲区 with towns 一镇 (100,000) and 二街道 (50,000), district 乙区 with 三镇
    (20,000); manual 2026 baselines crime 1, fire 0.2, traffic 0.4 per 10,000 per day."""
    return make_small_city()


@pytest.fixture(autouse=True)
def _empty_cache():
    """The public index is cached per publication id; a rolled-back test's ids come back in the next one."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()
