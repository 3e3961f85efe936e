"""``bin/run`` with the embedded default stops cleanly: SIGTERM (as systemd or ``timeout`` sends)
and Ctrl-C leave no process of its session behind, and a second run on the same folder refuses."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import ROOT, free_port, wait_for

STOP_SECONDS = 5  # bin/run's bound per child; three children
EMBEDDED_UNSET = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "BAZAAR_QUEUE",
    "BAZAAR_CLOCK_OFFSET_FILE",
    "BAZAAR_BASE_URL",
    "MAIL_BACKEND",
    "SMTP_HOST",
    "SMTP_PORT",
)


def _session_members(sid: int) -> list[str]:
    """Command lines of live (non-zombie) processes in session ``sid``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, _pgrp, session = text.rsplit(")", 1)[1].split()[:4]
        if int(session) == sid and state != "Z":
            members.append(f"{stat.parent.name}: {text.split(')')[0].split('(', 1)[1]}")
    return members


def _serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def run(tmp_path):
    """Start bin/run in its own session on a free port and folder; yield (process, env)."""
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_UNSET}
    port = free_port()
    env.update(
        BAZAAR_INSTANCE_DIR=str(tmp_path / "instance"),
        BAZAAR_PORT=str(port),
        BAZAAR_DEMO="0",
        STOP_SECONDS=str(STOP_SECONDS),
        WEB_CONCURRENCY="1",
    )
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(
        [str(ROOT / "bin" / "run")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _serves(port) or proc.poll() is not None, timeout=90, message="bin/run serving")
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        wait_for(lambda: "ready." in (tmp_path / "run.log").read_text(), timeout=60, message="worker ready")
        yield proc, env
    finally:
        if _session_members(proc.pid):  # a failed test must not leave Bazaar running
            os.killpg(proc.pid, signal.SIGKILL)
            for member in _session_members(proc.pid):
                os.kill(int(member.split(":")[0]), signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()


def _assert_stops(proc, send) -> None:
    members = _session_members(proc.pid)
    assert len(members) >= 4, members  # the script, web, beat and worker (and their pools)
    started = time.monotonic()
    send()
    proc.wait(timeout=3 * STOP_SECONDS + 10)
    wait_for(lambda: not _session_members(proc.pid), timeout=5, message="no process left")
    assert time.monotonic() - started < 3 * STOP_SECONDS + 10


def test_sigterm_stops_every_process_and_a_second_run_refuses(run):
    proc, env = run
    second = subprocess.run([str(ROOT / "bin" / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "already running" in second.stderr
    _assert_stops(proc, lambda: proc.send_signal(signal.SIGTERM))
    assert proc.returncode == 128 + signal.SIGTERM


def test_ctrl_c_stops_every_process(run):
    proc, _ = run
    _assert_stops(proc, lambda: os.killpg(proc.pid, signal.SIGINT))  # the terminal signals the group
    assert proc.returncode == 128 + signal.SIGINT
