"""Conditions and permissions of the case and task transitions (DESIGN.md §4).

Conditions read, never write. Each carries the message shown when it stops a transition.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def refusal(message):
    """Attach the sentence that explains a failed condition."""

    def decorate(condition):
        condition.message = message
        return condition

    return decorate


# Permissions: (instance, user) → bool


def is_office(case, user) -> bool:
    """A member of the city's safety office (平安办), or a superuser."""
    from pingan.models import Unit

    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Unit.objects.filter(kind=Unit.Kind.SAFETY_OFFICE, city_id=case.town.district.city_id, members=user).exists()


def is_task_office(task, user) -> bool:
    return is_office(task.case, user)


def is_task_owner(task, user) -> bool:
    """A member of the unit that owns the task."""
    if user is None or not user.is_authenticated:
        return False
    return task.owner.members.filter(pk=user.pk).exists()


# Conditions on a case


@refusal(_("not every owner has acknowledged the case"))
def all_owners_acknowledged(case) -> bool:
    return case.owners.exists() and not case.owners.filter(acknowledged_at__isnull=True).exists()


@refusal(_("no analysis report has been filed"))
def analysis_filed(case) -> bool:
    return bool(case.analysis.strip())


@refusal(_("the case has no rectification task"))
def has_tasks(case) -> bool:
    return case.tasks.exclude(state="cancelled").exists()


@refusal(_("not every rectification task is verified"))
def all_tasks_verified(case) -> bool:
    tasks = case.tasks.exclude(state="cancelled")
    return tasks.exists() and not tasks.exclude(state="verified").exists()


@refusal(_("the escalation ladder requires accountability: hold the case accountable instead of closing it"))
def not_bound_for_accountability(case) -> bool:
    return not case.enter_accountability


@refusal(_("the town has not yet been out of orange and red for the days the policy requires"))
def out_of_colour_long_enough(case) -> bool:
    from .selectors import days_out_of_colour, required_days_out_of_colour

    return days_out_of_colour(case) >= required_days_out_of_colour(case, timezone.localdate())


@refusal(_("not every accountability record has been decided"))
def all_records_decided(case) -> bool:
    from accountability.models import AccountabilityRecord

    return not case.accountability_records.filter(state=AccountabilityRecord.State.PROPOSED).exists()


# Conditions on a task


@refusal(_("a report is required"))
def report_present(task) -> bool:
    return bool(task.report.strip())


@refusal(_("a reason is required to return a task"))
def return_reason_present(task) -> bool:
    return bool(task.return_reason.strip())
