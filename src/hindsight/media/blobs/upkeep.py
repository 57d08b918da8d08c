"""Upkeep of the media store: encrypt what is not yet, rotate key-encryption keys, move an
installation from local files to object storage, find orphans. Each walks the store one object
at a time and can be stopped and run again: what is done is recognised and skipped.

`progress(key, bytes)` is called after each object so the command can draw a bar.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hindsight.media.blobs import chunks
from hindsight.media.blobs.encrypted import KEYS_PREFIX, EncryptedBlobStore, record_key
from hindsight.media.blobs.envelope import KeyRecord, Keyring, rewrapped
from hindsight.media.storage import (
    BlobInfo,
    BlobStore,
    BlobWriter,
    StoredBlob,
    put_bytes,
    read_all,
)

Progress = Callable[[str, int], None]


def _quiet(key: str, size: int) -> None:
    pass


@dataclass
class Tally:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    bytes: int = 0

    def checked(self, key: str, size: int, failure: str | None) -> None:
        """Count an object written and read back: done (with its bytes), or why it failed."""
        if failure is not None:
            self.failed[key] = failure
        else:
            self.done.append(key)
            self.bytes += size


async def _copy(source: BlobStore, info: BlobInfo, writer: BlobWriter) -> StoredBlob:
    """Stream the object `info` from `source` through `writer`; on any failure the writer is
    aborted, so no partial object is left behind."""
    try:
        async for chunk in await source.open_range(info.key, 0, info.size):
            await writer.write(chunk)
        return await writer.commit()
    except BaseException:
        await writer.abort()
        raise


async def _head(store: BlobStore, key: str) -> bytes:
    return b"".join([c async for c in await store.open_range(key, 0, chunks.HEADER.size)])


async def media_blobs(store: BlobStore) -> list[BlobInfo]:
    """The media objects (not key records) in a raw store."""
    return [i async for i in store.list_blobs() if not i.key.startswith(KEYS_PREFIX)]


async def unencrypted(sealed: EncryptedBlobStore) -> list[BlobInfo]:
    """Objects stored in plain (written before encryption was on)."""
    found = []
    for info in await media_blobs(sealed.inner):
        if not chunks.is_encrypted(await _head(sealed.inner, info.key)):
            found.append(info)
    return found


async def _sha256(store: BlobStore, key: str, size: int) -> str:
    digest = hashlib.sha256()
    async for chunk in await store.open_range(key, 0, size):
        digest.update(chunk)
    return digest.hexdigest()


async def encrypt(
    sealed: EncryptedBlobStore, todo: Iterable[BlobInfo], progress: Progress = _quiet
) -> Tally:
    """Seal each plain object in place, then check it decrypts to the same SHA-256."""
    tally = Tally()
    for info in todo:
        if chunks.is_encrypted(await _head(sealed.inner, info.key)):
            tally.skipped.append(info.key)  # done by a run that was interrupted after it
            progress(info.key, info.size)
            continue
        stored = await _copy(sealed.inner, info, sealed.writer(info.key))
        same = await _sha256(sealed, info.key, stored.size) == stored.sha256
        tally.checked(info.key, stored.size, None if same else "does not decrypt to what was read")
        progress(info.key, info.size)
    return tally


async def key_records(inner: BlobStore) -> list[BlobInfo]:
    return [i async for i in inner.list_blobs(KEYS_PREFIX)]


async def rotate(inner: BlobStore, keyring: Keyring, progress: Progress = _quiet) -> Tally:
    """Re-wrap every object's data key with the keyring's current key (audio untouched)."""
    tally = Tally()
    for info in await key_records(inner):
        key = info.key[len(KEYS_PREFIX) :]
        record = KeyRecord.from_bytes(await read_all(inner, info.key))
        if record.kek_id == keyring.current:
            tally.skipped.append(key)
        else:
            await put_bytes(inner, record_key(key), rewrapped(keyring, record, key).to_bytes())
            tally.done.append(key)
        progress(key, info.size)
    return tally


async def kek_ids_in_use(inner: BlobStore) -> set[str]:
    used = set()
    for info in await key_records(inner):
        used.add(KeyRecord.from_bytes(await read_all(inner, info.key)).kek_id)
    return used


async def migrate(source: BlobStore, target: BlobStore, progress: Progress = _quiet) -> Tally:
    """Copy every object (and key record) to `target`, each verified by SHA-256 read back
    from the target. Objects already there with the same checksum are skipped. Nothing is
    deleted here: see `delete_migrated`."""
    tally = Tally()
    async for info in source.list_blobs():
        source_sha = await _sha256(source, info.key, info.size)
        if await _same(target, info, source_sha):
            tally.skipped.append(info.key)
            progress(info.key, info.size)
            continue
        stored = await _copy(source, info, target.writer(info.key))
        copied = await _sha256(target, info.key, stored.size)
        same = stored.sha256 == source_sha == copied
        tally.checked(info.key, info.size, None if same else "the copy's checksum differs")
        progress(info.key, info.size)
    return tally


async def _same(target: BlobStore, info: BlobInfo, sha256: str) -> bool:
    """Whether `target` holds `info.key` with this size and checksum."""
    if not await target.exists(info.key) or await target.size(info.key) != info.size:
        return False
    return await _sha256(target, info.key, info.size) == sha256


async def delete_migrated(
    source: BlobStore, target: BlobStore, progress: Progress = _quiet
) -> Tally:
    """Delete from `source` only what `target` holds with the same checksum (checked again)."""
    tally = Tally()
    async for info in source.list_blobs():
        if await _same(target, info, await _sha256(source, info.key, info.size)):
            await source.delete(info.key)
            tally.done.append(info.key)
        else:
            tally.failed[info.key] = "not in the object store with the same checksum"
        progress(info.key, info.size)
    return tally


async def orphans(store: BlobStore, known: set[str], older_than: float) -> list[BlobInfo]:
    """Objects no recording names, last written before `older_than` (epoch seconds: uploads
    in progress are not orphans yet)."""
    return [i for i in await media_blobs(store) if i.key not in known and i.modified < older_than]
