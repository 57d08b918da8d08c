"""The Alembic migrations build exactly the schema the code describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hindsight.store import migrate
from hindsight.store.schema import metadata


def _sqlite_only(obj, name, type_, reflected, compare_to):
    # PostgreSQL hands out event positions from a sequence; SQLite keeps them in a table.
    return not (type_ == "table" and name == "event_positions")


def test_migrated_database_matches_the_schema(db):
    with db.engine.connect() as conn:
        opts = {"compare_type": True}
        if conn.dialect.name != "sqlite":
            opts["include_object"] = _sqlite_only
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, metadata) == []


def test_nothing_is_pending_after_upgrade_and_upgrading_again_is_harmless(db):
    assert migrate.pending_revisions(db.write_engine) == []
    migrate.upgrade(db.write_engine)
    assert migrate.pending_revisions(db.write_engine) == []
