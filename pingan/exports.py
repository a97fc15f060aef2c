"""The index as CSV, in the documented column order."""

from __future__ import annotations

import csv
import datetime
from typing import TextIO

from . import scoring
from .selectors import day_indices, scored_indicators


def write_index_csv(out: TextIO, day: datetime.date, city=None) -> int:
    """Write a day's current index, one row per town and per district; returns the number of rows.

    Columns: date,scope,district,town,<code>_grade per indicator,score,level, then population,
    <code>_count and <code>_deaths per indicator, policy and revision.
    """
    indicators = [i.code for i in scored_indicators(day)]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["date", "scope", "district", "town", *(f"{c}_grade" for c in indicators), "score", "level", "population"]
        + [f"{c}_{what}" for c in indicators for what in ("count", "deaths")]
        + ["policy", "revision"]
    )
    n = 0
    for row in day_indices(day, city):
        items = row.items
        writer.writerow(
            [
                row.date.isoformat(),
                row.scope,
                row.district.name,
                row.town.name if row.town else "",
                *(items.get(c, {}).get("grade", "") for c in indicators),
                f"{row.score.quantize(scoring.CENT)}",
                row.level,
                row.population,
            ]
            + [items.get(c, {}).get(what, "") for c in indicators for what in ("count", "deaths")]
            + [str(row.policy), row.revision]
        )
        n += 1
    return n
