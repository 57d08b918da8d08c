"""Service-level tests: the whole runtime on both backends, a manual clock, no HTTP server.

Rules checked here run in milliseconds; the HTTP tests keep checking the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.app import Runtime, build_runtime
from hindsight.domain.clock import ManualClock
from hindsight.settings import Settings
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL
from tests.support.runtime import database_url_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=BACKENDS)
def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> Iterator[Runtime]:
    with database_url_for(request.param, tmp_path, POSTGRES_ADMIN_URL) as url:
        built = build_runtime(Settings(data_dir=tmp_path / "data", database_url=url), clock)
        try:
            yield built
        finally:
            built.close()
