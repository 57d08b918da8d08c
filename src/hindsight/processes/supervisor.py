"""`hindsight serve`: one command, several processes, one log.

The supervisor (the process the operator started) applies migrations, prints the first-run
banner, binds the port, and starts the children: `workers` HTTP processes sharing the
listening socket (the kernel spreads connections over them) and, for role `all`, one
background process (the projector, router, timers, callbacks, retention, media analysis). A
child that dies is started again after a pause that grows while it keeps dying; SIGTERM or
Ctrl-C stops the children gracefully, then the supervisor. Every child logs to the same
stderr, each line naming its process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from hindsight.settings import Settings

log = logging.getLogger("hindsight.supervisor")

_CHECK_SECONDS = 0.25
_FIRST_RESTART_SECONDS = 0.5
_MAX_RESTART_SECONDS = 30.0
# A child that ran this long before dying is restarted without the grown pause.
_HEALTHY_SECONDS = 60.0
_STOP_SECONDS = 25.0
LOG_FORMAT = "%(asctime)s %(levelname)-7s [%(processName)s] %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _die_with_supervisor() -> None:
    """Ask Linux to stop this child if the supervisor dies (even by SIGKILL): an orphaned
    background process would hold the lease and keep working unsupervised."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the supervisor died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def web_main(settings: Settings, sock: socket.socket) -> None:
    """An HTTP worker: serves requests, runs no background work, wakes the background
    process after each commit that appended events."""
    import uvicorn

    _die_with_supervisor()
    from hindsight.app import build_runtime, create_app
    from hindsight.processes.wake import WakeSender, channel_name

    configure_logging(settings.log_level)
    # With role `all` this supervisor also runs the background process, which checkpoints the
    # SQLite WAL (the background and other workers' writes included) on its own CPU.
    runtime = build_runtime(
        settings, apply_migrations=False, sqlite_checkpoints=settings.role != "all"
    )
    name = channel_name(runtime.db.url)
    sender = WakeSender(name) if name else None
    if sender is not None:
        runtime.notifier.subscribe(sender)
    config = uvicorn.Config(
        create_app(runtime, background=False),
        log_level=settings.log_level,
        access_log=False,
        lifespan="on",
        # uvicorn's own lines go through the root logger too, naming the process.
        log_config=None,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        if sender is not None:
            sender.close()
        runtime.close()


def background_main(settings: Settings, owner: str) -> None:
    """The background process: the log's followers under the background lease."""
    from hindsight.app import build_runtime
    from hindsight.processes.background import BackgroundLease, LeaseTiming
    from hindsight.processes.wake import WakeReceiver, channel_name

    _die_with_supervisor()
    configure_logging(settings.log_level)
    runtime = build_runtime(settings, apply_migrations=False, background_process=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        name = channel_name(runtime.db.url)
        lease = BackgroundLease(
            runtime.db,
            runtime.clock,
            owner,
            LeaseTiming(settings.lease_seconds, settings.lease_seconds / 3),
            WakeReceiver(name, runtime.notifier) if name else None,
        )
        await lease.run(runtime.singleton_jobs(), runtime.shared_jobs(), stop)

    try:
        asyncio.run(main())
    finally:
        runtime.close()


def _name_process(name: str) -> None:
    """Show the child's role as its process name (`ps`, `top`, /proc/PID/comm: `hs-web-1`,
    `hs-background`), so an operator and the benchmarks can tell the children apart."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_name = 15
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_name, f"hs-{name}".encode()[:15], 0, 0, 0)


def _profiled(name: str, target: Callable[..., None], *args: Any) -> None:
    """Run a child's main function, under cProfile when HINDSIGHT_PROFILE_DIR names a folder
    (the stats land in <folder>/<name>.prof when the child stops): how the benchmarks see
    where each process spends its time."""
    _name_process(name)
    folder = os.environ.get("HINDSIGHT_PROFILE_DIR")
    if not folder:
        target(*args)
        return
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(target, *args)
    finally:
        os.makedirs(folder, exist_ok=True)
        profiler.dump_stats(os.path.join(folder, f"{name}.prof"))


@dataclass
class Child:
    name: str
    target: Callable[..., None]
    args: tuple[Any, ...]
    process: BaseProcess | None = None
    started: float = 0.0
    restarts: int = 0
    not_before: float = 0.0
    pause: float = field(default=_FIRST_RESTART_SECONDS)


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self._children = children
        self._context = multiprocessing.get_context("spawn")
        self._stopping = False

    def _start(self, child: Child) -> None:
        process = self._context.Process(
            target=_profiled,
            args=(child.name, child.target, *child.args),
            name=child.name,
            daemon=False,
        )
        process.start()
        child.process, child.started = process, time.monotonic()
        log.info("started %s (pid %s)", child.name, process.pid)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if not self._stopping:
            log.info("stopping (%s)", signal.Signals(signum).name)
        self._stopping = True

    def run(self) -> int:
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for child in self._children:
                self._start(child)
            while not self._stopping:
                time.sleep(_CHECK_SECONDS)
                self._revive()
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def _revive(self) -> None:
        now = time.monotonic()
        for child in self._children:
            process = child.process
            if process is None or process.is_alive():
                if process is None and now >= child.not_before:
                    self._start(child)
                continue
            ran = now - child.started
            child.pause = (
                _FIRST_RESTART_SECONDS
                if ran >= _HEALTHY_SECONDS
                else min(child.pause * 2, _MAX_RESTART_SECONDS)
            )
            child.restarts += 1
            child.process = None
            child.not_before = now + child.pause
            log.error(
                "%s (pid %s) exited with code %s after %.1f s; starting it again in %.1f s",
                child.name,
                process.pid,
                process.exitcode,
                ran,
                child.pause,
            )

    def _stop_all(self) -> None:
        running = [c.process for c in self._children if c.process is not None]
        for process in running:
            if process.is_alive() and process.pid is not None:
                # SIGINT: uvicorn finishes its requests and then raises the signal it stopped on
                # again; as SIGINT that is a KeyboardInterrupt the worker catches, so it still
                # closes its runtime (and writes its profile), which SIGTERM would cut short.
                os.kill(process.pid, signal.SIGINT)
        deadline = time.monotonic() + _STOP_SECONDS
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("%s did not stop in time; killing it", process.name)
                process.kill()
                process.join(5)


def children_for(settings: Settings, sock: socket.socket | None, owner: str) -> list[Child]:
    children: list[Child] = []
    if settings.role in ("all", "web"):
        assert sock is not None
        for n in range(settings.workers):
            children.append(Child(f"web-{n + 1}", web_main, (settings, sock)))
    if settings.role in ("all", "background"):
        children.append(Child("background", background_main, (settings, owner)))
    return children
