"""问责: accountability records against a unit and its responsible leader."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from pingan.models import City, Town, Unit
from workflows.models import Case, RectificationTask

from . import guards
from .evaluation_rules import unknown_components


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


class EvaluationScheme(models.Model):
    """考评方案: layered and classified — each group of towns has its own weights."""

    name = models.SlugField(_("name"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=100, blank=True)
    city = models.ForeignKey(
        City, models.PROTECT, null=True, blank=True, related_name="evaluation_schemes", verbose_name=_("city")
    )
    effective_from = models.DateField(_("effective from"))
    group_weights = models.JSONField(
        _("weights per group"),
        help_text=_(
            'Per town kind (street, town, island): {"mean_score": "0.6", "on_time_rate": "0.4", '
            '"red_days": "-2", "orange_days": "-1"}.'
        ),
    )
    measure_deductions = models.JSONField(_("deduction per accountability measure"))
    veto_cap = models.DecimalField(_("cap under a veto"), max_digits=5, decimal_places=2, default=60)
    commend_top = models.PositiveSmallIntegerField(_("ranks commended per group"), default=1)
    penalize_bottom = models.PositiveSmallIntegerField(_("ranks penalized per group"), default=1)

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="scheme_unique_version")]

    def __str__(self) -> str:
        return f"{self.title or self.name} v{self.version}"

    def clean(self) -> None:
        for group, weights in (self.group_weights or {}).items():
            if group not in Town.Kind.values:
                raise ValidationError(_("unknown group %(group)r: use street, town or island") % {"group": group})
            unknown = unknown_components(weights)
            if unknown:
                raise ValidationError(_("unknown component(s): %(names)s") % {"names": ", ".join(unknown)})


class ManualAdjustment(models.Model):
    """A documented adjustment from an unannounced inspection (明察暗访): who found what, with evidence."""

    unit = models.ForeignKey(Unit, models.PROTECT, related_name="adjustments", verbose_name=_("unit"))
    date = models.DateField(_("date of the finding"))
    points = models.DecimalField(_("points (±)"), max_digits=5, decimal_places=2)
    finding = models.TextField(_("finding"))
    evidence = models.TextField(_("evidence"), help_text=_("What was seen, where, and the record that proves it."))
    evidence_file = models.FileField(_("evidence file"), upload_to="evidence/", blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("author"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("manual adjustment")
        verbose_name_plural = _("manual adjustments")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.unit} {self.date} {self.points:+}"


class Evaluation(ConcurrentTransitionMixin, models.Model):
    """A unit's evaluation for a period, ranked within its group."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        COMPUTED = "computed", _("computed")
        UNDER_REVIEW = "under_review", _("under review")
        APPROVED = "approved", _("approved")
        PUBLISHED = "published", _("published")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    class Recommendation(models.TextChoices):
        NONE = "", _("none")
        COMMENDATION = "commendation", _("commendation")
        PENALTY = "penalty", _("penalty")

    # An evaluation in these states is leadership's: a recomputation may not change it.
    LOCKED_STATES = [State.UNDER_REVIEW, State.APPROVED, State.PUBLISHED]

    unit = models.ForeignKey(Unit, models.PROTECT, related_name="evaluations", verbose_name=_("unit"))
    scheme = models.ForeignKey(EvaluationScheme, models.PROTECT, related_name="evaluations", verbose_name=_("scheme"))
    period = models.CharField(_("period"), max_length=10)
    period_kind = models.CharField(_("period kind"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    group = models.CharField(_("group"), max_length=10, choices=Town.Kind.choices)
    state = FSMField(_("state"), default=State.DRAFT, choices=State.choices, protected=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    group_size = models.PositiveIntegerField(_("group size"), null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    recommendation = models.CharField(
        _("recommendation"), max_length=20, choices=Recommendation.choices, default="", blank=True
    )
    components = models.JSONField(_("components"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["period_start", "group", "rank", "unit_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period_kind", "period_start"], name="one_evaluation_per_unit_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period}"

    @transition(field=state, source=[State.DRAFT, State.COMPUTED], target=State.COMPUTED)
    def compute(self) -> None:
        self.computed_at = timezone.now()

    @transition(field=state, source=State.COMPUTED, target=State.UNDER_REVIEW, permission=guards.is_evaluation_office)
    def submit_for_review(self) -> None:
        pass

    @transition(field=state, source=State.UNDER_REVIEW, target=State.COMPUTED, permission=guards.is_leadership)
    def send_back(self) -> None:
        pass

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED, permission=guards.is_leadership)
    def approve(self) -> None:
        pass

    @transition(
        field=state, source=State.APPROVED, target=State.PUBLISHED, permission=guards.is_evaluation_office_or_leadership
    )
    def publish(self) -> None:
        pass
