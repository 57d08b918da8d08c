"""In-process wake-ups for whoever follows the log, so they need not poll tightly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class LogNotifier:
    """Services call `appended()` after committing events; followers `await wait(...)`."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[set[str]], None]] = []

    def subscribe(self, listener: Callable[[set[str]], None]) -> None:
        self._listeners.append(listener)

    def appended(self, workspace_sids: set[str]) -> None:
        for listener in self._listeners:
            listener(workspace_sids)


class WakeUp:
    """An asyncio event that collects which workspaces changed since the last wait."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.pending: set[str] = set()

    def __call__(self, workspace_sids: set[str]) -> None:
        self.pending |= workspace_sids
        self._event.set()

    async def wait(self, timeout: float) -> set[str]:
        # An asyncio.Event belongs to the first loop that waits on it; a runtime served again
        # on a new loop (a CLI command's background server, a benchmark phase) needs a new one.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._event = loop, asyncio.Event()
            if self.pending:
                self._event.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()
        changed, self.pending = self.pending, set()
        return changed
