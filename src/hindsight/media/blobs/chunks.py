"""The encrypted-object format: AES-GCM in fixed-size chunks, so a byte range decrypts alone.

An encrypted object is a 28-byte header (magic, chunk size, object id) followed by the
plaintext's chunks of `chunk_size` bytes (the last one shorter; an empty plaintext is one
empty chunk), each sealed with AES-256-GCM under the object's own data key and followed by its
16-byte tag. Each chunk's nonce is its index (a data key seals one object only, so an index is
never reused under a key) and its associated data binds:

* the object id and the blob key: a chunk moved into another object, or a whole object copied
  under another recording's key, fails its tag;
* the chunk index: chunks cannot be reordered;
* a final-chunk flag: an object cut short at a chunk boundary fails too (its new last chunk
  was sealed as not final).

The data key itself lives beside the object, wrapped by a key-encryption key (see
`envelope.py`), so rotating key-encryption keys never rewrites audio.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"HSMEDIA1"
HEADER = struct.Struct(">8sI16s")
TAG_BYTES = 16
DEFAULT_CHUNK = 64 * 1024
_AAD_PREFIX = b"hindsight-media-chunk\x01"


class ChunkRefused(Exception):
    """A chunk failed its authentication tag: the object was altered, cut or swapped."""


def header(chunk_size: int, object_id: bytes) -> bytes:
    return HEADER.pack(MAGIC, chunk_size, object_id)


def is_encrypted(head: bytes) -> bool:
    """Whether an object's first bytes are this format's header."""
    return head[: len(MAGIC)] == MAGIC


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(object_id: bytes, key: str, index: int, final: bool) -> bytes:
    return b"".join(
        (
            _AAD_PREFIX,
            object_id,
            key.encode(),
            index.to_bytes(8, "big"),
            b"\x01" if final else b"\0",
        )
    )


@dataclass(frozen=True)
class Layout:
    """Where the chunks of one encrypted object lie, from its plaintext size."""

    plain_size: int
    chunk_size: int = DEFAULT_CHUNK

    @property
    def chunks(self) -> int:
        return max(1, -(-self.plain_size // self.chunk_size))

    @property
    def stored_size(self) -> int:
        return HEADER.size + self.plain_size + TAG_BYTES * self.chunks

    def plain_length(self, index: int) -> int:
        return max(0, min(self.chunk_size, self.plain_size - index * self.chunk_size))

    def stored_offset(self, index: int) -> int:
        return HEADER.size + index * (self.chunk_size + TAG_BYTES)

    def covering(self, start: int, length: int) -> tuple[int, int]:
        """The first and last chunk holding plaintext bytes `start` .. `start + length - 1`."""
        first = start // self.chunk_size
        last = max(first, (start + max(length, 1) - 1) // self.chunk_size)
        return first, min(last, self.chunks - 1)

    def stored_span(self, first: int, last: int) -> tuple[int, int]:
        """(offset, length) of chunks `first` .. `last` in the stored object."""
        offset = self.stored_offset(first)
        end = self.stored_offset(last) + self.plain_length(last) + TAG_BYTES
        return offset, end - offset


@dataclass(frozen=True)
class ChunkCipher:
    """Seals and opens the chunks of one object."""

    data_key: bytes
    object_id: bytes
    key: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", AESGCM(self.data_key))

    def seal(self, index: int, plaintext: bytes | memoryview, final: bool) -> bytes:
        aead: AESGCM = self._aead  # type: ignore[attr-defined]
        return aead.encrypt(_nonce(index), plaintext, _aad(self.object_id, self.key, index, final))

    def open(self, index: int, sealed: bytes | memoryview, final: bool) -> bytes:
        aead: AESGCM = self._aead  # type: ignore[attr-defined]
        try:
            return aead.decrypt(_nonce(index), sealed, _aad(self.object_id, self.key, index, final))
        except InvalidTag:
            raise ChunkRefused(
                f"chunk {index} of {self.key} failed its authentication tag"
            ) from None
