"""The default evaluation scheme, installed by migration: streets, towns and island towns are
scored against their own groups, each with weights that fit it."""

import datetime

DEFAULT_SCHEME = {
    "name": "pingan-evaluation",
    "version": 1,
    "title": "平安建设考评（默认）",
    "effective_from": datetime.date(2014, 1, 1),
    "group_weights": {
        # urban streets: the index weighs most
        "street": {"mean_score": "0.7", "on_time_rate": "0.3", "red_days": "-2", "orange_days": "-1"},
        # rural towns
        "town": {"mean_score": "0.6", "on_time_rate": "0.4", "red_days": "-2", "orange_days": "-1"},
        # island towns: small populations make single events swing the index, so it weighs less
        "island": {"mean_score": "0.5", "on_time_rate": "0.5", "red_days": "-1", "orange_days": "-0.5"},
    },
    "measure_deductions": {
        "interview": "3",
        "circulated_criticism": "5",
        "written_self_criticism": "2",
        "admonishment": "4",
        "organizational_handling": "10",
        "veto": "0",
    },
    "veto_cap": "60",
    "commend_top": 1,
    "penalize_bottom": 1,
}


def install_default_scheme(EvaluationScheme) -> None:
    EvaluationScheme.objects.get_or_create(
        name=DEFAULT_SCHEME["name"], version=DEFAULT_SCHEME["version"], defaults=DEFAULT_SCHEME
    )
