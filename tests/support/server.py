"""A real Hindsight server on a free local port, for tests that speak HTTP to it."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from hindsight.app import Runtime, build_runtime, create_app
from hindsight.auth.accounts import IssuedAccount
from hindsight.domain.clock import Clock, SystemClock
from hindsight.settings import Settings
from tests.support.waiting import wait_for

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    runtime: Runtime
    base_url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def new_account(self, name: str = "test") -> IssuedAccount:
        return self.runtime.services.accounts.create_account(name)

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a service's coroutine on the server's own event loop and wait for it: on SQLite
        the database's loop-side connections belong to that loop and its thread."""
        loop = self._server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(work, loop).result(timeout=60)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self.runtime.close()


def bound_socket() -> socket.socket:
    """A listening socket on a free port, held from the start: asking for a free port and
    binding it later races with everything else on the machine that picks ports."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class OffsetClock:
    """The system clock, moved forward on demand: for tests of what happens later (retention
    days later, a session's or link's expiry) on a server that otherwise runs in real time."""

    def __init__(self) -> None:
        self._system = SystemClock()
        self.offset_ms = 0

    def now_ms(self) -> int:
        return self._system.now_ms() + self.offset_ms

    def advance_days(self, days: float) -> None:
        self.advance_seconds(days * 86_400)

    def advance_seconds(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)

    def to_next_minute(self) -> None:
        """Move forward to a second past the next minute's start: what counts per clock minute
        then has most of a minute of real time before the next one begins."""
        self.offset_ms += 61_000 - self.now_ms() % 60_000


def clock_of(server: RunningServer) -> OffsetClock:
    """The OffsetClock a server was started with (`start_server(..., clock=OffsetClock())`)."""
    found = server.runtime.services.clock
    assert isinstance(found, OffsetClock)
    return found


def shared_audit_keyring(data_dir: Path, database_url: str | None) -> Path:
    """Servers sharing a database share its audit keyring, as a deployment's hosts must."""
    if database_url is None or database_url.startswith("sqlite"):
        return data_dir / "audit-keys.json"
    name = database_url.rsplit("/", 1)[-1]
    return Path(tempfile.gettempdir()) / f"hindsight-test-audit-keys-{name}.json"


def start_server(
    data_dir: Path, database_url: str | None, clock: Clock | None = None, **overrides: object
) -> RunningServer:
    sock = bound_socket()
    port = sock.getsockname()[1]
    overrides.setdefault("audit_keyring", shared_audit_keyring(data_dir, database_url))
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        **overrides,
    )
    runtime = build_runtime(settings, clock)
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"hindsight-{port}", daemon=True
    )
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise RuntimeError("the test server stopped while starting")
        return server.started

    wait_for(started, "the test server to start", timeout=20, interval=0.02)
    return RunningServer(runtime, f"http://127.0.0.1:{port}", server, thread)
