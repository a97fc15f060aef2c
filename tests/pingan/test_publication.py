"""Computing and publishing a day: grades, districts, completeness, revisions, idempotence."""

import datetime
import gc
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pingan.errors import CannotScore
from pingan.exports import write_index_csv
from pingan.models import Baseline, DailyIndex, IndexPolicy, Indicator, Population, Publication, Submission, Town
from pingan.services import publication
from pingan.services.backfill import publish_days
from pingan.services.publication import Region, publish_day
from tests.factories import submit_day

DAY = datetime.date(2026, 11, 20)

# Baselines (per 10,000 per day): crime 1, fire 0.2, traffic 0.4.
# 一镇 (100,000): crime 8 → q 0.8 good; traffic 5 → q 1.25 poor          → 48+20+12 = 80 yellow
# 二街道 (50,000): crime 7 → q 1.4 poor                                   → 36+20+20 = 76 orange
# 三镇 (20,000): a traffic death → very poor                              → red
# 甲区 (150,000): crime 15 → q 1 good; traffic 5 → q 0.83 good           → 48+20+16 = 84 yellow
COUNTS = {
    ("一镇", "crime"): (8, 0),
    ("一镇", "traffic"): (5, 0),
    ("二街道", "crime"): (7, 0),
    ("三镇", "traffic"): (1, 1),
}


def current(city, day=DAY):
    return {
        (r.scope, r.town.name if r.town else r.district.name): r
        for r in DailyIndex.objects.current().filter(date=day, district__city=city).select_related("town", "district")
    }


def test_a_day_is_scored_for_every_town_and_district(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)

    report = publish_day(DAY)

    assert report.problems == {}
    rows = current(city)
    summary = {key: (r.score, r.level) for key, r in rows.items()}
    assert summary == {
        ("town", "一镇"): (Decimal("80.00"), "yellow"),
        ("town", "二街道"): (Decimal("76.00"), "orange"),
        ("town", "三镇"): (Decimal("80.00"), "red"),
        ("district", "甲区"): (Decimal("84.00"), "yellow"),
        ("district", "乙区"): (Decimal("80.00"), "red"),
    }
    assert rows[("town", "一镇")].items == {
        "crime": {"count": 8, "deaths": 0, "grade": "good", "points": 80},
        "fire": {"count": 0, "deaths": 0, "grade": "excellent", "points": 100},
        "traffic": {"count": 5, "deaths": 0, "grade": "poor", "points": 60},
    }
    assert rows[("district", "甲区")].population == 150_000
    publication = Publication.objects.get()
    assert (publication.revision, publication.policy.name, publication.rows_written) == (1, "zhuhai-2014", 5)
    assert publication.baselines["fire"]["rate"] == "1/5" and publication.baselines["fire"]["source"] == "manual"
    assert {r.publication_id for r in rows.values()} == {publication.id}


def test_publishing_again_changes_nothing(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    publish_day(DAY)
    before = sorted(DailyIndex.objects.values_list("id", "revision", "is_current", "score", "level"))

    report = publish_day(DAY)

    assert report.published[0].publication is None and report.published[0].rows_written == 0
    assert sorted(DailyIndex.objects.values_list("id", "revision", "is_current", "score", "level")) == before
    assert Publication.objects.count() == 1


def test_a_fingerprint_of_another_form_costs_a_comparison_not_a_revision(city, tmp_path):
    """A day published by an earlier version (whose fingerprint was computed otherwise) and published
    again with the same inputs: the rows are compared, nothing is written, the fingerprint is renewed."""
    submit_day(tmp_path, city, DAY, COUNTS)
    publish_day(DAY)
    Publication.objects.update(digest="0" * 64)
    before = sorted(DailyIndex.objects.values_list("id", "revision", "is_current"))

    report = publish_day(DAY)

    assert report.published[0].publication is None and report.published[0].rows_written == 0
    assert sorted(DailyIndex.objects.values_list("id", "revision", "is_current")) == before
    renewed = Publication.objects.get().digest
    assert renewed != "0" * 64
    with CaptureQueriesContext(connection) as queries:
        publish_day(DAY, open_cases=False)
    assert not any("pingan_dailyindex" in q["sql"] for q in queries.captured_queries)  # stops at the fingerprint


def test_a_correction_adds_a_revision_and_keeps_the_earlier_one(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    publish_day(DAY)
    corrected = {**COUNTS, ("二街道", "crime"): (5, 0)}  # q = 1: good → 48+20+20 = 88 yellow
    submit_day(tmp_path, city, DAY, corrected)

    report = publish_day(DAY)

    assert report.published[0].publication.revision == 2
    rows = current(city)
    assert (rows[("town", "二街道")].score, rows[("town", "二街道")].level, rows[("town", "二街道")].revision) == (
        Decimal("88.00"),
        "yellow",
        2,
    )
    old = DailyIndex.objects.get(town__name="二街道", date=DAY, revision=1)
    assert (old.is_current, old.level) == (False, "orange")
    # 甲区's summed crime fell from 15 to 13 (q 0.87, still good): its counts changed, so it is revised too
    district = rows[("district", "甲区")]
    assert (district.revision, district.items["crime"]["count"], district.level) == (2, 13, "yellow")
    # rows whose inputs did not change keep their first revision
    assert (rows[("town", "一镇")].revision, rows[("district", "乙区")].revision) == (1, 1)
    assert report.published[0].rows_written == 2


def test_a_date_with_a_missing_submission_is_not_scored(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    Submission.objects.filter(indicator__code="fire").delete()

    report = publish_day(DAY)

    with pytest.raises(CannotScore, match="测试市: no submission of fire \\(消防安全\\) for 2026-11-20"):
        report.raise_for_problems()
    assert not DailyIndex.objects.exists()


def test_a_missing_baseline_names_the_indicator_and_year(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    Baseline.objects.filter(indicator__code="traffic").delete()

    report = publish_day(DAY)

    (problem,) = report.problems["测试市"]
    assert problem.startswith("no baseline for traffic (交通安全) 2026 in 测试市: 2025 is incomplete (365 day(s)")
    assert not DailyIndex.objects.exists()


def test_a_baseline_is_computed_from_a_complete_previous_year(city, tmp_path):
    traffic = Indicator.objects.get(code="traffic")
    Baseline.objects.filter(indicator=traffic).delete()
    first = datetime.date(2025, 1, 1)
    Submission.objects.bulk_create(
        Submission(
            city=city,
            date=first + datetime.timedelta(n),
            indicator=traffic,
            source="t",
            submitted_at="2026-01-01T00:00Z",
        )
        for n in range(365)
    )
    from pingan.models import DailyCount

    DailyCount.objects.create(town=Town.objects.get(name="一镇"), date=first, indicator=traffic, count=3285, deaths=0)
    DailyCount.objects.create(
        town=Town.objects.get(name="三镇"), date=datetime.date(2025, 6, 1), indicator=traffic, count=365
    )
    submit_day(tmp_path, city, DAY, COUNTS)

    publish_day(DAY).raise_for_problems()

    baseline = Baseline.objects.get(indicator=traffic, year=2026)
    # 3,650 events over 365 days of 170,000 residents = 0.588… per 10,000 per day
    assert (baseline.source, baseline.events, baseline.resident_days) == ("computed", 3650, 365 * 170_000)
    assert baseline.rate == pytest.approx(3650 * 10_000 / (365 * 170_000))
    # 一镇's 5 traffic events: q = 5/10 / (10/17) = 0.85 → good
    assert current(city)[("town", "一镇")].items["traffic"]["grade"] == "good"


def test_population_in_force_is_the_latest_record_on_or_before_the_day(city, tmp_path):
    town = Town.objects.get(name="一镇")
    Population.objects.create(town=town, effective_from=DAY, population=62_500)
    before = DAY - datetime.timedelta(days=1)
    submit_day(tmp_path, city, before, {("一镇", "crime"): (8, 0)})
    submit_day(tmp_path, city, DAY, {("一镇", "crime"): (8, 0)})

    publish_day(before)
    publish_day(DAY)

    # 8 among 100,000 → q 0.8 good; 8 among 62,500 → q 1.28 poor
    assert current(city, before)[("town", "一镇")].items["crime"]["grade"] == "good"
    assert current(city, DAY)[("town", "一镇")].items["crime"]["grade"] == "poor"
    assert current(city, DAY)[("town", "一镇")].population == 62_500


def test_a_run_of_days_reads_the_towns_and_populations_once_and_takes_each_days_record(city, tmp_path):
    town = Town.objects.get(name="一镇")
    days = [DAY - datetime.timedelta(days=1), DAY, DAY + datetime.timedelta(days=1)]
    Population.objects.create(town=town, effective_from=DAY, population=62_500)
    Population.objects.create(town=town, effective_from=days[2], population=200_000)
    for day in days:
        submit_day(tmp_path, city, day, {("一镇", "crime"): (8, 0)})

    with CaptureQueriesContext(connection) as queries:
        reports = list(publish_days(days, open_cases=False))

    assert [r.day for r in reports] == days and not any(r.problems for r in reports)
    town_table, population_table = Town._meta.db_table, Population._meta.db_table
    assert sum(f'FROM "{town_table}"' in q["sql"] for q in queries) == 1
    assert sum(f'FROM "{population_table}"' in q["sql"] for q in queries) == 1
    # 8 among 100,000 → q 0.8 good; among 62,500 → q 1.28 poor; among 200,000 → q 0.4 excellent
    rows = [current(city, day)[("town", "一镇")] for day in days]
    assert [(r.population, r.items["crime"]["grade"]) for r in rows] == [
        (100_000, "good"),
        (62_500, "poor"),
        (200_000, "excellent"),
    ]


def test_a_day_is_scored_with_the_garbage_collector_paused_and_it_comes_back_after(city, tmp_path, monkeypatch):
    submit_day(tmp_path, city, DAY, COUNTS)
    seen = []
    score_city = publication._DayInputs.score_city

    def watched(self, *args):
        seen.append(gc.isenabled())
        return score_city(self, *args)

    monkeypatch.setattr(publication._DayInputs, "score_city", watched)
    publish_day(DAY)

    assert seen == [False]
    assert gc.isenabled()


def test_the_population_in_force_is_none_before_a_towns_first_record(city):
    town = Town.objects.get(name="一镇")
    first = Population.objects.get(town=town).effective_from
    Population.objects.create(town=town, effective_from=first + datetime.timedelta(days=10), population=1)
    region = Region.read([city])

    assert town.id not in region.population_on(first - datetime.timedelta(days=1))
    assert region.population_on(first)[town.id] == 100_000
    assert region.population_on(first + datetime.timedelta(days=9))[town.id] == 100_000
    assert region.population_on(first + datetime.timedelta(days=10))[town.id] == 1


def test_a_region_read_without_a_city_is_refused(city, tmp_path):
    with pytest.raises(ValueError, match="without the cities"):
        publish_day(DAY, cities=[city], region=Region.read([]))


def test_a_town_without_population_is_named(city, tmp_path):
    Town.objects.create(district=Town.objects.get(name="三镇").district, name="新镇")
    submit_day(tmp_path, city, DAY, COUNTS)

    report = publish_day(DAY)

    assert report.problems == {"测试市": ["no population in force on 2026-11-20 for 1 town(s): 新镇"]}


def test_the_policy_in_force_is_used_and_recorded(city, tmp_path):
    zhuhai = IndexPolicy.objects.get(name="zhuhai-2014")
    IndexPolicy.objects.create(
        name="zhuhai-2014",
        version=2,
        effective_from=DAY,
        weights={"crime": "0.4", "fire": "0.3", "traffic": "0.3"},
        lower_threshold=zhuhai.lower_threshold,
        upper_threshold=zhuhai.upper_threshold,
        grade_points=zhuhai.grade_points,
        level_bands=zhuhai.level_bands,
    )
    before = DAY - datetime.timedelta(days=1)
    submit_day(tmp_path, city, before, COUNTS)
    submit_day(tmp_path, city, DAY, COUNTS)

    publish_day(before)
    publish_day(DAY)

    # 二街道, crime poor: 0.6×60+40 = 76 under v1; 0.4×60+60 = 84 under v2
    assert current(city, before)[("town", "二街道")].score == Decimal("76.00")
    assert current(city, DAY)[("town", "二街道")].score == Decimal("84.00")
    assert current(city, DAY)[("town", "二街道")].policy.version == 2


def test_the_number_of_queries_does_not_grow_with_towns(city, tmp_path):
    # No town turns orange or red here: opening cases is the workflow's business, measured there.
    calm = {("一镇", "crime"): (8, 0)}
    submit_day(tmp_path, city, DAY, calm)
    with CaptureQueriesContext(connection) as small:
        publish_day(DAY)
    district = Town.objects.get(name="三镇").district
    for n in range(40):
        town = Town.objects.create(district=district, name=f"加镇{n}")
        Population.objects.create(town=town, effective_from=datetime.date(2020, 1, 1), population=10_000 + n)
    later = DAY + datetime.timedelta(days=1)
    submit_day(tmp_path, city, later, calm)

    with CaptureQueriesContext(connection) as large:
        publish_day(later)

    assert DailyIndex.objects.filter(date=later).count() == 45
    assert len(large.captured_queries) == len(small.captured_queries)


def test_export_has_the_documented_columns(city, tmp_path):
    submit_day(tmp_path, city, DAY, COUNTS)
    publish_day(DAY)
    out = io.StringIO()

    assert write_index_csv(out, DAY) == 5

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("date,scope,district,town,crime_grade,fire_grade,traffic_grade,score,level,")
    assert lines[1].startswith("2026-11-20,district,甲区,,good,excellent,good,84.00,yellow,150000,")
    assert lines[2].startswith("2026-11-20,town,甲区,一镇,good,excellent,poor,80.00,yellow,100000,8,0,0,0,5,0,")
