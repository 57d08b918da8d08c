"""Servers the benchmarks run against, each in its own process (the load generator gets the
other core): Hindsight itself, and a bare Starlette endpoint doing the same SQLite write."""

from __future__ import annotations

import os
import signal
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


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a loaded machine, or a server under cProfile
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
    data_dir: Path, database_url: str | None, profile: Path | None = None
) -> Iterator[str]:
    """Hindsight serving from `data_dir`; under cProfile (stats written to `profile` when it
    stops) if asked."""
    port = free_port()
    env = {
        **os.environ,
        "HINDSIGHT_DATA_DIR": str(data_dir),
        "HINDSIGHT_PORT": str(port),
        "HINDSIGHT_BOOTSTRAP_ACCOUNT_SID": ACCOUNT_SID,
        "HINDSIGHT_BOOTSTRAP_AUTH_TOKEN": AUTH_TOKEN,
        "HINDSIGHT_LOG_LEVEL": "warning",
    }
    if database_url:
        env["HINDSIGHT_DATABASE_URL"] = database_url
    else:
        env.pop("HINDSIGHT_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            *(["-m", "cProfile", "-o", str(profile)] if profile else []),
            "-m",
            "hindsight.cli.main",
            "serve",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/healthz", process)
        yield base
    finally:
        # uvicorn re-raises the signal it stopped on; SIGINT becomes KeyboardInterrupt, which
        # lets cProfile write its stats on the way out (SIGTERM would kill it first).
        process.send_signal(signal.SIGINT if profile else signal.SIGTERM)
        process.wait(timeout=120)


@contextmanager
def bare_starlette(data_dir: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "bare_app.py"), str(data_dir / "bare.db"), str(port)],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
