"""The documented commands: output, idempotence, and a clear failure with a non-zero exit."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pingan.models import DailyIndex, Publication, Submission
from tests.factories import COUNT_HEADER, write_csv

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.date(2026, 11, 20)


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def counts_file(tmp_path, name="c.csv", crime=3):
    rows = [
        ["2026-11-20", "一镇", "crime", crime, 0],
        ["2026-11-20", "一镇", "fire", 0, 0],
        ["2026-11-20", "一镇", "traffic", 0, 0],
    ]
    return write_csv(tmp_path / name, COUNT_HEADER, rows)


def test_import_regions_command(db, tmp_path):
    path = write_csv(
        tmp_path / "r.csv",
        ["city", "district", "town", "population", "effective_from"],
        [["珠海市", "香洲区", "拱北街道", 121000, "2020-01-01"]],
    )
    assert "1 town(s)" in run("import_regions", str(path))


def test_import_compute_export_round_trip(city, tmp_path):
    assert "pairs: 3 new, 0 replaced" in run("import_counts", str(counts_file(tmp_path)))
    assert "unchanged; nothing stored" in run("import_counts", str(counts_file(tmp_path)))

    first = run("compute_index", "--date", "2026-11-20")
    second = run("compute_index", "--date", "2026-11-20")

    assert "published revision 1, 5 row(s) written" in first
    assert "already published, unchanged" in second
    csv = run("export_index", "--date", "2026-11-20", "--format", "csv")
    assert csv.splitlines()[0].startswith("date,scope,district,town,crime_grade,fire_grade,traffic_grade,score,level")
    assert len(csv.splitlines()) == 6


def test_a_corrected_import_recomputes_a_published_day(city, tmp_path):
    run("import_counts", str(counts_file(tmp_path)))
    run("compute_index", "--date", "2026-11-20")

    out = run("import_counts", str(counts_file(tmp_path, "fix.csv", crime=30)))

    assert "2026-11-20: recomputed, 2 row(s) changed" in out
    assert Publication.objects.get(revision=2)
    assert DailyIndex.objects.current().get(town__name="一镇").items["crime"]["count"] == 30


def test_compute_index_says_what_is_missing(city, tmp_path):
    run("import_counts", str(counts_file(tmp_path)))
    Submission.objects.filter(indicator__code="traffic").delete()
    with pytest.raises(CommandError, match="1 day\\(s\\) could not be scored: 2026-11-20"):
        run("compute_index", "--date", "2026-11-20")


def test_compute_index_over_a_range_shows_progress(city, tmp_path):
    for day in ("2026-11-19", "2026-11-20"):
        rows = [[day, "一镇", code, 1, 0] for code in ("crime", "fire", "traffic")]
        run("import_counts", str(write_csv(tmp_path / f"{day}.csv", COUNT_HEADER, rows)))
    out = run("compute_index", "--from", "2026-11-19", "--to", "2026-11-20")
    assert "[1/2] 2026-11-19 测试市" in out and "[2/2] 2026-11-20 测试市" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["compute_index"], "give --date"),
        (["compute_index", "--date", "20-11-2026"], "bad date '20-11-2026'"),
        (["compute_index", "--date", "2026-11-20", "--from", "2026-11-19"], "either --date or --from"),
        (["compute_index", "--from", "2026-11-20", "--to", "2026-11-19"], "before --from"),
        (["export_index", "--date", "2026-11-20"], "no published index"),
        (["import_counts", "/nonexistent.csv"], "no such file"),
        (["compute_index", "--date", "2026-11-20", "--city", "无此市"], "unknown city '无此市'"),
    ],
)
def test_bad_arguments_fail_with_a_clear_message(city, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_set_baseline_command(city):
    out = run("set_baseline", "--indicator", "fire", "--year", "2027", "--rate", "0.25")
    assert "baseline set" in out and "0.250000" in out


@pytest.mark.django_db(transaction=True)
def test_a_rejected_file_exits_non_zero_and_lists_every_bad_line(tmp_path):
    # A real process: the exit status is what an integrator's script sees.
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PINGAN_VAR_DIR": str(tmp_path / "var")}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    regions = write_csv(
        tmp_path / "r.csv",
        ["city", "district", "town", "population", "effective_from"],
        [["珠海市", "香洲区", "拱北街道", 1000, "2020-01-01"]],
    )
    subprocess.run([sys.executable, "manage.py", "import_regions", str(regions)], cwd=ROOT, env=env, check=True)
    bad = write_csv(
        tmp_path / "bad.csv",
        COUNT_HEADER,
        [["2026-11-20", "拱北街道", "crime", "-2", 0], ["2026-11-20", "x", "crime", 1, 0]],
    )

    done = subprocess.run(
        [sys.executable, "manage.py", "import_counts", str(bad)], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 1
    assert "bad.csv rejected, nothing stored: 2 problem(s)" in done.stderr
    assert "line 2: count '-2' is negative" in done.stderr and "line 3: unknown town 'x'" in done.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backfill_in_several_processes_publishes_every_day_once_and_leaves_cases_to_one_worker(city, tmp_path):
    from workflows.models import Case

    days = [DAY - datetime.timedelta(days=n) for n in range(4)]
    for day in days:  # 一镇 red every day (a death)
        rows = [[day.isoformat(), "一镇", code, 1, int(code == "traffic")] for code in ("crime", "fire", "traffic")]
        run("import_counts", str(write_csv(tmp_path / f"{day}.csv", COUNT_HEADER, rows)))
    out = run("compute_index", "--from", str(days[-1]), "--to", str(DAY), "--workers", "2")
    assert "2 workers: publishing only" in out and out.count("published revision 1") == 4
    assert Publication.objects.count() == 4 and not Case.objects.exists()
    assert DailyIndex.objects.filter(town__name="一镇", level="red").count() == 4

    again = run("compute_index", "--from", str(days[-1]), "--to", str(DAY))  # one worker: in day order
    assert again.count("already published, unchanged") == 4 and Publication.objects.count() == 4
    assert Case.objects.get().town.name == "一镇"
