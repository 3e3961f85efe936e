"""Engine behaviour per database, and one replay of a request the database cut off.

SQLite: WAL so readers never block the writer, a busy timeout, and ``BEGIN IMMEDIATE`` for every
transaction so concurrent writers queue instead of failing half way (SQLite ignores
``SELECT ... FOR UPDATE``). This follows SQLAlchemy's documented recipe for pysqlite.

Replay: a request whose database connection was cut (a failover, a pooler restart,
``pg_terminate_backend``) or whose transaction the database aborted for a reason that passes
(deadlock, serialization failure) is run once more on a fresh connection, but only when no COMMIT
was sent during it: the server rolled back everything the request did, so running it again cannot
do anything twice. A request that had sent a COMMIT cannot know whether it took effect; it answers
503 "try again" (bazaar/errors.py), as does a replay that fails again.
"""

import io
import logging

from flask import Flask, has_request_context, request
from sqlalchemy import String, event, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from bazaar.extensions import db

log = logging.getLogger("bazaar.database")

REPLAY_KEY = "bazaar.replay_request"  # in the WSGI environ of a request that may run once more
COMMIT_SENT_KEY = "bazaar.commit_sent"
TRANSIENT_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "commit")
    def _on_commit(conn):
        if has_request_context():
            request.environ[COMMIT_SENT_KEY] = True

    app.wsgi_app = ReplayCutRequests(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def request_may_replay(error: Exception, environ: dict) -> bool:
    """Mark the request for one replay if ``error`` passes and nothing was committed (see above)."""
    transient = isinstance(error, DBAPIError) and (
        error.connection_invalidated or getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES
    )
    if not transient or environ.get(COMMIT_SENT_KEY) or REPLAY_KEY not in environ:
        return False
    environ[REPLAY_KEY] = True
    return True


class ReplayCutRequests:
    """WSGI middleware: keep the request body, and run a request marked by ``request_may_replay`` once more."""

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_body or environ.get("HTTP_TRANSFER_ENCODING"):
            return self.app(environ, start_response)  # too large to keep: Flask answers it as usual
        body = environ["wsgi.input"].read(length) if length else b""
        first = dict(environ, **{"wsgi.input": io.BytesIO(body), REPLAY_KEY: False})
        held = []

        def hold(status, headers, exc_info=None):
            held.append((status, headers, exc_info))
            return lambda data: None  # Flask never writes through this

        chunks = self.app(first, hold)
        if not first[REPLAY_KEY]:
            start_response(*held[-1])
            return chunks
        if hasattr(chunks, "close"):
            chunks.close()
        log.warning(
            "replaying a request the database cut off",
            extra={"path": environ.get("PATH_INFO"), "method": environ.get("REQUEST_METHOD")},
        )
        return self.app(dict(environ, **{"wsgi.input": io.BytesIO(body)}), start_response)


def _configure_sqlite(engine) -> None:

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy, not pysqlite, emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# What the current transaction wrote with statements the ORM's flush does not see (one-statement
# claims and scans), by kind: counted when it commits, forgotten when it rolls back (bazaar/metrics.py).
WRITTEN_ROWS = "written_rows"


def note_written(kind: str) -> None:
    """Note that the current transaction wrote a row of ``kind`` ("booking", "checkin") in SQL."""
    db.session.info.setdefault(WRITTEN_ROWS, []).append(kind)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# ---- SQL expressions that differ per database (for set-based statements) ----------------------


def insert_or_ignore(model):
    """An INSERT that a unique conflict turns into nothing (``ON CONFLICT DO NOTHING``); chain
    ``.values(...)`` or ``.from_select(...)``, then ``.on_conflict_do_nothing()``."""
    return (postgresql if is_postgres() else sqlite).insert(model)


class _SkipConflictsPg(postgresql.dml.OnConflictDoNothing):
    """``ON CONFLICT DO NOTHING`` with no target: nothing to tell apart, so it may be cached."""

    inherit_cache = True
    _traverse_internals = []


class _SkipConflictsSqlite(sqlite.dml.OnConflictDoNothing):
    inherit_cache = True
    _traverse_internals = []


class _InsertSkippingConflictsPg(postgresql.Insert):
    """PostgreSQL's INSERT ending in :class:`_SkipConflictsPg`, which SQLAlchemy may cache (its own
    dialect INSERT is compiled afresh on every run)."""

    inherit_cache = True

    def __init__(self, table):
        super().__init__(table)
        self._post_values_clause = _SkipConflictsPg()


class _InsertSkippingConflictsSqlite(sqlite.Insert):
    inherit_cache = True

    def __init__(self, table):
        super().__init__(table)
        self._post_values_clause = _SkipConflictsSqlite()


def insert_skipping_conflicts(table):
    """``INSERT ... ON CONFLICT DO NOTHING`` (any unique index) whose compiled form is cached, for
    statements on a hot path; chain ``.values(...)`` or ``.from_select(...)`` and ``.returning(...)``."""
    return (_InsertSkippingConflictsPg if is_postgres() else _InsertSkippingConflictsSqlite)(table)


def minutes_before(column, minutes: int):
    """``column`` (a UTC time) less ``minutes``, as the column stores times."""
    minutes = int(minutes)
    if is_postgres():
        return column - literal_column(f"interval '{minutes} minutes'")
    # SQLAlchemy's SQLite format keeps six microsecond digits: keep them, so text comparisons hold.
    return func.strftime("%Y-%m-%d %H:%M:%S", column, f"{-minutes} minutes", type_=String).concat(
        func.substr(column, 20)
    )


def minute_stamp(column):
    """A UTC time as ``YYYYmmddTHHMM`` text, like ``f"{time:%Y%m%dT%H%M}"``."""
    if is_postgres():
        return func.to_char(column, 'YYYYMMDD"T"HH24MI')
    return func.strftime("%Y%m%dT%H%M", column)


def iso_utc(column):
    """A UTC time of whole seconds as ISO 8601 text, like ``time.isoformat()`` of an aware datetime."""
    if is_postgres():
        return func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
    return func.strftime("%Y-%m-%dT%H:%M:%S+00:00", column)


def json_object(*pairs):
    """A JSON object built in SQL from alternating keys and values."""
    return (func.json_build_object if is_postgres() else func.json_object)(*pairs)
