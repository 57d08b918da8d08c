"""Wake-ups across processes: "these workspaces' logs grew", sent after each commit.

HTTP workers append events; the background process follows the log. Within one process the
`LogNotifier` wakes followers directly; across processes on one host a datagram carries the
same news to whichever process holds the background lease, so the router and projector start
within a millisecond of the commit instead of at their next poll. A datagram is fire and
forget: a lost or unsent one only means the followers find the events at their next poll
(they poll anyway, for writes made on other hosts).

The channel is a Linux abstract-namespace socket named after the database, so processes
serving the same database on one host meet there and nothing is left on disk.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import sys

from hindsight.eventlog.notify import LogNotifier

log = logging.getLogger(__name__)

# A datagram holds at most this many bytes of workspace SIDs (34 bytes and a comma each);
# more changed workspaces are sent in several.
_DATAGRAM_BYTES = 4096


def channel_name(database_url: str) -> str | None:
    """The abstract socket address for processes serving `database_url`, or None where the
    platform has no abstract namespace (those processes rely on polling)."""
    if not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:24]
    return f"\0hindsight-wake-{digest}"


def _datagrams(workspace_sids: set[str]) -> list[bytes]:
    out: list[bytes] = []
    current = b""
    for sid in sorted(workspace_sids):
        item = sid.encode("ascii", "replace")
        if current and len(current) + 1 + len(item) > _DATAGRAM_BYTES:
            out.append(current)
            current = b""
        current = item if not current else current + b"," + item
    if current:
        out.append(current)
    return out


class WakeSender:
    """Subscribed to a process's notifier: forwards appends to the channel, coalesced.

    A busy HTTP worker commits many times per turn of its event loop (SQLite's group commit
    settles a whole group at once; PostgreSQL's threads finish side by side), and one datagram
    per commit cost a system call each and woke the background process as often. Within an
    event loop the workspaces are collected and sent once, after the callbacks already due in
    this turn; the background process starts at most one loop turn later. Called from outside
    a running loop (a CLI command), it sends at once.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._pending: set[str] = set()

    def __call__(self, workspace_sids: set[str]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._send(workspace_sids)
            return
        if not self._pending:
            loop.call_soon(self.flush)
        self._pending |= workspace_sids

    def flush(self) -> None:
        """Send what was collected (run by the loop; tests call it to send at once)."""
        pending, self._pending = self._pending, set()
        self._send(pending)

    def _send(self, workspace_sids: set[str]) -> None:
        for datagram in _datagrams(workspace_sids):
            try:
                self._socket.sendto(datagram, self._name)
            except OSError:
                # Nobody listening (no background process yet), or its queue is full: the
                # followers' poll finds these events.
                return

    def close(self) -> None:
        self._socket.close()


class WakeReceiver:
    """Bound by the process that follows the log; hands what arrives to its notifier."""

    def __init__(self, name: str, notifier: LogNotifier) -> None:
        self._name = name
        self._notifier = notifier
        self._socket: socket.socket | None = None

    def start(self) -> bool:
        """Listen on the channel; False if another process already does."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self._name)
        except OSError:
            sock.close()
            return False
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._drain)
        self._socket = sock
        return True

    def _drain(self) -> None:
        assert self._socket is not None
        changed: set[str] = set()
        while True:
            try:
                data = self._socket.recv(_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            changed.update(p for p in data.decode("ascii", "replace").split(",") if p)
        if changed:
            self._notifier.appended(changed)

    def stop(self) -> None:
        if self._socket is not None:
            asyncio.get_running_loop().remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None
