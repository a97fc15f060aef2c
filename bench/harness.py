"""What every benchmark under bench/ shares: a throwaway database, Django set up to measure what
production runs, an uncapped query counter, progress lines and the printed tables."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class ThrowawayDatabase:
    """Points DATABASE_URL at a fresh database before Django starts, and removes it afterwards."""

    def __init__(self, name: str) -> None:
        self.name = name  # the PostgreSQL database made for the run
        self.given = os.environ.get("DATABASE_URL", "")
        self.scheme = urlsplit(self.given).scheme if self.given else "sqlite"
        self.folder = ""
        self.created = False

    def __enter__(self) -> ThrowawayDatabase:
        self.folder = tempfile.mkdtemp(prefix="pingan-bench-")  # also holds the run's var/ (broker, mail)
        if self.scheme.startswith("sqlite"):
            os.environ["DATABASE_URL"] = f"sqlite:///{self.folder}/bench.sqlite3"
        elif self.scheme in ("postgres", "postgresql", "pgsql"):
            self._create_postgres()
        else:
            raise SystemExit(f"DATABASE_URL must be unset, SQLite or PostgreSQL, not {self.scheme!r}")
        return self

    def _admin(self):
        import psycopg

        return psycopg.connect(self.given, autocommit=True)

    def _create_postgres(self) -> None:
        from psycopg import sql

        with self._admin() as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            if exists:
                raise SystemExit(
                    f"database {self.name!r} already exists on that server (left by an interrupted run?); "
                    f"drop it first: dropdb {self.name}"
                )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True
        parts = urlsplit(self.given)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.name}"))

    def __exit__(self, *exc) -> None:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.created:
            from psycopg import sql

            with self._admin() as admin:
                force = " WITH (FORCE)" if admin.info.server_version >= 130000 else ""
                admin.execute(sql.SQL("DROP DATABASE {}" + force).format(sql.Identifier(self.name)))
        os.environ["DATABASE_URL"] = self.given
        if not self.given:
            del os.environ["DATABASE_URL"]


def setup_django(scratch: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "pingan.settings"
    # Nothing leaves the run: files under the scratch folder, mail kept in memory, no real broker.
    os.environ["PINGAN_VAR_DIR"] = scratch
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["DJANGO_DEBUG"] = "0"  # measure what production runs: no query log kept by DEBUG
    # In process, the process's own cache (the shared one is for bench/load.py's server: --cache-url).
    os.environ.pop("DJANGO_CACHE_URL", None)
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def machine_label() -> str:
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}"


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        v = connection.pg_version
        return f"PostgreSQL {v // 10000}.{v % 10000}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


class QueryCounter:
    """Counts and times every SQL statement (an execute wrapper). Unlike CaptureQueriesContext it has no cap."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - start
            self.seconds += elapsed
            self.statements.append((elapsed, sql))


def table(rows: list[tuple[str, ...]], header: tuple[str, ...] = ("measure", "value")) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        values = " | ".join(f"{v:>{w}}" for v, w in zip(cells[1:], widths[1:], strict=True))
        return f"| {cells[0]:<{widths[0]}} | {values} |"

    rule = f"|{'-' * (widths[0] + 2)}|" + "|".join(f"{'-' * (w + 1)}:" for w in widths[1:]) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
