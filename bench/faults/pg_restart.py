#!/usr/bin/env python
"""Fault drill: PostgreSQL restarted while the web server, a worker, clients and an import run.

Run from the project root, as root (it restarts this machine's PostgreSQL cluster), with Redis on
this machine:

    .venv/bin/python bench/faults/pg_restart.py [--quick]

Every other user of the PostgreSQL server loses their connections for the few seconds of the
restart: run it rarely, never beside someone's benchmark.

What it does: creates a database `pingan_bench_faults_pg` (dropped at the end) with the demo
(`seed_demo --days 7`) and a second city of --towns towns; starts gunicorn (2 workers, persistent
database connections, as in production) on 127.0.0.1 and a Celery worker (Redis 127.0.0.1:6379/13,
its own key prefix); has --clients threads request the public index page, the index API and the
task list (with a token) without pause; starts `manage.py import_counts` of a file of --days days
of counts for the second city; and, once the import is at work, restarts the cluster with
`pg_ctlcluster --skip-systemctl-redirect <version> main restart`. While the database is down it
also sends the worker a publication job. The clients go on for --after seconds after the database
is back.

What it checks: no request answered 500 or anything but 200 and 503, none hung (each under
--max-seconds) and the server never refused a connection; some requests did meet the outage
(503 with Retry-After), and every request sent from 2 s after the database was back answered 200,
with the same gunicorn and worker processes (no restart). The import is whole or absent: its
counts, submissions and import record are all there or none. The worker, not restarted, publishes
a day sent after the outage; and the job sent during the outage is published (retried) rather than
lost. PostgreSQL is started again if it is not running when the drill ends, whatever happened.
Exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT / "bench"), str(ROOT)]

from _drill import BIN, DrillFailed, Process, celery_worker, check, clear_broker, wait_for  # noqa: E402
from harness import ThrowawayDatabase, say, setup_django  # noqa: E402

DATABASE = "pingan_bench_faults_pg"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
CITY = "断电市"


CLUSTER = "main"  # --cluster
PORT = 5432  # from DATABASE_URL


def cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    check(len(versions) == 1, f"expected one PostgreSQL version under /etc/postgresql, found {versions}")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], CLUSTER]


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(PORT)], check=False).returncode == 0


def ensure_postgres_running() -> None:
    if postgres_up():
        return
    say("PostgreSQL is not accepting connections: starting it")
    subprocess.run([*cluster(), "start"], check=False)
    try:
        wait_for("PostgreSQL to accept connections", postgres_up, 60, 0.2)
    except DrillFailed:
        say("PostgreSQL did not come back: start it by hand (pg_ctlcluster ... main start)")


class Clients:
    """Threads requesting pages and the API in a loop, keeping (sent, path, status, seconds) of each."""

    def __init__(self, base: str, token: str, n: int, timeout: float) -> None:
        self.base, self.token, self.n, self.timeout = base, token, n, timeout
        self.results: list[tuple[float, str, object, float, str]] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(n)]

    def loop(self, i: int) -> None:
        paths = ["/", "/api/v1/index/", "/api/v1/tasks/?page_size=20"]
        k = i
        while not self.stopping.is_set():
            path = paths[k % len(paths)]
            k += 1
            request = urllib.request.Request(self.base + path)
            if path.startswith("/api/v1/tasks/"):
                request.add_header("Authorization", f"Token {self.token}")
            sent = time.monotonic()
            retry_after = ""
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                    status: object = response.status
            except urllib.error.HTTPError as exc:
                status, retry_after = exc.code, exc.headers.get("Retry-After", "")
                exc.read()
            except TimeoutError:
                status = "timeout"
            except urllib.error.URLError as exc:
                status = "timeout" if isinstance(exc.reason, TimeoutError) else f"error: {exc.reason}"
            except OSError as exc:  # connection reset and the like
                status = f"error: {exc}"
            self.results.append((sent, path, status, time.monotonic() - sent, retry_after))

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(self.timeout + 5)


def write_import(path: Path, towns: list[str], days: list[datetime.date], seed: int) -> int:
    rng = random.Random(seed)
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["date", "town", "indicator", "count", "deaths"])
        for day in days:
            for town in towns:
                for code in ("crime", "fire", "traffic"):
                    out.writerow([day.isoformat(), town, code, rng.randint(0, 3), 0])
                    rows += 1
    return rows


def import_state(city_name: str) -> dict:
    from pingan.models import DailyCount, DataImport, Submission

    return {
        "counts": DailyCount.objects.filter(town__district__city__name=city_name).count(),
        "submissions": Submission.objects.filter(city__name=city_name).count(),
        "imports": DataImport.objects.filter(submissions__city__name=city_name).distinct().count(),
    }


def session_at_work(database: str, application: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND state IN ('active', 'idle in transaction') AND application_name = %s",
            [database, application],
        )
        return cursor.fetchone()[0] > 0


def import_query(database: str, application: str) -> str:
    """What the import's session is doing: validating (reading) or storing (writing)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, left(query, 40) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            [database, application],
        )
        row = cursor.fetchone()
    return f"{row[0]}: {row[1]}…" if row else "no session"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="a smaller import (500 towns × 20 days)")
    parser.add_argument("--towns", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=40, help="days of counts in the import")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--after", type=float, default=8.0, help="seconds the clients go on after the outage")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="a request slower than this hung")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--broker", default=os.environ.get("FAULTS_BROKER_URL", DEFAULT_BROKER))
    parser.add_argument(
        "--cluster", default="main", help="the cluster to restart (pg_lsclusters); its port must be DATABASE_URL's"
    )
    args = parser.parse_args()
    if args.quick:
        args.towns, args.days = min(args.towns, 500), min(args.days, 20)
    global CLUSTER, PORT
    if os.geteuid() != 0:
        raise SystemExit("the drill restarts PostgreSQL with pg_ctlcluster: run it as root")
    if not args.broker.startswith("redis://127.0.0.1"):
        raise SystemExit("the drill talks to a Redis broker on 127.0.0.1 only")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://postgres@127.0.0.1", "postgresql://postgres@127.0.0.1")):
        raise SystemExit(
            "the drill needs PostgreSQL on 127.0.0.1 (DATABASE_URL=postgres://postgres@127.0.0.1:5432/...)"
        )
    CLUSTER, PORT = args.cluster, urlsplit(os.environ["DATABASE_URL"]).port or 5432
    listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()
    if not any(line.split()[1:3] == [CLUSTER, str(PORT)] for line in listed):
        raise SystemExit(f"no PostgreSQL cluster {CLUSTER!r} on port {PORT} (pg_lsclusters)")
    if not postgres_up():
        raise SystemExit(f"PostgreSQL is not running on 127.0.0.1:{PORT}")
    failures: list[str] = []
    base = f"http://127.0.0.1:{args.port}"

    with ThrowawayDatabase(DATABASE) as db:
        try:
            failures += drill(args, db, base)
        except DrillFailed as exc:
            failures.append(str(exc))
        finally:
            ensure_postgres_running()
    if failures:
        say("FAILED:\n  " + "\n  ".join(failures))
        return 1
    say("passed: 503 during the outage, 200 after it without a restart, the import whole or absent, no job lost")
    return 0


def drill(args, db, base: str) -> list[str]:
    setup_django(db.folder)
    from django.core.management import call_command

    os.environ["CELERY_BROKER_URL"] = args.broker
    from _worker_app import app

    app.conf.broker_url = args.broker
    app.conf.task_always_eager = False
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from pingan.models import Publication
    from pingan.tasks import publish_day_task

    say(f"database {DATABASE}: the demo (seed_demo --days 7) and {CITY} with {args.towns:,} towns")
    call_command("seed_demo", "--days", "7", verbosity=0)
    regions = Path(db.folder) / "regions.csv"
    towns = [f"断电{i:04d}镇" for i in range(args.towns)]
    with open(regions, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["city", "district", "town", "population", "effective_from"])
        out.writerows([CITY, f"第{i // 20:03d}区", town, 30_000, "2020-01-01"] for i, town in enumerate(towns))
    call_command("import_regions", str(regions), verbosity=0)
    today = datetime.date.today()
    import_days = [today - datetime.timedelta(days=i) for i in range(args.days, 0, -1)]
    counts_file = Path(db.folder) / "counts.csv"
    n_rows = write_import(counts_file, towns, import_days, 7)
    token = Token.objects.get_or_create(user=User.objects.get(username="pinganban"))[0].key
    demo_days = sorted(set(Publication.objects.values_list("date", flat=True)))
    before_day, during_day, after_day = (demo_days[0] - datetime.timedelta(days=i) for i in (1, 2, 3))

    os.environ.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback, no TLS proxy in front
            "DATABASE_CONN_MAX_AGE": "60",  # persistent connections, as in production: the restart breaks them
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    web = Process(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "pingan.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        db.folder,
    ).watch()
    worker = celery_worker(db.folder, 2).watch()
    clients = Clients(base, token, args.clients, args.max_seconds)
    importer = None
    failures: list[str] = []
    clear_broker(app)
    try:
        web.start()
        worker.start()
        wait_for("gunicorn to answer", lambda: _status(base + "/") == 200, 60, 0.2)
        web_pid, worker_pid = web.pid, worker.pid
        say(f"gunicorn (pid {web_pid}) on {base}, worker (pid {worker_pid}) on {args.broker}")
        publish_day_task.delay(before_day.isoformat())
        wait_for("the worker to publish a day", lambda: Publication.objects.filter(date=before_day).exists(), 60)
        say(f"the worker published {before_day}")

        clients.start()
        time.sleep(2)
        importer = subprocess.Popen(
            [sys.executable, "manage.py", "import_counts", str(counts_file), "--city", CITY],
            cwd=ROOT,
            env={**os.environ, "PGAPPNAME": "faults-import"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        began_import = time.monotonic()
        wait_for("the import's database session", lambda: session_at_work(DATABASE, "faults-import"), 60, 0.01)
        time.sleep(0.5)
        say(f"import of {n_rows:,} rows at work ({import_query(DATABASE, 'faults-import')}); restarting PostgreSQL")
        down = time.monotonic()
        restart = threading.Thread(target=lambda: subprocess.run([*cluster(), "restart"], check=False))
        restart.start()
        wait_for("PostgreSQL to go down", lambda: not postgres_up(), 30, 0.02)
        publish_day_task.delay(during_day.isoformat())  # the broker is up: a job reaches the worker
        sent_during = time.monotonic()
        restart.join(120)
        wait_for("PostgreSQL to accept connections", postgres_up, 120, 0.05)
        up = time.monotonic()
        say(
            f"PostgreSQL restarted: down for {up - down:.1f} s (job for {during_day} sent {sent_during - down:.1f} s in)"
        )
        output, _ = importer.communicate(timeout=600)
        import_seconds = time.monotonic() - began_import
        time.sleep(max(0.0, args.after - (time.monotonic() - up)))
        clients.stop()

        from django.db import connection

        connection.close()  # this process's own connection died with the restart
        publish_day_task.delay(after_day.isoformat())
        try:
            wait_for(
                f"the worker to publish {after_day}", lambda: Publication.objects.filter(date=after_day).exists(), 60
            )
            say(f"after the outage the same worker published {after_day}")
        except DrillFailed as exc:
            failures.append(str(exc))
        try:
            wait_for(
                f"the job sent during the outage ({during_day})",
                lambda: Publication.objects.filter(date=during_day).exists(),
                30,
                0.2,
            )
            say(f"the job sent during the outage published {during_day}")
        except DrillFailed:
            failures.append(f"the job sent during the outage was lost: {during_day} was never published")

        state = import_state(CITY)
        whole = {"counts": None, "submissions": len(import_days) * 3, "imports": 1}
        say(
            f"import exited {importer.returncode} after {import_seconds:.1f} s: "
            f"{output.strip().splitlines()[-1] if output.strip() else '(no output)'}; stored {state}"
        )
        absent = state == {"counts": 0, "submissions": 0, "imports": 0}
        complete = state["submissions"] == whole["submissions"] and state["imports"] == 1 and state["counts"] > 0
        if complete:
            from pingan.models import DailyCount

            expected_nonzero = _nonzero_rows(counts_file)
            complete = DailyCount.objects.filter(town__district__city__name=CITY).count() == expected_nonzero
        if not (absent or complete):
            failures.append(f"a half-written import: {state}")
        if importer.returncode == 0 and not complete:
            failures.append("the import said it succeeded but its data is not all there")

        failures += judge(clients.results, down, up, args.max_seconds)
        if not (web.alive() and web.pid == web_pid):
            failures.append("gunicorn is no longer running")
        if not (worker.alive() and worker.pid == worker_pid):
            failures.append("the worker is no longer running")
        crashed = web.text().count("Traceback")
        say(
            f"gunicorn log: {crashed} traceback(s); worker log: {worker.text().count('Traceback')} traceback(s), "
            f"{worker.text().count('Retry in')} retried job(s)"
        )
    finally:
        clients.stop()
        if importer is not None and importer.poll() is None:
            importer.kill()
        web.stop()
        worker.stop()
        ensure_postgres_running()
        try:
            clear_broker(app)
        except Exception as exc:  # cleaning up after a failure must not hide it
            say(f"could not clear the drill's broker keys: {exc}")
        from django.db import connections

        connections.close_all()
    return failures


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _nonzero_rows(path: Path) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for row in csv.DictReader(f) if row["count"] != "0" or row["deaths"] != "0")


def judge(results: list, down: float, up: float, max_seconds: float) -> list[str]:
    """The clients' answers before, during and after the outage."""
    failures = []
    phases = {"before": [], "during": [], "after": []}
    for sent, path, status, seconds, retry_after in results:
        phase = "before" if sent < down else "during" if sent < up + 2 else "after"
        phases[phase].append((path, status, seconds, retry_after))
    for phase, rows in phases.items():
        statuses = Counter(str(s) for _, s, _, _ in rows)
        slowest = max((s for _, _, s, _ in rows), default=0.0)
        say(f"clients {phase} the outage: {len(rows)} requests, {dict(statuses)}, slowest {slowest:.2f} s")
    every = [r for rows in phases.values() for r in rows]
    bad = Counter(str(s) for _, s, _, _ in every if s not in (200, 503))
    if bad:
        failures.append(f"answers other than 200 and 503: {dict(bad)}")
    slow = [r for r in every if r[2] > max_seconds]
    if slow:
        failures.append(f"{len(slow)} request(s) hung (over {max_seconds:g} s)")
    unavailable = [r for r in every if r[1] == 503]
    if not unavailable:
        failures.append("no request met the outage (no 503): the drill tested nothing")
    if any(r[3] != "5" for r in unavailable):
        failures.append("a 503 without Retry-After: 5")
    if not phases["before"] or any(s != 200 for _, s, _, _ in phases["before"]):
        failures.append("requests failed before the outage")
    if not phases["after"] or any(s != 200 for _, s, _, _ in phases["after"]):
        failures.append(
            f"after the outage (from 2 s after the database was back): "
            f"{dict(Counter(str(s) for _, s, _, _ in phases['after']))}"
        )
    return failures


if __name__ == "__main__":
    sys.exit(main())
