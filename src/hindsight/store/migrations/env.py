"""Alembic environment: always run with a connection handed over by `hindsight.store.migrate`."""

from __future__ import annotations

from alembic import context

from hindsight.store.schema import metadata
from hindsight.store.search.index import described_by_migration

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=described_by_migration,
)
with context.begin_transaction():
    context.run_migrations()
