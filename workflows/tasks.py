"""Celery tasks of the workflow: thin and idempotent, each calls one service."""

from __future__ import annotations

import datetime

from celery import shared_task

from pingan.models import City
from pingan.resilience import JOB_RETRY_ON_OUTAGE

from .services.intake import open_cases_for_day
from .services.notifications import deliver_pending
from .services.sweep import deadline_sweep, morning_digest


@shared_task(name="workflows.tasks.open_cases", acks_late=True, **JOB_RETRY_ON_OUTAGE)
def open_cases(city_id: int, day: str) -> int:
    """Open or escalate the cases of a published city-day (after the morning publication)."""
    return open_cases_for_day(City.objects.get(pk=city_id), datetime.date.fromisoformat(day))


@shared_task(name="workflows.tasks.deadline_sweep", **JOB_RETRY_ON_OUTAGE)
def deadline_sweep_task() -> dict:
    report = deadline_sweep()
    return {
        "reminded": report.reminded,
        "overdue_notices": report.overdue_notices,
        "accountability_proposals": report.accountability_proposals,
        "problems": report.problems,
    }


@shared_task(name="workflows.tasks.morning_digest", **JOB_RETRY_ON_OUTAGE)
def morning_digest_task(day: str | None = None) -> int:
    return morning_digest(datetime.date.fromisoformat(day) if day else None)


@shared_task(name="workflows.tasks.deliver_notifications", **JOB_RETRY_ON_OUTAGE)
def deliver_notifications() -> int:
    return deliver_pending()
