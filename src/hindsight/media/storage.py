"""Where recordings' bytes live: the blob-store interface and its local-filesystem store.

The interface is what an object store offers too (`blobs/s3.py` implements it with a multipart
upload per writer and ranged GETs; `blobs/encrypted.py` wraps either store to encrypt at rest;
`blobs/build.py` picks them from settings), so nothing above it knows where bytes are kept:

* `writer(key)` streams a new blob in; `commit()` makes it visible under its key all at once
  and returns its size and SHA-256; `abort()` leaves nothing behind;
* `open_range(key, start, length)` streams part of a blob out, in chunks;
* `open_reader(key)` gives a seekable file object, for probing a blob's headers in a thread;
* `delete(key)`, `exists(key)` and `size(key)`;
* `list_blobs(prefix)` walks what is stored (orphan clean-up, encryption, migration).

A store that cannot be reached raises `BlobUnavailable` (a person sees "recording
unavailable"), never a bare network error.

The local store writes a blob to a temporary file in `<root>/.incoming/`, fsyncs it, renames
it into place and fsyncs the directory, so a crash never leaves a partial file under a key.
A temporary file is named for the host and process writing it: at start, the files of this
host's processes that are gone (killed mid-upload) are removed at once, others' once a day old.
The bytes being received at once are bounded (`max_incoming_bytes`, per process): past it an
upload is refused with 503 and Retry-After rather than filling the disk.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio

from hindsight.domain.errors import HindsightError

READ_CHUNK = 256 * 1024
# Received bytes are written (and hashed) off the event loop once this much has gathered.
_WRITE_BATCH = 1024 * 1024
_INCOMING = ".incoming"
# Temporary files older than this are from a process that died mid-upload.
_STALE_SECONDS = 24 * 3600
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:64] or "host"
_PART = re.compile(r"^(?P<host>\w+)-(?P<pid>\d+)-[0-9a-f]+\.part$")
_KEY = re.compile(r"^[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*$")


class BlobMissing(Exception):
    """No blob is stored under the key."""


class MediaUnreadable(HindsightError):
    """A recording's bytes cannot be given; `reason` says why in words a person can read
    (the player shows "Recording unavailable: <reason>")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The recording is unavailable: {reason}")
        self.reason = reason


class BlobUnavailable(MediaUnreadable, status=503):
    """The store holding the bytes cannot be reached or refused us; trying again may help."""

    retry_after = 5


class BlobRefused(MediaUnreadable, status=409):
    """The stored bytes fail their integrity check (tampered, cut short, keys missing): they
    are never played. Trying again cannot help, which a 4xx says."""


class IncomingFull(HindsightError, status=503):
    """Uploads in progress hold as many bytes as allowed; try again shortly."""

    retry_after = 30


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob, as a listing sees it (size as stored, modified in epoch seconds)."""

    key: str
    size: int
    modified: float


class BlobWriter(Protocol):
    key: str

    @property
    def size(self) -> int: ...

    async def write(self, data: bytes) -> None: ...

    async def commit(self) -> StoredBlob: ...

    async def abort(self) -> None: ...


class BlobStore(Protocol):
    def writer(self, key: str) -> BlobWriter: ...

    async def open_range(self, key: str, start: int, length: int) -> AsyncIterator[bytes]: ...

    def open_reader(self, key: str) -> BinaryIO: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int: ...

    def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]: ...


class IncomingBudget:
    """The bytes uploads in progress hold at once (per process), refused past a limit: on disk
    for the local store, in part buffers for an object store."""

    def __init__(self, max_bytes: int) -> None:
        self.max_incoming_bytes = max_bytes
        self._incoming_bytes = 0

    def reserve(self, size: int) -> None:
        """Count `size` more bytes being received, or refuse them (IncomingFull)."""
        if self._incoming_bytes + size > self.max_incoming_bytes:
            raise IncomingFull("Too many uploads are in progress; try again in a little while")
        self._incoming_bytes += size

    def release(self, size: int) -> None:
        self._incoming_bytes = max(0, self._incoming_bytes - size)

    @property
    def incoming_bytes(self) -> int:
        return self._incoming_bytes


class BufferedWriter(abc.ABC):
    """A blob writer's front: received bytes are held, each counted against the store's
    incoming budget as it arrives, and handed on (`_hand_on`) once `batch` bytes are held.
    The writer releases the budget when its store no longer holds the bytes."""

    def __init__(self, budget: IncomingBudget, batch: int) -> None:
        self._budget = budget
        self._batch = batch
        self._held: list[bytes] = []
        self._pending = 0  # bytes held, not yet taken
        self._received = 0
        self._done = False

    @property
    def size(self) -> int:
        """Bytes received so far."""
        return self._received

    async def write(self, data: bytes) -> None:
        if self._done:
            raise RuntimeError("the blob writer is closed")
        if not data:
            return
        self._budget.reserve(len(data))
        self._held.append(data)
        self._pending += len(data)
        self._received += len(data)
        if self._pending >= self._batch:
            await self._hand_on()

    @abc.abstractmethod
    async def _hand_on(self) -> None:
        """Pass the held bytes on (`_take`) to where the blob is written."""

    def _take(self) -> bytes:
        """The bytes held, in order; none are held after."""
        batch, self._held, self._pending = b"".join(self._held), [], 0
        return batch


async def read_all(store: BlobStore, key: str) -> bytes:
    """A small blob's bytes (key records, tests), never a recording's."""
    size = await store.size(key)
    return b"".join([chunk async for chunk in await store.open_range(key, 0, size)])


async def put_bytes(store: BlobStore, key: str, data: bytes) -> StoredBlob:
    writer = store.writer(key)
    try:
        await writer.write(data)
        return await writer.commit()
    except BaseException:
        await writer.abort()
        raise


def check_key(key: str) -> str:
    """Keys are relative paths of plain names: never absolute, never `..`."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class LocalWriter(BufferedWriter):
    """One blob being written to a temporary file beside the store's blobs."""

    def __init__(self, store: LocalBlobStore, key: str) -> None:
        # Held until commit or abort: the temporary file counts against the budget too.
        super().__init__(store, _WRITE_BATCH)
        self.key = key
        self._store = store
        self._temp = store.incoming / f"{_HOST}-{os.getpid()}-{secrets.token_hex(12)}.part"
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._released = False

    async def _hand_on(self) -> None:
        batch = self._take()
        if batch:
            await anyio.to_thread.run_sync(self._write_sync, batch)

    def _write_sync(self, batch: bytes) -> None:
        if self._file is None:
            self._file = open(self._temp, "xb")  # noqa: SIM115 - closed by commit or abort
        self._file.write(batch)
        # hashlib releases the GIL for large buffers, so this runs beside the event loop.
        self._hash.update(batch)

    async def commit(self) -> StoredBlob:
        try:
            await self._hand_on()
            await anyio.to_thread.run_sync(self._commit_sync)
        finally:
            self._release()
        self._done = True
        return StoredBlob(self.key, self.size, self._hash.hexdigest())

    def _release(self) -> None:
        if not self._released:
            self._store.release(self.size)
            self._released = True

    def _commit_sync(self) -> None:
        if self._file is None:
            self._file = open(self._temp, "xb")  # noqa: SIM115
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
        final = self._store.path(self.key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._temp, final)
        except BaseException:
            self._temp.unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)

    async def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._release()
        self._take()
        await anyio.to_thread.run_sync(self._abort_sync)

    def _abort_sync(self) -> None:
        if self._file is not None:
            self._file.close()
        self._temp.unlink(missing_ok=True)


def _abandoned(name: str) -> bool:
    """Whether a temporary file's writer is a process of this host that no longer runs."""
    match = _PART.match(name)
    if match is None:
        return False  # named by an older version, which may still run: only age tells
    if match["host"] != _HOST:
        return False  # another host's (shared storage): only age tells
    pid = int(match["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(IncomingBudget):
    """Blobs as files under `root` (normally `<data_dir>/recordings`)."""

    def __init__(self, root: Path, max_incoming_bytes: int = 2 * 1024**3) -> None:
        super().__init__(max_incoming_bytes)
        self.root = root
        self.incoming = root / _INCOMING
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.removed_at_start = self._sweep_leftovers()

    def _sweep_leftovers(self) -> int:
        """Remove what interrupted uploads left; returns how many files went."""
        cutoff = time.time() - _STALE_SECONDS
        removed = 0
        for leftover in self.incoming.glob("*.part"):
            with contextlib.suppress(OSError):
                if _abandoned(leftover.name) or leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
        return removed

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def writer(self, key: str) -> LocalWriter:
        check_key(key)
        return LocalWriter(self, key)

    def open_reader(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None

    async def open_range(self, key: str, start: int, length: int) -> AsyncIterator[bytes]:
        """The bytes `start` to `start + length - 1`, in chunks; BlobMissing before any byte."""
        reader = await anyio.to_thread.run_sync(self.open_reader, key)
        try:
            await anyio.to_thread.run_sync(reader.seek, start)
        except BaseException:
            reader.close()
            raise
        return _chunks(reader, length)

    async def delete(self, key: str) -> None:
        def remove() -> None:
            path = self.path(key)
            path.unlink(missing_ok=True)
            with contextlib.suppress(FileNotFoundError):
                _fsync_dir(path.parent)

        await anyio.to_thread.run_sync(remove)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(key).is_file)

    async def size(self, key: str) -> int:
        def stat() -> int:
            try:
                return self.path(key).stat().st_size
            except FileNotFoundError:
                raise BlobMissing(key) from None

        return await anyio.to_thread.run_sync(stat)

    async def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """Every blob whose key starts with `prefix` (uploads in progress are not blobs)."""

        def walk() -> list[BlobInfo]:
            found = []
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = sorted(d for d in dirnames if d != _INCOMING)
                for name in sorted(filenames):
                    path = Path(dirpath, name)
                    key = path.relative_to(self.root).as_posix()
                    if key.startswith(prefix) and _KEY.match(key):
                        with contextlib.suppress(FileNotFoundError):
                            stat = path.stat()
                            found.append(BlobInfo(key, stat.st_size, stat.st_mtime))
            return found

        for info in await anyio.to_thread.run_sync(walk):
            yield info


async def _chunks(reader: BinaryIO, length: int) -> AsyncIterator[bytes]:
    try:
        left = length
        while left > 0:
            chunk = await anyio.to_thread.run_sync(reader.read, min(READ_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        reader.close()
