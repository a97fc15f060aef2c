"""The escalation ladder (DESIGN.md §4): consecutive red periods raise a case's level, and each
level adds its action once — a supervision notice, an interview task, an accountability proposal."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from pingan.models import DailyIndex, IndexPolicy, Unit

from ..models import Case, Notice, RectificationTask
from ..selectors import work_calendar
from ..working_days import UnknownCalendarYear
from .notices import issue_notice
from .notifications import members_of, notify
from .transitions import write_log

LOOKBACK_DAYS = 31


def red_streaks(town_ids: list[int], day: datetime.date) -> dict[int, int]:
    """For each town, how many published days in a row up to `day` were red (one query)."""
    levels: dict[int, dict[datetime.date, str]] = defaultdict(dict)
    for town_id, date, level in (
        DailyIndex.objects.current()
        .towns()
        .filter(town_id__in=town_ids, date__range=(day - datetime.timedelta(days=LOOKBACK_DAYS), day))
        .values_list("town_id", "date", "level")
    ):
        levels[town_id][date] = level
    streaks = {}
    for town_id in town_ids:
        n, d = 0, day
        while levels[town_id].get(d) == "red":
            n += 1
            d -= datetime.timedelta(days=1)
        streaks[town_id] = n
    return streaks


def climb_ladder(case: Case, streak: int, policy: IndexPolicy, day: datetime.date) -> None:
    """Raise the case to `streak` and take each new level's action; never lowers, never repeats."""
    case.refresh_from_db(fields=["escalation_level", "enter_accountability"])
    if streak <= case.escalation_level:
        return
    ladder = {int(level): action for level, action in (policy.escalation_ladder or {}).items()}
    old = case.escalation_level
    taken = []
    reached = streak
    for level in range(old + 1, streak + 1):
        action = ladder.get(level)
        if action not in ACTIONS:
            continue
        try:
            with transaction.atomic():
                ACTIONS[action](case, level, policy, day)
        except UnknownCalendarYear as exc:
            # No deadline can be set: stop below this level, tell the office, retry on the next red day.
            reached = level - 1
            _tell_office(case, str(exc), key=f"case:{case.id}:ladder:{level}:calendar:{exc.year}")
            break
        taken.append(action)
    if reached <= old:
        return
    streak = reached
    Case.objects.filter(pk=case.pk).update(escalation_level=streak, enter_accountability=case.enter_accountability)
    case.escalation_level = streak
    write_log(
        case,
        "escalate",
        case.stage,
        case.stage,
        user=None,
        comment=_("red %(n)s days running: escalation level %(old)s → %(new)s %(actions)s")
        % {"n": streak, "old": old, "new": streak, "actions": ", ".join(taken)},
    )


def _tell_office(case: Case, problem: str, *, key: str) -> None:
    offices = Unit.objects.filter(kind=Unit.Kind.SAFETY_OFFICE, city_id=case.town.district.city_id)
    notify(
        members_of(offices),
        kind="escalation_blocked",
        key=key,
        title=_("Escalation of the case of %(town)s is waiting") % {"town": case.town.name},
        body=problem,
        case=case,
    )


def _supervision_notice(case: Case, level: int, policy: IndexPolicy, day: datetime.date) -> None:
    notice = issue_notice(
        case,
        Notice.Kind.SUPERVISION,
        key=f"case:{case.id}:ladder:supervision",
        reason=f"你镇街平安指数已连续{level}天为红色",
    )
    notify(
        members_of(u.unit for u in case.owners.select_related("unit")),
        kind="supervision_notice",
        key=f"notice:{notice.id}",
        title=_("Supervision notice %(number)s") % {"number": notice.document_number},
        body=notice.body,
        case=case,
    )


def _interview(case: Case, level: int, policy: IndexPolicy, day: datetime.date) -> None:
    district_office = Unit.objects.filter(kind=Unit.Kind.DISTRICT_GOVERNMENT, district_id=case.town.district_id).first()
    if district_office is None:
        return
    deadline = work_calendar().add_working_days(day, policy.red_deadline_days)
    task, created = RectificationTask.objects.get_or_create(
        key=f"case:{case.id}:ladder:interview",
        defaults={
            "case": case,
            "owner": district_office,
            "kind": RectificationTask.Kind.INTERVIEW,
            "deadline": deadline,
            "title": f"约谈{case.town.name}党政主要领导",
            "description": f"{case.town.name}平安指数连续{level}天为红色，按规定约谈镇街党政主要领导。",
        },
    )
    if created:
        write_log(task, "create", "", task.state, user=None, comment=_("escalation level %(n)s") % {"n": level})
        notify(
            members_of([district_office]),
            kind="task_assigned",
            key=f"task:{task.id}:assigned",
            title=_("New task: %(title)s") % {"title": task.title},
            case=case,
            task=task,
        )


def _accountability(case: Case, level: int, policy: IndexPolicy, day: datetime.date) -> None:
    from accountability.models import AccountabilityRecord
    from accountability.services import record_propose

    government = Unit.objects.filter(kind=Unit.Kind.TOWN_GOVERNMENT, town_id=case.town_id).first()
    if government is not None:
        record_propose(
            case=case,
            target_unit=government,
            measure=AccountabilityRecord.Measure.CIRCULATED_CRITICISM,
            origin=AccountabilityRecord.Origin.ESCALATION,
            key=f"case:{case.id}:ladder:accountability",
            grounds=f"{case.town.name}平安指数连续{level}天为红色",
            user=None,
        )
    case.enter_accountability = True


ACTIONS = {
    "supervision_notice": _supervision_notice,
    "interview": _interview,
    "accountability": _accountability,
}
