"""Pages of the workflow: the dashboard, my work, the supervision board, actions and notices.

Every page reads through the same scoping as the API; every button posts to `act`, which runs the
transition's service, so a button shown by mistake still cannot do what its user may not.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accountability.models import AccountabilityRecord
from accountability.services import record_propose
from pingan.access import access_of
from pingan.errors import DomainError
from pingan.models import DailyIndex, District, Town, Unit
from pingan.pagination import COUNT_LIMIT, bounded_counts
from pingan.views import DISTRICTS_PER_PAGE, FEW_TOWNS, district_id_from

from . import board_cache
from .guards import is_office
from .labels import action_label
from .models import Case, ExtensionRequest, Notice, Notification, RectificationTask
from .selectors import visible_tasks, work_calendar
from .services import cases as case_services
from .services import rectification
from .working_days import UnknownCalendarYear

HEATMAP_DAYS = 30
CHART_SERIES = 12

# (object kind, action) → (model, service, id keyword, text keyword or None)
ACTIONS = {
    ("case", "acknowledge"): (Case, case_services.case_acknowledge, "case_id", "comment"),
    ("case", "force_analysis"): (Case, case_services.case_force_analysis, "case_id", "reason"),
    ("case", "file_analysis"): (Case, case_services.case_file_analysis, "case_id", "report"),
    ("case", "issue_warning"): (Case, case_services.case_issue_warning, "case_id", "comment"),
    ("case", "start_supervision"): (Case, case_services.case_start_supervision, "case_id", "comment"),
    ("case", "close"): (Case, case_services.case_close, "case_id", "comment"),
    ("case", "hold_accountable"): (Case, case_services.case_hold_accountable, "case_id", "comment"),
    ("case", "close_after_accountability"): (
        Case,
        case_services.case_close_after_accountability,
        "case_id",
        "comment",
    ),
    ("case", "cancel"): (Case, case_services.case_cancel, "case_id", "reason"),
    ("task", "accept"): (RectificationTask, rectification.task_accept, "task_id", "comment"),
    ("task", "verify"): (RectificationTask, rectification.task_verify, "task_id", "comment"),
    ("task", "send_back"): (RectificationTask, rectification.task_return, "task_id", "reason"),
    ("extension", "approve"): (ExtensionRequest, rectification.extension_approve, "request_id", "comment"),
    ("extension", "refuse"): (ExtensionRequest, rectification.extension_refuse, "request_id", "reason"),
}
SCOPES = {
    Case: {"town": "town", "units": "owners__unit"},
    RectificationTask: {"town": "case__town", "units": "owner"},
    ExtensionRequest: {"town": "task__case__town", "units": "task__owner"},
}


def _back(request, default: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


def _countdown(calendar, deadline: datetime.date, today: datetime.date) -> str:
    try:
        if deadline < today:
            return _("overdue by %(n)s working day(s)") % {"n": calendar.working_days_between(deadline, today)}
        return _("%(n)s working day(s) left") % {"n": calendar.working_days_between(today, deadline)}
    except UnknownCalendarYear:
        return _("due %(day)s") % {"day": deadline}


def _visible(request, model, pk: int):
    """The object if the user may see it (the API's scoping), else 404."""
    return get_object_or_404(access_of(request).scope(model.objects.all(), **SCOPES[model]), pk=pk)


def _run(request, name: str, call) -> None:
    """Run a service call; tell the user it was done, or why not."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Done: %(action)s") % {"action": action_label(name)})


@login_required
@require_POST
def act(request, kind: str, object_id: int, name: str):
    """Run one action from a page's button, then go back to the page."""
    try:
        model, service, id_keyword, text = ACTIONS[(kind, name)]
    except KeyError:
        raise Http404 from None
    obj = _visible(request, model, object_id)
    _run(
        request, name, lambda: service(**{id_keyword: obj.pk, "user": request.user, text: request.POST.get("text", "")})
    )
    return _back(request, "my-work")


@login_required
@require_POST
def submit_task(request, task_id: int):
    """The owner submits a report with attachments."""
    task = _visible(request, RectificationTask, task_id)
    _run(
        request,
        "submit",
        lambda: rectification.task_submit(
            task_id=task.pk,
            user=request.user,
            report=request.POST.get("report", ""),
            files=request.FILES.getlist("files"),
        ),
    )
    return _back(request, "my-work")


@login_required
@require_POST
def request_extension(request, task_id: int):
    """The owner asks for more working days."""
    task = _visible(request, RectificationTask, task_id)
    try:
        days = int(request.POST.get("working_days", "0"))
    except ValueError:
        days = 0
    _run(
        request,
        "request_extension",
        lambda: rectification.task_request_extension(
            task_id=task.pk, user=request.user, working_days=days, reason=request.POST.get("reason", "")
        ),
    )
    return _back(request, "my-work")


@login_required
def my_work(request):
    """A town official's, police station's or department's open cases and tasks, and the inbox."""
    access = access_of(request)
    today = timezone.localdate()
    unit_ids = access.unit_ids
    cases = (
        Case.objects.filter(owners__unit__in=unit_ids, stage__in=Case.OPEN_STAGES)
        .select_related("town")
        .prefetch_related("owners__unit")
        .distinct()
        .order_by("-opened_on")
    )
    for case in cases:
        case.to_acknowledge = case.stage == Case.Stage.MOBILIZE and any(
            o.acknowledged_at is None and o.unit_id in unit_ids for o in case.owners.all()
        )
        case.may_file_analysis = case.stage == Case.Stage.ANALYZE and any(
            o.unit_id in unit_ids and o.role != "department" for o in case.owners.all()
        )
    tasks = list(
        RectificationTask.objects.filter(owner__in=unit_ids)
        .exclude(state__in=RectificationTask.SETTLED_STATES)
        .select_related("case__town", "owner")
        .prefetch_related("extensions")
        .order_by("deadline")
    )
    calendar = work_calendar()  # read once for every countdown on the page
    for task in tasks:
        task.countdown = _countdown(calendar, task.deadline, today)
        task.overdue = task.is_overdue(today)
        task.may_accept = task.state == RectificationTask.State.ASSIGNED
        task.may_submit = task.state in (RectificationTask.State.ACCEPTED, RectificationTask.State.RETURNED)
        task.may_extend = task.state in RectificationTask.OWED_STATES and not any(
            e.state == ExtensionRequest.State.PENDING for e in task.extensions.all()
        )
    inbox = Notification.objects.filter(recipient=request.user).order_by("-created_at")[:30]
    return render(request, "workflows/my_work.html", {"nav": "my", "cases": cases, "tasks": tasks, "inbox": inbox})


@login_required
def dashboard(request):
    """Levels by town and day, trends, cases per stage and overdue tasks, for what the user may see.

    A city of more than FEW_TOWNS towns shows its districts (DISTRICTS_PER_PAGE a page), each opening
    its towns (`?district=`), as the public page does: the page costs the same for a national
    deployment's 50,000 towns as for a city's dozens."""
    access = access_of(request)
    if access.is_feed:
        raise PermissionDenied
    today = timezone.localdate()
    latest = DailyIndex.objects.current().order_by("-date").values_list("date", flat=True).first() or today
    first = latest - datetime.timedelta(days=HEATMAP_DAYS - 1)
    days = [first + datetime.timedelta(days=n) for n in range(HEATMAP_DAYS)]
    # The published index is public: everyone sees every town's levels; cases and tasks are scoped.
    index = access.in_cities(DailyIndex.objects.current(), "district__city").filter(date__range=(first, latest))
    districts = access.in_cities(District.objects.order_by("city_id", "name", "id"), "city")
    district_id = district_id_from(request)
    chosen = None if district_id is None else get_object_or_404(districts, pk=district_id)
    page = None
    if chosen is not None:
        rows = index.filter(district=chosen)
    elif access.in_cities(Town.objects.all(), "district__city").count() <= FEW_TOWNS:
        rows = index
    else:
        page = Paginator(districts, DISTRICTS_PER_PAGE).get_page(request.GET.get("page"))
        rows = index.districts().filter(district__in=page.object_list)
    heat: dict = defaultdict(dict)
    trends: dict = defaultdict(dict)
    for r in rows.select_related("town", "district"):
        if page is not None:
            heat[(r.district.name, "", r.district_id)][r.date] = r.level
        elif r.scope == DailyIndex.Scope.TOWN:
            heat[(r.district.name, r.town.name, r.town_id)][r.date] = r.level
        if r.scope == DailyIndex.Scope.DISTRICT:
            trends[r.district.name][r.date] = float(r.score)
    heatmap = [
        {"district": d, "town": t, "id": pk, "cells": [levels.get(day, "none") for day in days]}
        for (d, t, pk), levels in sorted(heat.items())
    ]
    # The CHART_SERIES lowest scores of the latest day: more lines than that is a tangle, not a chart.
    shown = sorted(trends, key=lambda name: (trends[name].get(latest, math.inf), name))[:CHART_SERIES]
    chart = {
        "dates": [d.isoformat() for d in days],
        "series": [{"name": name, "data": [trends[name].get(d) for d in days]} for name in sorted(shown)],
    }
    visible_cases = access.scope(Case.objects.all(), **SCOPES[Case])
    # distinct: a case the user sees both by its town and as an owner is one case
    by_stage = visible_cases.order_by().values_list("stage").annotate(n=Count("id", distinct=True))
    stages = dict(by_stage.values_list("stage", "n"))
    overdue = (
        visible_tasks(access, RectificationTask.objects.all())
        .filter(state__in=RectificationTask.OWED_STATES, deadline__lt=today)
        .select_related("owner", "case__town")
        .order_by("deadline")[:50]
    )
    return render(
        request,
        "workflows/dashboard.html",
        {
            "nav": "dashboard",
            "days": days,
            "heatmap": heatmap,
            "chosen": chosen,
            "districts_page": page,
            "chart": chart,
            "chart_limited": len(trends) > CHART_SERIES,
            "stages": [(value, label, stages.get(value, 0)) for value, label in Case.Stage.choices],
            "overdue": overdue,
        },
    )


@login_required
def board(request):
    """The safety office's supervision board: cases by stage, work to check, deadlines, extensions.

    Every list shows its first BOARD_LIMIT items (the oldest first: what waits longest) beside its total,
    so the page costs the same for a city's dozen cases as for a national deployment's 50,000. The lists
    are rendered once for the users of the same cities and kept until the workflow moves, the page around
    them once for each user (board_cache).
    """
    access = access_of(request)
    if not access.city_wide:
        raise PermissionDenied
    today = timezone.localdate()
    return HttpResponse(
        board_cache.page(
            request,
            access.cities,
            today,
            lambda csrf_token: render_to_string(
                "workflows/_board.html", {**board_lists(access, today), "csrf_token": csrf_token}, request
            ),
            lambda csrf_token, lists: render_to_string(
                "workflows/board.html", {"nav": "board", "lists": lists, "csrf_token": csrf_token}, request
            ),
        )
    )


def board_lists(access, today: datetime.date) -> dict:
    """What the board's lists show, read for a city-wide user's cities."""
    cases = access.scope(Case.objects.all(), **SCOPES[Case])
    tasks = access.scope(RectificationTask.objects.all(), **SCOPES[RectificationTask])
    owed = tasks.filter(state__in=RectificationTask.OWED_STATES).select_related("owner", "case__town")
    try:
        soon = work_calendar().add_working_days(today, 2)
    except UnknownCalendarYear:
        soon = today + datetime.timedelta(days=2)
    owed_states = ",".join(RectificationTask.OWED_STATES)
    lists = listings(
        {
            **{
                stage: (
                    cases.filter(stage=stage).select_related("town").order_by("opened_on", "id"),
                    _admin("case", stage__exact=stage),
                )
                for stage in Case.OPEN_STAGES
            },
            "submitted": (
                tasks.filter(state=RectificationTask.State.SUBMITTED)
                .select_related("owner", "case__town")
                .prefetch_related("attachments")
                .order_by("submitted_at", "id"),
                _admin("rectificationtask", state__exact=RectificationTask.State.SUBMITTED),
            ),
            "due_soon": (
                owed.filter(deadline__range=(today, soon)).order_by("deadline", "id"),
                _admin("rectificationtask", state__in=owed_states, deadline__gte=today, deadline__lte=soon),
            ),
            "overdue": (
                owed.filter(deadline__lt=today).order_by("deadline", "id"),
                _admin("rectificationtask", state__in=owed_states, deadline__lt=today),
            ),
            "extensions": (
                access.scope(ExtensionRequest.objects.all(), **SCOPES[ExtensionRequest])
                .filter(state=ExtensionRequest.State.PENDING)
                .select_related("task__owner")
                .order_by("requested_at", "id"),
                _admin("extensionrequest", state__exact=ExtensionRequest.State.PENDING),
            ),
        }
    )
    columns = [(stage, label, lists[stage]) for stage, label in Case.Stage.choices if stage in Case.OPEN_STAGES]
    prefetch_related_objects([c for _, _, listing in columns for c in listing.items], "owners__unit")
    return {
        "columns": columns,
        "submitted": lists["submitted"],
        "due_soon": lists["due_soon"],
        "overdue": lists["overdue"],
        "extensions": lists["extensions"],
        "notices": access.in_cities(Notice.objects.all(), "city")
        .select_related("city", "case__town")
        .order_by("-issued_at")[:20],
        # the measures each item's form offers, made once for the page
        "measure_options": format_html_join("", '<option value="{}">{}</option>', AccountabilityRecord.Measure.choices),
    }


BOARD_LIMIT = 20


def _admin(model: str, **filters) -> str:
    return f"{reverse(f'admin:workflows_{model}_changelist')}?{urlencode({k: str(v) for k, v in filters.items()})}"


def listings(lists: dict[str, tuple[QuerySet, str]]) -> dict[str, Listing]:
    """The first BOARD_LIMIT items of each (queryset, link to all) and its total: the totals of the
    lists that have more are counted together, in one statement, up to COUNT_LIMIT."""
    firsts = {key: list(queryset[: BOARD_LIMIT + 1]) for key, (queryset, _) in lists.items()}
    longer = {key: lists[key][0] for key, rows in firsts.items() if len(rows) > BOARD_LIMIT}
    totals = bounded_counts(longer, COUNT_LIMIT)
    return {
        key: Listing(rows[:BOARD_LIMIT], totals[key] if key in longer else len(rows), lists[key][1])
        for key, rows in firsts.items()
    }


@dataclass
class Listing:
    """The first items of a list, how many there are in all, and where to see them all (the admin)."""

    items: list
    total: int | None  # None: more than COUNT_LIMIT
    url: str = ""

    @property
    def more(self) -> bool:
        return self.total is None or self.total > len(self.items)

    @property
    def total_label(self) -> str:
        """The total, or "1000+" when more than COUNT_LIMIT (counting further costs more than the page)."""
        return f"{COUNT_LIMIT}+" if self.total is None else str(self.total)


@login_required
@require_POST
def add_task(request, case_id: int):
    """The office assigns a task from the board (the service checks it is the office)."""
    case = _visible(request, Case, case_id)
    owner = Unit.objects.filter(pk=request.POST.get("owner") or None).first()
    if owner is None:
        messages.error(request, _("choose the unit that owns the task"))
        return _back(request, "board")
    _run(
        request,
        "create",
        lambda: rectification.task_create(
            case_id=case.pk,
            user=request.user,
            owner=owner,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        ),
    )
    return _back(request, "board")


@login_required
@require_POST
def propose_accountability(request, case_id: int):
    """The office proposes a measure against one of a case's owners."""
    case = _visible(request, Case, case_id)
    owner = case.owners.select_related("unit").filter(unit_id=request.POST.get("unit") or None).first()
    if owner is None:
        messages.error(request, _("choose one of the case's owners"))
        return _back(request, "board")
    _run(
        request,
        "propose",
        lambda: record_propose(
            case=case,
            target_unit=owner.unit,
            measure=request.POST.get("measure", ""),
            origin="office",
            grounds=request.POST.get("grounds", ""),
            user=request.user,
            leader_name=request.POST.get("leader_name", ""),
            leader_post=request.POST.get("leader_post", ""),
        ),
    )
    return _back(request, "board")


@login_required
def notice_print(request, notice_id: int):
    """A numbered notice as a printable page, for the office and the case's owners."""
    notice = get_object_or_404(Notice.objects.select_related("case__town__district__city", "city"), pk=notice_id)
    owner = notice.case.owners.filter(unit__members=request.user).exists()
    if not (is_office(notice.case, request.user) or owner):
        raise PermissionDenied
    return render(request, "workflows/notice_print.html", {"notice": notice})
