#!/usr/bin/env python
"""Fault drill: a Celery worker SIGKILLed in the middle of a day's computation.

Run from the project root, with PostgreSQL and Redis on this machine:

    .venv/bin/python bench/faults/worker_kill.py [--rounds 20] [--towns 20000] [--quick]

What it does: creates a database `pingan_bench_faults` (dropped at the end) with one city of
--towns towns (bench/score_day.py's synthetic data set) and the same counts on 1 + --rounds days
two days apart (so no red streak links them and each day's cases are the same towns' case days).
It starts a real worker (`celery worker`, prefork, Redis at 127.0.0.1:6379/13, its own key prefix)
and has it publish the first day undisturbed: the reference. Then, each round, it sends the
publication job of the next day, waits until the worker has received it and its database
session is at work, waits a random part of the reference's duration, and SIGKILLs the worker's
whole process group (the main process and its pool). It checks that the day was not yet published
at that moment (the kill was mid-computation), starts a new worker and waits for the day.

What it checks, each round: the day is published exactly once (one publication, one current row
per town and district, revision 1) and identically: every stored row (scope, town, district,
population, score, level, items) equals the reference day's, and so does the publication's
digest; its red and orange towns have exactly one case day each, on the same cases as the
reference (no new case, no second 'open' log row); nothing is left in the queue or unacknowledged.
At the end: totals over all days. Exits 1 on any failure, after cleaning up.

Redis gives an unacknowledged message back only after the visibility timeout (kombu's default: one
hour). The drill sets it to --visibility-timeout seconds (5) so that the killed job comes back while
it waits; see bench/faults/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT / "bench"), str(ROOT)]

from _drill import DrillFailed, broker_backlog, celery_worker, check, clear_broker, wait_for  # noqa: E402
from harness import ThrowawayDatabase, say, setup_django  # noqa: E402

DATABASE = "pingan_bench_faults"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
FIRST_DAY = datetime.date(2025, 3, 3)
SEED = 20250303


def copy_day(source: datetime.date, days: list[datetime.date]) -> None:
    """Give each day the same counts and submissions as `source`."""
    from django.db import connection
    from django.utils import timezone

    from pingan.models import DailyCount, Submission

    table = DailyCount._meta.db_table
    with connection.cursor() as cursor:
        for day in days:
            cursor.execute(
                f"INSERT INTO {table} (town_id, date, indicator_id, count, deaths) "
                f"SELECT town_id, %s, indicator_id, count, deaths FROM {table} WHERE date = %s",
                [day, source],
            )
    Submission.objects.bulk_create(
        Submission(
            city_id=s.city_id, date=day, indicator_id=s.indicator_id, source="faults", submitted_at=timezone.now()
        )
        for s in Submission.objects.filter(date=source)
        for day in days
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def rows_digest(day: datetime.date) -> tuple[str, int]:
    """A fingerprint of the day's stored current rows, without their date and ids of their own."""
    from pingan.models import DailyIndex

    rows = sorted(
        (scope, district_id, town_id or 0, population, str(score), level, json.dumps(items, sort_keys=True))
        for scope, district_id, town_id, population, score, level, items in DailyIndex.objects.filter(
            date=day, is_current=True
        ).values_list("scope", "district_id", "town_id", "population", "score", "level", "items")
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest(), len(rows)


def day_state(day: datetime.date) -> dict:
    from pingan.models import DailyIndex, Publication
    from workflows.models import CaseDay

    return {
        "publications": list(Publication.objects.filter(date=day).values_list("revision", "digest")),
        "rows": DailyIndex.objects.filter(date=day).count(),
        "revisions": sorted(set(DailyIndex.objects.filter(date=day).values_list("revision", flat=True))),
        "case days": dict(CaseDay.objects.filter(date=day).values_list("town_id", "case_id")),
    }


def totals() -> dict:
    from pingan.models import DailyIndex, Publication
    from workflows.models import Case, CaseDay, Notice, Notification, TransitionLog

    return {
        "publications": Publication.objects.count(),
        "index rows": DailyIndex.objects.count(),
        "cases": Case.objects.count(),
        "case days": CaseDay.objects.count(),
        "log rows": TransitionLog.objects.count(),
        "notices": Notice.objects.count(),
        "notifications": Notification.objects.count(),
    }


def worker_session(database: str) -> str | None:
    """The state of the worker's database session, if one is busy: 'active' or 'idle in transaction'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND state IN ('active', 'idle in transaction') LIMIT 1",
            [database],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def publish_and_wait(app, day: datetime.date, worker, timeout: float) -> tuple[float, str]:
    """Send the publication job of `day`; returns when (monotonic) the worker logged receiving it, and its id."""
    from pingan.tasks import publish_day_task

    result = publish_day_task.apply_async(args=[day.isoformat()])
    wait_for(f"the worker to receive the job of {day}", lambda: result.id in worker.text(), timeout, 0.005)
    return time.monotonic(), result.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--towns", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5,000 towns")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's pool processes")
    parser.add_argument("--visibility-timeout", type=float, default=5.0)
    parser.add_argument("--broker", default=os.environ.get("FAULTS_BROKER_URL", DEFAULT_BROKER))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.towns = min(args.rounds, 3), min(args.towns, 5_000)
    if not args.broker.startswith("redis://127.0.0.1"):
        raise SystemExit("the drill talks to a Redis broker on 127.0.0.1 only")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://postgres@127.0.0.1", "postgresql://postgres@127.0.0.1")):
        raise SystemExit(
            "the drill needs PostgreSQL on 127.0.0.1 (DATABASE_URL=postgres://postgres@127.0.0.1:5432/...)"
        )
    os.environ["FAULTS_VISIBILITY_TIMEOUT"] = str(args.visibility_timeout)
    rng = random.Random(args.seed)
    failures: list[str] = []
    # the reference, a day to time the job in the steady state (cases already open), then the rounds
    # (a kill that comes after the day's commit hits the case intake instead; it is checked the same way,
    # but does not count as a round, and a spare day is used: up to twice as many days as rounds)
    days = [FIRST_DAY + datetime.timedelta(days=2 * i) for i in range(2 * args.rounds + 2)]

    with ThrowawayDatabase(DATABASE) as db:
        setup_django(db.folder)
        # setup_django keeps the broker in memory; the worker and this process share Redis instead.
        os.environ["CELERY_BROKER_URL"] = args.broker
        from _worker_app import app

        app.conf.broker_url = args.broker
        app.conf.task_always_eager = False
        from score_day import build_dataset  # the national-scale benchmark's synthetic city

        say(f"database {DATABASE}: building {args.towns:,} towns, counts for {len(days)} days (identical)")
        build_dataset(args.towns, [FIRST_DAY], args.seed)
        copy_day(FIRST_DAY, days[1:])
        app.control.purge()
        worker = celery_worker(db.folder, args.concurrency).watch()
        try:
            worker.start()
            say(f"worker started (pid {worker.pid}, prefork × {args.concurrency}, broker {args.broker})")
            began = time.monotonic()
            publish_and_wait(app, FIRST_DAY, worker, 60)
            wait_for("the reference day and its cases", lambda: _settled(app, FIRST_DAY, None), 600, 0.05)
            reference_seconds = time.monotonic() - began
            reference = day_state(FIRST_DAY)
            reference_rows = rows_digest(FIRST_DAY)
            reference_cases = dict(reference["case days"])
            check(len(reference["publications"]) == 1, f"reference: {reference['publications']}")
            received, _ = publish_and_wait(app, days[1], worker, 60)
            wait_for("the timed publication", lambda: day_state(days[1])["publications"], 600, 0.005)
            publish_seconds = time.monotonic() - received
            wait_for("the timed day's cases", lambda: _settled(app, days[1], len(reference_cases)), 600, 0.05)
            check(rows_digest(days[1]) == reference_rows, "an undisturbed day differs from the reference")
            say(
                f"reference {FIRST_DAY}: {reference_rows[1]:,} rows, {len(reference_cases)} red/orange towns "
                f"with a case; published and cases opened in {reference_seconds:.2f} s. Undisturbed {days[1]}: "
                f"published {publish_seconds:.2f} s after the worker received the job"
            )
            before = totals()
            kills, late = [], 0
            for n, day in enumerate(days[2:], start=1):
                if len(kills) == args.rounds:
                    break
                delay = rng.uniform(0.05, 0.7) * publish_seconds
                received, job = publish_and_wait(app, day, worker, 60)
                time.sleep(max(0.0, received + delay - time.monotonic()))
                at_kill = worker_session(DATABASE)
                published_before_kill = bool(day_state(day)["publications"])
                worker.kill()
                killed = time.monotonic()
                published_at_kill = day_state(day)["publications"]
                mid = not published_before_kill and not published_at_kill
                worker.start()
                wait_for(f"{day} after the restart", lambda d=day: _settled(app, d, len(reference_cases)), 300, 0.05)
                recovered = time.monotonic() - killed
                state = day_state(day)
                problems = []
                deliveries = worker.text().count(f"publish_day[{job}] received")
                if mid and deliveries < 2:
                    problems.append(f"the job was received {deliveries} time(s), not again after the restart")
                if len(state["publications"]) != 1 or state["publications"][0][0] != 1:
                    problems.append(f"publications {state['publications']}")
                elif state["publications"][0][1] != reference["publications"][0][1]:
                    problems.append("publication digest differs from the reference")
                if state["rows"] != reference["rows"] or state["revisions"] != [1]:
                    problems.append(f"{state['rows']} rows, revisions {state['revisions']}")
                if rows_digest(day) != reference_rows:
                    problems.append("stored rows differ from the reference")
                if state["case days"] != reference_cases:
                    problems.append(f"case days {len(state['case days'])} ≠ {len(reference_cases)} or on other cases")
                expected = {
                    **before,
                    "publications": before["publications"] + n,
                    "index rows": before["index rows"] + n * reference["rows"],
                    "case days": before["case days"] + n * len(reference_cases),
                }
                now = totals()
                if now != expected:
                    problems.append(f"totals {now} ≠ expected {expected}")
                if mid:
                    kills.append((delay, recovered))
                    what = f"round {len(kills)}/{args.rounds} {day}: killed {delay:.2f} s into the job, unpublished"
                    after = f"the job received again, the day in {recovered:.1f} s after the kill: "
                else:
                    late += 1
                    what = f"late kill {day}: {delay:.2f} s in, the day already committed (the case intake was running)"
                    after = f"settled {recovered:.1f} s after the kill: "
                say(
                    f"{what} (worker's database session {at_kill!r}); {after}"
                    + ("published once, identical, nothing duplicated" if not problems else "; ".join(problems))
                )
                failures += [f"{day}: {p}" for p in problems]
            if len(kills) < args.rounds:
                failures.append(f"only {len(kills)} of {args.rounds} kills came mid-computation ({late} late)")
            say(f"totals at the end: {totals()}")
            if kills:
                recoveries = sorted(r for _, r in kills)
                say(
                    f"{len(kills)} kills mid-computation ({late} late kills besides); day done after the kill: median {recoveries[len(recoveries) // 2]:.1f} s, "
                    f"max {recoveries[-1]:.1f} s (visibility timeout {args.visibility_timeout:g} s + worker start)"
                )
        except DrillFailed as exc:
            failures.append(str(exc))
        finally:
            worker.stop()
            clear_broker(app)
    if failures:
        say("FAILED:\n  " + "\n  ".join(failures))
        return 1
    say(f"passed: {args.rounds} kills mid-computation, every day computed once and identically")
    return 0


def _settled(app, day: datetime.date, case_days: int | None) -> bool:
    """Published, its cases taken in (when known), and no job waiting or unacknowledged."""
    from pingan.models import Publication
    from workflows.models import CaseDay

    if not Publication.objects.filter(date=day).exists():
        return False
    if case_days is not None and CaseDay.objects.filter(date=day).count() < case_days:
        return False
    return broker_backlog(app) == {"queued": 0, "unacknowledged": 0}


if __name__ == "__main__":
    sys.exit(main())
