"""The evaluation (考评) rules as pure functions over plain values: periods, scores, ranks.

A unit's score is the sum of its components under its group's weights:
  mean_score    weight × the mean of its town's daily index scores in the period (0–100)
  on_time_rate  weight × the share of its tasks due in the period that were submitted on time × 100
  red_days      points per red day (negative)
  orange_days   points per orange day (negative)
  accountability the scheme's deduction for each approved or executed measure decided in the period
  adjustments   documented manual adjustments (明察暗访), ± points
clamped to 0–100; a veto (一票否决) caps it at the scheme's cap.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
COMPONENTS = ("mean_score", "on_time_rate", "red_days", "orange_days")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year
    start: datetime.date
    end: datetime.date
    label: str

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year)."""
        text = text.strip()
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise PeriodError(f"bad month in {text!r}")
            last = calendar.monthrange(year, month)[1]
            return cls("month", datetime.date(year, month, 1), datetime.date(year, month, last), f"{year}-{month:02d}")
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, quarter = int(m[1]), int(m[2])
            first = 3 * quarter - 2
            last = calendar.monthrange(year, first + 2)[1]
            return cls(
                "quarter", datetime.date(year, first, 1), datetime.date(year, first + 2, last), f"{year}-Q{quarter}"
            )
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return cls("year", datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year))
        raise PeriodError(f"bad period {text!r}: expected YYYY-MM, YYYY-Qn or YYYY")

    @classmethod
    def ended_before(cls, day: datetime.date) -> list[Period]:
        """The periods that ended the day before `day` (the month, and the quarter and year when they end too)."""
        last = day - datetime.timedelta(days=1)
        if day.day != 1:
            return []
        periods = [cls.parse(f"{last.year}-{last.month}")]
        if last.month % 3 == 0:
            periods.append(cls.parse(f"{last.year}-Q{last.month // 3}"))
        if last.month == 12:
            periods.append(cls.parse(str(last.year)))
        return periods


@dataclass
class UnitFacts:
    """What happened to one unit in a period, each fact with the id it can be traced to."""

    days: list[tuple[datetime.date, Decimal, str, int]] = field(default_factory=list)  # date, score, level, index id
    tasks: list[tuple[int, str, datetime.date, bool]] = field(default_factory=list)  # id, title, deadline, on time
    records: list[tuple[int, str]] = field(default_factory=list)  # id, measure
    adjustments: list[tuple[int, Decimal, str]] = field(default_factory=list)  # id, points, finding


@dataclass(frozen=True)
class Result:
    score: Decimal
    vetoed: bool
    components: dict


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def evaluate(
    facts: UnitFacts, weights: Mapping[str, Decimal], deductions: Mapping[str, Decimal], veto_cap: Decimal
) -> Result:
    """Score one unit for a period, keeping every number's sources."""
    scores = [s for _, s, _, _ in facts.days]
    mean = sum(scores, Decimal(0)) / len(scores) if scores else Decimal(0)
    on_time = sum(1 for *_, ok in facts.tasks if ok)
    rate = Decimal(on_time) / len(facts.tasks) if facts.tasks else Decimal(1)
    red = [d for d in facts.days if d[2] == "red"]
    orange = [d for d in facts.days if d[2] == "orange"]
    record_points = [(rid, measure, -deductions.get(measure, Decimal(0))) for rid, measure in facts.records]
    vetoed = any(measure == "veto" for _, measure in facts.records)

    components = {
        "mean_score": {
            "value": str(_q(mean)),
            "weight": str(weights.get("mean_score", 0)),
            "points": _q(weights.get("mean_score", Decimal(0)) * mean),
            "days": [{"date": d.isoformat(), "score": str(s), "level": lv, "index": i} for d, s, lv, i in facts.days],
        },
        "on_time_rate": {
            "value": str(_q(rate * HUNDRED)),
            "weight": str(weights.get("on_time_rate", 0)),
            "points": _q(weights.get("on_time_rate", Decimal(0)) * rate * HUNDRED),
            "tasks": [
                {"task": t, "title": title, "deadline": dl.isoformat(), "on_time": ok}
                for t, title, dl, ok in facts.tasks
            ],
        },
        "red_days": {
            "value": len(red),
            "weight": str(weights.get("red_days", 0)),
            "points": _q(weights.get("red_days", Decimal(0)) * len(red)),
            "days": [d.isoformat() for d, *_ in red],
        },
        "orange_days": {
            "value": len(orange),
            "weight": str(weights.get("orange_days", 0)),
            "points": _q(weights.get("orange_days", Decimal(0)) * len(orange)),
            "days": [d.isoformat() for d, *_ in orange],
        },
        "accountability": {
            "value": len(facts.records),
            "points": _q(sum((p for *_, p in record_points), Decimal(0))),
            "records": [{"record": rid, "measure": m, "points": str(p)} for rid, m, p in record_points],
        },
        "adjustments": {
            "value": len(facts.adjustments),
            "points": _q(sum((p for _, p, _ in facts.adjustments), Decimal(0))),
            "adjustments": [{"adjustment": a, "points": str(p), "finding": f} for a, p, f in facts.adjustments],
        },
    }
    total = sum((c["points"] for c in components.values()), Decimal(0))
    score = min(max(total, Decimal(0)), HUNDRED)
    if vetoed:
        score = min(score, veto_cap)
    for c in components.values():
        c["points"] = str(c["points"])
    components["veto"] = {"value": vetoed, "cap": str(veto_cap)}
    return Result(_q(score), vetoed, components)


def competition_ranks(scores: Mapping[object, Decimal]) -> dict[object, int]:
    """Rank by score, highest first; equal scores share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(scores.values(), reverse=True)
    first_position = {}
    for position, score in enumerate(ordered, start=1):
        first_position.setdefault(score, position)
    return {key: first_position[score] for key, score in scores.items()}


def recommendation(rank: int, group_size: int, vetoed: bool, commend_top: int, penalize_bottom: int) -> str:
    """Commendation for the top ranks, penalty for the bottom ranks and for any veto."""
    if vetoed:
        return "penalty"
    if rank <= commend_top:
        return "commendation"
    if group_size > commend_top and rank > group_size - penalize_bottom:
        return "penalty"
    return ""


def parse_weights(data: Mapping[str, object]) -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in data.items()}


def unknown_components(names: Iterable[str]) -> list[str]:
    return [n for n in names if n not in COMPONENTS]
