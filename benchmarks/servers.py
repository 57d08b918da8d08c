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
    with hindsight_process(data_dir, database_url, workers, profile, extra_env) as (base, _pid):
        yield base


@contextmanager
def hindsight_process(
    data_dir: Path,
    database_url: str | None,
    workers: int = 1,
    profile: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """`hindsight()`, yielding the supervisor's process id with the base URL."""
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
    command = [sys.executable, "-m", "hindsight.cli.main", "serve", "--workers", str(workers)]
    with serving_process(command, port, env) as served:
        yield served


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `command` (a server listening on `port`) until the block ends; yields its base URL."""
    with serving_process(command, port, env) as (base, _pid):
        yield base


@contextmanager
def serving_process(
    command: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """`serving()`, yielding the server's process id with its base URL."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/healthz", process)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name (field 2) is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found += children
        frontier += children
    return found


def descendants_named(pid: int, name_prefix: str) -> list[int]:
    """The processes under `pid` whose name starts with `name_prefix` (`hs-background`)."""
    return [each for each in _descendants(pid) if process_name(each).startswith(name_prefix)]


def process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def cpu_seconds(pid: int, name_prefix: str | None = None) -> float:
    """User + system CPU seconds of `pid` and its descendants so far; with `name_prefix`,
    only of the processes so named (`hs-web` for Hindsight's HTTP workers)."""
    total_ticks = 0
    for each in [pid, *_descendants(pid)]:
        if name_prefix is not None and not process_name(each).startswith(name_prefix):
            continue
        fields = _stat_fields(each)
        if fields is not None:
            # Fields 14 and 15 of /proc/PID/stat (here 12 and 13, after the name).
            total_ticks += int(fields[11]) + int(fields[12])
    return total_ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def bare_starlette(data_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(HERE / "bare_app.py"), str(data_dir / "bare.db"), str(port)]
    with serving(command, port) as base:
        yield base
