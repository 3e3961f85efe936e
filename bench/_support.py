"""What every benchmark needs: a free loopback port and a throw-away PostgreSQL database."""
import os
import secrets
import socket

PG_ADMIN_URL = os.environ.get("BAZAAR_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database() -> tuple[str, str]:
    """Create ``bazaar_bench_<random>``; return its name and URL."""
    import sqlalchemy as sa

    name = f"bazaar_bench_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    """Drop a database made by :func:`create_database` (and only such a one)."""
    import sqlalchemy as sa

    assert name.startswith("bazaar_bench_")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()
