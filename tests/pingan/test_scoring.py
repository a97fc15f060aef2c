"""The index rules of DESIGN.md §3, as pure functions."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from pingan import scoring
from pingan.scoring import Grade, Level, PolicyError, Rules

ZHUHAI = dict(
    weights={"crime": "0.6", "fire": "0.2", "traffic": "0.2"},
    lower_threshold="0.8",
    upper_threshold="1.2",
    grade_points={"excellent": 100, "good": 80, "poor": 60, "very_poor": 0},
    level_bands={"blue": "90", "yellow": "80", "orange": "70"},
    very_poor_forces_red=True,
)
RULES = Rules.from_policy_data(**ZHUHAI)


def grade_at(q: Fraction, *, deaths: int = 0) -> Grade:
    """Grade a town of 10,000 residents whose count gives ratio q against a baseline of 1."""
    # count / 10,000 × 10,000 / B = q  with B = count / q
    count = q.numerator
    return scoring.grade(count, deaths, 10_000, Fraction(q.denominator), RULES)


@pytest.mark.parametrize(
    "q, expected",
    [
        (Fraction(0), Grade.EXCELLENT),
        (Fraction(79, 100), Grade.EXCELLENT),
        (Fraction(7999, 10000), Grade.EXCELLENT),
        (Fraction(4, 5), Grade.GOOD),  # 0.8 itself is good
        (Fraction(1), Grade.GOOD),
        (Fraction(6, 5), Grade.GOOD),  # 1.2 itself is good
        (Fraction(12001, 10000), Grade.POOR),
        (Fraction(3), Grade.POOR),
    ],
)
def test_grade_by_ratio(q, expected):
    assert grade_at(q) == expected


def test_boundaries_are_exact_where_floating_point_is_not():
    # q is exactly 1.2 here, but float arithmetic makes it 1.2000000000000002 (poor).
    baseline = Fraction(5, 18)
    assert (1 / 30000 * 10000) / (5 / 18) > 1.2
    assert scoring.grade(1, 0, 30_000, baseline, RULES) == Grade.GOOD
    # q is exactly 0.8 here, but float arithmetic makes it 0.7999999999999999 (excellent).
    assert (3 / 70000 * 10000) / (15 / 28) < 0.8
    assert scoring.grade(3, 0, 70_000, Fraction(15, 28), RULES) == Grade.GOOD


def test_any_death_is_very_poor_whatever_the_ratio():
    assert grade_at(Fraction(0), deaths=0) == Grade.EXCELLENT
    assert scoring.grade(1, 1, 10_000, Fraction(100), RULES) == Grade.VERY_POOR
    assert scoring.grade(1, 1, 10_000, Fraction(0), RULES) == Grade.VERY_POOR


def test_zero_baseline_is_excellent_without_events_and_poor_with_any():
    assert scoring.grade(0, 0, 10_000, Fraction(0), RULES) == Grade.EXCELLENT
    assert scoring.grade(1, 0, 10_000, Fraction(0), RULES) == Grade.POOR
    assert scoring.ratio(1, 10_000, Fraction(0)) is None


def test_rate_is_per_ten_thousand_residents():
    # 5 events among 50,000 residents is 1 per 10,000; against a baseline of 1 that is q = 1.
    assert scoring.ratio(5, 50_000, Fraction(1)) == 1
    assert scoring.grade(5, 0, 50_000, Fraction(1), RULES) == Grade.GOOD
    assert scoring.grade(3, 0, 50_000, Fraction(1), RULES) == Grade.EXCELLENT  # q = 0.6
    assert scoring.grade(7, 0, 50_000, Fraction(1), RULES) == Grade.POOR  # q = 1.4


@pytest.mark.parametrize("count, deaths, population", [(-1, 0, 1), (0, -1, 1), (0, 0, 0)])
def test_grade_refuses_impossible_inputs(count, deaths, population):
    with pytest.raises(ValueError):
        scoring.grade(count, deaths, population, Fraction(1), RULES)


def grades(crime, fire, traffic):
    return {"crime": Grade(crime), "fire": Grade(fire), "traffic": Grade(traffic)}


@pytest.mark.parametrize(
    "crime, fire, traffic, score, level",
    [
        ("excellent", "excellent", "excellent", Decimal("100.00"), Level.BLUE),
        ("excellent", "good", "good", Decimal("92.00"), Level.BLUE),
        ("excellent", "poor", "poor", Decimal("84.00"), Level.YELLOW),
        ("good", "excellent", "good", Decimal("84.00"), Level.YELLOW),
        ("good", "good", "good", Decimal("80.00"), Level.YELLOW),  # 80 itself is yellow
        ("good", "poor", "poor", Decimal("72.00"), Level.ORANGE),
        ("poor", "excellent", "excellent", Decimal("76.00"), Level.ORANGE),
        ("poor", "good", "poor", Decimal("64.00"), Level.RED),
        ("poor", "poor", "poor", Decimal("60.00"), Level.RED),
        ("excellent", "excellent", "very_poor", Decimal("80.00"), Level.RED),  # forced red
        ("very_poor", "excellent", "excellent", Decimal("40.00"), Level.RED),
    ],
)
def test_weighted_score_and_colour_band(crime, fire, traffic, score, level):
    assert RULES.score_and_level(grades(crime, fire, traffic)) == (score, level)


def test_band_edges_are_inclusive_from_below():
    assert scoring.level_for(Decimal("90"), [], RULES) == Level.BLUE
    assert scoring.level_for(Decimal("89.99"), [], RULES) == Level.YELLOW
    assert scoring.level_for(Decimal("80"), [], RULES) == Level.YELLOW
    assert scoring.level_for(Decimal("79.99"), [], RULES) == Level.ORANGE
    assert scoring.level_for(Decimal("70"), [], RULES) == Level.ORANGE
    assert scoring.level_for(Decimal("69.99"), [], RULES) == Level.RED


def test_forced_red_is_a_policy_flag():
    lenient = Rules.from_policy_data(**{**ZHUHAI, "very_poor_forces_red": False})
    assert lenient.score_and_level(grades("excellent", "excellent", "very_poor")) == (Decimal("80.00"), Level.YELLOW)


def test_other_weights_change_the_score():
    even = Rules.from_policy_data(**{**ZHUHAI, "weights": {"crime": "0.4", "fire": "0.3", "traffic": "0.3"}})
    assert even.score_and_level(grades("poor", "excellent", "excellent")) == (Decimal("84.00"), Level.YELLOW)


def test_level_uses_the_exact_score_and_storage_keeps_two_decimals():
    thirds = Rules.from_policy_data(**{**ZHUHAI, "weights": {"crime": "0.3335", "fire": "0.3335", "traffic": "0.333"}})
    # 0.3335×80 + 0.3335×100 + 0.333×100 = 93.33: exact, stored as 93.33
    assert thirds.score_and_level(grades("good", "excellent", "excellent")) == (Decimal("93.33"), Level.BLUE)
    # Exactly 89.995 is below blue, although it shows as 90.00 with two decimals.
    edge = Rules.from_policy_data(**{**ZHUHAI, "weights": {"crime": "0.50025", "fire": "0.49975"}})
    score, level = edge.score_and_level({"crime": Grade.GOOD, "fire": Grade.EXCELLENT})
    assert (score, level) == (Decimal("90.00"), Level.YELLOW)
    assert scoring.display_score(Decimal("89.95")) == Decimal("90.0")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"weights": {"crime": "0.6", "fire": "0.2"}}, "add up to 1"),
        ({"weights": {}}, "at least one"),
        ({"weights": {"crime": "x"}}, "not a number"),
        ({"lower_threshold": "1.3"}, "0 < lower ≤ upper"),
        ({"grade_points": {"excellent": 100, "good": 80, "poor": 60}}, "very_poor is missing"),
        ({"grade_points": {"excellent": 100, "good": 80.5, "poor": 60, "very_poor": 0}}, "whole number"),
        ({"level_bands": {"blue": "80", "yellow": "90", "orange": "70"}}, "must not increase"),
    ],
)
def test_invalid_policies_say_what_is_wrong(change, message):
    with pytest.raises(PolicyError, match=message):
        Rules.from_policy_data(**{**ZHUHAI, **change})


def test_resident_days_follow_the_record_in_force():
    records = [(datetime.date(2025, 7, 1), 200), (datetime.date(2020, 1, 1), 100)]
    # 181 days at 100 (Jan–Jun 2025), 184 days at 200 (Jul–Dec)
    assert (
        scoring.resident_days(records, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)) == 181 * 100 + 184 * 200
    )
    # before the first record the town had no residents
    later = [(datetime.date(2025, 12, 31), 50)]
    assert scoring.resident_days(later, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)) == 50


def spec_grade(count: int, deaths: int, population: int, baseline: Fraction) -> Grade:
    """DESIGN.md §3 written out with exact fractions: the oracle of the test below."""
    if deaths > 0:
        return Grade.VERY_POOR
    if baseline == 0:
        return Grade.EXCELLENT if count == 0 else Grade.POOR
    q = Fraction(count * 10_000, population) / baseline
    if q < RULES.lower_threshold:
        return Grade.EXCELLENT
    return Grade.GOOD if q <= RULES.upper_threshold else Grade.POOR


@pytest.mark.parametrize("baseline", [Fraction(0), Fraction(1), Fraction(5, 18), Fraction(15, 28), Fraction(3, 7)])
def test_a_baselines_grader_grades_as_the_rule_says(baseline):
    graded = scoring.grader(baseline, RULES)
    # At a baseline of 1, counts 4 and 6 of 50,000 residents are q = 0.8 and 1.2 exactly (both good).
    cases = [(c, d, p) for c in range(0, 13) for d in (0, 1) for p in (1, 700, 10_000, 30_000, 50_000, 70_000, 123_457)]
    assert [graded(*case) for case in cases] == [spec_grade(*case, baseline) for case in cases]


def test_a_negative_baseline_has_no_grader():
    with pytest.raises(ValueError):
        scoring.grader(Fraction(-1), RULES)
