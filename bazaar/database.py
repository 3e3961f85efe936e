"""Engine behaviour per database.

SQLite: WAL so readers never block the writer, a busy timeout, and ``BEGIN IMMEDIATE`` for every
transaction so concurrent writers queue instead of failing half way (SQLite ignores
``SELECT ... FOR UPDATE``). This follows SQLAlchemy's documented recipe for pysqlite.
"""

from flask import Flask
from sqlalchemy import String, event, func, literal_column

from bazaar.extensions import db


def configure_engine_events(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

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


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


# ---- SQL expressions that differ per database (for set-based statements) ----------------------


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
