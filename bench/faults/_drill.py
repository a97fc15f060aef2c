"""What the fault drills share: background processes in their own process groups, logging to files
the drill reads, and waiting for a condition with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent


class DrillFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DrillFailed(message)


WATCHED: list[Process] = []  # processes that must stay up while the drill waits


def wait_for(what: str, predicate, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in WATCHED:
            if process.process is not None and not process.alive():
                tail = process.text().strip().splitlines()[-1:] or ["(no output)"]
                raise DrillFailed(f"{process.name} exited while waiting for {what}: {tail[0]}")
        time.sleep(interval)
    raise DrillFailed(f"timed out after {timeout:.0f} s waiting for {what}")


class Process:
    """A command in its own process group (a kill takes its children with it), logging to a file."""

    def __init__(self, name: str, argv: list[str], scratch: str) -> None:
        self.name = name
        self.argv = argv
        self.process: subprocess.Popen | None = None
        self.log_path = Path(scratch) / f"{name}.log"
        self.generation = 0

    def start(self) -> None:
        self.generation += 1
        self.log = open(self.log_path, "a")  # noqa: SIM115 - closed in kill() and stop()
        self.log.write(f"=== {self.name} {self.generation}\n")
        self.log.flush()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
        self.process = subprocess.Popen(
            [a.replace("{generation}", str(self.generation)) for a in self.argv],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def watch(self) -> Process:
        WATCHED.append(self)
        return self

    def kill(self) -> None:
        self.log.write(f"=== {self.name} {self.generation} killed (SIGKILL to its process group)\n")
        self.log.flush()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")


def celery_worker(scratch: str, concurrency: int) -> Process:
    """The product's worker, with the drills' broker settings (_worker_app)."""
    return Process(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "_worker_app",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--hostname=faults-{generation}@%h",
        ],
        scratch,
    )


def clear_broker(app) -> None:
    """Remove every key of the drill (queue, unacknowledged messages, bindings): all under its prefix."""
    import redis

    prefix = app.conf.broker_transport_options["global_keyprefix"]
    client = redis.Redis.from_url(app.conf.broker_url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def broker_backlog(app) -> dict:
    """Messages waiting in the queue and delivered but not acknowledged (under the drill's prefix)."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        return {"queued": client.llen("celery"), "unacknowledged": client.hlen("unacked")}
