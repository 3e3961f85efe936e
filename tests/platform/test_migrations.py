"""The migrations build the same schema as the models, on SQLite and PostgreSQL."""

import secrets

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from bazaar import create_app
from bazaar.extensions import db
from config import Config
from tests.support import PG_ADMIN_URL, ROOT


def _fresh_database(backend, tmp_path):
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.sqlite'}", None
    name = f"bazaar_test_mig_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop


def test_migrations_match_models_and_downgrade(backend, tmp_path, test_env):
    url, drop = _fresh_database(backend, tmp_path)
    try:
        app = create_app(Config(TESTING=True, SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            downgrade(directory=str(ROOT / "migrations"), revision="base")
            tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert tables == set()
            db.engine.dispose()
    finally:
        if drop:
            drop()
