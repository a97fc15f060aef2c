"""The product's Celery app as the fault drills run it: a Redis visibility timeout of seconds, not an
hour, so that the message of a worker killed mid-task comes back while the drill waits for it.

Imported by the drills and by the worker they start (`celery -A _worker_app worker`).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pingan.celery import app  # noqa: E402

VISIBILITY_TIMEOUT = float(os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "5"))

app.conf.broker_transport_options = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    # kombu scans for messages left unacknowledged every interval × throttle seconds (10 × 10 by default)
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "global_keyprefix": "pingan-faults:",  # the drills' keys stay apart from anyone else's on the server
}

__all__ = ["app"]
