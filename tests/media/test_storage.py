"""The local blob store: blobs appear whole under their key or not at all."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from pathlib import Path

import pytest

from hindsight.media.storage import BlobMissing, LocalBlobStore, check_key


def run(coro):
    return asyncio.run(coro)


def test_commit_makes_the_blob_appear_whole(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "recordings")
    data = os.urandom(3 * 1024 * 1024 + 17)

    async def scenario() -> None:
        writer = store.writer("AC1/RE1")
        for start in range(0, len(data), 65536):
            await writer.write(data[start : start + 65536])
            # Nothing is visible under the key while the upload is under way.
            assert not await store.exists("AC1/RE1")
        blob = await writer.commit()
        assert (blob.key, blob.size, blob.sha256) == (
            "AC1/RE1",
            len(data),
            hashlib.sha256(data).hexdigest(),
        )
        assert await store.exists("AC1/RE1")
        stream = await store.open_range("AC1/RE1", 1000, 300_000)
        read = b"".join([chunk async for chunk in stream])
        assert read == data[1000:301_000]

    run(scenario())
    assert (tmp_path / "recordings" / "AC1" / "RE1").read_bytes() == data
    assert list((tmp_path / "recordings" / ".incoming").iterdir()) == []


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    async def scenario() -> None:
        writer = store.writer("AC1/RE2")
        await writer.write(b"x" * (2 * 1024 * 1024))
        assert len(list(store.incoming.iterdir())) == 1
        await writer.abort()
        await writer.abort()  # twice is harmless

    run(scenario())
    assert list(store.incoming.iterdir()) == []
    assert not (tmp_path / "AC1" / "RE2").exists()


def test_delete_and_missing_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    async def scenario() -> None:
        writer = store.writer("AC1/RE3")
        await writer.write(b"abc")
        await writer.commit()
        await store.delete("AC1/RE3")
        assert not await store.exists("AC1/RE3")
        await store.delete("AC1/RE3")
        with pytest.raises(BlobMissing):
            await store.open_range("AC1/RE3", 0, 3)

    run(scenario())


def test_an_empty_blob_can_be_committed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    blob = run(store.writer("AC1/RE4").commit())
    assert blob.size == 0 and (tmp_path / "AC1" / "RE4").read_bytes() == b""


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "a//b", "", "a/.hidden"])
def test_keys_never_leave_the_store(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_stale_temporary_files_are_swept_at_start(tmp_path: Path) -> None:
    incoming = tmp_path / ".incoming"
    incoming.mkdir()
    stale, fresh = incoming / "old.part", incoming / "new.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    day_ago = time.time() - 2 * 86400
    os.utime(stale, (day_ago, day_ago))
    LocalBlobStore(tmp_path)
    assert not stale.exists() and fresh.exists()
