#!/usr/bin/env python
"""Run every benchmark under bench/ one after the other, and optionally write their figures into
docs/BENCHMARKS.md.

    .venv/bin/python bench/all.py [--quick] [--write] [--only NAME ...]

Each benchmark runs as its own process, with this environment (so DATABASE_URL picks the database:
unset = a temporary SQLite file each, PostgreSQL = a throwaway database on that server each). Their
output streams to the terminal as they go. With --write, each benchmark's section between the "figures"
markers in docs/BENCHMARKS.md is replaced by this run's output, with its date, under the machine's
description (with --only, the other sections stay as they were). The exit status is non-zero if a benchmark
failed (a missed target is a figure, not a failure: read the verdict lines).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- figures: start (bench/all.py --write) -->", "<!-- figures: end -->"

# name → (script, extra arguments for a full run, what it measures)
BENCHMARKS = {
    "score_day": ("score_day.py", [], "one day scored for every town: engine, per-town loop, SQL, pandas"),
    "backfill": ("backfill.py", [], "a year's backfill of the index, rows per second"),
    "sweep": ("sweep.py", [], "the hourly deadline sweep over a million open tasks"),
    "load": ("load.py", [], "the API and pages under load: gunicorn, wrk, 32 connections"),
}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "unknown memory"
    database = os.environ.get("DATABASE_URL", "") or "unset (a temporary SQLite file per benchmark)"
    if "@" in database:
        database = database.split("://", 1)[0] + "://…@" + database.split("@", 1)[1]
    return (
        f"{os.cpu_count()} × {cpu}, {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; DATABASE_URL {database}"
    )


def run(name: str, quick: bool) -> tuple[int, str, float, str]:
    """Runs one benchmark: its exit status, when it started, its seconds and its output."""
    script, extra, _ = BENCHMARKS[name]
    command = [sys.executable, str(ROOT / "bench" / script), *(["--quick"] if quick else extra)]
    print(f"\n=== {name}: {' '.join(command[1:])} ===", flush=True)
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    start = time.perf_counter()
    lines = []
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    return process.returncode, started, time.perf_counter() - start, "".join(lines)


def write(results: list[tuple[str, int, str, float, str]], quick: bool) -> None:
    """Replace the figures block of docs/BENCHMARKS.md; benchmarks not run this time (--only) keep theirs."""
    text = DOC.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{DOC} lacks the figures markers: {START} … {END}")
    before, rest = text.split(START, 1)
    block, after = rest.split(END, 1)
    sections = {}  # name → its section, from the block as it is
    for part in block.split("\n### ")[1:]:
        sections[part.split(":", 1)[0]] = "### " + part.strip()
    for name, status, started, seconds, output in results:
        script, _, what = BENCHMARKS[name]
        outcome = "" if status == 0 else f", FAILED (exit {status})"
        size = " --quick" if quick else ""
        sections[name] = "\n".join(
            [
                f"### {name}: {what}",
                "",
                f"`bench/{script}{size}`, started {started}, {seconds:.0f} s{outcome}:",
                "",
                "```",
            ]
            + [output.rstrip(), "```"]
        )
    load = os.getloadavg()
    head = f"Machine: {machine()}. Load average after the last run: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}."
    ordered = [sections[name] for name in BENCHMARKS if name in sections]
    DOC.write_text(before + "\n\n".join([START, head, *ordered, END]) + after)
    print(f"\nwrote the figures into {DOC.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's small size (about a minute each)")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/BENCHMARKS.md")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    results = []
    for name in args.only or list(BENCHMARKS):
        results.append((name, *run(name, args.quick)))
    print()
    for name, status, _, seconds, _ in results:
        print(f"{name:<10} {'ok' if status == 0 else f'FAILED (exit {status})':<18} {seconds:6.0f} s")
    if args.write:
        write(results, args.quick)
    sys.exit(1 if any(result[1] for result in results) else 0)


if __name__ == "__main__":
    main()
