"""The job coach migration keeps the group registrations made before it: each (event, registering
person) becomes a group, its people its members, and the registering person a job coach there."""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from bazaar import create_app
from bazaar.extensions import db
from config import Config
from tests.platform.test_migrations import _fresh_database
from tests.support import ROOT

BEFORE, COACHES = "c9d1e2f3a4b5", "c0ac4e5f1a2b"  # the coach migration and the one before it


def _insert(conn, table: sa.Table, **values) -> int:
    """A row with ``values`` and a plain value in every other required column."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key or column.server_default is not None:
            continue
        try:
            kind = column.type.python_type
        except NotImplementedError:
            kind = str
        values[column.name] = {int: 0, bool: False, datetime: now, dict: {}, list: []}.get(
            kind, secrets.token_hex(8)[: getattr(column.type, "length", None) or 16]
        )
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_existing_group_registrations_become_groups_of_their_coach(backend, tmp_path, test_env):
    url, drop = _fresh_database(backend, tmp_path)
    try:
        app = create_app(Config(TESTING=True, SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            migrations = str(ROOT / "migrations")
            upgrade(directory=migrations, revision=BEFORE)
            meta = sa.MetaData()
            meta.reflect(db.engine)
            user, event, registration = meta.tables["user"], meta.tables["event"], meta.tables["registration"]
            with db.engine.begin() as conn:
                coach = _insert(conn, user, email="coach@example.org")
                visitor = _insert(conn, user, email="self@example.org")
                door = _insert(conn, user, email="door@example.org")
                fair = _insert(conn, event, timezone="Europe/Stockholm")
                grouped = [_insert(conn, user, email=f"m{i}@example.org") for i in range(3)]
                for person in grouped:
                    _insert(conn, registration, event_id=fair, user_id=person, registered_by_id=coach, walk_in=False)
                _insert(conn, registration, event_id=fair, user_id=visitor, registered_by_id=visitor, walk_in=False)
                walk_in = _insert(conn, user, email="walk@example.org")
                _insert(conn, registration, event_id=fair, user_id=walk_in, registered_by_id=door, walk_in=True)
            upgrade(directory=migrations, revision=COACHES)
            with db.engine.connect() as conn:
                kept = conn.execute(sa.text("SELECT count(*) FROM registration WHERE user_id IS NOT NULL")).scalar()
                assert kept == 5  # nothing cascaded when the user table was rebuilt (SQLite)
                groups = conn.execute(sa.text("SELECT id, event_id, coach_id FROM coach_group")).all()
                assert [(e, c) for _, e, c in groups] == [(fair, coach)]
                members = conn.execute(sa.text("SELECT group_id, code FROM group_member")).all()
                assert len(members) == 3 and {g for g, _ in members} == {groups[0][0]}
                assert len({code for _, code in members}) == 3
                roles = conn.execute(sa.text("SELECT user_id, role FROM event_staff")).all()
                assert roles == [(coach, "coach")]
            downgrade(directory=migrations, revision=BEFORE)
            assert "coach_group" not in sa.inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        if drop:
            drop()
