"""Where recordings' bytes live: a small blob-store interface and its local-filesystem store.

The interface is what an object store offers too (an S3-compatible store can implement it
later: a multipart upload per writer, ranged GETs for reading), so nothing above it knows where
bytes are kept:

* `writer(key)` streams a new blob in; `commit()` makes it visible under its key all at once
  and returns its size and SHA-256; `abort()` leaves nothing behind;
* `open_range(key, start, length)` streams part of a blob out, in chunks;
* `open_reader(key)` gives a seekable file object, for probing a blob's headers in a thread;
* `delete(key)` and `exists(key)`.

The local store writes a blob to a temporary file in `<root>/.incoming/`, fsyncs it, renames
it into place and fsyncs the directory, so a crash never leaves a partial file under a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio

READ_CHUNK = 256 * 1024
# Received bytes are written (and hashed) off the event loop once this much has gathered.
_WRITE_BATCH = 1024 * 1024
_INCOMING = ".incoming"
# Temporary files older than this are from a process that died mid-upload.
_STALE_SECONDS = 24 * 3600
_KEY = re.compile(r"^[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*$")


class BlobMissing(Exception):
    """No blob is stored under the key."""


@dataclass(frozen=True)
class StoredBlob:
    key: str
    size: int
    sha256: str


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


def check_key(key: str) -> str:
    """Keys are relative paths of plain names: never absolute, never `..`."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class LocalWriter:
    """One blob being written to a temporary file beside the store's blobs."""

    def __init__(self, store: LocalBlobStore, key: str) -> None:
        self.key = key
        self._store = store
        self._temp = store.incoming / f"{secrets.token_hex(12)}.part"
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        """Bytes received so far."""
        return self._size

    async def write(self, data: bytes) -> None:
        if self._done:
            raise RuntimeError("the blob writer is closed")
        if not data:
            return
        self._pending.append(data)
        self._pending_size += len(data)
        self._size += len(data)
        if self._pending_size >= _WRITE_BATCH:
            await self._flush()

    async def _flush(self) -> None:
        batch, self._pending, self._pending_size = b"".join(self._pending), [], 0
        if batch:
            await anyio.to_thread.run_sync(self._write_sync, batch)

    def _write_sync(self, batch: bytes) -> None:
        if self._file is None:
            self._file = open(self._temp, "xb")  # noqa: SIM115 - closed by commit or abort
        self._file.write(batch)
        # hashlib releases the GIL for large buffers, so this runs beside the event loop.
        self._hash.update(batch)

    async def commit(self) -> StoredBlob:
        await self._flush()
        await anyio.to_thread.run_sync(self._commit_sync)
        self._done = True
        return StoredBlob(self.key, self._size, self._hash.hexdigest())

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
        self._pending = []
        await anyio.to_thread.run_sync(self._abort_sync)

    def _abort_sync(self) -> None:
        if self._file is not None:
            self._file.close()
        self._temp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry is data too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """Blobs as files under `root` (normally `<data_dir>/recordings`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / _INCOMING
        self.incoming.mkdir(parents=True, exist_ok=True)
        self._sweep_stale()

    def _sweep_stale(self) -> None:
        cutoff = time.time() - _STALE_SECONDS
        for leftover in self.incoming.glob("*.part"):
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

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
            _fsync_dir(path.parent)

        await anyio.to_thread.run_sync(remove)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(key).is_file)


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
