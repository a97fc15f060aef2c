"""Computing and publishing a day's index for every town and district, set-based.

A day costs a constant number of queries whatever the number of towns: every input is read
with one query, the rules run in Python over plain values, and changed rows are written in bulk.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import json
import logging
import pickle
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from .. import scoring
from ..errors import CannotScore, DomainError
from ..memory import collector_paused
from ..models import (
    Baseline,
    City,
    DailyCount,
    DailyIndex,
    IndexPolicy,
    Indicator,
    Population,
    Publication,
    Submission,
    Town,
)
from .baselines import compute_baseline

logger = logging.getLogger(__name__)

TOWN, DISTRICT = DailyIndex.Scope.TOWN.value, DailyIndex.Scope.DISTRICT.value


@dataclass
class CityDay:
    """What publishing one city's day did."""

    city: City
    day: datetime.date
    publication: Publication | None  # None: the published rows were already these
    towns: int = 0
    districts: int = 0
    rows_written: int = 0
    levels: Counter = field(default_factory=Counter)


@dataclass
class DayReport:
    day: datetime.date
    published: list[CityDay] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # city name → what is missing

    def raise_for_problems(self) -> None:
        if self.problems:
            lines = [f"{city}: {p}" for city, problems in self.problems.items() for p in problems]
            raise CannotScore(self.day, lines)


@dataclass(slots=True)
class _Scored:
    """A computed row before it is stored."""

    scope: str
    district_id: int
    town_id: int | None
    population: int
    score: object
    level: str
    items: dict
    observed: tuple  # (count, deaths) per indicator, in the policy's order: what the row was computed from

    @property
    def key(self) -> tuple[str, int]:
        return (self.scope, self.town_id if self.scope == TOWN else self.district_id)


def publish_day(
    day: datetime.date,
    *,
    cities: list[City] | None = None,
    open_cases: bool = True,
    region: Region | None = None,
) -> DayReport:
    """Compute and publish `day` for the given cities (default: all). Idempotent.

    A city whose day cannot be scored is reported with everything that is missing; the others
    are published. Rows that come out as already published are left untouched; changed rows get
    a new revision and the earlier one is kept. Then red and orange towns open or escalate their
    cases — here, or (open_cases=False) in a follow-up job the caller enqueues.

    `region`: the cities' towns and populations as read at the start of a run of days (a backfill,
    `Region.read(cities)`); by default they are read for this day.
    """
    report = DayReport(day)
    cities = list(cities) if cities is not None else list(City.objects.all())
    if not cities:
        report.problems["-"] = ["there are no cities: import regions first"]
        return report
    with collector_paused():  # a national day is ~10⁶ short-lived objects, none in a cycle
        inputs = _DayInputs.load(day, cities, region)
        for city in cities:
            problems: list[str] = []
            rows = inputs.score_city(city, problems)
            if problems:
                report.problems[city.name] = problems
                continue
            report.published.append(_store(city, day, rows, inputs.policy[city.id], inputs.baseline_snapshot(city)))
            if open_cases:
                # The next stage of the chain: red and orange towns open (or escalate) their cases.
                from workflows.services.intake import open_cases_for_day

                open_cases_for_day(city, day)
    return report


class Region:
    """The towns of some cities, in the order their rows are made and fingerprinted (by district, then
    id: see day_digest), and every population record of those towns. Read once for a run of days: a
    year's backfill reads them once instead of 365 times (0.19 s of a national day)."""

    def __init__(self, city_ids: set[int]) -> None:
        self.city_ids = city_ids
        self.towns_by_city: dict[int, list[tuple[int, int, str]]] = defaultdict(list)  # (town, district, name)
        self.populations: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)  # by effective_from

    @classmethod
    def read(cls, cities: list[City]) -> Region:
        self = cls({c.id for c in cities})
        towns = Town.objects.filter(district__city_id__in=self.city_ids).order_by("district_id", "id")
        for town_id, district_id, city_id, name in towns.values_list("id", "district_id", "district__city_id", "name"):
            self.towns_by_city[city_id].append((town_id, district_id, name))
        records = (
            Population.objects.filter(town__district__city_id__in=self.city_ids)
            .order_by("town_id", "effective_from")
            .values_list("town_id", "effective_from", "population")
        )
        for town_id, effective_from, population in records:
            self.populations[town_id].append((effective_from, population))
        return self

    def population_on(self, day: datetime.date) -> dict[int, int]:
        """Each town's population in force on `day`: its latest record with effective_from <= day
        (a town without one is left out)."""
        in_force = {}
        for town_id, records in self.populations.items():
            after = bisect.bisect_right(records, day, key=itemgetter(0))  # records up to `day` come before
            if after:
                in_force[town_id] = records[after - 1][1]
        return in_force


class _DayInputs:
    """Everything needed to score a day, read with one query per kind of input."""

    def __init__(self, day: datetime.date) -> None:
        self.day = day

    @classmethod
    def load(cls, day: datetime.date, cities: list[City], region: Region | None = None) -> _DayInputs:
        self = cls(day)
        city_ids = [c.id for c in cities]
        region = Region.read(cities) if region is None else region
        missing = set(city_ids) - region.city_ids
        if missing:
            raise ValueError(f"the region was read without the cities {sorted(missing)}")
        self.towns_by_city = region.towns_by_city
        self.population = region.population_on(day)
        self.indicators = {i.code: i for i in Indicator.objects.all()}
        self.submitted = set(
            Submission.objects.filter(date=day, city_id__in=city_ids).values_list("city_id", "indicator_id")
        )
        self.policy = {}
        policies = list(IndexPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from", "-version"))
        for city in cities:
            own = [p for p in policies if p.city_id == city.id]
            shared = [p for p in policies if p.city_id is None]
            if own or shared:
                self.policy[city.id] = (own or shared)[0]
        self.baselines = {
            (b.city_id, b.indicator_id): b
            for b in Baseline.objects.filter(year=day.year, city_id__in=city_ids).select_related("indicator")
        }
        # Only towns with an event have rows (an import stores no zeros): town → indicator → (count, deaths).
        self.counts: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        for town_id, indicator_id, count, deaths in DailyCount.objects.filter(date=day).values_list(
            "town_id", "indicator_id", "count", "deaths"
        ):
            self.counts[town_id][indicator_id] = (count, deaths)
        return self

    def baseline_snapshot(self, city: City) -> dict:
        policy = self.policy[city.id]
        snapshot = {}
        for code in policy.weights:
            baseline = self.baselines[(city.id, self.indicators[code].id)]
            rate = baseline.rate
            snapshot[code] = {
                "id": baseline.id,
                "year": baseline.year,
                "source": baseline.source,
                "rate": f"{rate.numerator}/{rate.denominator}",
            }
        return snapshot

    def score_city(self, city: City, problems: list[str]) -> list[_Scored]:
        policy = self.policy.get(city.id)
        if policy is None:
            problems.append(f"no index policy in force on {self.day}")
            return []
        try:
            rules = policy.rules()
        except scoring.PolicyError as exc:
            problems.append(f"policy {policy} is invalid: {exc}")
            return []
        indicators = []
        for code in rules.weights:
            indicator = self.indicators.get(code)
            if indicator is None or not indicator.active:
                problems.append(f"policy {policy} weighs indicator {code!r}, which is unknown or inactive")
                continue
            indicators.append(indicator)
            if (city.id, indicator.id) not in self.submitted:
                problems.append(f"no submission of {code} ({indicator.name}) for {self.day}")
            if (city.id, indicator.id) not in self.baselines:
                try:
                    self.baselines[(city.id, indicator.id)] = compute_baseline(city, indicator, self.day.year)
                except DomainError as exc:
                    problems.append(str(exc))
        towns = self.towns_by_city.get(city.id, [])
        if not towns:
            problems.append("the city has no towns")
        unpopulated = [name for town_id, _, name in towns if town_id not in self.population]
        if unpopulated:
            shown = "、".join(unpopulated[:10]) + (
                f" and {len(unpopulated) - 10} more" if len(unpopulated) > 10 else ""
            )
            problems.append(f"no population in force on {self.day} for {len(unpopulated)} town(s): {shown}")
        if problems:
            return []

        scorer = _Scorer(rules, [(i.code, self.baselines[(city.id, i.id)].rate) for i in indicators])
        indicator_ids = [i.id for i in indicators]
        rows: list[_Scored] = []
        district_sums: dict[int, list] = {}
        nothing, quiet = (0, 0), scorer.quiet
        counts = self.counts
        for town_id, district_id, _ in towns:
            population = self.population[town_id]
            own = counts.get(town_id)
            observed = quiet if own is None else tuple([own.get(i, nothing) for i in indicator_ids])
            sums = district_sums.get(district_id)
            if sums is None:
                sums = district_sums[district_id] = [0, quiet]
            sums[0] += population
            if observed != quiet:
                sums[1] = tuple((c + oc, d + od) for (c, d), (oc, od) in zip(sums[1], observed, strict=True))
            rows.append(scorer.row(TOWN, district_id, town_id, population, observed))
        for district_id, (population, observed) in district_sums.items():
            rows.append(scorer.row(DISTRICT, district_id, None, population, observed))
        return rows


class _Scorer:
    """Scores a city's rows against its rules and baselines (`indicators`: (code, baseline rate) in the
    policy's order). A day repeats a few hundred distinct outcomes over tens of thousands of rows, so
    each (observed, grades) is turned into its score, level and items once, and rows with the same
    outcome share one items dict."""

    def __init__(self, rules: scoring.Rules, indicators: list[tuple[str, object]]) -> None:
        self.rules = rules
        self.codes = [code for code, _ in indicators]
        self.graders = [scoring.grader(rate, rules) for _, rate in indicators]
        self.quiet = ((0, 0),) * len(indicators)
        self.quiet_grades = (scoring.Grade.EXCELLENT,) * len(indicators)
        self.outcomes: dict[tuple, tuple] = {}

    def row(self, scope: str, district_id: int, town_id: int | None, population: int, observed: tuple) -> _Scored:
        excellent = scoring.Grade.EXCELLENT  # no event is excellent against any baseline: most town-days
        if observed == self.quiet:
            grades = self.quiet_grades
        else:
            grades = tuple(
                [
                    graded(count, deaths, population) if count or deaths else excellent
                    for graded, (count, deaths) in zip(self.graders, observed, strict=True)
                ]
            )
        outcome = self.outcomes.get((observed, grades))
        if outcome is None:
            outcome = self.outcomes[(observed, grades)] = self._outcome(observed, grades)
        score, level, items = outcome
        return _Scored(scope, district_id, town_id, population, score, level, items, observed)

    def _outcome(self, observed: tuple, grades: tuple) -> tuple:
        rules = self.rules
        items = {
            code: {"count": count, "deaths": deaths, "grade": g.value, "points": rules.grade_points[g]}
            if count or deaths
            else rules.quiet_item
            for code, g, (count, deaths) in zip(self.codes, grades, observed, strict=True)
        }
        score, level = rules.score_and_level(dict(zip(self.codes, grades, strict=True)))
        return score, level.value, items


def day_digest(rows: list[_Scored], policy: IndexPolicy, baselines: dict) -> str:
    """A fingerprint of everything a publication puts out for a city-day: its policy, baselines and
    each row's inputs (the rules turn the same inputs into the same row).

    The rows are taken in the order score_city makes them (towns by district and id, then districts),
    which the same inputs always give, and pickled rather than printed (a third of the time for a
    national day). Equal fingerprints mean equal inputs; inputs that come out equal in another order or
    another Python only cost the comparison with the published rows that the fingerprint spares."""
    facts = [(r.scope, r.district_id, r.town_id, r.population, r.observed) for r in rows]
    digest = hashlib.sha256(repr((policy.id, sorted(baselines.items()))).encode())
    digest.update(pickle.dumps(facts, protocol=5))
    return digest.hexdigest()


def _lock_city_day(city: City, day: datetime.date) -> None:
    """One publisher per city-day at a time: the second waits, then finds nothing to change. Other
    days of the city publish side by side (a backfill in several processes): on PostgreSQL the lock is
    an advisory lock on (city, day) held to the commit; SQLite has one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [city.pk, day.toordinal()])


def _store(city: City, day: datetime.date, rows: list[_Scored], policy: IndexPolicy, baselines: dict) -> CityDay:
    outcome = CityDay(city=city, day=day, publication=None)
    outcome.towns = sum(1 for r in rows if r.scope == TOWN)
    outcome.districts = len(rows) - outcome.towns
    outcome.levels = Counter(r.level for r in rows if r.scope == TOWN)
    digest = day_digest(rows, policy, baselines)
    with transaction.atomic():
        _lock_city_day(city, day)
        latest = Publication.objects.filter(city=city, date=day).order_by("-revision").first()
        if latest is not None and latest.digest == digest:
            return outcome  # exactly what is published already: no need to read it back
        same_inputs = latest is not None and latest.baselines == baselines and latest.policy_id == policy.id
        current = {}
        for row_id, scope, town_id, district_id, revision, population, score, level, items in (
            DailyIndex.objects.current()
            .filter(date=day, district__city=city)
            .values_list("id", "scope", "town_id", "district_id", "revision", "population", "score", "level", "items")
        ):
            current[(scope, town_id if scope == TOWN else district_id)] = (
                row_id,
                revision,
                (population, score, level, items),
            )
        changed = [
            r
            for r in rows
            if not same_inputs or r.key not in current or current[r.key][2] != (r.population, r.score, r.level, r.items)
        ]
        if not changed:
            Publication.objects.filter(pk=latest.pk).update(digest=digest)
            return outcome
        publication = Publication.objects.create(
            city=city,
            date=day,
            revision=(latest.revision + 1) if latest else 1,
            policy=policy,
            baselines=baselines,
            published_at=timezone.now(),
            rows_written=len(changed),
            digest=digest,
        )
        superseded = [current[r.key][0] for r in changed if r.key in current]
        if len(superseded) == len(current):
            DailyIndex.objects.filter(date=day, district__city=city, is_current=True).update(is_current=False)
        else:
            for start in range(0, len(superseded), 500):
                DailyIndex.objects.filter(id__in=superseded[start : start + 500]).update(is_current=False)
        _insert(
            [(r, (current[r.key][1] + 1) if r.key in current else 1) for r in changed],
            day,
            publication,
        )
    outcome.publication = publication
    outcome.rows_written = len(changed)
    logger.debug("published %s %s: revision %s, %s row(s)", city, day, publication.revision, len(changed))
    return outcome


NULL = "\\N"  # COPY's text format
COPY_BATCH = 2000  # rows a write: one call per row costs more than the rows


COPY_COLUMNS = (  # the order of each line _insert writes
    "scope",
    "district_id",
    "town_id",
    "date",
    "revision",
    "is_current",
    "publication_id",
    "policy_id",
    "population",
    "score",
    "level",
    "items",
)


def _insert(rows: list[tuple[_Scored, int]], day: datetime.date, publication: Publication) -> None:
    """Write new index rows: COPY on PostgreSQL (several times faster than INSERT for a national day),
    bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        date, publication_id, policy_id = day.isoformat(), publication.pk, publication.policy_id
        sql = f"COPY {DailyIndex._meta.db_table} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        # Rows with the same items share one dict (see _Scorer), and the items decide the score and level:
        # the end of their lines is made once, keyed by the dict's identity (every dict outlives the
        # loop, so no id is reused).
        tails: dict[int, str] = {}
        middles: dict[int, str] = {}
        lines: list[str] = []
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for r, revision in rows:
                tail = tails.get(id(r.items))
                if tail is None:
                    # COPY's text format: a backslash is written twice (JSON never holds a raw tab or newline)
                    items = json.dumps(r.items, ensure_ascii=False).replace("\\", "\\\\")
                    tail = tails[id(r.items)] = f"{r.score}\t{r.level}\t{items}\n"
                middle = middles.get(revision)
                if middle is None:  # the columns from the date to the policy: the same for every new row
                    middle = middles[revision] = f"\t{date}\t{revision}\tt\t{publication_id}\t{policy_id}\t"
                town = NULL if r.town_id is None else r.town_id
                lines.append(f"{r.scope}\t{r.district_id}\t{town}{middle}{r.population}\t{tail}")
                if len(lines) == COPY_BATCH:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        return
    DailyIndex.objects.bulk_create(
        [
            DailyIndex(
                scope=r.scope,
                district_id=r.district_id,
                town_id=r.town_id,
                date=day,
                revision=revision,
                is_current=True,
                publication=publication,
                policy_id=publication.policy_id,
                population=r.population,
                score=r.score,
                level=r.level,
                items=r.items,
            )
            for r, revision in rows
        ],
        batch_size=2000,
    )
