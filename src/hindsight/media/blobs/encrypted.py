"""Encryption at rest over any blob store: what it stores is ciphertext, what it gives is audio.

Writes (when encryption is on) are sealed a chunk at a time as they stream in (`chunks.py`);
at commit the object's key record (its wrapped data key, `envelope.py`) is stored under
`_keys/<key>` and then the object itself, so an object is never visible before its key.
Reads decrypt only the chunks a byte range needs. Objects stored before encryption was turned
on (no key record, no header) are read as they are, until `hindsight media encrypt` seals
them; an object with the header but no key record, or whose chunk fails its tag, is refused
(`BlobRefused`): never garbage audio.

Unwrapped data keys of recently read objects are kept in memory (a small LRU), so streaming
costs no extra request to the store after the first one.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import anyio

from hindsight.media.blobs import chunks
from hindsight.media.blobs.chunks import ChunkCipher, ChunkRefused, Layout
from hindsight.media.blobs.envelope import KeyRecord, Keyring, KeyringError, unwrap, wrap
from hindsight.media.blobs.seekable import SeekableReader
from hindsight.media.storage import (
    BlobInfo,
    BlobMissing,
    BlobRefused,
    BlobStore,
    BlobWriter,
    StoredBlob,
    put_bytes,
    read_all,
)

KEYS_PREFIX = "_keys/"
_CACHE = 4096


def record_key(key: str) -> str:
    return KEYS_PREFIX + key


def refused(key: str, why: str) -> BlobRefused:
    return BlobRefused(f"its stored bytes {why}")


@dataclass(frozen=True)
class Opened:
    """How to read one object: sealed (cipher and layout) or plain (neither)."""

    cipher: ChunkCipher | None
    layout: Layout | None
    plain_size: int


class EncryptedBlobStore:
    def __init__(
        self,
        inner: BlobStore,
        keyring: Keyring | None,
        encrypt: bool = True,
        chunk_size: int = chunks.DEFAULT_CHUNK,
    ) -> None:
        if encrypt and keyring is None:
            raise ValueError("encryption needs a keyring")
        self.inner = inner
        self.keyring = keyring
        self.encrypt = encrypt
        self.chunk_size = chunk_size
        self._opened: OrderedDict[str, Opened] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        # What the inner store offers besides the interface (incoming_bytes, root, ...).
        return getattr(self.inner, name)

    # --- writing ------------------------------------------------------------------------------

    def writer(self, key: str) -> BlobWriter:
        if not self.encrypt:
            return self.inner.writer(key)
        return SealingWriter(self, key)

    # --- reading ------------------------------------------------------------------------------

    async def opened(self, key: str) -> Opened:
        """How to read `key` (BlobMissing, BlobRefused)."""
        cached = self._opened.get(key)
        if cached is not None:
            self._opened.move_to_end(key)
            return cached
        try:
            record = KeyRecord.from_bytes(await read_all(self.inner, record_key(key)))
        except BlobMissing:
            record = None
        except KeyringError:
            raise refused(key, "have a damaged key record") from None
        head = await self._head(key)
        if record is None:
            if chunks.is_encrypted(head):
                raise refused(key, "have no key record")
            return Opened(None, None, await self.inner.size(key))
        if head != chunks.header(record.chunk_size, record.object_id):
            # `media encrypt` stores the key record first, then replaces the plain object:
            # in between the object is its plaintext, of the size the record gives.
            if not chunks.is_encrypted(head) and await self.inner.size(key) == record.plain_size:
                return Opened(None, None, record.plain_size)
            raise refused(key, "do not match their key record")
        if self.keyring is None:
            raise refused(key, "are encrypted and this server has no media keyring")
        try:
            data_key = unwrap(self.keyring, record, key)
        except KeyringError as failure:
            raise refused(key, f"cannot be decrypted ({failure})") from None
        found = Opened(
            ChunkCipher(data_key, record.object_id, key),
            Layout(record.plain_size, record.chunk_size),
            record.plain_size,
        )
        self._opened[key] = found
        if len(self._opened) > _CACHE:
            self._opened.popitem(last=False)
        return found

    async def _head(self, key: str) -> bytes:
        """The first bytes of the stored object, where an encrypted one has its header."""
        wanted = chunks.HEADER.size
        return b"".join([c async for c in await self.inner.open_range(key, 0, wanted)])

    async def open_range(self, key: str, start: int, length: int) -> AsyncIterator[bytes]:
        """Plaintext bytes `start` .. `start + length - 1`; the first chunk is checked before
        this returns, so a tampered start is refused before any header is sent."""
        opened = await self.opened(key)
        if opened.cipher is None or opened.layout is None:
            return await self.inner.open_range(key, start, length)
        layout = opened.layout
        length = max(0, min(length, layout.plain_size - start))
        first, last = layout.covering(start, length)
        offset, span = layout.stored_span(first, last)
        stored = await self.inner.open_range(key, offset, span)
        plain = _decrypting(stored, opened.cipher, layout, first, last)
        try:
            head = await anext(plain)
        except StopAsyncIteration:
            head = b""
        except BaseException:
            await plain.aclose()
            raise
        skip = start - first * layout.chunk_size
        return _trimmed(head, plain, skip, length)

    def open_reader(self, key: str) -> BinaryIO:
        opened = anyio.from_thread.run(self.opened, key)
        if opened.cipher is None or opened.layout is None:
            return self.inner.open_reader(key)
        return io.BufferedReader(
            _DecryptingReader(self.inner.open_reader(key), opened.cipher, opened.layout),
            buffer_size=opened.layout.chunk_size,
        )

    async def delete(self, key: str) -> None:
        self._opened.pop(key, None)
        await self.inner.delete(key)
        await self.inner.delete(record_key(key))

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def size(self, key: str) -> int:
        return (await self.opened(key)).plain_size

    async def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        async for info in self.inner.list_blobs(prefix):
            if not info.key.startswith(KEYS_PREFIX):
                yield info


async def _decrypting(
    stored: AsyncIterator[bytes], cipher: ChunkCipher, layout: Layout, first: int, last: int
) -> AsyncGenerator[bytes, None]:
    """Chunks `first` .. `last` decrypted, each only once its tag is checked."""
    index = first
    want = layout.plain_length(index) + chunks.TAG_BYTES
    buffer = bytearray()
    try:
        async for piece in stored:
            buffer += piece
            opened = []
            used = 0
            with memoryview(buffer) as view:
                while index <= last and len(buffer) - used >= want:
                    opened.append(_open(cipher, layout, index, view[used : used + want]))
                    used += want
                    index += 1
                    want = layout.plain_length(index) + chunks.TAG_BYTES
            del buffer[:used]
            if opened:
                # One write per stored piece, not per chunk: fewer, larger socket sends.
                yield b"".join(opened)
        if index <= last:
            raise refused(cipher.key, "are cut short")
    finally:
        aclose = getattr(stored, "aclose", None)
        if aclose is not None:
            await aclose()


def _open(cipher: ChunkCipher, layout: Layout, index: int, sealed: bytes | memoryview) -> bytes:
    try:
        return cipher.open(index, sealed, final=index == layout.chunks - 1)
    except ChunkRefused:
        raise refused(cipher.key, "fail their authentication tag") from None


async def _trimmed(
    head: bytes, rest: AsyncGenerator[bytes, None], skip: int, length: int
) -> AsyncIterator[bytes]:
    left = length
    try:
        piece = head[skip:]
        while left > 0:
            if piece:
                piece = piece[:left]
                left -= len(piece)
                yield piece
            if left > 0:
                piece = await anext(rest)
    except StopAsyncIteration:
        return
    finally:
        await rest.aclose()


class _DecryptingReader(SeekableReader):
    """A seekable plaintext file over a stored encrypted file (for probing, in a thread)."""

    def __init__(self, stored: BinaryIO, cipher: ChunkCipher, layout: Layout) -> None:
        super().__init__(layout.plain_size)
        self._stored, self._cipher, self._layout = stored, cipher, layout
        self._chunk_index = -1
        self._chunk = b""

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._layout.plain_size:
            return 0
        index = self._pos // self._layout.chunk_size
        if index != self._chunk_index:
            offset, span = self._layout.stored_span(index, index)
            self._stored.seek(offset)
            self._chunk = _open(self._cipher, self._layout, index, self._stored.read(span))
            self._chunk_index = index
        within = self._pos - index * self._layout.chunk_size
        data = self._chunk[within : within + len(buffer)]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._stored.close()
        super().close()


class SealingWriter:
    """Seals chunks as they stream in; the last full chunk waits until more comes or the
    upload ends, because a chunk's tag says whether it is the final one."""

    def __init__(self, store: EncryptedBlobStore, key: str) -> None:
        assert store.keyring is not None
        self.key = key
        self._store = store
        self._inner = store.inner.writer(key)
        self._object_id = secrets.token_bytes(16)
        self._data_key = secrets.token_bytes(32)
        self._cipher = ChunkCipher(self._data_key, self._object_id, key)
        self._chunk = store.chunk_size
        self._pending = bytearray()
        self._index = 0
        self._size = 0
        self._hash = hashlib.sha256()
        self._started = False

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._started:
            self._started = True
            await self._inner.write(chunks.header(self._chunk, self._object_id))
        self._size += len(data)
        self._hash.update(data)
        self._pending += data
        sealed = []
        used = 0
        # Keep at least one byte back: the chunk holding the last byte is sealed as final.
        with memoryview(self._pending) as view:
            while len(self._pending) - used > self._chunk:
                piece = view[used : used + self._chunk]
                sealed.append(self._cipher.seal(self._index, piece, final=False))
                piece.release()
                used += self._chunk
                self._index += 1
        del self._pending[:used]
        if sealed:
            await self._inner.write(b"".join(sealed))

    async def commit(self) -> StoredBlob:
        assert self._store.keyring is not None
        try:
            if not self._started:
                self._started = True
                await self._inner.write(chunks.header(self._chunk, self._object_id))
            last = self._cipher.seal(self._index, bytes(self._pending), final=True)
            await self._inner.write(last)
            kek_id, nonce, wrapped = wrap(
                self._store.keyring, self._data_key, self._object_id, self.key
            )
            record = KeyRecord(
                kek_id,
                nonce,
                wrapped,
                self._object_id,
                self._chunk,
                self._size,
                self._hash.hexdigest(),
            )
            await put_bytes(self._store.inner, record_key(self.key), record.to_bytes())
        except BaseException:
            await self._inner.abort()
            raise
        try:
            await self._inner.commit()
        except BaseException:
            await self._store.inner.delete(record_key(self.key))
            raise
        self._store._opened.pop(self.key, None)
        return StoredBlob(self.key, self._size, self._hash.hexdigest())

    async def abort(self) -> None:
        await self._inner.abort()
