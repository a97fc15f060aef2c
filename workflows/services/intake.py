"""From a published day to cases: open a case for each red or orange town, or attach the day to
the town's open case and climb the escalation ladder. Republishing a day changes nothing.

Set-based: a day costs the same number of queries for ten coloured towns or ten thousand, except
for the rare cases whose escalation crosses a level with an action (a notice, an interview, a
proposal), which are handled one by one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.memory import collector_paused
from pingan.models import LEVEL_CHOICES, City, DailyIndex, IndexPolicy, Unit

from ..models import Case, CaseDay, CaseOwner, Notification, TransitionLog
from .escalation import ACTIONS, climb_ladder, red_streaks
from .notifications import enqueue_delivery

COLOURED = ("red", "orange")
DRIVING_GRADES = ("poor", "very_poor")
LEVEL_NAMES = dict(LEVEL_CHOICES)


def driving_indicators(items: dict) -> list[str]:
    """The indicators whose grade pulled the town into orange or red."""
    return [code for code, item in items.items() if item.get("grade") in DRIVING_GRADES]


def open_cases_for_day(city: City, day: datetime.date) -> int:
    """Open or update the cases of a published day's red and orange towns; returns how many town-days it took."""
    with collector_paused(), transaction.atomic():  # tens of thousands of rows built, none in a cycle
        # One intake per city at a time: a second one waits, then finds every town-day attached.
        City.objects.select_for_update().filter(pk=city.pk).first()
        rows = list(
            DailyIndex.objects.current()
            .towns()
            .filter(date=day, district__city=city, level__in=COLOURED)
            .filter(~Exists(CaseDay.objects.filter(town_id=OuterRef("town_id"), date=day)))
            .values("id", "town_id", "level", "items", "town__name")
        )
        if not rows:
            return 0
        town_ids = [r["town_id"] for r in rows]
        open_cases = {c.town_id: c for c in Case.objects.filter(town_id__in=town_ids, stage__in=Case.OPEN_STAGES)}
        opened = _open_cases([r for r in rows if r["town_id"] not in open_cases], city, day)
        cases = {**open_cases, **opened}
        CaseDay.objects.bulk_create(
            CaseDay(case=cases[r["town_id"]], town_id=r["town_id"], date=day, level=r["level"], index_id=r["id"])
            for r in rows
        )
        red = [r["town_id"] for r in rows if r["level"] == "red"]
        if red:
            _escalate(
                [cases[t] for t in red], red_streaks(red, day), IndexPolicy.objects.in_force(city, day), city, day
            )
    return len(rows)


def _open_cases(rows: list[dict], city: City, day: datetime.date) -> dict[int, Case]:
    if not rows:
        return {}
    created = Case.objects.bulk_create(
        Case(town_id=r["town_id"], level=r["level"], opened_on=day, opening_index_id=r["id"]) for r in rows
    )
    cases = {c.town_id: c for c in created}
    bundled = defaultdict(list)
    for unit in Unit.objects.filter(town_id__in=cases, kind__in=[Unit.Kind.TOWN_GOVERNMENT, Unit.Kind.POLICE_STATION]):
        bundled[unit.town_id].append(unit)
    departments = defaultdict(list)
    for unit_id, code in Unit.objects.filter(city=city, kind=Unit.Kind.DEPARTMENT).values_list(
        "id", "indicators__code"
    ):
        departments[code].append(unit_id)
    owners = []
    for r in rows:
        case = cases[r["town_id"]]
        units = {u.id: u.kind for u in bundled[r["town_id"]]}
        for code in driving_indicators(r["items"]):
            for unit_id in departments.get(code, []):
                units.setdefault(unit_id, CaseOwner.Role.DEPARTMENT)
        owners += [CaseOwner(case=case, unit_id=unit_id, role=role) for unit_id, role in units.items()]
    CaseOwner.objects.bulk_create(owners)
    now = timezone.now()
    TransitionLog.objects.bulk_create(
        TransitionLog(
            case=c,
            city=city,
            subject="case",
            subject_id=c.pk,
            transition="open",
            source="",
            target=c.stage,
            at=now,
            comment=_("opened by the index of %(day)s") % {"day": day},
        )
        for c in created
    )
    _notify_owners(owners, {r["town_id"]: r for r in rows}, day)
    return cases


def _notify_owners(owners: list[CaseOwner], rows_by_town: dict[int, dict], day: datetime.date) -> None:
    members = defaultdict(list)
    for unit_id, user_id in Unit.members.through.objects.filter(unit_id__in={o.unit_id for o in owners}).values_list(
        "unit_id", "user_id"
    ):
        members[unit_id].append(user_id)
    notifications = []
    for owner in owners:
        row = rows_by_town[owner.case.town_id]
        title = _("Case opened: %(town)s was %(level)s on %(day)s") % {
            "town": row["town__name"],
            "level": LEVEL_NAMES[row["level"]],
            "day": day,
        }
        notifications += [
            Notification(
                recipient_id=user_id,
                kind="case_opened",
                key=f"case:{owner.case.pk}:opened",
                title=title,
                body=_("Please acknowledge the case (签收)."),
                case=owner.case,
            )
            for user_id in members.get(owner.unit_id, [])
        ]
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        transaction.on_commit(enqueue_delivery)


def _escalate(
    cases: list[Case], streaks: dict[int, int], policy: IndexPolicy | None, city: City, day: datetime.date
) -> None:
    """Raise each case of the city to its town's red streak; levels without an action are raised in bulk."""
    action_levels = {int(k) for k, action in (policy.escalation_ladder if policy else {}).items() if action in ACTIONS}
    plain = defaultdict(list)  # new level → cases
    for case in cases:
        new = streaks.get(case.town_id, 1)
        if new <= case.escalation_level:
            continue
        if any(case.escalation_level < level <= new for level in action_levels):
            climb_ladder(case, new, policy, day)
        else:
            plain[new].append(case)
    now = timezone.now()
    logs = []
    for level, raised in plain.items():
        Case.objects.filter(id__in=[c.pk for c in raised]).update(escalation_level=level)
        logs += [
            TransitionLog(
                case=c,
                city=city,
                subject="case",
                subject_id=c.pk,
                transition="escalate",
                source=c.stage,
                target=c.stage,
                at=now,
                comment=_("red %(n)s days running: escalation level %(old)s → %(new)s %(actions)s")
                % {"n": level, "old": c.escalation_level, "new": level, "actions": ""},
            )
            for c in raised
        ]
    TransitionLog.objects.bulk_create(logs)
