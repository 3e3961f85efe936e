"""A real Celery worker process runs tasks from the configured broker."""

import re

from tests.support import wait_for


def test_real_worker_runs_a_task_end_to_end(app, backend, processes, tmp_path):
    from worker.tasks import ping

    log = tmp_path / "worker.log"
    processes.start_worker(log)
    with app.app_context():
        result = ping.delay()
    if backend == "postgresql":
        # Redis broker and result backend: the answer comes back through Redis.
        assert result.get(timeout=60) == "pong"
    else:
        # The embedded filesystem broker has no result backend: the worker's own log says it ran.
        wait_for(
            lambda: re.search(
                rf"Task worker.tasks.ping\[{result.id}\] succeeded.*'pong'", log.read_text(errors="replace")
            ),
            timeout=60,
            message="worker log",
        )
