"""A real PgBouncer in transaction mode on loopback, in front of the test PostgreSQL.

``server_round_robin`` hands each transaction the next server connection in turn, as a busy
pooler does: whatever a client leaves on one server connection (a prepared statement, a
session setting, a session advisory lock) is not there in its next transaction.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return os.path.exists(BINARY)


class PgBouncer:
    """``PgBouncer(url).start()``; ``.url(database_url)`` is that URL through the pooler."""

    def __init__(self, server_url: str, pool_size: int = 8):
        parts = urlsplit(server_url)
        self.server_host, self.server_port = parts.hostname or "127.0.0.1", parts.port or 5432
        self.pool_size = pool_size
        self.folder = Path(tempfile.mkdtemp(prefix="bazaar-pgbouncer-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc: subprocess.Popen | None = None

    def url(self, database_url: str) -> str:
        parts = urlsplit(database_url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))

    def start(self) -> "PgBouncer":
        (self.folder / "users.txt").write_text('"postgres" ""\n')
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.server_host} port={self.server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.folder / 'users.txt'}\n"
            "pool_mode = transaction\nserver_round_robin = 1\n"
            f"default_pool_size = {self.pool_size}\nmin_pool_size = 2\nmax_client_conn = 1000\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        args = [BINARY, str(self.folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(self.folder, "postgres")
            args[1:1] = ["-u", "postgres"]
        self.proc = subprocess.Popen(
            args, stdout=open(self.folder / "pgbouncer.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {(self.folder / 'pgbouncer.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pgbouncer did not listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
