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


def test_the_embedded_broker_shows_a_message_only_once_it_is_whole(tmp_path, monkeypatch):
    """kombu's own filesystem transport creates the file where workers look and then writes it; a
    worker polling in between read it empty and stopped. Ours renames a complete file into place."""
    import os

    from kombu import Connection

    from worker import filesystem

    folder = tmp_path / "broker"
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "processed_folder": str(tmp_path)}
    seen_while_writing = []
    rename = os.replace

    def replace(src, dst):
        seen_while_writing.append(sorted(p.name for p in folder.iterdir() if p.is_file()))
        assert os.path.getsize(src) > 0  # whole before it is moved in
        rename(src, dst)

    monkeypatch.setattr(filesystem.os, "replace", replace)
    folder.mkdir()
    with Connection(f"{filesystem.SCHEME}://", transport_options=options) as conn:
        assert isinstance(conn.transport, filesystem.Transport)
        queue = conn.SimpleQueue("q")
        queue.put({"hello": "world"})
        assert seen_while_writing == [[]]  # nothing in the queue folder until the rename
        assert queue.get(timeout=1).payload == {"hello": "world"}
        queue.close()
