"""One service per case transition (DESIGN.md §4), each with its permission, guard, log row and
notifications after commit."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.errors import DomainError

from ..errors import NotPermitted, TransitionRefused
from ..guards import is_office
from ..models import Case, CaseOwner, Notice, RectificationTask
from .notices import issue_notice
from .notifications import members_of, notify
from .transitions import Outcome, perform, write_log


def _owners_notice(case: Case, *, kind: str, key: str, title: str, body: str = "") -> None:
    notify(
        members_of(o.unit for o in case.owners.select_related("unit")),
        kind=kind,
        key=key,
        title=title,
        body=body,
        case=case,
    )


def case_acknowledge(*, case_id: int, user, comment: str = "") -> list[CaseOwner]:
    """An owner unit's member acknowledges (签收) the case for the units they belong to.

    When the last owner has acknowledged, the case moves on to analysis by itself."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        mine = list(case.owners.filter(unit__members=user).select_related("unit"))
        if not mine:
            raise NotPermitted(_("you are not a member of an owner of this case"))
        pending = [o for o in mine if o.acknowledged_at is None]
        if not pending:
            return []
        if case.stage != Case.Stage.MOBILIZE:
            raise TransitionRefused(_("the case is past mobilization; acknowledgement is closed"))
        now = timezone.now()
        CaseOwner.objects.filter(id__in=[o.id for o in pending]).update(acknowledged_at=now, acknowledged_by=user)
        names = "、".join(o.unit.name for o in pending)
        write_log(case, "acknowledge", case.stage, case.stage, user=user, comment=comment or names)
        if not case.owners.filter(acknowledged_at__isnull=True).exists():
            perform(
                Case,
                case.pk,
                "start_analysis",
                user=user,
                system=True,
                comment=_("every owner has acknowledged"),
                after=_notify_stage,
            )
    return pending


def _notify_stage(case: Case) -> None:
    _owners_notice(
        case,
        kind="case_stage",
        key=f"case:{case.id}:stage:{case.stage}",
        title=_("Case of %(town)s: %(stage)s") % {"town": case.town.name, "stage": case.get_stage_display()},
    )


def case_start_analysis(*, case_id: int, user, comment: str = "") -> Outcome:
    """The office moves a fully acknowledged case to joint analysis (研判)."""
    return perform(Case, case_id, "start_analysis", user=user, comment=comment, after=_notify_stage)


def case_force_analysis(*, case_id: int, user, reason: str) -> Outcome:
    """The office moves a case to analysis before every owner acknowledged; a reason is required."""
    if not reason.strip():
        raise TransitionRefused(_("a reason is required to force the case into analysis"))
    return perform(Case, case_id, "force_analysis", user=user, comment=reason, after=_notify_stage)


def case_file_analysis(*, case_id: int, user, report: str) -> Case:
    """The town (or the office) files the joint analysis: causes, hotspots, measures."""
    if not report.strip():
        raise DomainError(_("the analysis report is empty"))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        owner = case.owners.filter(
            unit__members=user, role__in=[CaseOwner.Role.TOWN_GOVERNMENT, CaseOwner.Role.POLICE_STATION]
        )
        if not (is_office(case, user) or owner.exists()):
            raise NotPermitted(_("only the town, its police station or the safety office files the analysis"))
        if case.stage != Case.Stage.ANALYZE:
            raise TransitionRefused(_("the analysis is filed while the case is in analysis"))
        Case.objects.filter(pk=case.pk).update(analysis=report)
        case.analysis = report
        write_log(case, "file_analysis", case.stage, case.stage, user=user, comment=report[:500])
    return case


def case_issue_warning(*, case_id: int, user, comment: str = "") -> Outcome:
    """The office issues the numbered warning notice (预警通知书); the case enters the warn stage."""

    def issue(case: Case) -> None:
        notice = issue_notice(
            case,
            Notice.Kind.WARNING,
            key=f"case:{case.id}:warning",
            user=user,
            reason=_("the analysis found: %(summary)s") % {"summary": case.analysis.strip()[:100]},
        )
        _owners_notice(
            case,
            kind="warning_notice",
            key=f"notice:{notice.id}",
            title=_("Warning notice %(number)s") % {"number": notice.document_number},
            body=notice.body,
        )

    return perform(Case, case_id, "issue_warning", user=user, comment=comment, after=issue)


def case_start_supervision(*, case_id: int, user, comment: str = "") -> Outcome:
    """With tasks assigned, the office starts supervising (督办)."""
    return perform(Case, case_id, "start_supervision", user=user, comment=comment, after=_notify_stage)


def case_close(*, case_id: int, user, comment: str = "") -> Outcome:
    """The office closes a case whose tasks are verified and whose town stayed out of orange/red."""
    return perform(Case, case_id, "close", user=user, comment=comment, after=_notify_stage)


def case_hold_accountable(*, case_id: int, user, comment: str = "") -> Outcome:
    """The office moves a supervised case to accountability (问责)."""
    return perform(Case, case_id, "hold_accountable", user=user, comment=comment, after=_notify_stage)


def case_close_after_accountability(*, case_id: int, user, comment: str = "") -> Outcome:
    """The office closes a case once leadership decided every accountability record."""
    return perform(Case, case_id, "close_after_accountability", user=user, comment=comment, after=_notify_stage)


def case_cancel(*, case_id: int, user, reason: str) -> Outcome:
    """The office cancels a case (e.g. a data correction removed the red); its open tasks end too."""
    if not reason.strip():
        raise TransitionRefused(_("a reason is required to cancel a case"))

    def cancel_tasks(case: Case) -> None:
        for task in case.tasks.exclude(state__in=RectificationTask.SETTLED_STATES):
            perform(RectificationTask, task.pk, "cancel", user=user, system=True, comment=reason)
        _notify_stage(case)

    return perform(Case, case_id, "cancel", user=user, comment=reason, after=cancel_tasks)
