"""The production profile: DJANGO_DEBUG=0 plus the environment passes `check --deploy` cleanly."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_check(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    # an empty database, as on a machine that has not migrated yet
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_check_deploy_reports_nothing(tmp_path):
    done = run_check(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="pingan.example.org",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    done = run_check(tmp_path, DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="pingan.example.org")
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0" in done.stderr
