"""Publishing many days at once (a backfill of history) with several processes side by side.

Each day is published by `publish_day` exactly as alone (idempotent, one transaction a city-day), so
days are independent: they are dealt in turn to `workers` forked processes, each with its own
database connection. The cities' towns and populations are read once for the whole run (a town or
population record added meanwhile is seen by the next run). On two cores, two processes publish
about twice the rows per second of one (bench/backfill.py): one scores in Python while the other's
rows go into the database.
"""

from __future__ import annotations

import datetime
import multiprocessing
from collections.abc import Iterator

from django.db import connections

from ..models import City
from .publication import DayReport, Region, publish_day


def days_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def publish_days(
    days: list[datetime.date],
    *,
    workers: int = 1,
    cities: list[City] | None = None,
    open_cases: bool = True,
) -> Iterator[DayReport]:
    """Publish each day; yields each day's report as it is done (in day order with one worker).

    With several workers the case intake is off whatever `open_cases` says: opening and escalating
    cases depends on the days before, so it must run in day order (publish again with one worker).
    """
    cities = list(cities) if cities is not None else list(City.objects.all())
    region = Region.read(cities)
    if workers <= 1 or len(days) <= 1:
        for day in days:
            yield publish_day(day, cities=cities, open_cases=open_cases, region=region)
        return
    connections.close_all()  # a forked process must open its own connection, not share this one
    context = multiprocessing.get_context("fork")
    reports = context.Queue()
    processes = [
        context.Process(target=_work, args=(days[i::workers], cities, region, reports), daemon=True)
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        for _ in days:
            report = reports.get()
            if isinstance(report, BaseException):
                raise report
            yield report
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def _work(days: list[datetime.date], cities, region, reports) -> None:
    try:
        for day in days:
            reports.put(publish_day(day, cities=cities, open_cases=False, region=region))
    except BaseException as exc:  # the parent re-raises it
        reports.put(RuntimeError(f"publishing failed in a worker process: {exc!r}"))
    finally:
        connections.close_all()
