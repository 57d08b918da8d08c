"""A whole runtime (every service, no HTTP server) on a fresh database of either backend."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def database_url_for(backend: str, tmp_path: Path, admin_url: str) -> Iterator[str]:
    """A fresh database: a file for SQLite, a database dropped afterwards for PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'h.db'}"
        return
    name = f"hindsight_rt_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
