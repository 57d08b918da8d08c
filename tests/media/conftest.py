"""Media tests reuse the storage fixtures: a fresh migrated database on each backend."""

from tests.store.conftest import database_url, db

__all__ = ["database_url", "db"]
