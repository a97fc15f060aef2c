"""Accountability records: proposed by the escalation rules or the office, decided by leadership."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from pingan.errors import DomainError
from pingan.models import Unit
from workflows.errors import NotPermitted
from workflows.guards import is_office
from workflows.models import Case, RectificationTask
from workflows.services.notifications import notify
from workflows.services.transitions import Outcome, perform, write_log

from ..guards import LEADERSHIP_GROUP
from ..models import AccountabilityRecord


def leadership():
    return get_user_model().objects.filter(groups__name=LEADERSHIP_GROUP, is_active=True)


def record_propose(
    *,
    case: Case,
    target_unit: Unit,
    measure: str,
    origin: str,
    grounds: str,
    user,
    key: str | None = None,
    tasks: list[RectificationTask] = (),
    leader_name: str = "",
    leader_post: str = "",
) -> AccountabilityRecord:
    """Propose a measure; with a key, a second proposal for the same reason returns the first."""
    if origin == AccountabilityRecord.Origin.OFFICE and not is_office(case, user):
        raise NotPermitted(_("only the safety office proposes accountability"))
    if measure not in AccountabilityRecord.Measure.values:
        raise DomainError(_("unknown measure %(measure)r") % {"measure": measure})
    if not grounds.strip():
        raise DomainError(_("the grounds of a proposal are required"))
    with transaction.atomic():
        if key is not None:
            existing = AccountabilityRecord.objects.filter(key=key).first()
            if existing is not None:
                return existing
        record = AccountabilityRecord.objects.create(
            case=case,
            target_unit=target_unit,
            measure=measure,
            origin=origin,
            grounds=grounds,
            key=key,
            leader_name=leader_name,
            leader_post=leader_post,
            proposed_by=user if user is not None and user.is_authenticated else None,
        )
        record.tasks.set(tasks)
        write_log(record, "propose", "", record.state, user=user, comment=grounds)
        notify(
            leadership(),
            kind="accountability_proposed",
            key=f"record:{record.id}:proposed",
            title=_("Accountability proposed: %(unit)s, %(measure)s")
            % {"unit": target_unit.name, "measure": record.get_measure_display()},
            body=grounds,
            case=case,
        )
    return record


def record_approve(*, record_id: int, user, comment: str = "") -> Outcome:
    """Leadership approves a proposed measure."""
    return perform(AccountabilityRecord, record_id, "approve", user=user, comment=comment)


def record_dismiss(*, record_id: int, user, reason: str) -> Outcome:
    """Leadership dismisses a proposal, with a reason."""

    def set_reason(record):
        record.dismissal_reason = reason

    return perform(AccountabilityRecord, record_id, "dismiss", user=user, comment=reason, before=set_reason)


def record_execute(*, record_id: int, user, comment: str = "") -> Outcome:
    """The office records that an approved measure was carried out."""
    return perform(AccountabilityRecord, record_id, "execute", user=user, comment=comment)
