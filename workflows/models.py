"""The case workflow: cases through five stages, their owners and days, rectification tasks,
extensions, the append-only transition log, numbered notices, notifications and the calendar."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from pingan.models import LEVEL_CHOICES, City, DailyIndex, Town, Unit

from . import guards


class CalendarYear(models.Model):
    """A year whose holidays and make-up working days are in the calendar."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=100)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        WORKDAY = "workday", _("make-up working day (调休)")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Case(ConcurrentTransitionMixin, models.Model):
    """A red or orange town pushed through mobilize → analyze → warn → supervise → hold accountable."""

    class Stage(models.TextChoices):
        MOBILIZE = "mobilize", _("mobilize")
        ANALYZE = "analyze", _("analyze")
        WARN = "warn", _("warn")
        SUPERVISE = "supervise", _("supervise")
        HOLD_ACCOUNTABLE = "hold_accountable", _("hold accountable")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STAGES = [Stage.MOBILIZE, Stage.ANALYZE, Stage.WARN, Stage.SUPERVISE, Stage.HOLD_ACCOUNTABLE]

    town = models.ForeignKey(Town, models.PROTECT, related_name="cases", verbose_name=_("town"))
    level = models.CharField(_("opening level"), max_length=10, choices=LEVEL_CHOICES)
    stage = FSMField(_("stage"), default=Stage.MOBILIZE, choices=Stage.choices, protected=True)
    opened_on = models.DateField(_("opened on"))
    opening_index = models.ForeignKey(
        DailyIndex, models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("opening index")
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=1)
    enter_accountability = models.BooleanField(
        _("hold accountable after supervision"),
        default=False,
        help_text=_("Set by the escalation ladder: the case enters hold-accountable when it leaves supervision."),
    )
    analysis = models.TextField(_("analysis report"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["stage", "opened_on", "id"], name="case_by_stage")]  # lists by stage
        constraints = [
            models.UniqueConstraint(
                fields=["town"],
                condition=Q(stage__in=["mobilize", "analyze", "warn", "supervise", "hold_accountable"]),
                name="one_open_case_per_town",
            )
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.opened_on} ({self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN_STAGES

    @property
    def city(self) -> City:
        return self.town.district.city

    # Transitions change only this row; services around them log, notify and chain stages.
    @transition(
        field=stage,
        source=Stage.MOBILIZE,
        target=Stage.ANALYZE,
        conditions=[guards.all_owners_acknowledged],
        permission=guards.is_office,
    )
    def start_analysis(self) -> None:
        pass

    @transition(field=stage, source=Stage.MOBILIZE, target=Stage.ANALYZE, permission=guards.is_office)
    def force_analysis(self) -> None:
        pass

    @transition(
        field=stage,
        source=Stage.ANALYZE,
        target=Stage.WARN,
        conditions=[guards.analysis_filed],
        permission=guards.is_office,
    )
    def issue_warning(self) -> None:
        pass

    @transition(
        field=stage,
        source=Stage.WARN,
        target=Stage.SUPERVISE,
        conditions=[guards.has_tasks],
        permission=guards.is_office,
    )
    def start_supervision(self) -> None:
        pass

    @transition(
        field=stage,
        source=Stage.SUPERVISE,
        target=Stage.CLOSED,
        conditions=[guards.not_bound_for_accountability, guards.all_tasks_verified, guards.out_of_colour_long_enough],
        permission=guards.is_office,
    )
    def close(self) -> None:
        self.ended_at = timezone.now()

    @transition(field=stage, source=Stage.SUPERVISE, target=Stage.HOLD_ACCOUNTABLE, permission=guards.is_office)
    def hold_accountable(self) -> None:
        pass

    @transition(
        field=stage,
        source=Stage.HOLD_ACCOUNTABLE,
        target=Stage.CLOSED,
        conditions=[guards.all_records_decided],
        permission=guards.is_office,
    )
    def close_after_accountability(self) -> None:
        self.ended_at = timezone.now()

    @transition(field=stage, source=OPEN_STAGES, target=Stage.CANCELLED, permission=guards.is_office)
    def cancel(self) -> None:
        self.ended_at = timezone.now()


class CaseDay(models.Model):
    """A published red or orange day of the town, attached to its case."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="days", verbose_name=_("case"))
    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    date = models.DateField(_("date"))
    level = models.CharField(_("level"), max_length=10, choices=LEVEL_CHOICES)
    index = models.ForeignKey(DailyIndex, models.PROTECT, related_name="+", verbose_name=_("index"))

    class Meta:
        verbose_name = _("case day")
        verbose_name_plural = _("case days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["town", "date"], name="a_town_day_belongs_to_one_case")]

    def __str__(self) -> str:
        return f"{self.date} {self.level}"


class CaseOwner(models.Model):
    """A unit responsible for a case, and its acknowledgement (签收)."""

    class Role(models.TextChoices):
        TOWN_GOVERNMENT = "town_government", _("town government")
        POLICE_STATION = "police_station", _("police station")
        DEPARTMENT = "department", _("department")

    case = models.ForeignKey(Case, models.CASCADE, related_name="owners", verbose_name=_("case"))
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="case_ownerships", verbose_name=_("unit"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    class Meta:
        verbose_name = _("case owner")
        verbose_name_plural = _("case owners")
        ordering = ["case_id", "role", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="a_unit_owns_a_case_once")]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_role_display()})"


OWED = ("assigned", "accepted", "returned")  # RectificationTask.OWED_STATES, for Meta.indexes


class RectificationTask(ConcurrentTransitionMixin, models.Model):
    """整改任务: owned by one unit, due on a working day; overdue is derived, not a state."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("assigned")
        ACCEPTED = "accepted", _("accepted")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        VERIFIED = "verified", _("verified")
        CANCELLED = "cancelled", _("cancelled")

    class Kind(models.TextChoices):
        RECTIFICATION = "rectification", _("rectification")
        INTERVIEW = "interview", _("interview (约谈)")

    # Work is still owed in these states: deadlines, reminders and overdue apply.
    OWED_STATES = [State.ASSIGNED, State.ACCEPTED, State.RETURNED]
    SETTLED_STATES = [State.VERIFIED, State.CANCELLED]

    case = models.ForeignKey(Case, models.CASCADE, related_name="tasks", verbose_name=_("case"))
    owner = models.ForeignKey(Unit, models.PROTECT, related_name="tasks", verbose_name=_("owner"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RECTIFICATION)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    deadline = models.DateField(_("deadline"))
    state = FSMField(_("state"), default=State.ASSIGNED, choices=State.choices, protected=True)
    report = models.TextField(_("report"), blank=True)
    return_reason = models.TextField(_("return reason"), blank=True)
    # A task carries only the indexes something reads: the key is unique where it is set (Meta), and
    # nothing looks tasks up by their creator.
    key = models.CharField(_("key"), max_length=100, null=True, blank=True, editable=False)  # noqa: DJ001 (no key: NULL)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")
        ordering = ["deadline", "id"]
        constraints = [models.UniqueConstraint(fields=["key"], condition=Q(key__isnull=False), name="task_key_unique")]
        indexes = [
            models.Index(fields=["deadline", "id"], name="task_by_deadline"),  # lists, due and overdue tasks
            # Work to verify, oldest first (the board); no owed task is in it, so the sweep never writes it.
            models.Index(fields=["submitted_at", "id"], condition=Q(state="submitted"), name="task_to_verify"),
            # Owed tasks by deadline: the deadline sweep's steps look among them for what is due, every
            # hour among all the overdue ones; with the id and the case in the index, without reading
            # the tasks themselves.
            models.Index(fields=["deadline", "id", "case"], condition=Q(state__in=OWED), name="task_owed"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.owner}"

    def is_overdue(self, today) -> bool:
        return self.overdue(self.state, self.deadline, today)

    @classmethod
    def overdue(cls, state: str, deadline, today) -> bool:
        """Still owed by its owner (assigned, accepted or returned) after its deadline."""
        return state in cls.OWED_STATES and deadline < today

    @transition(field=state, source=State.ASSIGNED, target=State.ACCEPTED, permission=guards.is_task_owner)
    def accept(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.ACCEPTED, State.RETURNED],
        target=State.SUBMITTED,
        conditions=[guards.report_present],
        permission=guards.is_task_owner,
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=state, source=State.SUBMITTED, target=State.VERIFIED, permission=guards.is_task_office)
    def verify(self) -> None:
        self.verified_at = timezone.now()

    @transition(
        field=state,
        source=State.SUBMITTED,
        target=State.RETURNED,
        conditions=[guards.return_reason_present],
        permission=guards.is_task_office,
    )
    def send_back(self) -> None:
        pass

    @transition(
        field=state, source=OWED_STATES + [State.SUBMITTED], target=State.CANCELLED, permission=guards.is_task_office
    )
    def cancel(self) -> None:
        pass


class SweepMark(models.Model):
    """What the deadline sweep did for a task and its deadline: reminded, issued the supervision notice,
    proposed accountability. An extension gives the task a new deadline, which re-arms every step.

    The marks are rows of their own rather than columns of the task. Marking a column of the task
    wrote a new version of the task into most of the task table's indexes, and after a checkpoint a
    full-page image of every page touched into the WAL: about half the sweep's time at national scale.
    A mark is one short row."""

    class Step(models.TextChoices):
        REMIND = "remind", _("reminder")
        NOTICE = "notice", _("supervision notice")
        PROPOSE = "propose", _("accountability proposal")

    pk = models.CompositePrimaryKey("task_id", "step", "deadline")
    # No constraint in the database: checking it at each commit would lock every task just marked, which
    # writes the task table's pages after all. Deleting a task through Django deletes its marks.
    task = models.ForeignKey(
        RectificationTask,
        models.CASCADE,
        related_name="sweep_marks",
        verbose_name=_("rectification task"),
        db_constraint=False,
        db_index=False,  # the primary key's first column
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    deadline = models.DateField(_("deadline"))

    class Meta:
        verbose_name = _("deadline sweep mark")
        verbose_name_plural = _("deadline sweep marks")

    def __str__(self) -> str:
        return f"{self.task_id} {self.step} {self.deadline}"


def attachment_path(instance: TaskAttachment, filename: str) -> str:
    return f"tasks/{instance.task_id}/{filename}"


class TaskAttachment(models.Model):
    task = models.ForeignKey(RectificationTask, models.CASCADE, related_name="attachments", verbose_name=_("task"))
    file = models.FileField(_("file"), upload_to=attachment_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["id"]  # in the order uploaded, in the API as on the pages
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file.name


class ExtensionRequest(models.Model):
    """A request to move a task's deadline, decided by the safety office."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    task = models.ForeignKey(RectificationTask, models.CASCADE, related_name="extensions", verbose_name=_("task"))
    working_days = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    old_deadline = models.DateField(_("old deadline"))
    new_deadline = models.DateField(_("new deadline"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(state="pending"), name="one_pending_extension_per_task"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} +{self.working_days} ({self.get_state_display()})"


class TransitionLog(models.Model):
    """Who moved what from where to where, when and why. Append-only."""

    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="log", verbose_name=_("case"))
    task = models.ForeignKey(
        RectificationTask, models.CASCADE, null=True, blank=True, related_name="log", verbose_name=_("task")
    )
    city = models.ForeignKey(
        City,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the first column of log_by_city
        verbose_name=_("city"),
        help_text=_("The city of the case this row is filed under."),
    )
    subject = models.CharField(
        _("subject"), max_length=40, help_text=_("What moved: case, task, extension, record, evaluation.")
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    transition = models.CharField(_("transition"), max_length=50)
    source = models.CharField(_("from"), max_length=20)
    target = models.CharField(_("to"), max_length=20)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("transition log")
        verbose_name_plural = _("transition log")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["subject", "subject_id"], name="log_by_subject"),
            models.Index(fields=["city", "id"], name="log_by_city"),  # a city's latest rows (board_cache)
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.transition}: {self.source} → {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("the transition log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("the transition log is append-only")


class Notice(models.Model):
    """A numbered document: 预警通知书 (warning) or 督办通知书 (supervision)."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("warning notice")
        SUPERVISION = "supervision", _("supervision notice")

    PREFIX = {Kind.WARNING: "平安预", Kind.SUPERVISION: "平安督"}

    city = models.ForeignKey(City, models.PROTECT, related_name="notices", verbose_name=_("city"))
    case = models.ForeignKey(Case, models.PROTECT, related_name="notices", verbose_name=_("case"))
    task = models.ForeignKey(
        RectificationTask, models.PROTECT, null=True, blank=True, related_name="notices", verbose_name=_("task")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    key = models.CharField(_("key"), max_length=100, unique=True, editable=False)
    reason = models.CharField(_("reason"), max_length=255)
    body = models.TextField(_("body"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("issued by")
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["city", "kind", "year", "number"], name="notice_number_unique_per_year")
        ]

    def __str__(self) -> str:
        return self.document_number

    @property
    def document_number(self) -> str:
        return self.number_of(self.city.document_prefix, self.kind, self.year, self.number)

    @classmethod
    def number_of(cls, city_prefix: str, kind: str, year: int, number: int) -> str:
        """The document number (文号) printed on a notice: 珠平安办督〔2026〕12号."""
        return f"{city_prefix}{cls.PREFIX[kind]}〔{year}〕{number}号"


class NoticeCounter(models.Model):
    """The last number given to a kind of notice in a city and year."""

    city = models.ForeignKey(City, models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Notice.Kind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "kind", "year"], name="one_counter_per_city_kind_year")]

    def __str__(self) -> str:
        return f"{self.city} {self.kind} {self.year}: {self.last}"


class Notification(models.Model):
    """A message to a user: always in the in-app inbox; other channels deliver it after commit."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40)
    key = models.CharField(_("key"), max_length=150, editable=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    case = models.ForeignKey(Case, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case"))
    task = models.ForeignKey(
        RectificationTask, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("task")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="a_notification_once_per_recipient")]
        indexes = [models.Index(fields=["delivered_at"], name="notification_delivery")]

    def __str__(self) -> str:
        return self.title
