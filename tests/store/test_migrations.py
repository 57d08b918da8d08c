"""The Alembic migrations build exactly the schema the code describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hindsight.store import migrate
from hindsight.store.schema import metadata
from hindsight.store.search.index import described_by_migration


def _compared(dialect: str):
    def include(obj, name, type_, reflected, compare_to):
        if dialect != "sqlite" and type_ == "table" and name == "event_positions":
            # PostgreSQL hands out event positions from a sequence; SQLite keeps them in a table.
            return False
        return described_by_migration(obj, name, type_, reflected, compare_to)

    return include


def test_migrated_database_matches_the_schema(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _compared(conn.dialect.name)}
        )
        assert compare_metadata(context, metadata) == []


def test_nothing_is_pending_after_upgrade_and_upgrading_again_is_harmless(db):
    assert migrate.pending_revisions(db.write_engine) == []
    migrate.upgrade(db.write_engine)
    assert migrate.pending_revisions(db.write_engine) == []
