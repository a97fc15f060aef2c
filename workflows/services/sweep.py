"""The hourly deadline sweep and the morning digest: set-based, idempotent, safe side by side.

Each step selects the tasks it has not yet handled for their current deadline, locks them with
SKIP LOCKED (a second sweep running at once takes none of them), writes in bulk and records what
it did on the tasks, so a second run finds nothing to do. The number of queries does not grow
with the number of tasks.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.models import City, IndexPolicy, Unit

from ..models import Case, CaseOwner, Notice, NoticeCounter, Notification, RectificationTask, TransitionLog
from ..selectors import work_calendar
from ..working_days import UnknownCalendarYear
from .notifications import deliver_pending, enqueue_delivery

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
    for unit_id, user_id in Unit.members.through.objects.filter(unit_id__in=set(unit_ids)).values_list(
        "unit_id", "user_id"
    ):
        members[unit_id].append(user_id)
    return members


def _locked(queryset) -> list[dict]:
    return list(
        queryset.select_for_update(skip_locked=True, of=("self",)).values(
            "id", "case_id", "owner_id", "title", "deadline", "owner__city_id"
        )
    )


def _notifications(tasks: list[dict], kind: str, key: str, title: str, body: str = "") -> list[Notification]:
    members = _members_by_unit(t["owner_id"] for t in tasks)
    return [
        Notification(
            recipient_id=user_id,
            kind=kind,
            key=key.format(**t),
            title=title.format(**t),
            body=body.format(**t),
            case_id=t["case_id"],
            task_id=t["id"],
        )
        for t in tasks
        for user_id in members.get(t["owner_id"], [])
    ]


def deadline_sweep(today: datetime.date | None = None) -> SweepReport:
    """Remind before deadlines, issue supervision notices when overdue, propose accountability beyond grace."""
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
    deliver_pending()
    for problem in report.problems:
        logger.error("deadline sweep: %s", problem)
    return report


def _grace_days() -> int:
    policy = IndexPolicy.objects.order_by("-effective_from", "-version").first()
    return policy.overdue_grace_days if policy else 3


def _remind(today: datetime.date, until: datetime.date) -> int:
    with transaction.atomic():
        tasks = _locked(
            _owed()
            .filter(deadline__range=(today, until))
            .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("deadline")))
        )
        if not tasks:
            return 0
        _notify_and_mark(
            tasks,
            "reminded_for",
            "task_due",
            "task:{id}:due:{deadline}",
            _("Due {deadline}: {title}"),
            _("This rectification task is due on {deadline}."),
        )
    return len(tasks)


def _overdue_notices(today: datetime.date) -> int:
    with transaction.atomic():
        tasks = _locked(
            _owed()
            .filter(deadline__lt=today)
            .filter(Q(overdue_notice_for__isnull=True) | ~Q(overdue_notice_for=F("deadline")))
        )
        if not tasks:
            return 0
        year = today.year
        by_city: dict[int, list[dict]] = defaultdict(list)
        for t in tasks:
            by_city[t["owner__city_id"]].append(t)
        cities = City.objects.in_bulk(list(by_city))
        notices = []
        for city_id, city_tasks in by_city.items():
            first = _allocate(city_id, Notice.Kind.SUPERVISION, year, len(city_tasks))
            for n, t in enumerate(city_tasks):
                reason = f"整改任务“{t['title']}”已于{t['deadline']:%Y年%m月%d日}到期未完成"
                notices.append(
                    Notice(
                        city=cities[city_id],
                        case_id=t["case_id"],
                        task_id=t["id"],
                        kind=Notice.Kind.SUPERVISION,
                        year=year,
                        number=first + n,
                        key=f"task:{t['id']}:overdue:{t['deadline']}",
                        reason=reason,
                        body=f"{reason}。现予督办，请立即整改并书面报送整改情况。\n",
                    )
                )
        Notice.objects.bulk_create(notices)
        numbers = {n.task_id: n.document_number for n in notices}
        for t in tasks:
            t["number"] = numbers[t["id"]]
        _notify_and_mark(
            tasks,
            "overdue_notice_for",
            "task_overdue",
            "task:{id}:overdue:{deadline}",
            _("Supervision notice {number}: {title} is overdue"),
            _("The task was due on {deadline}."),
        )
    return len(tasks)


def _notify_and_mark(tasks: list[dict], mark: str, kind: str, key: str, title: str, body: str) -> None:
    """Tell each task's owner, and record on the tasks that this deadline was handled."""
    Notification.objects.bulk_create(_notifications(tasks, kind, key, title, body), ignore_conflicts=True)
    RectificationTask.objects.filter(id__in=[t["id"] for t in tasks]).update(**{mark: F("deadline")})
    transaction.on_commit(enqueue_delivery)


def _allocate(city_id: int, kind: str, year: int, count: int) -> int:
    """Reserve `count` consecutive notice numbers; returns the first."""
    NoticeCounter.objects.get_or_create(city_id=city_id, kind=kind, year=year)
    counter = NoticeCounter.objects.select_for_update().get(city_id=city_id, kind=kind, year=year)
    NoticeCounter.objects.filter(pk=counter.pk).update(last=F("last") + count)
    return counter.last + 1


def _propose_beyond_grace(latest_deadline_beyond: datetime.date) -> int:
    """Accountability proposals for tasks whose deadline lies before `latest_deadline_beyond`."""
    from accountability.models import AccountabilityRecord

    with transaction.atomic():
        tasks = _locked(
            _owed()
            .filter(deadline__lt=latest_deadline_beyond)
            .filter(Q(accountability_for__isnull=True) | ~Q(accountability_for=F("deadline")))
        )
        if not tasks:
            return 0
        records = [
            AccountabilityRecord(
                case_id=t["case_id"],
                target_unit_id=t["owner_id"],
                origin=AccountabilityRecord.Origin.OVERDUE_TASK,
                measure=AccountabilityRecord.Measure.WRITTEN_SELF_CRITICISM,
                key=f"task:{t['id']}:grace:{t['deadline']}",
                grounds=f"整改任务“{t['title']}”于{t['deadline']:%Y年%m月%d日}到期，逾期超过宽限期仍未完成",
            )
            for t in tasks
        ]
        AccountabilityRecord.objects.bulk_create(records, ignore_conflicts=True)
        created = dict(AccountabilityRecord.objects.filter(key__in=[r.key for r in records]).values_list("key", "id"))
        through = AccountabilityRecord.tasks.through
        through.objects.bulk_create(
            [
                through(accountabilityrecord_id=created[r.key], rectificationtask_id=t["id"])
                for r, t in zip(records, tasks, strict=True)
            ],
            ignore_conflicts=True,
        )
        TransitionLog.objects.bulk_create(
            [
                TransitionLog(
                    case_id=t["case_id"],
                    subject="accountabilityrecord",
                    subject_id=created[r.key],
                    transition="propose",
                    source="",
                    target=AccountabilityRecord.State.PROPOSED,
                    comment=r.grounds,
                )
                for r, t in zip(records, tasks, strict=True)
            ]
        )
        RectificationTask.objects.filter(id__in=[t["id"] for t in tasks]).update(accountability_for=F("deadline"))
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
