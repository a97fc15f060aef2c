"""Celery tasks of accountability: thin and idempotent."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from pingan.resilience import JOB_RETRY_ON_OUTAGE

from .evaluation_rules import Period
from .services.evaluations import compute_evaluations

logger = logging.getLogger(__name__)


@shared_task(name="accountability.tasks.evaluate_ended_periods", **JOB_RETRY_ON_OUTAGE)
def evaluate_ended_periods(day: str | None = None) -> dict:
    """After a month (quarter, year) ends, draft and compute its evaluations; safe to run twice."""
    today = datetime.date.fromisoformat(day) if day else timezone.localdate()
    done = {}
    for period in Period.ended_before(today):
        reports = compute_evaluations(period)
        for report in reports:
            for refusal in report.refused:
                logger.warning("evaluation %s left as it is: %s", period.label, refusal)
        done[period.label] = sum(r.created + r.updated for r in reports)
    return done
