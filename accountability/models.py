"""问责: accountability records against a unit and its responsible leader."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from pingan.models import Unit
from workflows.models import Case, RectificationTask

from . import guards


class AccountabilityRecord(ConcurrentTransitionMixin, models.Model):
    class Measure(models.TextChoices):
        INTERVIEW = "interview", _("interview (约谈)")
        CIRCULATED_CRITICISM = "circulated_criticism", _("circulated criticism (通报批评)")
        WRITTEN_SELF_CRITICISM = "written_self_criticism", _("written self-criticism (书面检查)")
        ADMONISHMENT = "admonishment", _("admonishment (诫勉谈话)")
        VETO = "veto", _("veto in the annual evaluation (一票否决)")
        ORGANIZATIONAL_HANDLING = "organizational_handling", _("organizational handling (组织处理)")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        EXECUTED = "executed", _("executed")
        DISMISSED = "dismissed", _("dismissed")

    class Origin(models.TextChoices):
        ESCALATION = "escalation", _("escalation ladder")
        OVERDUE_TASK = "overdue_task", _("overdue task")
        OFFICE = "office", _("proposed by the office")

    case = models.ForeignKey(Case, models.PROTECT, related_name="accountability_records", verbose_name=_("case"))
    tasks = models.ManyToManyField(
        RectificationTask, blank=True, related_name="accountability_records", verbose_name=_("tasks")
    )
    target_unit = models.ForeignKey(
        Unit, models.PROTECT, related_name="accountability_records", verbose_name=_("target unit")
    )
    leader_name = models.CharField(_("responsible leader"), max_length=50, blank=True)
    leader_post = models.CharField(_("leader's post"), max_length=100, blank=True)
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    state = FSMField(_("state"), default=State.PROPOSED, choices=State.choices, protected=True)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    grounds = models.TextField(_("grounds"))
    dismissal_reason = models.TextField(_("dismissal reason"), blank=True)
    key = models.CharField(_("key"), max_length=100, unique=True, null=True, blank=True, editable=False)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability records")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.target_unit} · {self.get_measure_display()} ({self.get_state_display()})"

    @transition(field=state, source=State.PROPOSED, target=State.APPROVED, permission=guards.is_leadership)
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state,
        source=State.PROPOSED,
        target=State.DISMISSED,
        conditions=[guards.dismissal_reason_present],
        permission=guards.is_leadership,
    )
    def dismiss(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=State.APPROVED, target=State.EXECUTED, permission=guards.is_record_office)
    def execute(self) -> None:
        self.executed_at = timezone.now()
