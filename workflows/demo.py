"""The demo's people, and its cases walked through the five stages the way an office would.

Runs once, after the demo's days were published (which opened the cases): the oldest cases are
closed or under supervision, younger ones in warning or analysis, the newest still mobilizing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from pingan import roles
from pingan.errors import DomainError
from pingan.models import City, Unit

from .models import Case, RectificationTask, TransitionLog
from .services import cases, rectification
from .services.sweep import deadline_sweep

PASSWORD = "demo"
# username → (unit name, role group, display name)
PEOPLE = {
    "pinganban": ("珠海市平安办", roles.SAFETY_OFFICE, "平安办 王科长"),
    "gongbei": ("拱北街道办事处", roles.TOWN, "拱北街道 李主任"),
    "gongbei_police": ("拱北街道派出所", roles.POLICE, "拱北派出所 陈所长"),
    "qianshan": ("前山街道办事处", roles.TOWN, "前山街道 刘主任"),
    "xiangzhou": ("香洲区人民政府", roles.TOWN, "香洲区 周副区长"),
    "fire": ("珠海市消防救援支队", roles.DEPARTMENT, "消防支队 赵参谋"),
    "traffic": ("珠海市公安局交通警察支队", roles.DEPARTMENT, "交警支队 孙科长"),
    "crime": ("珠海市公安局", roles.DEPARTMENT, "市公安局 吴科长"),
}
LEADER = ("leader", "市领导 郑副市长")

# the walk, from the oldest open case on: where each one ends up
PATTERN = ["closed", "supervise", "supervise", "warn", "analyze"]
NEWEST_LEFT_MOBILIZING = 4


def create_people(city: City) -> list[str]:
    """Staff users for each demo role, members of their units (password "demo")."""
    roles.install_roles()
    User = get_user_model()
    hashed = make_password(PASSWORD)  # hashing is deliberately slow: once for every demo user
    created = []
    for username, (unit_name, group, full_name) in PEOPLE.items():
        unit = Unit.objects.filter(city=city, name=unit_name).first()
        if unit is None:
            continue
        user, new = User.objects.get_or_create(
            username=username, defaults={"first_name": full_name, "is_staff": True, "email": f"{username}@example.org"}
        )
        if new:
            user.password = hashed
            user.save()
            created.append(username)
        unit.members.add(user)
        user.groups.add(Group.objects.get(name=group))
    # every other town government and police station gets a member too, so its tasks move
    role_of = {Unit.Kind.TOWN_GOVERNMENT: roles.TOWN, Unit.Kind.POLICE_STATION: roles.POLICE}
    for unit in Unit.objects.filter(city=city, kind__in=role_of, members__isnull=True):
        user, new = User.objects.get_or_create(
            username=f"unit{unit.id}", defaults={"first_name": unit.name, "is_staff": True}
        )
        if new:
            user.password = hashed
            user.save()
        unit.members.add(user)
        user.groups.add(Group.objects.get(name=role_of[unit.kind]))
    leader, new = User.objects.get_or_create(username=LEADER[0], defaults={"first_name": LEADER[1], "is_staff": True})
    if new:
        leader.password = hashed
        leader.save()
        created.append(LEADER[0])
    leader.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    return created


def walk_cases(city: City, progress: Callable[[str], None] = print) -> dict[str, int]:
    """Move the demo's open cases along, once; returns how many ended in each stage."""
    office = get_user_model().objects.get(username="pinganban")
    if TransitionLog.objects.filter(actor=office).exists():
        return {}
    open_cases = list(
        Case.objects.filter(town__district__city=city, stage__in=Case.OPEN_STAGES).order_by("opened_on", "id")
    )
    walkable = open_cases[: max(0, len(open_cases) - NEWEST_LEFT_MOBILIZING)]
    for n, case in enumerate(walkable):
        target = "hold_accountable" if case.enter_accountability else PATTERN[n % len(PATTERN)]
        try:
            _walk(case, target, office)
        except DomainError as exc:
            progress(f"  {case}: stopped short of {target}: {exc}")
    _make_some_overdue(city)
    deadline_sweep()
    _decide_some_accountability(city)
    counts: dict[str, int] = {}
    for stage in Case.objects.filter(town__district__city=city).values_list("stage", flat=True):
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def _walk(case: Case, target: str, office) -> None:
    if target == "mobilize":
        return
    _acknowledge_or_force(case, office)
    if target == "analyze":
        return
    cases.case_file_analysis(
        case_id=case.pk,
        user=office,
        report=f"{case.town.name}：警情集中在夜间，出租屋与城中村为主要风险点；建议加强巡逻、整治出租屋、开展消防检查。",
    )
    cases.case_issue_warning(case_id=case.pk, user=office)
    if target == "warn":
        return
    owners = {o.unit.kind: o.unit for o in case.owners.select_related("unit")}
    made = []
    for kind, title in (("town_government", "整治出租屋和城中村治安隐患"), ("police_station", "加强夜间巡逻防控")):
        if kind in owners:
            made.append(rectification.task_create(case_id=case.pk, user=office, owner=owners[kind], title=title))
    cases.case_start_supervision(case_id=case.pk, user=office)
    if target in ("closed", "hold_accountable"):
        for task in made:
            _complete(task, office)
        if target == "closed":
            cases.case_close(case_id=case.pk, user=office, comment="整改到位，指数已连续回落")
        else:
            cases.case_hold_accountable(case_id=case.pk, user=office, comment="连续五天红色，启动问责")
    elif made:
        _complete(made[0], office, verify=False)


def _acknowledge_or_force(case: Case, office) -> None:
    for owner in case.owners.select_related("unit"):
        member = owner.unit.members.first()
        if member is not None and case.stage == Case.Stage.MOBILIZE:
            cases.case_acknowledge(case_id=case.pk, user=member)
    case.refresh_from_db()
    if case.stage == Case.Stage.MOBILIZE:
        cases.case_force_analysis(case_id=case.pk, user=office, reason="部分单位未签收，平安办组织先行研判")


def _complete(task: RectificationTask, office, verify: bool = True) -> None:
    member = task.owner.members.first() or office
    if member is office:
        return  # nobody of that unit in the demo: the task stays assigned
    rectification.task_accept(task_id=task.pk, user=member)
    rectification.task_submit(task_id=task.pk, user=member, report="已完成整改，附巡查记录。")
    if verify:
        rectification.task_verify(task_id=task.pk, user=office, comment="经核查，整改到位")


def _make_some_overdue(city: City) -> None:
    """Demo only: push two supervised tasks' deadlines into the past, so the board shows overdue work."""
    today = timezone.localdate()
    owed = RectificationTask.objects.filter(
        case__town__district__city=city, case__stage=Case.Stage.SUPERVISE, state__in=RectificationTask.OWED_STATES
    ).order_by("id")[:2]
    for n, task in enumerate(owed):
        RectificationTask.objects.filter(pk=task.pk).update(deadline=today - datetime.timedelta(days=2 + 5 * n))


def _decide_some_accountability(city: City) -> None:
    """Leadership approves the escalation ladder's proposal, so evaluations show a deduction."""
    from accountability.models import AccountabilityRecord
    from accountability.services import record_approve

    leader = get_user_model().objects.get(username=LEADER[0])
    for record in AccountabilityRecord.objects.filter(
        case__town__district__city=city, origin=AccountabilityRecord.Origin.ESCALATION, state="proposed"
    ):
        record_approve(record_id=record.pk, user=leader, comment="同意通报批评")


def evaluate_last_month(city: City):
    """A documented inspection finding in last month, then last month's evaluations (idempotent)."""
    from accountability.evaluation_rules import Period
    from accountability.models import ManualAdjustment
    from accountability.services.evaluations import compute_evaluations

    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    period = Period.parse(f"{last.year}-{last.month}")
    unit = Unit.objects.filter(city=city, name="前山街道办事处").first()
    if unit is not None:
        ManualAdjustment.objects.get_or_create(
            unit=unit,
            date=last.replace(day=15),
            defaults={
                "points": -2,
                "finding": "明察暗访：夜间重点路段巡逻缺位",
                "evidence": f"{last:%m}月15日22时至24时暗访记录及视频（平安办存档）",
                "author": get_user_model().objects.get(username="pinganban"),
            },
        )
    compute_evaluations(period, city=city)
    return period
