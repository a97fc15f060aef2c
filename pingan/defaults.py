"""The default indicators and the "zhuhai-2014" policy of DESIGN.md §3, installed by migration 0002."""

import datetime

INDICATORS = [("crime", "违法犯罪警情", 1), ("fire", "消防安全", 2), ("traffic", "交通安全", 3)]

ZHUHAI_2014 = {
    "name": "zhuhai-2014",
    "version": 1,
    "title": "珠海平安指数（日）",
    "effective_from": datetime.date(2014, 1, 1),
    "weights": {"crime": "0.6", "fire": "0.2", "traffic": "0.2"},
    "lower_threshold": "0.8",
    "upper_threshold": "1.2",
    "grade_points": {"excellent": 100, "good": 80, "poor": 60, "very_poor": 0},
    "level_bands": {"blue": "90", "yellow": "80", "orange": "70"},
    "very_poor_forces_red": True,
    # Consecutive red periods → action (Huizhou's published rules).
    "escalation_ladder": {"1": "warning_notice", "3": "supervision_notice", "4": "interview", "5": "accountability"},
    "red_deadline_days": 5,
    "orange_deadline_days": 10,
    "close_after_days": 3,
}


def install_defaults(Indicator, IndexPolicy) -> None:
    """Create what is missing of the defaults; takes the models so a migration can pass its own."""
    for code, name, position in INDICATORS:
        Indicator.objects.get_or_create(code=code, defaults={"name": name, "position": position})
    IndexPolicy.objects.get_or_create(name=ZHUHAI_2014["name"], version=ZHUHAI_2014["version"], defaults=ZHUHAI_2014)
