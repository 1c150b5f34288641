"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and can be undone."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from extensions import db

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app):
    """What `flask db check` checks: the session database was built by `flask db upgrade` alone."""
    assert differences() == []


def test_migration_file_names_start_with_a_date():
    names = [name for name in os.listdir(os.path.join(MIGRATIONS, "versions")) if name.endswith(".py")]
    assert names
    for name in names:
        year, month, rest = name.split("-", 2)
        assert len(year) == 4 and year.isdigit() and month.isdigit() and rest[:2].isdigit(), name


def test_downgrade_to_empty_and_upgrade_again(app):
    downgrade(directory=MIGRATIONS, revision="base")
    with db.engine.connect() as connection:
        assert set(db.inspect(connection).get_table_names()) <= {"alembic_version"}
    upgrade(directory=MIGRATIONS)
    assert differences() == []
