#!/usr/bin/env python
"""Benchmark: backfill a year of the index for 41,600 towns, in rows per second.

Run from the project root:

    .venv/bin/python bench/backfill.py [--quick] [--towns N] [--days N] [--workers N]

It never touches the developer's data: with DATABASE_URL unset it works on a temporary SQLite file;
with DATABASE_URL pointing at PostgreSQL it creates the database `pingan_bench_backfill` there and drops
it at the end.

The data set is bench/score_day.py's (41,600 towns in districts of 15, log-normal populations, Poisson
counts for crime, fire and traffic, manual baselines): its first week is generated, and the counts and
submissions of the following weeks repeat it, written by SQL. Then every day from 1 January is
published with the engine (`publish_day(day, open_cases=False)`: a backfill of history computes the
index; opening cases is the daily job's follow-up, not part of a backfill), first one day at a time in
this process, then the remaining days by --workers processes side by side (each a day at a time, days
dealt in turn): the product's backfill, `compute_index --from … --to … --workers N`
(pingan/services/backfill.py).

It prints rows written per second (the rows are the town and district index rows), seconds per day,
and the queries of each day (constant: the same for every day), and checks that every day was
published once with one row per town and district.

Target (issue 7): ≥ 50,000 rows/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import QueryCounter, ThrowawayDatabase, database_label, machine_label, say, setup_django, table  # noqa: E402
from score_day import SEED, YEAR, build_dataset  # noqa: E402

BENCH_DATABASE = "pingan_bench_backfill"
FULL_TOWNS, QUICK_TOWNS = 41_600, 2_000
FULL_DAYS, QUICK_DAYS = 365, 14
WEEK = 7
FIRST_DAY = datetime.date(YEAR, 1, 1)


def repeat_weeks(days: int) -> int:
    """Copy the first week's counts and submissions over the following days (SQL); returns the count rows."""
    from django.db import connection, transaction

    from pingan.models import DailyCount, Submission

    last = FIRST_DAY + datetime.timedelta(days=days - 1)
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns in (
            (DailyCount, "town_id, indicator_id, count, deaths"),
            (Submission, "city_id, indicator_id, source, submitted_at"),
        ):
            table_name = model._meta.db_table
            for week in range(1, (days + WEEK - 1) // WEEK):
                if connection.vendor == "postgresql":
                    shifted = f"date + {week * WEEK}"
                else:
                    shifted = f"date(date, '+{week * WEEK} days')"
                cursor.execute(
                    f"INSERT INTO {table_name} (date, {columns}) "
                    f"SELECT {shifted}, {columns} FROM {table_name} WHERE date < %s AND {shifted} <= %s",
                    [FIRST_DAY + datetime.timedelta(days=WEEK), last],
                )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return DailyCount.objects.count()


def publish(days: list[datetime.date]) -> list[tuple[datetime.date, float, int, int]]:
    """Publish each day in turn; (day, seconds, queries, rows written) per day."""
    from django.db import connection

    from pingan.services.publication import publish_day

    results = []
    for day in days:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            report = publish_day(day, open_cases=False)
            seconds = time.perf_counter() - start
        report.raise_for_problems()
        results.append((day, seconds, counter.count, sum(c.rows_written for c in report.published)))
    return results


def publish_in_parallel(days: list[datetime.date], workers: int) -> int:
    """The product's backfill (`compute_index --workers N`): days dealt to `workers` processes; rows written."""
    from pingan.services.backfill import publish_days

    rows = 0
    for report in publish_days(days, workers=workers, open_cases=False):
        report.raise_for_problems()
        rows += sum(c.rows_written for c in report.published)
    return rows


def check(days: list[datetime.date], towns: int, districts: int) -> None:
    from django.db.models import Count

    from pingan.models import DailyIndex, Publication

    per_day = dict(
        DailyIndex.objects.filter(date__in=days).values_list("date").annotate(n=Count("id")).values_list("date", "n")
    )
    wrong = {d: per_day.get(d, 0) for d in days if per_day.get(d, 0) != towns + districts}
    assert not wrong, f"days without exactly one row per town and district: {sorted(wrong.items())[:5]}"
    publications = Publication.objects.filter(date__in=days).count()
    assert publications == len(days), f"{publications} publications for {len(days)} days"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TOWNS:,} towns, {QUICK_DAYS} days")
    parser.add_argument("--towns", type=int, help=f"default {FULL_TOWNS:,}")
    parser.add_argument("--days", type=int, help=f"days from {FIRST_DAY} (default {FULL_DAYS})")
    parser.add_argument(
        "--workers",
        type=int,
        default=(os.cpu_count() or 2) + 1,
        help="processes side by side (default: CPUs + 1, as a process waiting on the database leaves its core)",
    )
    args = parser.parse_args()
    towns = args.towns or (QUICK_TOWNS if args.quick else FULL_TOWNS)
    n_days = args.days or (QUICK_DAYS if args.quick else FULL_DAYS)
    if n_days < 2 * WEEK or n_days > 365 or args.workers < 1:
        parser.error(f"--days must be between {2 * WEEK} and 365, --workers at least 1")
    days = [FIRST_DAY + datetime.timedelta(days=i) for i in range(n_days)]
    serial_days = days[: max(WEEK, n_days // 8)]
    parallel_days = days[len(serial_days) :]

    with ThrowawayDatabase(BENCH_DATABASE) as database:
        setup_django(database.folder)
        label = database_label()
        say(f"{label}: fresh database ready ({BENCH_DATABASE if database.created else 'temporary file'})")
        start = time.perf_counter()
        data = build_dataset(towns, days[:WEEK], SEED)
        count_rows = repeat_weeks(n_days)
        say(
            f"built {towns:,} towns in {data.districts:,} districts and {count_rows:,} count rows for "
            f"{n_days} days in {time.perf_counter() - start:.1f} s"
        )

        start = time.perf_counter()
        serial = publish(serial_days)
        serial_seconds = time.perf_counter() - start
        serial_rows = sum(r[3] for r in serial)
        say(f"one process: {len(serial_days)} days, {serial_rows:,} rows in {serial_seconds:.1f} s")

        say(f"{args.workers} processes: {len(parallel_days)} days …")
        start = time.perf_counter()
        parallel_rows = publish_in_parallel(parallel_days, args.workers)
        parallel_seconds = time.perf_counter() - start
        say(f"{args.workers} processes: {len(parallel_days)} days, {parallel_rows:,} rows in {parallel_seconds:.1f} s")

        check(days, towns, data.districts)
        rows_per_day = towns + data.districts
        queries = sorted({r[2] for r in serial})
        load = os.getloadavg()
        serial_rate = serial_rows / serial_seconds
        parallel_rate = parallel_rows / parallel_seconds
        rows = [
            ("towns (districts)", f"{towns:,} ({data.districts:,})"),
            ("days backfilled (index rows a day)", f"{n_days} ({rows_per_day:,})"),
            ("database", label),
            ("machine", machine_label()),
            ("load average (1, 5 min) at the end", f"{load[0]:.2f}, {load[1]:.2f}"),
            ("one process: days, rows", f"{len(serial_days)}, {serial_rows:,}"),
            ("  seconds per day (median, max)", _median_max(serial)),
            ("  rows per second", f"{serial_rate:,.0f}"),
            (f"{args.workers} processes: days, rows", f"{len(parallel_days)}, {parallel_rows:,}"),
            ("  seconds per day (wall, whole run / days)", f"{parallel_seconds / len(parallel_days):.2f}"),
            ("  rows per second", f"{parallel_rate:,.0f}"),
            (
                "whole backfill: rows, seconds",
                f"{serial_rows + parallel_rows:,}, {serial_seconds + parallel_seconds:.1f}",
            ),
            ("queries per day (each day of one process)", ", ".join(str(q) for q in queries)),
            (
                f"a year ({365 * rows_per_day:,} rows) at the {args.workers}-process rate",
                f"{365 * rows_per_day / parallel_rate / 60:.1f} min",
            ),
        ]
        print()
        print(table(rows))
        print()
        best = max(serial_rate, parallel_rate)
        verdict = "met" if best >= 50_000 else "NOT met"
        print(
            f"Target ≥ 50,000 rows/s on {label}: {verdict} ({best:,.0f} rows/s; one process {serial_rate:,.0f})."
            + ("" if database.created else " The target is set for PostgreSQL.")
        )
        print(f"Constant queries per day: {'yes' if len(queries) == 1 else 'no'} ({', '.join(map(str, queries))}).")
    say("throwaway database removed")


def _median_max(results) -> str:
    seconds = [r[1] for r in results]
    return f"{statistics.median(seconds):.2f}, {max(seconds):.2f}"


if __name__ == "__main__":
    main()
