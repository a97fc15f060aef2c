"""Who may decide accountability records, and what a decision needs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pingan.roles import LEADERSHIP as LEADERSHIP_GROUP
from workflows.guards import is_office, refusal


def is_leadership(record, user) -> bool:
    """City leadership (the `leadership` group), or a superuser."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=LEADERSHIP_GROUP).exists()


def is_record_office(record, user) -> bool:
    return is_office(record.case, user)


@refusal(_("a reason is required to dismiss a proposal"))
def dismissal_reason_present(record) -> bool:
    return bool(record.dismissal_reason.strip())


def _is_any_office(user) -> bool:
    """A member of any safety office, or a superuser (evaluations belong to no single case)."""
    from pingan.models import Unit

    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or Unit.objects.filter(kind=Unit.Kind.SAFETY_OFFICE, members=user).exists()


def is_evaluation_office(evaluation, user) -> bool:
    return _is_any_office(user)


def is_evaluation_office_or_leadership(evaluation, user) -> bool:
    return _is_any_office(user) or is_leadership(evaluation, user)
