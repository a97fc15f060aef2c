"""The index rules of DESIGN.md §3 as pure functions over plain values (no ORM, no settings).

All comparisons are exact: a ratio is compared with a threshold by cross-multiplying integers,
scores are Decimals of exact weights times integer points. Binary floating point would misgrade
inputs that sit exactly on 0.8 or 1.2.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

PER_RESIDENTS = 10_000  # rates are events per 10,000 residents per day
CENT = Decimal("0.01")


class Grade(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    POOR = "poor"
    VERY_POOR = "very_poor"


class Level(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class PolicyError(ValueError):
    """A policy's data cannot be turned into rules."""


def _decimal(value: object, what: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise PolicyError(f"{what}: {value!r} is not a number") from exc
    if not result.is_finite():
        raise PolicyError(f"{what}: {value!r} is not a finite number")
    return result


@dataclass(frozen=True)
class Rules:
    """The numbers of one policy version, ready for scoring."""

    weights: Mapping[str, Decimal]
    lower_threshold: Fraction
    upper_threshold: Fraction
    grade_points: Mapping[Grade, int]
    # (level, lowest score) from the best level down; below the last band is red.
    level_bands: tuple[tuple[Level, Decimal], ...]
    very_poor_forces_red: bool = True
    _scores: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_policy_data(
        cls,
        *,
        weights: Mapping[str, object],
        lower_threshold: object,
        upper_threshold: object,
        grade_points: Mapping[str, object],
        level_bands: Mapping[str, object],
        very_poor_forces_red: bool,
    ) -> Rules:
        if not weights:
            raise PolicyError("weights: at least one indicator needs a weight")
        parsed_weights = {code: _decimal(w, f"weight of {code}") for code, w in weights.items()}
        if any(w < 0 for w in parsed_weights.values()):
            raise PolicyError("weights must not be negative")
        if sum(parsed_weights.values()) != 1:
            raise PolicyError(f"weights must add up to 1, they add up to {sum(parsed_weights.values())}")
        lower = Fraction(_decimal(lower_threshold, "lower threshold"))
        upper = Fraction(_decimal(upper_threshold, "upper threshold"))
        if not 0 < lower <= upper:
            raise PolicyError("thresholds must satisfy 0 < lower ≤ upper")
        points: dict[Grade, int] = {}
        for grade in Grade:
            if grade.value not in grade_points:
                raise PolicyError(f"grade points: {grade.value} is missing")
            value = _decimal(grade_points[grade.value], f"points of {grade.value}")
            if value != value.to_integral_value() or not 0 <= value <= 100:
                raise PolicyError(f"points of {grade.value} must be a whole number from 0 to 100")
            points[grade] = int(value)
        bands = []
        for level in (Level.BLUE, Level.YELLOW, Level.ORANGE):
            if level.value not in level_bands:
                raise PolicyError(f"level bands: {level.value} is missing")
            bands.append((level, _decimal(level_bands[level.value], f"band of {level.value}")))
        if not bands[0][1] >= bands[1][1] >= bands[2][1]:
            raise PolicyError("level bands must not increase from blue to yellow to orange")
        return cls(
            weights=parsed_weights,
            lower_threshold=lower,
            upper_threshold=upper,
            grade_points=points,
            level_bands=tuple(bands),
            very_poor_forces_red=very_poor_forces_red,
        )

    @cached_property
    def quiet_item(self) -> dict:
        """The stored item of an indicator with no event (shared: treat as read-only)."""
        return {"count": 0, "deaths": 0, "grade": Grade.EXCELLENT.value, "points": self.grade_points[Grade.EXCELLENT]}

    def score_and_level(self, grades: Mapping[str, Grade]) -> tuple[Decimal, Level]:
        """Score and level for a town's grades; memoised, since there are only 4**n grade tuples."""
        key = tuple(grades.items())
        cached = self._scores.get(key)
        if cached is None:
            exact = town_score(grades, self)
            level = level_for(exact, grades.values(), self)
            cached = self._scores[key] = (exact.quantize(CENT, rounding=ROUND_HALF_UP), level)
        return cached


def grade(count: int, deaths: int, population: int, baseline: Fraction, rules: Rules) -> Grade:
    """The grade of one indicator for one town-day.

    q = (count / population × 10,000) / baseline; deaths > 0 → very poor; q < lower → excellent;
    lower ≤ q ≤ upper → good; q > upper → poor. With a zero baseline q is 0 when the count is 0,
    and the grade is poor otherwise.
    """
    return grader(baseline, rules)(count, deaths, population)


def grader(baseline: Fraction, rules: Rules) -> Callable[[int, int, int], Grade]:
    """`grade` against one baseline, as a function of (count, deaths, population): the baseline is
    checked and its products with the thresholds are made once, for the tens of thousands of towns a
    day's scoring grades against it."""
    if baseline < 0:
        raise ValueError("a baseline cannot be negative")
    excellent, good, poor, very_poor = Grade.EXCELLENT, Grade.GOOD, Grade.POOR, Grade.VERY_POOR
    # q < t  ⇔  count·10⁴·B.den·t.den < t.num·B.num·population  (t a threshold, B the baseline: exact)
    lower, upper = rules.lower_threshold, rules.upper_threshold
    lower_count = PER_RESIDENTS * baseline.denominator * lower.denominator
    lower_population = lower.numerator * baseline.numerator
    upper_count = PER_RESIDENTS * baseline.denominator * upper.denominator
    upper_population = upper.numerator * baseline.numerator
    zero_baseline = baseline == 0

    def graded(count: int, deaths: int, population: int) -> Grade:
        if count < 0 or deaths < 0:
            raise ValueError("counts and deaths cannot be negative")
        if population <= 0:
            raise ValueError("population must be positive")
        if deaths > 0:
            return very_poor
        if zero_baseline:
            return excellent if count == 0 else poor
        if count * lower_count < lower_population * population:
            return excellent
        if count * upper_count <= upper_population * population:
            return good
        return poor

    return graded


def ratio(count: int, population: int, baseline: Fraction) -> Fraction | None:
    """The exact q of a town-day, for explaining a grade; None where the baseline is zero."""
    if baseline == 0:
        return None
    return Fraction(count * PER_RESIDENTS, population) / baseline


def town_score(grades: Mapping[str, Grade], rules: Rules) -> Decimal:
    """Σ weight × points over the policy's indicators, exact (stored to two decimals)."""
    missing = set(rules.weights) - set(grades)
    if missing:
        raise ValueError(f"no grade for weighted indicator(s): {', '.join(sorted(missing))}")
    return sum(
        (rules.weights[code] * rules.grade_points[g] for code, g in grades.items() if code in rules.weights),
        Decimal(0),
    )


def level_for(score: Decimal, grades: Iterable[Grade], rules: Rules) -> Level:
    """The colour of a score; any very poor item makes it red when the policy says so."""
    if rules.very_poor_forces_red and Grade.VERY_POOR in set(grades):
        return Level.RED
    for level, lowest in rules.level_bands:
        if score >= lowest:
            return level
    return Level.RED


def display_score(score: Decimal, places: int = 1) -> Decimal:
    """A score as shown to people: rounded half-up."""
    return score.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def resident_days(records: Sequence[tuple[datetime.date, int]], start: datetime.date, end: datetime.date) -> int:
    """Σ over the days start..end (inclusive) of the population in force on each day.

    records are (effective_from, population) in any order; a day before the first record counts 0.
    """
    total = 0
    ordered = sorted(records)
    for i, (effective_from, population) in enumerate(ordered):
        until = ordered[i + 1][0] - datetime.timedelta(days=1) if i + 1 < len(ordered) else end
        first, last = max(effective_from, start), min(until, end)
        if first <= last:
            total += population * ((last - first).days + 1)
    return total
