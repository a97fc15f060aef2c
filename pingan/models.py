"""The index domain: regions, units, indicators, daily data, baselines, policies and indices."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import scoring
from .fields import WholeJSONField

GRADE_CHOICES = [
    (scoring.Grade.EXCELLENT, _("excellent")),
    (scoring.Grade.GOOD, _("good")),
    (scoring.Grade.POOR, _("poor")),
    (scoring.Grade.VERY_POOR, _("very poor")),
]
LEVEL_CHOICES = [
    (scoring.Level.BLUE, _("blue (excellent)")),
    (scoring.Level.YELLOW, _("yellow (good)")),
    (scoring.Level.ORANGE, _("orange (steady)")),
    (scoring.Level.RED, _("red (poor)")),
]


class City(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    abbreviation = models.CharField(
        _("abbreviation"), max_length=4, blank=True, help_text=_("Prefix of document numbers, e.g. 珠 for 珠海市.")
    )

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def document_prefix(self) -> str:
        return self.abbreviation or self.name[:1]


class District(models.Model):
    city = models.ForeignKey(City, models.PROTECT, related_name="districts", verbose_name=_("city"))
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["city__name", "id"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="district_unique_name_in_city")]

    def __str__(self) -> str:
        return self.name


class Town(models.Model):
    class Kind(models.TextChoices):
        STREET = "street", _("street")
        TOWN = "town", _("town")
        ISLAND = "island", _("island town")

    district = models.ForeignKey(District, models.PROTECT, related_name="towns", verbose_name=_("district"))
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(
        _("code"), max_length=12, blank=True, help_text=_("Statistical division code (统计用区划代码), optional.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TOWN)

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["district_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="town_unique_name_in_district"),
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="town_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Population(models.Model):
    """Actual resident population (实有人口) of a town from a date on."""

    town = models.ForeignKey(Town, models.CASCADE, related_name="populations", verbose_name=_("town"))
    effective_from = models.DateField(_("effective from"))
    population = models.PositiveIntegerField(_("population"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("population record")
        verbose_name_plural = _("population records")
        ordering = ["town_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["town", "effective_from"], name="population_unique_per_day"),
            models.CheckConstraint(condition=Q(population__gt=0), name="population_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.population} ({self.effective_from})"


class Indicator(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A responsible unit (责任单位). Each sits on a region; a town's government and its police
    station sit on the same town and are bundled (捆绑)."""

    class Kind(models.TextChoices):
        TOWN_GOVERNMENT = "town_government", _("town government")
        POLICE_STATION = "police_station", _("police station")
        DISTRICT_GOVERNMENT = "district_government", _("district government")
        POLICE_BRANCH = "police_branch", _("police branch")
        DEPARTMENT = "department", _("department")
        SAFETY_OFFICE = "safety_office", _("safety office")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    city = models.ForeignKey(City, models.PROTECT, related_name="units", verbose_name=_("city"))
    district = models.ForeignKey(
        District, models.PROTECT, null=True, blank=True, related_name="units", verbose_name=_("district")
    )
    town = models.ForeignKey(Town, models.PROTECT, null=True, blank=True, related_name="units", verbose_name=_("town"))
    indicators = models.ManyToManyField(
        Indicator,
        blank=True,
        related_name="responsible_units",
        verbose_name=_("responsible for indicators"),
        help_text=_("For departments: the indicators whose cases they take tasks for."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="units", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["city_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="unit_unique_name_in_city"),
            models.UniqueConstraint(
                fields=["town", "kind"],
                condition=Q(kind__in=["town_government", "police_station"]),
                name="one_government_and_station_per_town",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind in (self.Kind.TOWN_GOVERNMENT, self.Kind.POLICE_STATION) and not self.town_id:
            raise ValidationError({"town": _("A town government or police station sits on a town.")})
        if self.kind in (self.Kind.DISTRICT_GOVERNMENT, self.Kind.POLICE_BRANCH) and not self.district_id:
            raise ValidationError({"district": _("A district government or police branch sits on a district.")})


class DataImport(models.Model):
    """One accepted file of daily counts."""

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name=_("imported by")
    )
    rows = models.PositiveIntegerField(_("rows"))
    pairs_new = models.PositiveIntegerField(_("new date-indicator pairs"), default=0)
    pairs_replaced = models.PositiveIntegerField(_("replaced date-indicator pairs"), default=0)
    pairs_unchanged = models.PositiveIntegerField(_("unchanged date-indicator pairs"), default=0)

    class Meta:
        verbose_name = _("data import")
        verbose_name_plural = _("data imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"


class Submission(models.Model):
    """A data source declares a date complete for an indicator in a city (数据报送).
    Only dates on which every active indicator is submitted are scored."""

    city = models.ForeignKey(City, models.PROTECT, related_name="submissions", verbose_name=_("city"))
    date = models.DateField(_("date"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="submissions", verbose_name=_("indicator"))
    source = models.CharField(_("source"), max_length=255)
    data_import = models.ForeignKey(
        DataImport, models.SET_NULL, null=True, blank=True, related_name="submissions", verbose_name=_("data import")
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-date", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["city", "date", "indicator"], name="one_submission_per_city_day_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.date} {self.indicator}"


class DailyCount(models.Model):
    """Events (and deaths) of one indicator in one town on one day (日报数据)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="daily_counts", verbose_name=_("town"))
    date = models.DateField(_("date"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="daily_counts", verbose_name=_("indicator"))
    count = models.PositiveIntegerField(_("count"))
    deaths = models.PositiveIntegerField(_("deaths"), default=0)

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        ordering = ["-date", "town_id", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["date", "town", "indicator"], name="one_count_per_town_day_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.town} {self.indicator}: {self.count}/{self.deaths}"


class Baseline(models.Model):
    """Last year's citywide events per 10,000 residents per day (基准), per indicator and year.

    A computed baseline keeps the integers it came from, so ratios against it stay exact."""

    class Source(models.TextChoices):
        COMPUTED = "computed", _("computed from stored data")
        MANUAL = "manual", _("entered by the office")

    city = models.ForeignKey(City, models.PROTECT, related_name="baselines", verbose_name=_("city"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="baselines", verbose_name=_("indicator"))
    year = models.PositiveSmallIntegerField(_("year"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    events = models.PositiveBigIntegerField(_("events last year"), null=True, blank=True)
    resident_days = models.PositiveBigIntegerField(
        _("resident-days last year"),
        null=True,
        blank=True,
        help_text=_("Σ over last year's days of the citywide population."),
    )
    manual_rate = models.DecimalField(
        _("rate (per 10,000 residents per day)"), max_digits=16, decimal_places=8, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")
        ordering = ["-year", "city_id", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["city", "indicator", "year"], name="one_baseline_per_city_indicator_year"),
            models.CheckConstraint(
                condition=(
                    Q(source="computed", events__isnull=False, resident_days__gt=0)
                    | Q(source="manual", manual_rate__isnull=False, manual_rate__gte=0)
                ),
                name="baseline_has_its_source_values",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.indicator} {self.year}: {self.display_rate}"

    def clean(self) -> None:
        if self.source == self.Source.MANUAL and self.manual_rate is None:
            raise ValidationError({"manual_rate": _("Enter the rate for a manual baseline.")})
        if self.source == self.Source.COMPUTED and (self.events is None or not self.resident_days):
            raise ValidationError(_("A computed baseline needs its events and resident-days."))

    @property
    def rate(self) -> Fraction:
        if self.source == self.Source.COMPUTED:
            return Fraction(self.events * 10_000, self.resident_days)
        return Fraction(self.manual_rate)

    @property
    def display_rate(self) -> Decimal:
        rate = self.rate
        return (Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(Decimal("0.000001"))


class IndexPolicyQuerySet(models.QuerySet):
    def in_force(self, city: City, day: datetime.date) -> IndexPolicy | None:
        """The policy in force for a city on a day: the city's own before a shared one, then the latest."""
        return (
            self.filter(Q(city=city) | Q(city__isnull=True), effective_from__lte=day)
            .order_by(models.F("city").desc(nulls_last=True), "-effective_from", "-version")
            .first()
        )


class IndexPolicy(models.Model):
    """A versioned, effective-dated index policy (指数方案). Rows, not code: the office edits them.
    A version that has scored a day is never edited; a change is a new version."""

    name = models.SlugField(_("name"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=100, blank=True)
    city = models.ForeignKey(
        City,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("city"),
        help_text=_("Empty: the policy applies to every city without its own."),
    )
    effective_from = models.DateField(_("effective from"))
    weights = models.JSONField(_("weights"), help_text=_('Per indicator code, e.g. {"crime": "0.6"}.'))
    lower_threshold = models.DecimalField(_("excellent below ratio"), max_digits=6, decimal_places=3)
    upper_threshold = models.DecimalField(_("good up to ratio"), max_digits=6, decimal_places=3)
    grade_points = models.JSONField(_("grade points"))
    level_bands = models.JSONField(_("level bands"), help_text=_('Lowest score of each level, e.g. {"blue": "90"}.'))
    very_poor_forces_red = models.BooleanField(_("any very poor item makes the town red"), default=True)
    escalation_ladder = models.JSONField(
        _("escalation ladder"),
        default=dict,
        blank=True,
        help_text=_("Consecutive red periods → action, for the case workflow."),
    )
    red_deadline_days = models.PositiveSmallIntegerField(_("red case deadline (working days)"), default=5)
    orange_deadline_days = models.PositiveSmallIntegerField(_("orange case deadline (working days)"), default=10)
    close_after_days = models.PositiveSmallIntegerField(_("days out of orange/red to close a case"), default=3)
    overdue_grace_days = models.PositiveSmallIntegerField(
        _("working days overdue before accountability is proposed"), default=3
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = IndexPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("index policy")
        verbose_name_plural = _("index policies")
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="policy_unique_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def rules(self) -> scoring.Rules:
        return scoring.Rules.from_policy_data(
            weights=self.weights,
            lower_threshold=self.lower_threshold,
            upper_threshold=self.upper_threshold,
            grade_points=self.grade_points,
            level_bands=self.level_bands,
            very_poor_forces_red=self.very_poor_forces_red,
        )

    def clean(self) -> None:
        try:
            self.rules()
        except (scoring.PolicyError, TypeError, ValueError, AttributeError) as exc:
            raise ValidationError(str(exc)) from exc


class Publication(models.Model):
    """One computation of a city's day that changed what is published: its policy, the baselines it
    used and when it went out. Rows it did not change stay with the publication that made them."""

    city = models.ForeignKey(City, models.PROTECT, related_name="publications", verbose_name=_("city"))
    date = models.DateField(_("date"))
    revision = models.PositiveIntegerField(_("revision"))
    policy = models.ForeignKey(IndexPolicy, models.PROTECT, related_name="publications", verbose_name=_("policy"))
    baselines = models.JSONField(_("baselines used"))
    published_at = models.DateTimeField(_("published at"))
    rows_written = models.PositiveIntegerField(_("rows written"))
    digest = models.CharField(
        _("digest"), max_length=64, blank=True, help_text=_("Fingerprint of the whole day as published.")
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-date", "city_id", "-revision"]
        constraints = [models.UniqueConstraint(fields=["city", "date", "revision"], name="publication_unique_revision")]

    def __str__(self) -> str:
        return f"{self.city} {self.date} r{self.revision}"


class DailyIndexQuerySet(models.QuerySet):
    def current(self) -> DailyIndexQuerySet:
        return self.filter(is_current=True)

    def towns(self) -> DailyIndexQuerySet:
        return self.filter(scope=DailyIndex.Scope.TOWN)

    def districts(self) -> DailyIndexQuerySet:
        return self.filter(scope=DailyIndex.Scope.DISTRICT)


class DailyIndex(models.Model):
    """The Ping'an index of a town or a district on a day. A recomputation that changes a row adds a
    new revision and keeps the earlier one (is_current=False)."""

    class Scope(models.TextChoices):
        TOWN = "town", _("town")
        DISTRICT = "district", _("district")

    # The index is append-only and written by the engine alone, in the transaction that reads the towns
    # and creates the publication it points to; towns, districts and publications are never deleted
    # (PROTECT, which Django enforces). So the database does not check these keys again for each row:
    # at national scale (15 million rows a year) those checks were half of the database's time.
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    district = models.ForeignKey(
        District,
        models.PROTECT,
        related_name="indices",
        verbose_name=_("district"),
        db_constraint=False,
        db_index=False,  # a district's rows are found by day (the constraints below)
    )
    town = models.ForeignKey(
        Town,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="indices",
        verbose_name=_("town"),
        db_constraint=False,
    )
    date = models.DateField(_("date"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    # Not indexed either: nothing reads the rows of a publication (they are read by day), and a
    # publication is never deleted (the admin shows them read-only).
    publication = models.ForeignKey(
        Publication,
        models.PROTECT,
        related_name="indices",
        verbose_name=_("publication"),
        db_constraint=False,
        db_index=False,
    )
    # The same as publication.policy, kept on the row for reading; the database need not check or
    # index it again for each of a national day's 44,000 rows.
    policy = models.ForeignKey(
        IndexPolicy, models.PROTECT, related_name="+", verbose_name=_("policy"), db_constraint=False, db_index=False
    )
    population = models.PositiveIntegerField(_("population"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    level = models.CharField(_("level"), max_length=10, choices=LEVEL_CHOICES)
    items = WholeJSONField(_("items"), help_text=_("Per indicator code: count, deaths, grade, points."))

    objects = DailyIndexQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily index")
        verbose_name_plural = _("daily indices")
        ordering = ["-date", "district_id", "scope", "town_id"]
        # Date first: a day's rows go in at the end of these indexes, so writing a day touches a few
        # pages however many years are stored (town first, every row went to a random page of an index
        # that outgrows memory at national scale). The town index serves a town's history. Every row is
        # in town_index_unique_revision (a district's row has no town, and NULLs never collide), which
        # serves the reads by day: one index fewer to write (each is ~0.07 s of a national day's COPY).
        constraints = [
            models.UniqueConstraint(
                fields=["date", "town"],
                condition=Q(scope="town", is_current=True),
                name="one_current_index_per_town_day",
            ),
            models.UniqueConstraint(
                fields=["date", "district"],
                condition=Q(scope="district", is_current=True),
                name="one_current_index_per_district_day",
            ),
            models.UniqueConstraint(fields=["date", "town", "revision"], name="town_index_unique_revision"),
            models.UniqueConstraint(
                fields=["date", "district", "revision"],
                condition=Q(scope="district"),
                name="district_index_unique_revision",
            ),
            models.CheckConstraint(
                condition=(Q(scope="town", town__isnull=False) | Q(scope="district", town__isnull=True)),
                name="index_scope_matches_town",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.town or self.district}: {self.score} {self.level}"

    def grade(self, indicator_code: str) -> str:
        return self.items.get(indicator_code, {}).get("grade", "")


class DataFeed(models.Model):
    """An integration account (110 / 119 / 122 systems): its token may only write its indicator's counts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="data_feed", verbose_name=_("user")
    )
    city = models.ForeignKey(City, models.PROTECT, related_name="data_feeds", verbose_name=_("city"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="data_feeds", verbose_name=_("indicator"))

    class Meta:
        verbose_name = _("data feed")
        verbose_name_plural = _("data feeds")

    def __str__(self) -> str:
        return f"{self.user} → {self.city} {self.indicator}"
