"""Plain factory functions for the suite's setup."""

from __future__ import annotations

import csv
import datetime
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from pingan.models import Baseline, City, District, Indicator, Population, Submission, Town
from pingan.services.counts import import_counts

ROOT = Path(__file__).resolve().parents[1]
BASELINE_RATES = {"crime": Decimal("1"), "fire": Decimal("0.2"), "traffic": Decimal("0.4")}
CODES = ("crime", "fire", "traffic")


def make_small_city(name: str = "测试市", year: int = 2026) -> City:
    city = City.objects.create(name=name)
    a = District.objects.create(city=city, name="甲区")
    b = District.objects.create(city=city, name="乙区")
    for district, town, population in ((a, "一镇", 100_000), (a, "二街道", 50_000), (b, "三镇", 20_000)):
        t = Town.objects.create(district=district, name=town)
        Population.objects.create(town=t, effective_from=datetime.date(2020, 1, 1), population=population)
    for code, rate in BASELINE_RATES.items():
        Baseline.objects.create(
            city=city, indicator=Indicator.objects.get(code=code), year=year, source="manual", manual_rate=rate
        )
    return city


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


COUNT_HEADER = ["date", "town", "indicator", "count", "deaths"]


def submit_day(
    tmp_path: Path, city: City, day: datetime.date, counts: dict[tuple[str, str], tuple[int, int]] | None = None
) -> None:
    """Import a complete day: every indicator submitted, with the given (town, code) → (count, deaths)."""
    rows = [[day.isoformat(), town, code, c, d] for (town, code), (c, d) in (counts or {}).items()]
    present = {code for (_, code) in (counts or {})}
    # An indicator with no events anywhere is still declared with an explicit zero row.
    any_town = Town.objects.filter(district__city=city).first().name
    rows += [[day.isoformat(), any_town, code, 0, 0] for code in CODES if code not in present]
    import_counts(write_csv(tmp_path / f"{day}.csv", COUNT_HEADER, rows), city=city, today=day)


def submitted_days(city: City) -> set[tuple[datetime.date, str]]:
    return set(Submission.objects.filter(city=city).values_list("date", "indicator__code"))


def settings_read_afresh(expression: str, **env):
    """`expression`, of `pingan.settings` (named `settings`), as a new process reads the settings from
    `env` and none of the DJANGO_ and DATABASE_ variables of this one; its value must be JSON."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    environment.update(env)
    script = f"import json; from pingan import settings; print(json.dumps({expression}))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
