"""Fixtures the API tests share (the server, account and client fixtures are in tests/conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from twilio.rest import Client

from tests.api.helpers_tasks import fifo_workspace, http
from tests.support.server import RunningServer


@pytest.fixture
def fifo(request: pytest.FixtureRequest, client: Client) -> Any:
    """A FIFO workspace (one workflow, one queue), named by the module's WORKSPACE_NAME."""
    return fifo_workspace(client, getattr(request.module, "WORKSPACE_NAME", "Tasks"))


@pytest.fixture
def raw(server: RunningServer, account: Any) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the account, for what the helper library cannot send."""
    with http(server, account) as raw_client:
        yield raw_client
