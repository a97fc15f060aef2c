"""The two alternatives bench/score_day.py sets beside the engine: one hand-written SQL statement
(PostgreSQL) and pandas. Each reads one day's inputs, computes every town's and district's grades per
indicator, score and level exactly as pingan.scoring does, and writes the rows publish_day would write
(DailyIndex rows for towns and districts, and their Publication) — dated another day, so that the engine's
rows stay the reference they are checked against.

Neither does what the engine does besides: no check that every indicator was submitted, that every town
has a population or that the policy is valid, no digest of the inputs, no revisions (they assume the day
they write is not published yet), no case intake.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

# --- the hand-written SQL statement (PostgreSQL) ---------------------------------------------------------

# One statement: a data-modifying WITH inserts the Publication and every DailyIndex row of the day.
# Exact arithmetic: counts, populations, thresholds, weights and baselines are numeric, and a ratio
# q = (count × 10,000 / population) / (num / den) is compared with a threshold t by cross-multiplying:
# count × 10,000 × den < t × population × num. A baseline is num / den: manual_rate / 1, or
# events × 10,000 / resident-days when computed (the integers it came from).
# Like the engine, it grades only the town- and district-indicators with an event: every other item is
# excellent, so a unit's score is the all-excellent score less what its events lost, and its items are the
# all-quiet items overwritten by its eventful ones (jsonb ||). Grading all 41,600 × 3 items and aggregating
# them took about twice as long.
SQL = """
WITH policy AS (  -- the policy in force: the city's own before a shared one, then the latest
    SELECT id, weights, lower_threshold AS lower, upper_threshold AS upper, very_poor_forces_red,
           (grade_points ->> 'excellent')::int AS excellent, (grade_points ->> 'good')::int AS good,
           (grade_points ->> 'poor')::int AS poor, (grade_points ->> 'very_poor')::int AS very_poor,
           (level_bands ->> 'blue')::numeric AS blue, (level_bands ->> 'yellow')::numeric AS yellow,
           (level_bands ->> 'orange')::numeric AS orange
    FROM {policy}
    WHERE (city_id = %(city)s OR city_id IS NULL) AND effective_from <= %(day)s
    ORDER BY city_id IS NULL, effective_from DESC, version DESC
    LIMIT 1
),
indicators AS (  -- the policy's weighted indicators, each with its weight and its baseline num / den
    SELECT i.id, i.code, w.value::numeric AS weight, b.id AS baseline_id, b.year, b.source,
           CASE b.source WHEN 'computed' THEN b.events::numeric * 10000 ELSE b.manual_rate END AS num,
           CASE b.source WHEN 'computed' THEN b.resident_days::numeric ELSE 1 END AS den
    FROM policy p
    CROSS JOIN LATERAL jsonb_each_text(p.weights) AS w
    JOIN {indicator} i ON i.code = w.key
    JOIN {baseline} b ON b.indicator_id = i.id AND b.city_id = %(city)s AND b.year = %(year)s
),
quiet AS (  -- a unit without any event: every item excellent
    SELECT sum(i.weight * p.excellent) AS score,
           jsonb_object_agg(i.code, jsonb_build_object(
               'count', 0, 'deaths', 0, 'grade', 'excellent', 'points', p.excellent
           )) AS items
    FROM indicators i
    CROSS JOIN policy p
),
towns AS (  -- every town of the city with the population in force (the latest effective_from <= day)
    SELECT t.id AS town_id, t.district_id, pop.population::bigint AS population
    FROM {town} t
    JOIN {district} d ON d.id = t.district_id
    JOIN (
        SELECT DISTINCT ON (town_id) town_id, population
        FROM {population}
        WHERE effective_from <= %(day)s
        ORDER BY town_id, effective_from DESC
    ) pop ON pop.town_id = t.id
    WHERE d.city_id = %(city)s
),
units AS (  -- the rows to write: towns, and districts with their towns' summed population
    SELECT 'town' AS scope, town_id AS unit_id, district_id, town_id, population FROM towns
    UNION ALL
    SELECT 'district', district_id, district_id, NULL, sum(population)::bigint FROM towns GROUP BY district_id
),
town_events AS (  -- the day's counts; a town without a row on a submitted day had no event
    SELECT t.district_id, t.town_id, c.indicator_id, c.count::bigint AS count, c.deaths::bigint AS deaths
    FROM {count} c
    JOIN towns t ON t.town_id = c.town_id
    WHERE c.date = %(day)s AND (c.count > 0 OR c.deaths > 0)
),
events AS (  -- per town, and per district from its towns' summed counts
    SELECT 'town' AS scope, town_id AS unit_id, indicator_id, count, deaths FROM town_events
    UNION ALL
    SELECT 'district', district_id, indicator_id, sum(count)::bigint, sum(deaths)::bigint
    FROM town_events
    GROUP BY district_id, indicator_id
),
graded AS (
    SELECT e.scope, e.unit_id, e.count, e.deaths, i.code, i.weight,
        CASE
            WHEN e.deaths > 0 THEN 'very_poor'
            WHEN i.num = 0 THEN CASE WHEN e.count = 0 THEN 'excellent' ELSE 'poor' END
            WHEN e.count * 10000 * i.den < p.lower * u.population * i.num THEN 'excellent'
            WHEN e.count * 10000 * i.den <= p.upper * u.population * i.num THEN 'good'
            ELSE 'poor'
        END AS grade
    FROM events e
    JOIN units u USING (scope, unit_id)
    JOIN indicators i ON i.id = e.indicator_id
    CROSS JOIN policy p
),
pointed AS (
    SELECT g.*, p.excellent,
        CASE g.grade
            WHEN 'excellent' THEN p.excellent WHEN 'good' THEN p.good WHEN 'poor' THEN p.poor ELSE p.very_poor
        END AS points
    FROM graded g
    CROSS JOIN policy p
),
eventful AS (
    SELECT scope, unit_id,
           sum(weight * (excellent - points)) AS lost,  -- exact: numeric
           bool_or(grade = 'very_poor') AS very_poor,
           jsonb_object_agg(code, jsonb_build_object(
               'count', count, 'deaths', deaths, 'grade', grade, 'points', points
           )) AS items
    FROM pointed
    GROUP BY scope, unit_id
),
scored AS (
    SELECT u.scope, u.district_id, u.town_id, u.population,
           q.score - coalesce(e.lost, 0) AS score,
           coalesce(e.very_poor, false) AS very_poor,
           CASE WHEN e.items IS NULL THEN q.items ELSE q.items || e.items END AS items
    FROM units u
    CROSS JOIN quiet q
    LEFT JOIN eventful e USING (scope, unit_id)
),
publication AS (
    INSERT INTO {publication} (city_id, date, revision, policy_id, baselines, published_at, rows_written, digest)
    SELECT %(city)s, %(write_day)s, 1, p.id,
        (SELECT jsonb_object_agg(code, jsonb_build_object(
            'id', baseline_id, 'year', year, 'source', source,
            'rate', div(n, gcd(n, d))::text || '/' || div(d, gcd(n, d))::text))
         FROM (
            SELECT code, baseline_id, year, source,
                CASE source WHEN 'computed' THEN num ELSE num * 100000000 END AS n,
                CASE source WHEN 'computed' THEN den ELSE 100000000 END AS d
            FROM indicators
         ) AS fractions),
        now(), (SELECT count(*) FROM units), ''
    FROM policy p
    RETURNING id, policy_id
)
INSERT INTO {daily_index}
    (scope, district_id, town_id, date, revision, is_current, publication_id, policy_id, population, score, level,
     items)
SELECT s.scope, s.district_id, s.town_id, %(write_day)s, 1, true, pub.id, pub.policy_id, s.population,
    round(s.score, 2),  -- half away from zero: half-up, scores are never negative
    CASE
        WHEN p.very_poor_forces_red AND s.very_poor THEN 'red'
        WHEN s.score >= p.blue THEN 'blue'
        WHEN s.score >= p.yellow THEN 'yellow'
        WHEN s.score >= p.orange THEN 'orange'
        ELSE 'red'
    END,
    s.items
FROM scored s
CROSS JOIN publication pub
CROSS JOIN policy p
"""


def sql_statement() -> str:
    from pingan.models import (
        Baseline,
        DailyCount,
        DailyIndex,
        District,
        IndexPolicy,
        Indicator,
        Population,
        Publication,
        Town,
    )

    return SQL.format(
        policy=IndexPolicy._meta.db_table,
        indicator=Indicator._meta.db_table,
        baseline=Baseline._meta.db_table,
        town=Town._meta.db_table,
        district=District._meta.db_table,
        population=Population._meta.db_table,
        count=DailyCount._meta.db_table,
        publication=Publication._meta.db_table,
        daily_index=DailyIndex._meta.db_table,
    )


SQL_UNSUPPORTED = (
    "SQLite has no exact decimal type (a DecimalField is stored as a binary REAL) and turns an integer "
    "product past 2**63 into a REAL without a word, so one statement cannot make the engine's exact "
    "comparisons there in general; run with DATABASE_URL pointing at PostgreSQL"
)


def sql_supported() -> str | None:
    """None when the hand-written statement runs on this database, else why not."""
    from django.db import connection

    return None if connection.vendor == "postgresql" else SQL_UNSUPPORTED


def run_sql(city, day: datetime.date, write_day: datetime.date) -> int:
    """Score `day` with the one statement, writing the rows to `write_day` (autocommit: the statement is
    its own transaction, so the commit and its deferred foreign-key checks are inside). Returns the rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql_statement(), {"city": city.pk, "day": day, "year": day.year, "write_day": write_day})
        return cursor.rowcount


# --- pandas -----------------------------------------------------------------------------------------------


def pandas_missing() -> str | None:
    """None when pandas is importable, else how to install it."""
    try:
        import numpy  # noqa: F401
        import pandas  # noqa: F401
    except ImportError:
        return (
            "pandas is a benchmark-only dependency and is not installed: "
            ".venv/bin/pip install -r requirements-bench.txt"
        )
    return None


GRADES = ("excellent", "good", "poor", "very_poor")  # grade codes 0..3 in the arrays
EXCELLENT, GOOD, POOR, VERY_POOR = range(4)
INT64_SAFE = 2**62


@dataclass
class PandasRun:
    rows: int
    steps: dict[str, float] = field(default_factory=dict)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def run_pandas(city, day: datetime.date, write_day: datetime.date) -> PandasRun:
    """Score `day` vectorised with pandas/numpy, writing the rows to `write_day` (COPY on PostgreSQL, like
    the engine; executemany INSERT elsewhere), in one transaction."""
    import time

    import numpy as np
    import pandas as pd
    from django.db import connection, transaction
    from django.utils import timezone

    from pingan.models import (
        Baseline,
        DailyCount,
        DailyIndex,
        District,
        IndexPolicy,
        Indicator,
        Population,
        Publication,
        Town,
    )

    steps: dict[str, float] = {}
    start = time.perf_counter()

    # Inputs: the policy, its indicators and baselines (the ORM: a few rows), then towns with their
    # population in force and the day's counts through the cursor, straight into DataFrames.
    policy = IndexPolicy.objects.in_force(city, day)
    rules = policy.rules()
    indicator_ids = dict(Indicator.objects.filter(code__in=list(rules.weights)).values_list("code", "id"))
    baselines = {b.indicator_id: b for b in Baseline.objects.filter(city=city, year=day.year)}
    codes = list(rules.weights)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, t.district_id, p.population FROM {Town._meta.db_table} t"
            f" JOIN {District._meta.db_table} d ON d.id = t.district_id"
            f" JOIN {Population._meta.db_table} p ON p.town_id = t.id"
            " WHERE d.city_id = %s AND p.effective_from <= %s ORDER BY t.id, p.effective_from",
            [city.pk, day],
        )
        towns = pd.DataFrame(cursor.fetchall(), columns=["town_id", "district_id", "population"])
        cursor.execute(
            f"SELECT town_id, indicator_id, count, deaths FROM {DailyCount._meta.db_table} WHERE date = %s",
            [day],
        )
        counts = pd.DataFrame(cursor.fetchall(), columns=["town_id", "indicator_id", "count", "deaths"])
    towns = towns.drop_duplicates("town_id", keep="last").astype("int64")  # the latest record in force
    counts = counts.astype("int64")
    steps["read"] = time.perf_counter() - start

    # Observed counts, one column per indicator; districts sum their towns.
    start = time.perf_counter()
    wide = counts.pivot(index="town_id", columns="indicator_id", values=["count", "deaths"])
    units = towns.set_index("town_id")
    for code in codes:
        for what in ("count", "deaths"):
            column = (what, indicator_ids[code])
            values = wide[column] if column in wide.columns else pd.Series(dtype="int64")
            units[f"{what}_{code}"] = values.reindex(units.index, fill_value=0).fillna(0).astype("int64")
    districts = units.groupby("district_id").sum()
    frames = [
        units.reset_index().assign(scope="town"),
        districts.reset_index().assign(scope="district", town_id=pd.NA),
    ]
    units = pd.concat(frames, ignore_index=True)
    population = units["population"].to_numpy()

    # Grades, exactly: q = (c × 10,000 / P) / (num / den) against t = tn / td ⇔ c·10⁴·den·td vs tn·P·num,
    # in int64 when no product can pass 2**62, else in Python integers (object arrays).
    lower, upper = rules.lower_threshold, rules.upper_threshold
    # Exact scores: weights and bands scaled by 10**k to integers, k their most decimal places.
    k = max(_places(w) for w in [*rules.weights.values(), *(b for _, b in rules.level_bands)])
    scale = 10**k
    points_of = np.array([rules.grade_points[scoring_grade(g)] for g in GRADES], dtype="int64")
    score = np.zeros(len(units), dtype="int64")
    very_poor = np.zeros(len(units), dtype=bool)
    item_parts = []
    for code in codes:
        rate: Fraction = baselines[indicator_ids[code]].rate
        count = units[f"count_{code}"].to_numpy()
        deaths = units[f"deaths_{code}"].to_numpy()
        if rate == 0:
            grade = np.where(count == 0, EXCELLENT, POOR)
        else:
            biggest = max(
                int(count.max(initial=0)) * 10_000 * rate.denominator * max(lower.denominator, upper.denominator),
                max(lower.numerator, upper.numerator) * int(population.max(initial=0)) * rate.numerator,
            )
            c, p = (count, population) if biggest < INT64_SAFE else (count.astype(object), population.astype(object))
            n = c * (10_000 * rate.denominator)
            d = p * rate.numerator
            grade = np.select(
                [n * lower.denominator < d * lower.numerator, n * upper.denominator <= d * upper.numerator],
                [EXCELLENT, GOOD],
                POOR,
            )
        grade = np.where(deaths > 0, VERY_POOR, grade).astype("int64")
        points = points_of[grade]
        score += int(rules.weights[code] * scale) * points
        very_poor |= grade == VERY_POOR
        item_parts.append(
            f'{json.dumps(code)}: {{"count": '
            + units[f"count_{code}"].astype(str)
            + ', "deaths": '
            + units[f"deaths_{code}"].astype(str)
            + ', "grade": "'
            + pd.Series(np.array(GRADES, dtype=object)[grade], index=units.index)
            + '", "points": '
            + pd.Series(points, index=units.index).astype(str)
            + "}"
        )
    items = "{" + item_parts[0]
    for part in item_parts[1:]:
        items = items + ", " + part
    items = items + "}"

    # Levels from the exact score; the stored score is rounded half-up to two decimals.
    level = np.full(len(units), "red", dtype=object)
    for band, lowest in reversed(rules.level_bands):
        level = np.where(score >= int(lowest * scale), band.value, level)
    if rules.very_poor_forces_red:
        level = np.where(very_poor, "red", level)
    cents = score * 10 ** (2 - k) if k <= 2 else (score + 5 * 10 ** (k - 3)) // 10 ** (k - 2)
    stored_score = (
        pd.Series(cents // 100, index=units.index).astype(str)
        + "."
        + pd.Series(cents % 100, index=units.index).astype(str).str.zfill(2)
    )
    steps["compute"] = time.perf_counter() - start

    # Write: the publication (the ORM: one row) and the rows in one transaction.
    start = time.perf_counter()
    snapshot = {
        code: {
            "id": baselines[indicator_ids[code]].id,
            "year": baselines[indicator_ids[code]].year,
            "source": baselines[indicator_ids[code]].source,
            "rate": "{0.numerator}/{0.denominator}".format(baselines[indicator_ids[code]].rate),
        }
        for code in codes
    }
    with transaction.atomic():
        publication = Publication.objects.create(
            city=city,
            date=write_day,
            revision=1,
            policy=policy,
            baselines=snapshot,
            published_at=timezone.now(),
            rows_written=len(units),
        )
        town_ids = units["town_id"].astype("Int64")
        if connection.vendor == "postgresql":
            town_text = town_ids.astype(str).where(town_ids.notna(), "\\N")
            fixed = f"\t{write_day.isoformat()}\t1\tt\t{publication.pk}\t{policy.pk}\t"
            lines = (
                units["scope"]
                + "\t"
                + units["district_id"].astype(str)
                + "\t"
                + town_text
                + fixed
                + units["population"].astype(str)
                + "\t"
                + stored_score
                + "\t"
                + pd.Series(level, index=units.index)
                + "\t"
                + items.str.replace("\\", "\\\\", regex=False)  # COPY's text format
            )
            columns = "scope, district_id, town_id, date, revision, is_current, publication_id, policy_id, "
            columns += "population, score, level, items"
            sql = f"COPY {DailyIndex._meta.db_table} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                copy.write("\n".join(lines.tolist()) + "\n")
        else:
            rows = list(
                zip(
                    units["scope"].tolist(),
                    units["district_id"].tolist(),
                    [None if pd.isna(t) else int(t) for t in town_ids.tolist()],
                    [write_day.isoformat()] * len(units),
                    [publication.pk] * len(units),
                    [policy.pk] * len(units),
                    units["population"].tolist(),
                    stored_score.tolist(),
                    level.tolist(),
                    items.tolist(),
                    strict=True,
                )
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {DailyIndex._meta.db_table} (scope, district_id, town_id, date, revision,"
                    " is_current, publication_id, policy_id, population, score, level, items)"
                    " VALUES (%s, %s, %s, %s, 1, 1, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
    steps["write"] = time.perf_counter() - start
    return PandasRun(rows=len(units), steps=steps)


def scoring_grade(code: str):
    from pingan.scoring import Grade

    return Grade(code)


# --- the check ----------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    towns: int
    districts: int
    town_mismatches: int
    district_mismatches: int
    level_mismatches: int
    score_mismatches: int
    baselines_equal: bool
    examples: list = field(default_factory=list)


def day_rows(city, day: datetime.date) -> dict:
    """(scope, town or district id) → (population, score, level, items) of a day's current rows."""
    from pingan.models import DailyIndex

    return {
        (scope, town_id if scope == "town" else district_id): (population, score, level, items)
        for scope, town_id, district_id, population, score, level, items in DailyIndex.objects.current()
        .filter(date=day, district__city=city)
        .values_list("scope", "town_id", "district_id", "population", "score", "level", "items")
    }


def baseline_snapshot(city, day: datetime.date):
    from pingan.models import Publication

    return (
        Publication.objects.filter(city=city, date=day)
        .order_by("-revision")
        .values_list("baselines", flat=True)
        .first()
    )


def compare_with_engine(city, engine: dict, engine_snapshot, other_day: datetime.date) -> Comparison:
    """Every town's and district's (population, score, level, items) on other_day against the engine's
    rows (day_rows of the engine's day), and the publications' baseline snapshots."""
    other = day_rows(city, other_day)
    keys = set(engine) | set(other)
    differing = [key for key in keys if engine.get(key) != other.get(key)]
    towns = [key for key in keys if key[0] == "town"]
    missing = (None, None, None, None)

    def field_differs(i: int) -> int:
        return sum(1 for key in towns if engine.get(key, missing)[i] != other.get(key, missing)[i])

    return Comparison(
        towns=sum(1 for key in engine if key[0] == "town"),
        districts=sum(1 for key in engine if key[0] == "district"),
        town_mismatches=sum(1 for key in differing if key[0] == "town"),
        district_mismatches=sum(1 for key in differing if key[0] == "district"),
        level_mismatches=field_differs(2),
        score_mismatches=field_differs(1),
        baselines_equal=baseline_snapshot(city, other_day) == engine_snapshot,
        examples=[(key, engine.get(key), other.get(key)) for key in sorted(differing, key=str)[:3]],
    )
