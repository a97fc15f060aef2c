#!/usr/bin/env python
"""Benchmark: the hourly deadline sweep over a million open rectification tasks.

Run from the project root:

    .venv/bin/python bench/sweep.py [--quick] [--tasks N] [--small N] [--member-share S] [--profile]

It never touches the developer's data. With DATABASE_URL unset (or pointing at SQLite) it works on a
temporary SQLite file; with DATABASE_URL pointing at PostgreSQL it creates a separate database
`pingan_bench_sweep` on that server, and drops it at the end. Nothing else leaves the run either: var/ is a
temporary folder, mail stays in memory (locmem backend) and the Celery broker is in memory.

The synthetic data set: one city; its towns in districts of 15, each town with its town government and
police station (the units import_regions creates); one open case per town at most (the database allows
one open case per town, so there are at least as many towns as cases: max(2,000, cases)), in stage
"supervise", 20 tasks per case (50,000 cases for 1,000,000 tasks), each case owned by its town's two units;
N open tasks (state "assigned" or "accepted") owned by those units, with working-day deadlines. On the
measured day, Wednesday 2026-11-18 (the migrations seed the calendar for 2020–2026):

* 0.5 % are due tomorrow and not yet reminded                        → reminders;
* 0.5 % fell due within the grace period and have no notice yet      → supervision notices;
* 0.5 % are overdue beyond the grace period, noticed, not yet proposed → accountability proposals;
* 2 % are due today or overdue and already handled by earlier sweeps  → nothing to do;
* the rest are due later this year                                    → nothing to do.

On PostgreSQL the big tables are written with COPY, then vacuumed and analyzed, and a CHECKPOINT flushes
the load's dirty buffers (what autovacuum and the checkpointer soon do); on SQLite they are written with
bulk_create in batches.

One in 20 towns (--member-share) has a member (an auth User with an e-mail address) in each of its two
units, so the sweep writes notifications. The sweep does not send mail: the delivery job does, after it
(measured apart: deliver_pending() really sends the mail, to memory).

What it measures, in one run:

a. The first `deadline_sweep(day)`: wall seconds, SQL queries (an execute wrapper: no cap) with the time
   split by step, and what it made (reminders, notices, proposals; notifications). Then the delivery
   job that follows it (mails sent), timed apart.
b. The same sweep again: it must make nothing (0/0/0).
c. The first sweep on a smaller fresh copy (--small tasks, same shape and shares; the workflow tables are
   emptied and rebuilt between the two), run before the full one, so the query counts of the two sizes
   can be set side by side: they must be equal.

Targets (issue): the sweep over 1,000,000 open tasks in ≤ 2 s, with a constant number of queries.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import io
import math
import os
import pstats
import random
import re
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from harness import (  # bench/ is the script's folder, so on the path
    QueryCounter,
    ThrowawayDatabase,
    database_label,
    machine_label,
    say,
    setup_django,
    table,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL_TASKS = 1_000_000
QUICK_TASKS = 20_000
TASKS_PER_CASE = 20
MIN_TOWNS = 2_000
TOWNS_PER_DISTRICT = 15
MEMBER_SHARE = 0.05  # towns whose two units each have one member
DUE_SHARE = 0.005  # each of: reminders, notices, proposals
HANDLED_SHARE = 0.02  # due today or overdue, already handled by earlier sweeps
SEED = 20261118
BENCH_DATABASE = "pingan_bench_sweep"

DAY = datetime.date(2026, 11, 18)  # a Wednesday, a working day
LAST_CALENDAR_DAY = datetime.date(2026, 12, 31)  # the seeded calendar ends with 2026
OPENED_ON = datetime.date(2026, 9, 1)

FUTURE, REMIND, NOTICE, PROPOSE, HANDLED = range(5)


# --- the throwaway database (as in bench/score_day.py) -----------------------------------------------


# --- writing rows: COPY on PostgreSQL, bulk_create in batches elsewhere -------------------------------


def write_rows(model, fields: list[str], rows, batch: int = 20_000) -> int:
    """Insert rows (tuples in the order of `fields`) into the model's table; returns how many."""
    from django.db import connection

    n = 0
    if connection.vendor == "postgresql":
        from psycopg import sql

        columns = [model._meta.get_field(f).column for f in fields]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n
    names = [model._meta.get_field(f).attname for f in fields]
    chunk = []
    for row in rows:
        chunk.append(model(**dict(zip(names, row, strict=True))))  # FSM fields: set once, in the constructor
        if len(chunk) == batch:
            model.objects.bulk_create(chunk)
            n, chunk = n + len(chunk), []
    if chunk:
        model.objects.bulk_create(chunk)
        n += len(chunk)
    return n


# --- the synthetic data set ---------------------------------------------------------------------------


@dataclass
class Region:
    city_id: int
    towns: int
    districts: int
    units: list[tuple[int, int]]  # per town (in order): (town government id, police station id)
    member_towns: set[int]  # town positions whose units have members
    users: int


def build_region(n_towns: int, member_share: float, rng: random.Random) -> Region:
    """One city, its districts and towns, each town with its government and police station, some members."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from pingan.models import City, District, Town, Unit

    User = get_user_model()
    n_districts = math.ceil(n_towns / TOWNS_PER_DISTRICT)
    with transaction.atomic():
        city = City.objects.create(name="基准市", abbreviation="基")
        District.objects.bulk_create(
            [District(city=city, name=f"第{d:04d}区") for d in range(n_districts)], batch_size=2000
        )
        district_ids = dict(District.objects.filter(city=city).values_list("name", "id"))
        Town.objects.bulk_create(
            [
                Town(
                    district_id=district_ids[f"第{i // TOWNS_PER_DISTRICT:04d}区"],
                    name=f"第{i:05d}镇",
                    code=f"{i:012d}",
                )
                for i in range(n_towns)
            ],
            batch_size=2000,
        )
        towns = list(Town.objects.filter(district__city=city).order_by("code").values_list("id", "district_id", "name"))
        Unit.objects.bulk_create(
            [
                Unit(city=city, district_id=district_id, town_id=town_id, kind=kind, name=f"{name}{suffix}")
                for town_id, district_id, name in towns
                for kind, suffix in ((Unit.Kind.TOWN_GOVERNMENT, "人民政府"), (Unit.Kind.POLICE_STATION, "派出所"))
            ],
            batch_size=2000,
        )
        by_town = {
            (town_id, kind): unit_id
            for unit_id, town_id, kind in Unit.objects.filter(city=city).values_list("id", "town_id", "kind")
        }
        units = [
            (by_town[(town_id, Unit.Kind.TOWN_GOVERNMENT)], by_town[(town_id, Unit.Kind.POLICE_STATION)])
            for town_id, _, _ in towns
        ]
        member_towns = set(rng.sample(range(n_towns), max(1, round(n_towns * member_share))))
        member_units = [unit_id for t in sorted(member_towns) for unit_id in units[t]]
        User.objects.bulk_create(
            [
                User(username=f"bench{n:06d}", email=f"bench{n:06d}@example.invalid", password="!")
                for n in range(len(member_units))
            ],
            batch_size=2000,
        )
        user_ids = list(
            User.objects.filter(username__startswith="bench").order_by("username").values_list("id", flat=True)
        )
        through = Unit.members.through
        through.objects.bulk_create(
            [through(unit_id=u, user_id=p) for u, p in zip(member_units, user_ids, strict=True)], batch_size=2000
        )
    return Region(city.pk, n_towns, n_districts, units, member_towns, len(user_ids))


@dataclass
class Plan:
    """The deadlines of each kind of task around the measured day."""

    tomorrow: datetime.date  # the reminder window ends here
    cutoff: datetime.date  # accountability is proposed for deadlines before it
    within_grace: list[datetime.date]  # overdue, not yet beyond the grace period
    beyond_grace: list[datetime.date]
    later: list[datetime.date]  # after tomorrow, within the calendar

    @classmethod
    def around(cls, day: datetime.date) -> Plan:
        from workflows.selectors import work_calendar
        from workflows.services.sweep import _grace_days

        calendar = work_calendar()
        tomorrow = calendar.add_working_days(day, 1)
        cutoff = calendar.nth_working_day_back(day, _grace_days() + 1)

        def working(start, end):  # working days in [start, end)
            days = (start + datetime.timedelta(n) for n in range((end - start).days))
            return [d for d in days if calendar.is_working_day(d)]

        return cls(
            tomorrow=tomorrow,
            cutoff=cutoff,
            within_grace=working(cutoff, day),
            beyond_grace=working(cutoff - datetime.timedelta(60), cutoff),
            later=working(tomorrow + datetime.timedelta(1), LAST_CALENDAR_DAY + datetime.timedelta(1)),
        )


@dataclass
class Workload:
    tasks: int
    cases: int
    due: Counter  # per category: how many tasks
    expected_notifications: dict[int, int]  # per category (REMIND, NOTICE): notifications the sweep writes
    seconds: float = 0.0


def build_workload(n_tasks: int, region: Region, plan: Plan, rng: random.Random) -> Workload:
    """Open cases and their tasks, with deadlines spread around the measured day."""
    from django.db import connection, transaction
    from django.utils import timezone

    from workflows.models import Case, CaseOwner, RectificationTask, SweepMark

    start = time.perf_counter()
    n_cases = math.ceil(n_tasks / TASKS_PER_CASE)
    assert n_cases <= region.towns, "one open case per town: not enough towns"
    case_towns = [c * region.towns // n_cases for c in range(n_cases)]
    now = timezone.now()
    with transaction.atomic():
        write_rows(
            Case,
            [
                "town",
                "level",
                "stage",
                "opened_on",
                "escalation_level",
                "enter_accountability",
                "analysis",
                "created_at",
            ],
            (
                (
                    region_town_id,
                    "red" if c % 3 == 0 else "orange",
                    Case.Stage.SUPERVISE,
                    OPENED_ON,
                    1,
                    False,
                    "分析",
                    now,
                )
                for c, region_town_id in enumerate(town_ids(region, case_towns))
            ),
        )
        case_id_of_town = dict(Case.objects.values_list("town_id", "id"))
        case_ids = [case_id_of_town[t] for t in town_ids(region, case_towns)]
        write_rows(
            CaseOwner,
            ["case", "unit", "role", "acknowledged_at"],
            (
                (case_ids[c], region.units[t][k], role, now)
                for c, t in enumerate(case_towns)
                for k, role in enumerate((CaseOwner.Role.TOWN_GOVERNMENT, CaseOwner.Role.POLICE_STATION))
            ),
        )

        # Categories: exact counts, at random positions.
        k = max(1, round(n_tasks * DUE_SHARE))
        handled = round(n_tasks * HANDLED_SHARE)
        special = rng.sample(range(n_tasks), 3 * k + handled)
        category = bytearray(n_tasks)  # FUTURE
        for n, j in enumerate(special):
            category[j] = REMIND if n < k else NOTICE if n < 2 * k else PROPOSE if n < 3 * k else HANDLED
        # Task j belongs to case j % n_cases; its owner alternates between the town's two units. The first task
        # of each due kind goes to a case of a town with members, so that every step writes notifications.
        member_case = next((c for c, t in enumerate(case_towns) if t in region.member_towns), None)
        assert member_case is not None, "no case in a town with members: raise --member-share or the size"
        forced = {special[0]: member_case, special[k]: member_case, special[2 * k]: member_case}

        due = Counter(category)
        notifications = Counter()
        marks = []  # (task's position, step, deadline): what the sweep already did

        def rows():
            for j in range(n_tasks):
                c = forced.get(j, j % n_cases)
                t = case_towns[c]
                owner = region.units[t][(j // n_cases) % 2]
                cat = category[j]
                reminded = noticed = proposed = None
                if cat == FUTURE:
                    deadline = rng.choice(plan.later)
                elif cat == REMIND:
                    deadline = plan.tomorrow
                elif cat == NOTICE:
                    deadline = rng.choice(plan.within_grace)
                    reminded = deadline
                elif cat == PROPOSE:
                    deadline = rng.choice(plan.beyond_grace)
                    reminded = noticed = deadline
                else:  # handled: due today and reminded, or overdue with everything done so far
                    deadline = rng.choice([DAY, *plan.within_grace, *plan.beyond_grace])
                    reminded = deadline
                    noticed = deadline if deadline < DAY else None
                    proposed = deadline if deadline < plan.cutoff else None
                if cat in (REMIND, NOTICE) and t in region.member_towns:
                    notifications[cat] += 1  # one member per unit
                for step, done in ((SweepMark.Step.REMIND, reminded), (SweepMark.Step.NOTICE, noticed),
                                   (SweepMark.Step.PROPOSE, proposed)):  # fmt: skip
                    if done:
                        marks.append((j, step.value, done))
                yield (
                    case_ids[c],
                    owner,
                    RectificationTask.Kind.RECTIFICATION,
                    f"整改任务{j:07d}",
                    "",
                    deadline,
                    RectificationTask.State.ACCEPTED if j % 2 else RectificationTask.State.ASSIGNED,
                    "",
                    "",
                    now,
                )

        written = write_rows(
            RectificationTask,
            [
                "case",
                "owner",
                "kind",
                "title",
                "description",
                "deadline",
                "state",
                "report",
                "return_reason",
                "created_at",
            ],
            rows(),
        )
        assert written == n_tasks
        ids = list(RectificationTask.objects.order_by("id").values_list("id", flat=True))  # in the order written
        write_rows(SweepMark, ["task", "step", "deadline"], ((ids[j], step, done) for j, step, done in marks))
    if connection.vendor == "postgresql":
        # What autovacuum and the checkpointer soon do after a bulk load: statistics for every table (the
        # region's too), visibility map and hint bits of the big ones, and no dirty buffers left for the
        # measured statements to write out.
        with connection.cursor() as cursor:
            for model in (Case, CaseOwner, RectificationTask, SweepMark):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
            cursor.execute("ANALYZE")
            cursor.execute("CHECKPOINT")
    return Workload(n_tasks, n_cases, due, dict(notifications), time.perf_counter() - start)


def town_ids(region: Region, positions: list[int]) -> list[int]:
    from pingan.models import Unit

    ids = getattr(region, "_town_ids", None)
    if ids is None:
        by_unit = dict(Unit.objects.filter(city_id=region.city_id).values_list("id", "town_id"))
        ids = region._town_ids = [by_unit[gov] for gov, _ in region.units]
    return [ids[p] for p in positions]


def empty_workflow_tables() -> None:
    """Remove every case, task and what the sweep made, keeping the region, units and members."""
    from django.core import mail
    from django.db import connection, transaction

    from accountability.models import AccountabilityRecord
    from workflows.models import (
        Case,
        CaseOwner,
        Notice,
        NoticeCounter,
        Notification,
        RectificationTask,
        SweepMark,
        TransitionLog,
    )

    models = [
        SweepMark,
        AccountabilityRecord.tasks.through,
        AccountabilityRecord,
        TransitionLog,
        Notification,
        Notice,
        NoticeCounter,
        RectificationTask,
        CaseOwner,
        Case,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{m._meta.db_table}"' for m in models)
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        else:
            for model in models:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
    mail.outbox = []


# --- the sweep ------------------------------------------------------------------------------------------


STEPS = {
    "_remind": "remind (select due tomorrow, notify, mark)",
    "_overdue_notices": "supervision notices (select overdue, number, notify, mark)",
    "_propose_beyond_grace": "accountability proposals (select, records, log, mark)",
}


@dataclass
class SweepRun:
    seconds: float
    queries: int
    sql_seconds: float
    made: tuple[int, int, int]
    notifications: int
    problems: list[str]
    steps: dict[str, tuple[float, int]] = field(default_factory=dict)  # name → (seconds, queries)
    statements: list[tuple[float, str]] = field(default_factory=list)
    profile: str = ""


def run_sweep(day: datetime.date, profile: bool = False) -> SweepRun:
    from django.db import connection

    from workflows.models import Notification
    from workflows.services import sweep

    counter = QueryCounter()
    steps: dict[str, list] = {name: [0.0, 0] for name in STEPS}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start, queries = time.perf_counter(), counter.count
            try:
                return function(*args, **kwargs)
            finally:
                steps[name][0] += time.perf_counter() - start
                steps[name][1] += counter.count - queries

        return wrapper

    notifications_before = Notification.objects.count()
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    with ExitStack() as stack:
        for name in STEPS:
            stack.enter_context(mock.patch.object(sweep, name, timed(name, getattr(sweep, name))))
        stack.enter_context(connection.execute_wrapper(counter))
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        report = sweep.deadline_sweep(day)
        seconds = time.perf_counter() - start
        if profiler:
            profiler.disable()
    text = ""
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        text = out.getvalue()
    return SweepRun(
        seconds=seconds,
        queries=counter.count,
        sql_seconds=counter.seconds,
        made=(report.reminded, report.overdue_notices, report.accountability_proposals),
        notifications=Notification.objects.count() - notifications_before,
        problems=report.problems,
        steps={name: (s, q) for name, (s, q) in steps.items()},
        statements=counter.statements,
        profile=text,
    )


@dataclass
class Delivery:
    seconds: float
    mails: int
    queries: int

    def line(self) -> str:
        return f"{self.seconds:.2f} ({self.mails:,} mails, {self.queries} q)"


def run_delivery() -> Delivery:
    """The delivery job that the sweep's commits ask for: sends the pending notifications' mail."""
    from django.core import mail
    from django.db import connection

    from workflows.services.notifications import deliver_pending

    counter = QueryCounter()
    before = len(getattr(mail, "outbox", []))
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        deliver_pending()
        seconds = time.perf_counter() - start
    return Delivery(seconds, len(getattr(mail, "outbox", [])) - before, counter.count)


def check_first(run: SweepRun, work: Workload) -> None:
    expected = (work.due[REMIND], work.due[NOTICE], work.due[PROPOSE])
    assert run.made == expected, f"the sweep made {run.made}, expected {expected}"
    notifications = work.expected_notifications.get(REMIND, 0) + work.expected_notifications.get(NOTICE, 0)
    assert run.notifications == notifications, f"{run.notifications} notifications, expected {notifications}"
    assert not run.problems, run.problems


# --- reporting ---------------------------------------------------------------------------------------------


def step_rows(run: SweepRun) -> list[tuple[str, str]]:
    rows = [(f"  {label}", f"{run.steps[name][0]:.2f} ({run.steps[name][1]} q)") for name, label in STEPS.items()]
    rest_s = run.seconds - sum(s for s, _ in run.steps.values())
    rest_q = run.queries - sum(q for _, q in run.steps.values())
    rows.append(("  rest (calendar, grace policy)", f"{rest_s:.2f} ({rest_q} q)"))
    return rows + [("  (time inside cursor.execute)", f"{run.sql_seconds:.2f}")]


def made(run: SweepRun) -> str:
    return " / ".join(f"{n:,}" for n in run.made)


def slowest(run: SweepRun, top: int = 6) -> list[str]:
    lines = []
    for seconds, sql in sorted(run.statements, key=lambda s: -s[0])[:top]:
        text = re.sub(r"\s+", " ", sql)
        lines.append(f"  {seconds:6.3f} s  {text[:150]}{'…' if len(text) > 150 else ''}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tasks", type=int, default=FULL_TASKS, help=f"open tasks (default {FULL_TASKS:,})")
    size.add_argument("--quick", action="store_const", dest="tasks", const=QUICK_TASKS, help=f"{QUICK_TASKS:,} tasks")
    parser.add_argument(
        "--small", type=int, help="tasks of the smaller fresh copy (default tasks / 50, at least 2,000)"
    )
    parser.add_argument(
        "--member-share", type=float, default=MEMBER_SHARE, help=f"share of towns with members (default {MEMBER_SHARE})"
    )
    parser.add_argument("--profile", action="store_true", help="run the full-size first sweep under cProfile")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    small = args.small or max(2_000, args.tasks // 50)
    if args.tasks < 1 or not 0 < small < args.tasks or not 0 < args.member_share <= 1:
        parser.error("need 0 < --small < --tasks and 0 < --member-share <= 1")

    with ThrowawayDatabase(BENCH_DATABASE) as database:
        setup_django(database.folder)
        label = database_label()
        say(f"{label}: fresh database ready ({BENCH_DATABASE if database.created else 'temporary file'})")
        rng = random.Random(args.seed)
        n_cases = math.ceil(args.tasks / TASKS_PER_CASE)
        start = time.perf_counter()
        region = build_region(max(MIN_TOWNS, n_cases), args.member_share, rng)
        say(
            f"built {region.towns:,} towns in {region.districts:,} districts, {2 * region.towns:,} units, "
            f"{region.users:,} members, in {time.perf_counter() - start:.1f} s"
        )
        plan = Plan.around(DAY)
        say(
            f"{DAY}: reminders for deadlines up to {plan.tomorrow}, notices for deadlines before {DAY}, "
            f"proposals for deadlines before {plan.cutoff}"
        )

        # c. The smaller fresh copy first (it also warms the broker connection and Django's caches, as the
        # hourly job's process is warm).
        work_small = build_workload(small, region, plan, rng)
        say(f"small copy: {small:,} tasks in {work_small.cases:,} cases, built in {work_small.seconds:.1f} s")
        first_small = run_sweep(DAY)
        check_first(first_small, work_small)
        small_line = f"{first_small.seconds:.2f} s, {first_small.queries} queries, made {made(first_small)}"
        say(f"small copy first sweep: {small_line}")
        empty_workflow_tables()

        work = build_workload(args.tasks, region, plan, rng)
        say(f"full copy: {args.tasks:,} tasks in {work.cases:,} cases, built in {work.seconds:.1f} s")
        load = os.getloadavg()
        first = run_sweep(DAY, profile=args.profile)
        check_first(first, work)
        say(f"first sweep: {first.seconds:.2f} s, {first.queries} queries, made {made(first)}")
        delivered = run_delivery()
        assert delivered.mails == first.notifications, (
            f"{delivered.mails} mails for {first.notifications} notifications"
        )
        say(f"then the delivery job: {delivered.line()}")
        again = run_sweep(DAY)
        assert again.made == (0, 0, 0) and again.notifications == 0, again
        say(f"re-run: {again.seconds:.2f} s, {again.queries} queries, made {made(again)}")

        under = " (under cProfile)" if args.profile else ""
        rows = [
            ("open tasks (cases; towns)", f"{args.tasks:,} ({work.cases:,}; {region.towns:,})"),
            ("units with a member", f"{region.users:,} of {2 * region.towns:,}"),
            ("database", label),
            ("machine", machine_label()),
            ("load average (1, 5 min) before the first sweep", f"{load[0]:.2f}, {load[1]:.2f}"),
            ("build: seconds (cases, owners, tasks)", f"{work.seconds:.1f}"),
            (f"first sweep: seconds{under}", f"{first.seconds:.2f}"),
            *step_rows(first),
            ("first sweep: queries", f"{first.queries:,}"),
            ("first sweep: reminders / notices / proposals", made(first)),
            ("first sweep: notifications written", f"{first.notifications:,}"),
            ("then the delivery job: seconds (mails sent, queries)", delivered.line()),
            ("re-run: seconds", f"{again.seconds:.2f}"),
            *step_rows(again),
            ("re-run: queries", f"{again.queries:,}"),
            ("re-run: reminders / notices / proposals", made(again)),
        ]
        print()
        print(table(rows))
        print()
        sizes = [
            ("seconds", f"{first_small.seconds:.2f}", f"{first.seconds:.2f}"),
            ("queries", f"{first_small.queries:,}", f"{first.queries:,}"),
            *(
                (f"  {label.split(' (')[0]}", f"{first_small.steps[name][1]}", f"{first.steps[name][1]}")
                for name, label in STEPS.items()
            ),
            ("reminders / notices / proposals", made(first_small), made(first)),
            ("notifications", f"{first_small.notifications:,}", f"{first.notifications:,}"),
        ]
        print(table(sizes, ("first sweep on a fresh copy", f"{small:,} tasks", f"{args.tasks:,} tasks")))
        print()
        print("Slowest statements of the first sweep:")
        print("\n".join(slowest(first)))
        if first.profile:
            print()
            print(first.profile)
        print()
        print(
            "The delivery job (deliver_pending) reads and marks notifications 1,000 at a time: its queries grow by 2 "
            f"per 1,000 pending notifications (this run: {first.notifications:,})."
        )
        if not database.created:
            print(
                "On SQLite Django splits bulk_create into batches of at most 999 parameters (90 notices or 99 "
                "transition-log rows a statement), so the query count there grows with the rows the sweep writes."
            )

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        constant = first_small.queries == first.queries
        print()
        print(
            f"Target ≤ 2 s for {args.tasks:,} open tasks on {label}: {verdict(first.seconds <= 2)} "
            f"({first.seconds:.2f} s{under}; re-run {again.seconds:.2f} s)."
            + ("" if database.created else " The target is set for PostgreSQL.")
        )
        print(
            f"Target constant number of queries: {verdict(constant)} "
            f"({first_small.queries} at {small:,} tasks, {first.queries} at {args.tasks:,}; re-run {again.queries})."
        )
    say("throwaway database removed")


if __name__ == "__main__":
    main()
