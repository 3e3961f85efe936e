"""Engine behaviour per database.

SQLite: WAL so readers never block the writer, a busy timeout, and ``BEGIN IMMEDIATE`` for every
transaction so concurrent writers queue instead of failing half way (SQLite ignores
``SELECT ... FOR UPDATE``). This follows SQLAlchemy's documented recipe for pysqlite.
"""
from flask import Flask
from sqlalchemy import event

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
