"""The hourly deadline sweep and the morning digest: set-based, idempotent, safe side by side.

Each step marks the tasks it has not yet handled for their current deadline (SweepMark) and writes
in bulk what it does for them, in one transaction, so a second run finds nothing to do; a second
sweep running at the same time waits for the first's marks and takes none of its tasks. On
PostgreSQL the number of queries does not grow with the number of tasks.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.bulk import insert_rows
from pingan.models import City, IndexPolicy, Unit

from ..models import Case, CaseOwner, Notice, Notification, RectificationTask, SweepMark, TransitionLog
from ..selectors import work_calendar
from ..working_days import UnknownCalendarYear
from .notices import reserve_numbers
from .notifications import enqueue_delivery

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    reminded: int = 0
    overdue_notices: int = 0
    accountability_proposals: int = 0
    problems: list[str] = field(default_factory=list)


def _owed():
    return RectificationTask.objects.filter(state__in=RectificationTask.OWED_STATES, case__stage__in=Case.OPEN_STAGES)


def _members_by_unit(unit_ids) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in Unit.members.through.objects.filter(unit__id__any_of=set(unit_ids)).values_list(
        "unit_id", "user_id"
    ):
        members[unit_id].append(user_id)
    return members


CLAIMED = ("id", "case_id", "owner_id", "title", "deadline")
SQLITE_IDS = 900  # tasks read back per statement on SQLite, which limits a statement's parameters


def _claim(due, step: str) -> list[dict]:
    """Mark the due tasks that `step` has not handled for their current deadline, and return them.

    One statement marks them: it inserts a SweepMark for each due task without one, in the order of
    the tasks, and skips a mark that exists (ON CONFLICT DO NOTHING). A sweep running at the same time
    that marked a task first makes this one wait for its commit and then skip the task: only the tasks
    marked here are returned. The caller's transaction makes the marks and what the step writes for
    them one. On PostgreSQL the same statement reads the marked tasks back.
    """
    handled = SweepMark.objects.filter(task=OuterRef("pk"), step=step, deadline=OuterRef("deadline"))
    select, params = due.filter(~Exists(handled)).order_by("id").values("id", "deadline").query.sql_with_params()
    params = [str(step), *params]
    quote = connection.ops.quote_name
    mark = (
        f"INSERT INTO {quote(SweepMark._meta.db_table)} ({quote('task_id')}, {quote('step')}, {quote('deadline')}) "
        f"SELECT {quote('id')}, %s, {quote('deadline')} FROM ({select}) due "
        f"WHERE true ON CONFLICT DO NOTHING RETURNING {quote('task_id')}"  # SQLite parses ON CONFLICT after a WHERE
    )
    read = f"SELECT {', '.join(quote(c) for c in CLAIMED)} FROM {quote(RectificationTask._meta.db_table)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ANY(ARRAY(…)) reads the marked tasks by primary key.
            cursor.execute(
                f"WITH marked AS ({mark}) {read} WHERE {quote('id')} = ANY(ARRAY(SELECT task_id FROM marked))",
                params,
            )
            rows = cursor.fetchall()
        else:
            cursor.execute(mark, params)
            ids = [task_id for (task_id,) in cursor.fetchall()]
            rows = []
            for start in range(0, len(ids), SQLITE_IDS):
                chunk = ids[start : start + SQLITE_IDS]
                cursor.execute(f"{read} WHERE {quote('id')} IN ({', '.join(['%s'] * len(chunk))})", chunk)
                rows += cursor.fetchall()
    tasks = [dict(zip(CLAIMED, row, strict=True)) for row in rows]
    tasks.sort(key=lambda t: t["id"])
    return tasks


def _notify(tasks: list[dict], kind: str, key: str, title: str, body: str = "") -> None:
    """Tell each task's owner (every member of the unit); delivery follows the commit."""
    members = _members_by_unit(t["owner_id"] for t in tasks)
    rows = [
        (user_id, kind, key.format(**t), title.format(**t), body.format(**t), t["case_id"], t["id"])
        for t in tasks
        for user_id in members.get(t["owner_id"], [])
    ]
    columns = ("recipient_id", "kind", "key", "title", "body", "case_id", "task_id")
    insert_rows(Notification, columns, rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(enqueue_delivery)


def deadline_sweep(today: datetime.date | None = None) -> SweepReport:
    """Remind before deadlines, issue supervision notices when overdue, propose accountability beyond grace.

    Mail is not sent here: the notifications written go out through the delivery job, which each
    step's commit asks for and which also runs on its own schedule.
    """
    today = today or timezone.localdate()
    report = SweepReport()
    calendar = work_calendar()
    try:
        reminder_until = calendar.add_working_days(today, 1)
    except UnknownCalendarYear as exc:
        reminder_until = today
        report.problems.append(str(exc))
    report.reminded = _remind(today, reminder_until)
    report.overdue_notices = _overdue_notices(today)
    try:
        grace = _grace_days()
        report.accountability_proposals = _propose_beyond_grace(calendar.nth_working_day_back(today, grace + 1))
    except UnknownCalendarYear as exc:
        report.problems.append(str(exc))
    for problem in report.problems:
        logger.error("deadline sweep: %s", problem)
    return report


def _grace_days() -> int:
    policy = IndexPolicy.objects.order_by("-effective_from", "-version").first()
    return policy.overdue_grace_days if policy else 3


def _remind(today: datetime.date, until: datetime.date) -> int:
    with transaction.atomic():
        tasks = _claim(_owed().filter(deadline__range=(today, until)), SweepMark.Step.REMIND)
        _notify(
            tasks,
            "task_due",
            "task:{id}:due:{deadline}",
            _("Due {deadline}: {title}"),
            _("This rectification task is due on {deadline}."),
        )
    return len(tasks)


def _overdue_notices(today: datetime.date) -> int:
    with transaction.atomic():
        tasks = _claim(_owed().filter(deadline__lt=today), SweepMark.Step.NOTICE)
        if not tasks:
            return 0
        year = today.year
        city_of = dict(Unit.objects.filter(id__any_of={t["owner_id"] for t in tasks}).values_list("id", "city_id"))
        by_city: dict[int, list[dict]] = defaultdict(list)
        for t in tasks:
            by_city[city_of[t["owner_id"]]].append(t)
        firsts = reserve_numbers(Notice.Kind.SUPERVISION, year, {city_id: len(ts) for city_id, ts in by_city.items()})
        prefixes = {city.pk: city.document_prefix for city in City.objects.filter(id__in=list(by_city))}
        rows = []
        for city_id, city_tasks in by_city.items():
            for n, t in enumerate(city_tasks):
                number = firsts[city_id] + n
                reason = f"整改任务“{t['title']}”已于{t['deadline']:%Y年%m月%d日}到期未完成"
                body = f"{reason}。现予督办，请立即整改并书面报送整改情况。\n"
                key = f"task:{t['id']}:overdue:{t['deadline']}"
                rows.append(
                    (city_id, t["case_id"], t["id"], Notice.Kind.SUPERVISION.value, year, number, key, reason, body)
                )
                t["number"] = Notice.number_of(prefixes[city_id], Notice.Kind.SUPERVISION, year, number)
        columns = ("city_id", "case_id", "task_id", "kind", "year", "number", "key", "reason", "body")
        insert_rows(Notice, columns, rows)
        _notify(
            tasks,
            "task_overdue",
            "task:{id}:overdue:{deadline}",
            _("Supervision notice {number}: {title} is overdue"),
            _("The task was due on {deadline}."),
        )
    return len(tasks)


def _propose_beyond_grace(latest_deadline_beyond: datetime.date) -> int:
    """Accountability proposals for tasks whose deadline lies before `latest_deadline_beyond`."""
    from accountability.models import AccountabilityRecord

    with transaction.atomic():
        tasks = _claim(_owed().filter(deadline__lt=latest_deadline_beyond), SweepMark.Step.PROPOSE)
        if not tasks:
            return 0
        proposals = {
            f"task:{t['id']}:grace:{t['deadline']}": (
                t,
                f"整改任务“{t['title']}”于{t['deadline']:%Y年%m月%d日}到期，逾期超过宽限期仍未完成",
            )
            for t in tasks
        }
        created = insert_rows(
            AccountabilityRecord,
            ("key", "case_id", "target_unit_id", "origin", "measure", "grounds"),
            [
                (
                    key,
                    t["case_id"],
                    t["owner_id"],
                    AccountabilityRecord.Origin.OVERDUE_TASK.value,
                    AccountabilityRecord.Measure.WRITTEN_SELF_CRITICISM.value,
                    grounds,
                )
                for key, (t, grounds) in proposals.items()
            ],
            ignore_conflicts=True,
            returning=("key", "id"),
        )
        insert_rows(
            AccountabilityRecord.tasks.through,
            ("accountabilityrecord_id", "rectificationtask_id"),
            [(record_id, proposals[key][0]["id"]) for key, record_id in created],
            ignore_conflicts=True,
        )
        case_ids = {t["case_id"] for t in tasks}
        city_of = dict(Case.objects.filter(id__any_of=case_ids).values_list("id", "town__district__city_id"))
        insert_rows(
            TransitionLog,
            ("case_id", "city_id", "subject", "subject_id", "transition", "source", "target", "comment"),
            [
                (
                    proposals[key][0]["case_id"],
                    city_of[proposals[key][0]["case_id"]],
                    "accountabilityrecord",
                    record_id,
                    "propose",
                    "",
                    AccountabilityRecord.State.PROPOSED.value,
                    proposals[key][1],
                )
                for key, record_id in created
            ],
        )
    return len(tasks)


def morning_digest(day: datetime.date | None = None) -> int:
    """One inbox message per member of a unit with open work: cases to acknowledge, tasks due, overdue."""
    day = day or timezone.localdate()
    try:
        if not work_calendar().is_working_day(day):
            return 0
    except UnknownCalendarYear as exc:
        logger.error("morning digest: %s", exc)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"ack": 0, "open": 0, "overdue": 0})
    for unit_id in CaseOwner.objects.filter(case__stage=Case.Stage.MOBILIZE, acknowledged_at__isnull=True).values_list(
        "unit_id", flat=True
    ):
        counts[unit_id]["ack"] += 1
    for unit_id, deadline in _owed().values_list("owner_id", "deadline"):
        counts[unit_id]["open"] += 1
        counts[unit_id]["overdue"] += deadline < day
    members = _members_by_unit(counts)
    per_user: dict[int, dict[str, int]] = defaultdict(lambda: {"ack": 0, "open": 0, "overdue": 0})
    for unit_id, c in counts.items():
        for user_id in members.get(unit_id, []):
            for k, v in c.items():
                per_user[user_id][k] += v
    rows = [
        Notification(
            recipient_id=user_id,
            kind="digest",
            key=f"digest:{day}",
            title=_("%(day)s: %(ack)s case(s) to acknowledge, %(open)s open task(s), %(overdue)s overdue")
            % {"day": day, **c},
        )
        for user_id, c in per_user.items()
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        transaction.on_commit(enqueue_delivery)
    return len(rows)
