"""Shared fixtures: real servers on SQLite and PostgreSQL, real clients."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from twilio.rest import Client

from tests.support.s3_server import S3Server, start_s3_server
from tests.support.server import RunningServer, start_server
from tests.support.twilio_client import client_for

POSTGRES_ADMIN_URL = os.environ.get(
    "HINDSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"hindsight_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url_for(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'hindsight.db'}"
    return request.getfixturevalue("postgres_database")


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server per storage backend for the session; tests isolate by using fresh accounts."""
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"server-{backend}")
    # Many people sign in from 127.0.0.1 across the suite; the limit has tests of its own.
    # Event callbacks reach the suite's local receivers through the allow-list, as an
    # on-premises receiver would (loopback is refused by default).
    running = start_server(
        data_dir,
        database_url_for(backend, data_dir, request),
        rate_limit_login_per_minute=0,
        callback_allow="127.0.0.1/32",
    )
    running.backend = backend  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def account(server: RunningServer):
    return server.new_account()


@pytest.fixture
def client(server: RunningServer, account) -> Client:
    return client_for(server.base_url, account.sid, account.auth_token)


@pytest.fixture
def workspace(client: Client):
    return client.taskrouter.v1.workspaces.create(friendly_name="Test Workspace")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's standalone S3 server on a free port, for the session."""
    running = start_s3_server()
    try:
        yield running
    finally:
        running.stop()
