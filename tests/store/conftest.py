"""Storage tests run against both backends, on a fresh migrated database each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.runtime import database_url_for


@pytest.fixture(params=("sqlite", "postgres"))
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    with database_url_for(request.param, tmp_path, POSTGRES_ADMIN_URL) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(DatabaseOptions(url=database_url))
    migrate.upgrade(database.write_engine)
    try:
        yield database
    finally:
        database.close()
