"""Rectification tasks (整改任务): one service per transition, and extension requests."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.errors import DomainError
from pingan.models import Unit

from ..errors import NotPermitted, TransitionRefused
from ..guards import is_office, is_task_owner
from ..models import Case, ExtensionRequest, RectificationTask, TaskAttachment
from ..selectors import policy_for, work_calendar
from ..working_days import UnknownCalendarYear
from .notifications import members_of, notify
from .transitions import Outcome, perform, write_log

TASK_STAGES = (Case.Stage.WARN, Case.Stage.SUPERVISE)


def deadline_after(start, working_days: int):
    """The deadline `working_days` working days after `start`; an unknown year is the office's to fix."""
    try:
        return work_calendar().add_working_days(start, working_days)
    except UnknownCalendarYear as exc:
        raise DomainError(str(exc)) from exc


def _tell_owner(task: RectificationTask, kind: str, title: str, body: str = "") -> None:
    notify(
        members_of([task.owner]),
        kind=kind,
        key=f"task:{task.id}:{kind}:{timezone.now():%Y%m%d%H%M%S%f}",
        title=title,
        body=body,
        case=task.case,
        task=task,
    )


def _tell_office(task: RectificationTask, kind: str, title: str, body: str = "") -> None:
    offices = Unit.objects.filter(kind=Unit.Kind.SAFETY_OFFICE, city_id=task.owner.city_id)
    notify(
        members_of(offices),
        kind=kind,
        key=f"task:{task.id}:{kind}:{timezone.now():%Y%m%d%H%M%S%f}",
        title=title,
        body=body,
        case=task.case,
        task=task,
    )


def task_create(
    *, case_id: int, user, owner: Unit, title: str, description: str = "", working_days: int | None = None
) -> RectificationTask:
    """The office assigns a task to a unit, due in working days (default: the policy's for the case's colour)."""
    if not title.strip():
        raise DomainError(_("a task needs a title"))
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("town__district__city").get(pk=case_id)
        if not is_office(case, user):
            raise NotPermitted(_("only the safety office assigns rectification tasks"))
        if case.stage not in TASK_STAGES:
            raise TransitionRefused(
                _("tasks are assigned in the warn and supervise stages; the case is %(stage)s")
                % {"stage": case.get_stage_display()}
            )
        if owner.city_id != case.town.district.city_id:
            raise DomainError(
                _("%(unit)s is not a unit of %(city)s") % {"unit": owner, "city": case.town.district.city}
            )
        today = timezone.localdate()
        if working_days is None:
            policy = policy_for(case, today)
            working_days = policy.red_deadline_days if case.level == "red" else policy.orange_deadline_days
        task = RectificationTask.objects.create(
            case=case,
            owner=owner,
            title=title,
            description=description,
            deadline=deadline_after(today, working_days),
            created_by=user,
        )
        write_log(task, "create", "", task.state, user=user, comment=title)
        notify(
            members_of([owner]),
            kind="task_assigned",
            key=f"task:{task.id}:assigned",
            title=_("New task: %(title)s, due %(deadline)s") % {"title": title, "deadline": task.deadline},
            body=description,
            case=case,
            task=task,
        )
    return task


def task_accept(*, task_id: int, user, comment: str = "") -> Outcome:
    """The owner accepts the task."""
    return perform(RectificationTask, task_id, "accept", user=user, comment=comment)


def task_submit(*, task_id: int, user, report: str, files: list[UploadedFile] = ()) -> Outcome:
    """The owner submits the rectification report, with attachments."""

    def set_report(task):
        task.report = report

    def store_files(task):
        for f in files:
            TaskAttachment.objects.create(task=task, file=f, uploaded_by=user)
        _tell_office(task, "task_submitted", _("Submitted for verification: %(title)s") % {"title": task.title}, report)

    return perform(
        RectificationTask, task_id, "submit", user=user, comment=report[:500], before=set_report, after=store_files
    )


def task_verify(*, task_id: int, user, comment: str = "") -> Outcome:
    """The office verifies the submitted work."""

    def tell(task):
        _tell_owner(task, "task_verified", _("Verified: %(title)s") % {"title": task.title}, comment)

    return perform(RectificationTask, task_id, "verify", user=user, comment=comment, after=tell)


def task_return(*, task_id: int, user, reason: str) -> Outcome:
    """The office returns the submitted work for rework, with a reason."""

    def set_reason(task):
        task.return_reason = reason

    def tell(task):
        _tell_owner(task, "task_returned", _("Returned for rework: %(title)s") % {"title": task.title}, reason)

    return perform(RectificationTask, task_id, "send_back", user=user, comment=reason, before=set_reason, after=tell)


def task_request_extension(*, task_id: int, user, working_days: int, reason: str) -> ExtensionRequest:
    """The owner asks the office for more working days."""
    if working_days < 1:
        raise DomainError(_("ask for at least one working day"))
    if not reason.strip():
        raise DomainError(_("a reason is required to request an extension"))
    with transaction.atomic():
        task = RectificationTask.objects.select_for_update().get(pk=task_id)
        if not is_task_owner(task, user):
            raise NotPermitted(_("only the task's owner requests an extension"))
        if task.state not in RectificationTask.OWED_STATES:
            raise TransitionRefused(
                _("an extension is requested while work is owed; the task is %(state)s")
                % {"state": task.get_state_display()}
            )
        if task.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
            raise TransitionRefused(_("an extension request for this task is already pending"))
        request = ExtensionRequest.objects.create(
            task=task, working_days=working_days, reason=reason, requested_by=user, old_deadline=task.deadline
        )
        write_log(request, "request_extension", task.state, task.state, user=user, comment=f"+{working_days}: {reason}")
        _tell_office(
            task,
            "extension_requested",
            _("Extension requested: %(title)s (+%(n)s working days)") % {"title": task.title, "n": working_days},
            reason,
        )
    return request


def _decide(request_id: int, user, approve: bool, comment: str) -> ExtensionRequest:
    with transaction.atomic():
        request = (
            ExtensionRequest.objects.select_for_update().select_related("task__case__town__district").get(pk=request_id)
        )
        task = RectificationTask.objects.select_for_update().get(pk=request.task_id)
        if not is_office(task.case, user):
            raise NotPermitted(_("only the safety office decides extensions"))
        if request.state != ExtensionRequest.State.PENDING:
            raise TransitionRefused(
                _("this extension request was already %(state)s") % {"state": request.get_state_display()}
            )
        if not approve and not comment.strip():
            raise DomainError(_("a reason is required to refuse an extension"))
        request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
        request.decided_by, request.decided_at, request.decision_comment = user, timezone.now(), comment
        if approve:
            request.new_deadline = deadline_after(task.deadline, request.working_days)
            RectificationTask.objects.filter(pk=task.pk).update(deadline=request.new_deadline)
        request.save()
        name = "approve_extension" if approve else "refuse_extension"
        write_log(request, name, task.state, task.state, user=user, comment=comment)
        title = (
            _("Extension approved: %(title)s, now due %(deadline)s")
            % {"title": task.title, "deadline": request.new_deadline}
            if approve
            else _("Extension refused: %(title)s") % {"title": task.title}
        )
        _tell_owner(task, name, title, comment)
    return request


def extension_approve(*, request_id: int, user, comment: str = "") -> ExtensionRequest:
    """The office grants the extra working days; the deadline moves."""
    return _decide(request_id, user, True, comment)


def extension_refuse(*, request_id: int, user, reason: str) -> ExtensionRequest:
    """The office refuses, with a reason."""
    return _decide(request_id, user, False, reason)
