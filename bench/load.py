#!/usr/bin/env python
"""Benchmark: the API and pages under load (gunicorn, 32 concurrent clients, wrk), a million tasks stored.

Run from the project root:

    .venv/bin/python bench/load.py [--quick] [--tasks N] [--small N] [--duration S] [--workers N]
                                   [--cache-url redis://…] [--only PATH,…]

It needs wrk (Debian: `apt-get install -y wrk`); add --explain for the query plan of each path's slowest
SELECT (PostgreSQL). It never touches the developer's data. With DATABASE_URL
unset (or pointing at SQLite) it works on a temporary SQLite file; with DATABASE_URL pointing at PostgreSQL
it creates a separate database `pingan_bench_load` on that server, and drops it at the end (also on Ctrl-C).
Everything is on the loopback interface; var/ is a temporary folder, mail stays in memory, the broker too.
The server's cache is each process's own, or with --cache-url (by default $DJANGO_CACHE_URL) a Redis they
share, as docs/DEPLOY.md advises for production; the run's keys there are its own, and expire in minutes.

The synthetic data set is bench/sweep.py's (imported, not copied): one city, its towns in districts of 15,
each town with its government and police station, one open case per town at most in stage "supervise",
20 open tasks per case (50,000 cases and towns for 1,000,000 tasks), with the sweep's shares of tasks due
tomorrow, overdue and already handled, around today (the server's date). On top of it: the published index
(one publication, 1 row per town and per district) for the last --index-days days up to yesterday, a city
safety office with one member (group safety_office) and one town official (a member of the town government
of a town with a case), each with an API token; the office also has a session for the board page.

What it measures, in one run:

a. The queries of one request of each measured path, in process (django.test.Client under an execute
   wrapper, after one warm-up request), on a smaller copy (--small tasks) and on the full one: equal
   numbers mean no N+1. Also the time of that one request, in process, with nothing else running.
   The board's lists are kept until the workflow of their city moves, the page around them for each
   user (workflows/board_cache.py), so "board" under load is the board as seen between two changes;
   "board-writes" the same while a thread logs a transition of the city every second (each change is
   then rendered anew by every gunicorn worker, or with a shared cache by one of them while the others
   serve the version before); "board-anew" is its first look after a change (the cache emptied before
   the request), measured in process only. The office's pages of the task list are kept the same way
   (workflows/kept.py): "tasks-office", "tasks-office-writes" and "tasks-office-anew" likewise.
b. gunicorn (sync workers, production settings: DJANGO_DEBUG=0, behind a TLS proxy, persistent database
   connections) on 127.0.0.1, warmed up; then for each path in turn wrk with 32 connections for --duration
   seconds: requests per second, latency p50/p95/p99 (wrk's histogram), non-2xx answers and socket errors,
   and where the machine's CPU went, a request: gunicorn's processes, the database server's, wrk's (read
   from /proc). With the cores full, a path's throughput is about the inverse of its CPU time a request,
   so its share of bare's is about the ratio of the two.
   The bare DRF endpoint (bench/load_urls.py: the same authentication and permissions, a tiny JSON) runs
   before and after every path, and each path's throughput is compared with the mean of the two runs
   around it (the machine may be shared). After every run the server is drained (requests left queued by
   wrk are served before the next run starts). A path whose one request, alone, takes so long that 32 of
   them would not be answered within the run is not put under load: its single-request time is the figure.

wrk is a closed loop: each connection sends its next request when the answer arrives, so with 32 connections
the mean latency is 32 / throughput (Little's law); p95 ≤ 100 ms needs roughly ≥ 320 requests per second.

Targets (issue): p95 ≤ 100 ms for the task list, the supervision board and the public index with a million
tasks stored, and throughput ≥ 50 % of the bare DRF endpoint's on the same server in the same run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from harness import (  # bench/ is the script's folder, so on the path
    QueryCounter,
    ThrowawayDatabase,
    database_label,
    machine_label,
    say,
    setup_django,
    table,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from sweep import Plan, build_region, build_workload, empty_workflow_tables, write_rows  # noqa: E402

BENCH_DATABASE = "pingan_bench_load"
FULL_TASKS = 1_000_000
QUICK_TASKS = 20_000
TASKS_PER_CASE = 20  # bench/sweep.py's shape
MIN_TOWNS = 2_000
MEMBER_SHARE = 0.05
SEED = 20261127
CONNECTIONS = 32
FULL_DURATION = 15
QUICK_DURATION = 3
TARGET_P95_MS = 100
TARGET_RATIO = 0.5
WRK_INSTALL = "apt-get install -y wrk"
# A path whose one request alone, in process, takes longer than this is measured once more rather than
# twice (the warm-up is kept).
SLOW_S = 2.0


# --- the data set ------------------------------------------------------------------------------------------


@dataclass
class People:
    office: object
    office_token: str
    official: object = None
    official_token: str = ""
    official_town: str = ""
    session: str = ""  # the office's session cookie (the board is a page)


def make_people(region) -> People:
    """The city's safety office with one member, and one official of the first town's government (the
    first town has a case in every copy bench/sweep.py builds); each with an API token."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from pingan import roles
    from pingan.models import Town, Unit

    User = get_user_model()
    office = User.objects.create_user("bench_office", "office@example.invalid", "!")
    office.groups.add(Group.objects.get_or_create(name=roles.SAFETY_OFFICE)[0])
    Unit.objects.create(city_id=region.city_id, kind=Unit.Kind.SAFETY_OFFICE, name="基准市平安办").members.add(office)
    official = User.objects.create_user("bench_town", "town@example.invalid", "!")
    official.groups.add(Group.objects.get_or_create(name=roles.TOWN)[0])
    government = Unit.objects.get(pk=region.units[0][0])
    government.members.add(official)
    region.member_towns.add(0)  # so that the sweep's workload also finds a case with members
    return People(
        office=office,
        office_token=Token.objects.create(user=office).key,
        official=official,
        official_token=Token.objects.create(user=official).key,
        official_town=Town.objects.get(pk=government.town_id).name,
    )


def check_official(people: People) -> int:
    """The official's town has an open case; returns its open tasks."""
    from workflows.models import Case, RectificationTask

    case = Case.objects.get(town__name=people.official_town, stage__in=Case.OPEN_STAGES)
    return RectificationTask.objects.filter(case=case).count()


def publish_index(city_id: int, latest: datetime.date, days: int, rng: random.Random) -> int:
    """One current publication per day for the last `days` days up to `latest`: a row per town and per
    district, levels about 60 % blue, 25 % yellow, 10 % orange, 5 % red (written directly, not scored)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from pingan.models import DailyIndex, District, IndexPolicy, Publication, Town

    policy = IndexPolicy.objects.get(name="zhuhai-2014", version=1)
    towns = list(Town.objects.filter(district__city_id=city_id).order_by("id").values_list("id", "district_id"))
    districts = sorted({d for _, d in towns})
    assert len(districts) == District.objects.filter(city_id=city_id).count()
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    levels = [("blue", 95, "excellent"), ("yellow", 85, "good"), ("orange", 75, "poor"), ("red", 40, "very_poor")]
    points = {"excellent": 100, "good": 80, "poor": 60, "very_poor": 0}

    def items(grade: str):
        quiet = {"count": 0, "deaths": 0, "grade": "excellent", "points": 100}
        value = {
            "crime": {"count": rng.randint(1, 9), "deaths": 0, "grade": grade, "points": points[grade]},
            "fire": quiet,
            "traffic": quiet,
        }
        return json.dumps(value) if postgres else value  # COPY takes JSON as text

    written = 0
    with transaction.atomic():
        for n in range(days):
            day = latest - datetime.timedelta(days=days - 1 - n)
            publication = Publication.objects.create(
                city_id=city_id,
                date=day,
                revision=1,
                policy=policy,
                baselines={},
                published_at=now,
                rows_written=len(towns) + len(districts),
            )

            def rows(day=day, publication=publication):
                for town_id, district_id in towns:
                    level, score, grade = rng.choices(levels, weights=(60, 25, 10, 5))[0]
                    yield ("town", district_id, town_id, day, 1, True, publication.pk, policy.pk, 50_000,
                           Decimal(score), level, items(grade))  # fmt: skip
                for district_id in districts:
                    yield ("district", district_id, None, day, 1, True, publication.pk, policy.pk, 750_000,
                           Decimal("88.50"), "yellow", items("good"))  # fmt: skip

            fields = ["scope", "district", "town", "date", "revision", "is_current", "publication", "policy",
                      "population", "score", "level", "items"]  # fmt: skip
            written += write_rows(DailyIndex, fields, rows())
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(f'VACUUM ANALYZE "{DailyIndex._meta.db_table}"')
    return written


def plan_for(today: datetime.date) -> tuple[Plan, datetime.date]:
    """bench/sweep.py's deadlines around today; around the sweep's own day if the calendar cannot."""
    import sweep

    try:
        plan = Plan.around(today)
        if plan.later and plan.within_grace and plan.beyond_grace:
            return plan, today
    except Exception as exc:  # a year the calendar does not know
        say(f"deadlines cannot be placed around {today} ({exc}); using {sweep.DAY}")
    return Plan.around(sweep.DAY), sweep.DAY


# --- the measured paths ------------------------------------------------------------------------------------


@dataclass
class Path_:
    key: str
    label: str
    url: str
    who: str  # "office" (token), "official" (token), "session" (office's cookie), "anonymous"
    api: bool = True
    # The page read and rendered anew: the cache emptied before each request in process, as for the first look
    # after a change. Not put under load (the server's cache cannot be emptied between wrk's requests).
    anew: bool = False
    # Transitions a second logged for a case of the city while the path is under load (LogWriter).
    writes: float = 0.0


PATHS = [
    Path_("bare", "bare DRF endpoint (token, office)", "/bench/bare/", "office"),
    Path_("tasks-office", "task list, API, office (token)", "/api/v1/tasks/", "office"),
    Path_(
        "tasks-office-anew", "task list, API, office, read anew (after a change)", "/api/v1/tasks/", "office", anew=True
    ),
    Path_(
        "tasks-office-writes", "task list, API, office, a transition a second", "/api/v1/tasks/", "office", writes=1.0
    ),
    Path_("tasks-town", "task list, API, town official (token)", "/api/v1/tasks/", "official"),
    Path_("board", "supervision board, page /board/ (office session)", "/board/", "session", api=False),
    Path_("board-anew", "supervision board rendered anew (after a change)", "/board/", "session", False, True),
    Path_("board-writes", "supervision board, a transition a second", "/board/", "session", False, writes=1.0),
    Path_("cases", "cases in supervision, API (office token)", "/api/v1/cases/?stage=supervise", "office"),
    Path_("index-api", "public index, API /api/v1/index/ (anonymous)", "/api/v1/index/", "anonymous"),
    Path_("index-page", "public index, page / (anonymous)", "/", "anonymous", api=False),
]


def headers_for(path: Path_, people: People) -> dict[str, str]:
    headers = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn says
    if path.api:
        headers["Accept"] = "application/json"
    if path.who == "office":
        headers["Authorization"] = f"Token {people.office_token}"
    elif path.who == "official":
        headers["Authorization"] = f"Token {people.official_token}"
    elif path.who == "session":
        headers["Cookie"] = f"sessionid={people.session}"
    return headers


@dataclass
class Counted:
    queries: int
    seconds: float  # the counted request, in process
    status: int
    size: int
    statements: list[tuple[float, str]] = field(default_factory=list)
    params: list = field(default_factory=list)


class ParamCounter(QueryCounter):
    """The harness's counter, also keeping each statement's parameters (to EXPLAIN the slowest)."""

    def __init__(self) -> None:
        super().__init__()
        self.params: list = []

    def __call__(self, execute, sql, params, many, context):
        self.params.append(params)
        return super().__call__(execute, sql, params, many, context)


def explain_slowest(counted: Counted) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the path's slowest SELECT, run again (PostgreSQL only)."""
    from django.db import connection

    selects = [(t, sql, p) for (t, sql), p in zip(counted.statements, counted.params, strict=True)]
    selects = [s for s in selects if s[1].lstrip().upper().startswith("SELECT")]
    if connection.vendor != "postgresql" or not selects:
        return ""
    _, sql, params = max(selects, key=lambda s: s[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def count_queries(people: People) -> dict[str, Counted]:
    """One request of each path in process, after a warm-up request: its queries and time."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    results = {}
    with override_settings(ROOT_URLCONF="load_urls"):
        for path in PATHS:
            client = Client()
            extra = {"secure": True}
            if path.api:
                extra["HTTP_ACCEPT"] = "application/json"
            if path.who in ("office", "official"):
                token = people.office_token if path.who == "office" else people.official_token
                extra["HTTP_AUTHORIZATION"] = f"Token {token}"
            elif path.who == "session":
                client.cookies[settings.SESSION_COOKIE_NAME] = people.session
            for _ in range(2):  # the first warms caches and the connection; a slow first is kept
                if path.anew:
                    cache.clear()
                counter = ParamCounter()
                with connection.execute_wrapper(counter):
                    start = time.perf_counter()
                    response = client.get(path.url, **extra)
                    seconds = time.perf_counter() - start
                if seconds > SLOW_S:
                    break
            if response.status_code != 200:
                say(f"{path.url} as {path.who} answers {response.status_code} in process")
            results[path.key] = Counted(
                counter.count, seconds, response.status_code, len(response.content), counter.statements, counter.params
            )
    return results


def office_session(people: People) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(people.office)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


# --- gunicorn ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the product's WSGI application and production settings, on 127.0.0.1."""

    def __init__(self, workers: int, folder: str, cache_url: str = "") -> None:
        self.workers = workers
        self.cache_url = cache_url
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = Path(folder) / "gunicorn.log"
        self.restarts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: Path_, people: People) -> None:
        env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="load_settings",
            DJANGO_CACHE_URL=self.cache_url,
            PINGAN_BENCH_CACHE_PREFIX=f"bench-load-{os.getpid()}-{self.port}",
        )
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "pingan.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            "--timeout=60",  # as docs/DEPLOY.md
            f"--pythonpath={BENCH}",
            f"--chdir={ROOT}",
            f"--error-logfile={self.log}",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(command, env=env, start_new_session=True, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if fetch(self.base + ready_path.url, headers_for(ready_path, people), timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within 60 s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        self.process.send_signal(signal.SIGQUIT)  # quick shutdown: workers drop what they are doing
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the master and its workers
            self.process.wait(timeout=15)
        self.process = None

    def drain(self, bare: Path_, people: People, limit: float = 60) -> bool:
        """Wait until the requests wrk left queued are served: a round of one bare request per worker,
        sent at once, comes back within a second. The accept queue is first in, first out, so a quick
        round means nothing was queued before it."""
        deadline = time.monotonic() + limit
        url, headers = self.base + bare.url, headers_for(bare, people)
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                futures = [pool.submit(fetch, url, headers, 120) for _ in range(self.workers)]
                try:
                    statuses = [f.result()[0] for f in futures]
                except OSError:
                    statuses = []
                if statuses == [200] * self.workers and time.perf_counter() - start < 1:
                    return True
        return False


def fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int, int]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, 0


# --- CPU by process -------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """A process's parent and its CPU seconds, its own and its waited-for children's (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    except OSError:
        return None
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


class ProcessTree:
    """The CPU time of a process and of its children, those that exited included: the root's own and its
    waited-for children's time (a gunicorn master reaps its workers, PostgreSQL's postmaster its backends)
    plus each live child's. None where /proc cannot tell (not Linux, another machine's database)."""

    def __init__(self, root: int | None) -> None:
        self.root = root

    def seconds(self) -> float | None:
        if self.root is None or (own := _stat(self.root)) is None:
            return None
        total = own[1]
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None and stat[0] == self.root:
                total += stat[1]
        return total


def postmaster() -> int | None:
    """The pid of the PostgreSQL server the benchmark's own connection talks to, if it runs here: the parent
    of the connection's backend, both named postgres (a server in a container or on another machine
    reports pids that are not this machine's)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    stat = _stat(backend)
    if stat is None or not all(_command(pid) == "postgres" for pid in (backend, stat[0])):
        return None
    return stat[0]


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


# --- wrk ------------------------------------------------------------------------------------------------------

LUA = """
-- bench/load.py: headers of the measured path; non-2xx answers counted per thread; one summary line.
wrk.method = "GET"
{headers}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d mean_us=%.0f non2xx=%d "
    .. "connect=%d read=%d write=%d timeout=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, bad, e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class Load:
    requests: int = 0
    seconds: float = 0.0
    p50: float = math.nan  # milliseconds
    p95: float = math.nan
    p99: float = math.nan
    max: float = math.nan
    non2xx: int = 0
    socket_errors: int = 0
    timeouts: int = 0
    drained: bool = True
    skipped: str = ""  # why the path was not put under load
    written: int = 0  # log rows the LogWriter wrote during the run
    raw: dict = field(default_factory=dict)
    # CPU seconds during the run: gunicorn (master and workers), the database server, wrk; None: unknown
    cpu: dict[str, float | None] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_ms(self) -> str:
        """CPU milliseconds a request: gunicorn + database + wrk ("—" for what is unknown)."""
        if not self.requests or not self.cpu:
            return "—"
        parts = [self.cpu.get(who) for who in ("server", "database", "wrk")]
        return " + ".join("—" if x is None else f"{x * 1000 / self.requests:.2f}" for x in parts)


def run_wrk(
    server: Server, database: ProcessTree, path: Path_, people: People, duration: int, threads: int, folder: str
) -> Load:
    lua_headers = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers_for(path, people).items()
    )
    script = Path(folder) / f"wrk-{path.key}.lua"
    script.write_text(LUA.format(headers=lua_headers))
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={CONNECTIONS}",
        f"--duration={duration}s",
        f"--timeout={max(duration, 10)}s",
        f"--script={script}",
        server.base + path.url,
    ]
    gunicorn = ProcessTree(server.process.pid if server.process else None)
    before = gunicorn.seconds(), database.seconds(), _children_seconds()
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    after = gunicorn.seconds(), database.seconds(), _children_seconds()
    line = next((x for x in output.splitlines() if x.startswith("RESULT ")), None)
    assert line, f"wrk printed no summary:\n{output}"
    raw = {k: float(v) for k, v in (item.split("=") for item in line.split()[1:])}
    load = Load(raw=raw, requests=int(raw["requests"]), seconds=raw["duration_us"] / 1e6)
    load.cpu = {
        who: None if a is None or b is None else b - a
        for who, a, b in zip(("server", "database", "wrk"), before, after, strict=True)
    }
    if load.requests:
        load.p50, load.p95, load.p99, load.max = (raw[k] / 1000 for k in ("p50_us", "p95_us", "p99_us", "max_us"))
    load.non2xx = int(raw["non2xx"])
    load.socket_errors = int(raw["connect"] + raw["read"] + raw["write"])
    load.timeouts = int(raw["timeout"])
    return load


def _children_seconds() -> float:
    """CPU seconds of this process's waited-for children: wrk, once its run is over."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class LogWriter:
    """While the path is under load, a thread logs a transition of a case of the city `per_second` times a
    second, as every transition's service does (`write_log`): each row changes the city's board and the
    office's task pages, which are then made anew (workflows/kept.py: by every gunicorn worker at its next
    request, or with a shared cache by one of them for all)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1 / per_second
        self.stop = threading.Event()
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LogWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        from django.db import connection

        from workflows.models import Case
        from workflows.services.transitions import write_log

        try:
            case = Case.objects.filter(stage__in=Case.OPEN_STAGES).order_by("id").first()
            while not self.stop.wait(self.interval):
                write_log(case, "comment", case.stage, case.stage, user=None, comment="bench/load.py")
                self.written += 1
        finally:
            connection.close()


# --- the run --------------------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tasks", type=int, default=FULL_TASKS, help=f"open tasks (default {FULL_TASKS:,})")
    size.add_argument("--quick", action="store_true", help=f"{QUICK_TASKS:,} tasks, {QUICK_DURATION} s per path")
    parser.add_argument("--small", type=int, help="tasks of the smaller copy whose queries are counted too")
    parser.add_argument("--duration", type=int, help=f"seconds of load per path (default {FULL_DURATION})")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4: 2 cores)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--index-days", type=int, help="published days of the index (default 7, --quick 2)")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of each path's slowest SELECT (PostgreSQL)"
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("DJANGO_CACHE_URL", ""),
        help="the server's shared cache, e.g. redis://127.0.0.1:6379/1 (default: $DJANGO_CACHE_URL; none: each "
        "process's own); its keys are this run's own",
    )
    parser.add_argument("--only", help="put only these paths under load (comma-separated keys; bare always runs)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if only and only - {p.key for p in PATHS}:
        parser.error(f"unknown paths: {', '.join(sorted(only - {p.key for p in PATHS}))}")
    tasks = QUICK_TASKS if args.quick else args.tasks
    duration = args.duration or (QUICK_DURATION if args.quick else FULL_DURATION)
    small = args.small or max(2_000, tasks // 50)
    index_days = args.index_days or (2 if args.quick else 7)
    if not 0 < small < tasks or duration < 1 or args.workers < 1 or index_days < 1:
        parser.error("need 0 < --small < --tasks, --duration ≥ 1, --workers ≥ 1, --index-days ≥ 1")
    if shutil.which("wrk") is None:
        raise SystemExit(f"wrk is not installed; on Debian or Ubuntu: {WRK_INSTALL}")

    def stop_on_term(signum, frame):
        raise KeyboardInterrupt  # the finally blocks stop gunicorn and drop the database

    signal.signal(signal.SIGTERM, stop_on_term)
    # Production settings as docs/DEPLOY.md: behind the TLS proxy, persistent connections. testserver is
    # the in-process client's host.
    os.environ["DJANGO_BEHIND_TLS_PROXY"] = "1"
    os.environ["DATABASE_CONN_MAX_AGE"] = "60"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    load_at_start = os.getloadavg()

    with ThrowawayDatabase(BENCH_DATABASE) as database:
        setup_django(database.folder)
        from django.utils import timezone

        label = database_label()
        say(f"{label}: fresh database ready ({BENCH_DATABASE if database.created else 'temporary file'})")
        rng = random.Random(args.seed)
        start = time.perf_counter()
        region = build_region(max(MIN_TOWNS, math.ceil(tasks / TASKS_PER_CASE)), MEMBER_SHARE, rng)
        people = make_people(region)
        today = timezone.localdate()
        rows = publish_index(region.city_id, today - datetime.timedelta(days=1), index_days, rng)
        say(
            f"built {region.towns:,} towns in {region.districts:,} districts, {2 * region.towns:,} units, "
            f"{region.users:,} members, {rows:,} index rows ({index_days} days), in {time.perf_counter() - start:.1f} s"
        )
        plan, day = plan_for(today)
        say(f"deadlines placed around {day} (today {today}): reminders due {plan.tomorrow}, overdue before {day}")
        people.session = office_session(people)

        work = build_workload(small, region, plan, rng)
        say(
            f"small copy: {small:,} tasks in {work.cases:,} cases, built in {work.seconds:.1f} s; "
            f"{check_official(people)} in the official's town"
        )
        counted_small = count_queries(people)
        say("small copy: " + ", ".join(f"{k} {c.queries} q" for k, c in counted_small.items()))
        empty_workflow_tables()

        work = build_workload(tasks, region, plan, rng)
        say(
            f"full copy: {tasks:,} tasks in {work.cases:,} cases, built in {work.seconds:.1f} s; "
            f"{check_official(people)} in the official's town"
        )
        counted = count_queries(people)
        say("full copy: " + ", ".join(f"{k} {c.queries} q, {c.seconds * 1000:.0f} ms" for k, c in counted.items()))
        plans = {key: explain_slowest(c) for key, c in counted.items() if key != "bare"} if args.explain else {}

        skipped = {}
        for path in PATHS:
            c = counted[path.key]
            if c.status != 200:
                skipped[path.key] = f"answers {c.status} in process"
            elif path.anew:
                skipped[path.key] = "its first look after a change: measured in process only"
            elif only is not None and path.key not in only:
                skipped[path.key] = "not asked for (--only)"
            elif c.seconds * CONNECTIONS / (os.cpu_count() or 1) > duration:
                # 32 requests on the machine's cores: the first answers would come after the run ends.
                skipped[path.key] = (
                    f"one request alone takes {c.seconds:.2f} s: {CONNECTIONS} at once on {os.cpu_count()} cores "
                    f"need ≥ {c.seconds * CONNECTIONS / (os.cpu_count() or 1):.0f} s, more than the {duration} s run"
                )
        for key, reason in skipped.items():
            say(f"{key}: not put under load: {reason}")
        server = Server(args.workers, database.folder, args.cache_url)
        database_server = ProcessTree(postmaster())  # SQLite: none, its work is the workers'
        results: list[tuple[Path_, Load, float]] = []  # path, its load, the bare req/s around it
        bares: list[Load] = []
        try:
            bare = PATHS[0]
            server.start(bare, people)
            say(f"gunicorn: {args.workers} sync workers on {server.base}; warming up")
            with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
                for path in (p for p in PATHS if p.key not in skipped):
                    url, headers = server.base + path.url, headers_for(path, people)
                    for _ in range(2):
                        futures = [pool.submit(fetch, url, headers, 120) for _ in range(args.workers)]
                        statuses = [f.result()[0] for f in futures]
                        assert statuses == [200] * args.workers, f"{path.url}: {statuses}"
            load_before = os.getloadavg()
            say(f"load average (1, 5, 15 min) before the load: {', '.join(f'{x:.2f}' for x in load_before)}")

            def measure(path: Path_) -> Load:
                with LogWriter(path.writes) if path.writes else contextlib.nullcontext() as writer:
                    load = run_wrk(server, database_server, path, people, duration, args.threads, database.folder)
                if writer is not None:
                    load.written = writer.written
                    assert load.written >= duration * path.writes / 2, f"{load.written} log rows written"
                load.drained = server.drain(bare, people)
                if not load.drained:
                    say("the server did not drain within 60 s: restarting gunicorn")
                    server.stop()
                    server.start(bare, people)
                    server.restarts += 1
                say(
                    f"{path.key}: {load.rps:,.1f} req/s, p50 {ms(load.p50)} ms, p95 {ms(load.p95)} ms, "
                    f"p99 {ms(load.p99)} ms, {load.non2xx} non-2xx, {load.socket_errors + load.timeouts} socket "
                    "errors/timeouts" + (f", {load.written} transitions logged meanwhile" if path.writes else "")
                )
                return load

            # The bare endpoint before and after every path: the machine is shared, so each path is compared
            # with the bare throughput measured right around it.
            bares.append(measure(bare))
            for path in PATHS[1:]:
                if path.key in skipped:
                    results.append((path, Load(skipped=skipped[path.key]), math.nan))
                    continue
                load = measure(path)
                bares.append(measure(bare))
                results.append((path, load, (bares[-2].rps + bares[-1].rps) / 2))
        finally:
            server.stop()
            say("gunicorn stopped")

        median_bare = sorted(bares, key=lambda load: load.rps)[len(bares) // 2]
        rows_out = []
        verdicts = []
        for path, load, around in [(PATHS[0], median_bare, math.nan), *results]:
            c_small, c_full = counted_small[path.key], counted[path.key]
            ratio = load.rps / around if around else math.nan
            if load.skipped:
                errors = "not run"
            else:
                errors = f"{load.non2xx}" + (
                    f" +{load.socket_errors + load.timeouts} sock" if load.socket_errors + load.timeouts else ""
                )
            if path.key == "bare":
                label_, bare_cell = (
                    f"{path.label}, median of {len(bares)} runs",
                    (f"{min(b.rps for b in bares):,.0f}–{max(b.rps for b in bares):,.0f}"),
                )
            else:
                label_, bare_cell = path.label, "—" if math.isnan(around) else f"{around:,.0f}"
            rows_out.append(
                (
                    label_,
                    "—" if load.skipped else f"{load.rps:,.1f}",
                    ms(load.p50),
                    ms(load.p95),
                    ms(load.p99),
                    errors,
                    f"{c_small.queries} / {c_full.queries}",
                    f"{c_full.seconds * 1000:,.0f}",
                    f"{c_full.size / 1024:,.0f}",
                    load.cpu_ms(),
                    bare_cell,
                    "—" if math.isnan(ratio) else f"{ratio:.2f}",
                )
            )
            if path.key != "bare":
                verdicts.append((path, load, ratio, c_small.queries == c_full.queries))

        print()
        print(
            table(
                [
                    ("open tasks (cases; towns)", f"{tasks:,} ({work.cases:,}; {region.towns:,})"),
                    ("smaller copy (queries counted too)", f"{small:,} tasks"),
                    ("published index", f"{rows:,} rows, {index_days} days up to {today - datetime.timedelta(1)}"),
                    ("database", label),
                    ("machine", machine_label()),
                    ("load average (1, 5 min) at start", f"{load_at_start[0]:.2f}, {load_at_start[1]:.2f}"),
                    ("load average (1, 5 min) before the load", f"{load_before[0]:.2f}, {load_before[1]:.2f}"),
                    ("server", f"gunicorn, {args.workers} sync workers, DJANGO_DEBUG=0, CONN_MAX_AGE 60"),
                    ("server's cache", f"shared, {args.cache_url}" if args.cache_url else "each process's own"),
                    ("load", f"wrk, {args.threads} threads, {CONNECTIONS} connections, {duration} s per path"),
                    ("town official's town", people.official_town),
                    ("gunicorn restarts (not drained in 60 s)", f"{server.restarts}"),
                ]
            )
        )
        print()
        print(
            table(
                rows_out,
                (
                    "path",
                    "req/s",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "non-2xx",
                    f"queries {small // 1000:,}k / {tasks // 1000:,}k",
                    "1 req ms",
                    "KiB",
                    "CPU ms/req",
                    "bare req/s",
                    "× bare",
                ),
            )
        )
        print()
        print(
            "queries: one request in process after a warm-up, on the smaller and the full copy; 1 req ms: that "
            "request's time in process, alone; CPU ms/req: the CPU time of the run over its requests, of gunicorn "
            "(master and workers) + the database server (every process of PostgreSQL here, its background ones and "
            "board-writes' own transitions included; — on SQLite, whose work is the workers') + wrk; bare req/s: the bare endpoint's throughput in the runs just before "
            "and after the path (their mean; for the bare row, the range of all its runs); × bare: the path's "
            "throughput over that mean."
        )
        print()
        print("Slowest statements of one request of each path (full copy, in process):")
        for path in PATHS[1:]:
            c = counted[path.key]
            sql_ms = sum(t for t, _ in c.statements) * 1000
            print(f"  {path.key}: {c.queries} queries, {sql_ms:,.0f} of {c.seconds * 1000:,.0f} ms in SQL")
            for seconds, sql in sorted(c.statements, key=lambda s: -s[0])[:2]:
                text = re.sub(r"\s+", " ", sql)
                print(f"    {seconds * 1000:7.1f} ms  {text[:160]}{'…' if len(text) > 160 else ''}")
            if plans.get(path.key):
                print("    EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECT:")
                print("\n".join(f"      {line}" for line in plans[path.key].splitlines()))
        print()

        def verdict(ok: bool) -> str:
            return "met" if ok else "NOT met"

        for path, load, ratio, constant in verdicts:
            a, b = counted_small[path.key], counted[path.key]
            if a.status != 200 or b.status != 200:
                queries = f"queries not comparable (answers {a.status} / {b.status})"
            else:
                queries = f"constant queries {verdict(constant)} ({a.queries} → {b.queries})"
            if path.anew:
                print(f"{path.label}: {b.seconds * 1000:,.0f} ms alone, in process (no target); {queries}.")
                continue
            if only is not None and path.key not in only:
                print(f"{path.label}: not put under load (--only); {queries}.")
                continue
            if load.skipped:
                print(
                    f"{path.label}: p95 ≤ {TARGET_P95_MS} ms NOT met, throughput ≥ {TARGET_RATIO:.0%} of bare NOT met "
                    f"(not put under load: {load.skipped}); {queries}."
                )
                continue
            print(
                f"{path.label}: p95 ≤ {TARGET_P95_MS} ms {verdict(load.p95 <= TARGET_P95_MS)} ({ms(load.p95)} ms); "
                f"throughput ≥ {TARGET_RATIO:.0%} of bare {verdict(ratio >= TARGET_RATIO)} ({ratio:.1%}); {queries}."
            )
        if not database.created:
            print("(SQLite: the targets are set for PostgreSQL.)")
    say("throwaway database removed")


if __name__ == "__main__":
    main()
