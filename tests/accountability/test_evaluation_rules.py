"""The evaluation rules as pure functions: periods, components, caps, ranks, recommendations."""

import datetime
from decimal import Decimal

import pytest

from accountability.evaluation_rules import (
    Period,
    PeriodError,
    UnitFacts,
    competition_ranks,
    evaluate,
    recommendation,
)

D = datetime.date
WEIGHTS = {
    "mean_score": Decimal("0.6"),
    "on_time_rate": Decimal("0.4"),
    "red_days": Decimal("-2"),
    "orange_days": Decimal("-1"),
}
DEDUCTIONS = {"interview": Decimal("3"), "veto": Decimal("0")}


@pytest.mark.parametrize(
    "text, kind, start, end, label",
    [
        ("2026-11", "month", D(2026, 11, 1), D(2026, 11, 30), "2026-11"),
        ("2026-2", "month", D(2026, 2, 1), D(2026, 2, 28), "2026-02"),
        ("2026-Q4", "quarter", D(2026, 10, 1), D(2026, 12, 31), "2026-Q4"),
        ("2026-q1", "quarter", D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
        ("2026", "year", D(2026, 1, 1), D(2026, 12, 31), "2026"),
    ],
)
def test_periods(text, kind, start, end, label):
    assert Period.parse(text) == Period(kind, start, end, label)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "Nov 2026", ""])
def test_bad_periods_are_named(text):
    with pytest.raises(PeriodError, match="bad"):
        Period.parse(text)


def test_the_periods_that_just_ended():
    assert Period.ended_before(D(2026, 11, 2)) == []
    assert [p.label for p in Period.ended_before(D(2026, 11, 1))] == ["2026-10"]
    assert [p.label for p in Period.ended_before(D(2026, 10, 1))] == ["2026-09", "2026-Q3"]
    assert [p.label for p in Period.ended_before(D(2027, 1, 1))] == ["2026-12", "2026-Q4", "2026"]


def facts(levels_scores, tasks=(), records=(), adjustments=()):
    days = [(D(2026, 11, n + 1), Decimal(score), level, 100 + n) for n, (level, score) in enumerate(levels_scores)]
    return UnitFacts(days=days, tasks=list(tasks), records=list(records), adjustments=list(adjustments))


def test_every_component_with_its_sources():
    result = evaluate(
        facts(
            [("blue", "100"), ("red", "68"), ("orange", "76"), ("yellow", "88")],
            tasks=[(7, "巡逻", D(2026, 11, 9), True), (8, "整治", D(2026, 11, 20), False)],
            records=[(3, "interview")],
            adjustments=[(5, Decimal("-1.5"), "暗访发现巡逻不到位")],
        ),
        WEIGHTS,
        DEDUCTIONS,
        Decimal(60),
    )
    c = result.components
    # mean 83 × 0.6 = 49.80; on time 50% × 0.4 = 20.00; red −2; orange −1; interview −3; adjustment −1.5
    assert (c["mean_score"]["value"], c["mean_score"]["points"]) == ("83.00", "49.80")
    assert (c["on_time_rate"]["value"], c["on_time_rate"]["points"]) == ("50.00", "20.00")
    assert (c["red_days"]["value"], c["red_days"]["points"], c["red_days"]["days"]) == (1, "-2.00", ["2026-11-02"])
    assert (c["orange_days"]["value"], c["orange_days"]["points"]) == (1, "-1.00")
    assert c["accountability"]["records"] == [{"record": 3, "measure": "interview", "points": "-3"}]
    assert c["adjustments"]["points"] == "-1.50"
    assert [d["index"] for d in c["mean_score"]["days"]] == [100, 101, 102, 103]
    assert [t["task"] for t in c["on_time_rate"]["tasks"]] == [7, 8]
    assert result.score == Decimal("62.30") and not result.vetoed


def test_no_task_due_counts_as_fully_on_time():
    result = evaluate(facts([("blue", "100")]), WEIGHTS, DEDUCTIONS, Decimal(60))
    assert result.components["on_time_rate"]["value"] == "100.00"
    assert result.score == Decimal("100.00")


def test_a_veto_caps_the_score():
    result = evaluate(facts([("blue", "100")], records=[(9, "veto")]), WEIGHTS, DEDUCTIONS, Decimal(60))
    assert result.vetoed and result.score == Decimal("60.00")


def test_scores_stay_between_0_and_100():
    bonus = evaluate(facts([("blue", "100")], adjustments=[(1, Decimal(5), "x")]), WEIGHTS, DEDUCTIONS, Decimal(60))
    assert bonus.score == Decimal("100.00")
    worst = evaluate(facts([("red", "0")] * 30), WEIGHTS, DEDUCTIONS, Decimal(60))
    assert worst.score == Decimal("0.00")


def test_ranks_with_ties_share_a_rank_and_skip_the_next():
    ranks = competition_ranks({"a": Decimal(90), "b": Decimal(95), "c": Decimal(90), "d": Decimal(80)})
    assert ranks == {"b": 1, "a": 2, "c": 2, "d": 4}


def test_recommendations_for_the_top_and_the_bottom():
    assert recommendation(1, 5, False, commend_top=1, penalize_bottom=1) == "commendation"
    assert recommendation(3, 5, False, 1, 1) == ""
    assert recommendation(5, 5, False, 1, 1) == "penalty"
    assert recommendation(1, 5, True, 1, 1) == "penalty"  # a veto is never commended
    assert recommendation(1, 1, False, 1, 1) == "commendation"  # alone in its group
