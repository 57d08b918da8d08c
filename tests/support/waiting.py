"""Waiting on a condition, never on the clock: poll until it holds, fail naming what was awaited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

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


def wait_until_steady(
    read: Callable[[], T], what: str, timeout: float = 10.0, interval: float = 0.3
) -> T:
    """Read until two reads `interval` s apart agree, and return that value: for work that
    ends when nothing more happens (routing settling, a log that stops growing), where no
    single answer says it is over."""
    seen: list[T] = []

    def steady() -> tuple[T] | None:
        value = read()
        agreed = bool(seen) and value == seen[-1]
        seen.append(value)
        return (value,) if agreed else None

    return wait_for(steady, f"{what} to stop changing", timeout, interval)[0]


def wait_for_task_age(task: Any, seconds: int, timeout: float = 30.0) -> None:
    """Wait until the server counts `seconds` more of `task`'s age (a TaskRouter TaskContext).

    For a talk or wrap-up that must last a while: the condition is read from the server's own
    clock, which stamps the events the measures are computed from. `age` is in whole seconds,
    so at least `seconds - 1` s have passed on that clock when this returns.
    """
    start = int(task.fetch().age)
    wait_for(
        lambda: int(task.fetch().age) >= start + seconds or None,
        f"the task {seconds} s older on the server's clock",
        timeout=timeout,
        interval=0.2,
    )


def wait_for_next_second() -> int:
    """Wait until the wall clock (the one events are stamped with) enters the next second."""
    start = int(time.time())
    return wait_for(
        lambda: int(time.time()) if int(time.time()) > start else None,
        "the next wall-clock second",
        timeout=5.0,
        interval=0.01,
    )
