"""Wake-ups across processes: the HTTP worker's datagrams to the background process."""

from __future__ import annotations

import asyncio
import secrets
import socket
import sys
from collections.abc import Iterator

import pytest

from hindsight.processes.wake import WakeSender

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="abstract socket names are Linux's"
)

WS_A, WS_B, WS_C = ("WS" + c * 32 for c in "abc")


@pytest.fixture
def channel() -> Iterator[tuple[str, socket.socket]]:
    name = f"\0hindsight-wake-test-{secrets.token_hex(8)}"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(name)
    receiver.setblocking(False)
    yield name, receiver
    receiver.close()


def _received(receiver: socket.socket) -> list[set[str]]:
    out = []
    while True:
        try:
            out.append(set(receiver.recv(4096).decode().split(",")))
        except BlockingIOError:
            return out


def test_appends_in_one_loop_turn_go_out_as_one_datagram(
    channel: tuple[str, socket.socket],
) -> None:
    name, receiver = channel
    sender = WakeSender(name)

    async def commits() -> list[set[str]]:
        sender({WS_A})
        sender({WS_B})
        sender({WS_A, WS_C})
        nothing_yet = _received(receiver)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert nothing_yet == []
        first = _received(receiver)
        sender({WS_B})
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return first + _received(receiver)

    try:
        assert asyncio.run(commits()) == [{WS_A, WS_B, WS_C}, {WS_B}]
    finally:
        sender.close()


def test_outside_an_event_loop_it_sends_at_once(channel: tuple[str, socket.socket]) -> None:
    name, receiver = channel
    sender = WakeSender(name)
    try:
        sender({WS_A, WS_B})
        assert _received(receiver) == [{WS_A, WS_B}]
    finally:
        sender.close()


def test_with_nobody_listening_nothing_fails() -> None:
    sender = WakeSender(f"\0hindsight-wake-test-{secrets.token_hex(8)}")

    async def commit() -> None:
        sender({WS_A})
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    try:
        asyncio.run(commit())
        sender({WS_B})
    finally:
        sender.close()
