"""gunicorn settings for Bazaar: ``gunicorn -c deploy/gunicorn.conf.py --bind ADDRESS wsgi:app``.

Logs (access and error) go to stderr as JSON lines in the app's own shape (bazaar/logs.py). With
``PROMETHEUS_MULTIPROC_DIR`` set, the worker processes share their metrics through that folder
(prometheus_client's multi-process mode), emptied when gunicorn starts. ``WEB_CONCURRENCY`` sets
the number of worker processes (gunicorn reads it itself; 2 when unset here)."""

import os
from pathlib import Path

from bazaar.logs import LOGCONFIG

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
logconfig_dict = LOGCONFIG
graceful_timeout = int(os.environ.get("STOP_SECONDS", "10"))
# Behind nginx the proxy buffers slow clients; sync workers then suit Bazaar's short requests.
timeout = 30


def on_starting(server):
    """Empty the metrics folder, so counts of an earlier run do not linger."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
