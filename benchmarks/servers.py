"""Servers the benchmarks run against, each in its own process (the load generator gets the
other core): Hindsight itself, and a bare Starlette endpoint doing the same SQLite write."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "c" * 32
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    # `hindsight serve` starts its worker processes after migrations; give a loaded machine time.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def hindsight(
    data_dir: Path,
    database_url: str | None,
    workers: int = 1,
    profile: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`hindsight serve --workers N` from `data_dir`; with `profile` (a directory), each of
    its processes runs under cProfile and writes <name>.prof there when it stops."""
    port = free_port()
    env = {
        **os.environ,
        "HINDSIGHT_DATA_DIR": str(data_dir),
        "HINDSIGHT_PORT": str(port),
        "HINDSIGHT_BOOTSTRAP_ACCOUNT_SID": ACCOUNT_SID,
        "HINDSIGHT_BOOTSTRAP_AUTH_TOKEN": AUTH_TOKEN,
        "HINDSIGHT_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    if profile is not None:
        env["HINDSIGHT_PROFILE_DIR"] = str(profile)
    if database_url:
        env["HINDSIGHT_DATABASE_URL"] = database_url
    else:
        env.pop("HINDSIGHT_DATABASE_URL", None)
    with serving(
        [sys.executable, "-m", "hindsight.cli.main", "serve", "--workers", str(workers)], port, env
    ) as base:
        yield base


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `command` (a server listening on `port`) until the block ends; yields its base URL."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)


@contextmanager
def bare_starlette(data_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(HERE / "bare_app.py"), str(data_dir / "bare.db"), str(port)]
    with serving(command, port) as base:
        yield base
