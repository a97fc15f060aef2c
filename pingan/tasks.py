"""Celery tasks of the index domain: thin, idempotent, each calls one service."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from .resilience import JOB_RETRY_ON_OUTAGE
from .services.publication import publish_day

logger = logging.getLogger(__name__)


@shared_task(name="pingan.tasks.publish_day", **JOB_RETRY_ON_OUTAGE)
def publish_day_task(day: str) -> dict:
    """Compute and publish one day (ISO date) for every city, then have each city's cases opened by
    a follow-up job; safe to run twice."""
    from workflows.tasks import open_cases

    report = publish_day(datetime.date.fromisoformat(day), open_cases=False)
    for outcome in report.published:
        open_cases.delay(outcome.city.id, day)
    for city, problems in report.problems.items():
        for problem in problems:
            logger.error("index of %s for %s not published: %s", day, city, problem)
    return {
        "day": day,
        "published": {o.city.name: o.publication.revision if o.publication else None for o in report.published},
        "problems": report.problems,
    }


@shared_task(name="pingan.tasks.publish_yesterday", **JOB_RETRY_ON_OUTAGE)
def publish_yesterday() -> dict:
    """The morning job: publish yesterday (Asia/Shanghai)."""
    return publish_day_task((timezone.localdate() - datetime.timedelta(days=1)).isoformat())
