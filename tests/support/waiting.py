"""Waiting on a condition, never on the clock: poll until it holds, fail naming what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None],
    what: str = "the condition",
    timeout: float = 10.0,
    interval: float = 0.05,
) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"within {timeout} s: {what} (last seen: {last!r})")
        time.sleep(interval)
