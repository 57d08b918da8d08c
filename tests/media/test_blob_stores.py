"""Every blob store behaves alike: local and S3 (moto's real server), plain and encrypted.

Then what only one of them can do wrong: an encrypted object that was altered, cut short,
swapped or lost its key is refused, never returned as audio; an S3 store that fails in any
way (down, slow, 500, wrong credentials, no bucket, stopping mid-body) is `BlobUnavailable`
and leaves no half-written object."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.media.blobs.encrypted import EncryptedBlobStore, record_key
from hindsight.media.blobs.envelope import Keyring
from hindsight.media.blobs.s3 import S3BlobStore, S3Options
from hindsight.media.storage import (
    BlobMissing,
    BlobRefused,
    BlobStore,
    BlobUnavailable,
    IncomingFull,
    LocalBlobStore,
    put_bytes,
    read_all,
)
from tests.support.s3_server import (
    ACCESS_KEY,
    SECRET_KEY,
    FaultyProxy,
    S3Server,
    start_s3_server,
)

KINDS = ("local", "local-encrypted", "s3", "s3-encrypted")
MiB = 1024 * 1024


def run(coro):
    return asyncio.run(coro)


def s3_store(endpoint: str, bucket: str, **overrides) -> S3BlobStore:
    budget = overrides.pop("max", 64 * MiB)
    options = {
        "bucket": bucket,
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "prefix": "hs/",
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "path_style": True,
        "part_size": 5 * MiB,
        **overrides,
    }
    return S3BlobStore(S3Options(**options), max_incoming_bytes=budget)


def keyring() -> Keyring:
    return Keyring("k1", {"k1": secrets.token_bytes(32)})


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket(f"b-{secrets.token_hex(6)}")


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    kind: str = request.param
    if kind.startswith("s3"):
        server: S3Server = request.getfixturevalue("s3_server")
        inner: BlobStore = s3_store(server.endpoint, request.getfixturevalue("bucket"))
    else:
        inner = LocalBlobStore(tmp_path / "recordings")
    if kind.endswith("encrypted"):
        return EncryptedBlobStore(inner, keyring(), chunk_size=4096)
    return inner


async def _read(store: BlobStore, key: str, start: int, length: int) -> bytes:
    return b"".join([chunk async for chunk in await store.open_range(key, start, length)])


async def _write(store: BlobStore, key: str, data: bytes, piece: int = 65536) -> None:
    writer = store.writer(key)
    for at in range(0, len(data), piece):
        await writer.write(data[at : at + piece])
    blob = await writer.commit()
    assert (blob.size, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_ranges_read_back_what_was_written(store: BlobStore) -> None:
    data = os.urandom(300_001)
    rng = random.Random(7)

    async def scenario() -> None:
        await _write(store, "AC1/RE1", data, piece=7777)
        assert await store.exists("AC1/RE1") and await store.size("AC1/RE1") == len(data)
        assert await _read(store, "AC1/RE1", 0, len(data)) == data
        for _ in range(25):
            start = rng.randrange(len(data))
            length = rng.randrange(1, len(data) - start + 1)
            assert await _read(store, "AC1/RE1", start, length) == data[start : start + length]
        assert await _read(store, "AC1/RE1", len(data) - 1, 1) == data[-1:]

    run(scenario())


def test_a_seekable_reader_reads_any_offset(store: BlobStore) -> None:
    import anyio

    data = os.urandom(50_000)

    async def scenario() -> None:
        await _write(store, "AC1/RE2", data)

        def probe() -> tuple[bytes, bytes, int]:
            with store.open_reader("AC1/RE2") as reader:
                head = reader.read(12)
                reader.seek(40_000)
                middle = reader.read(5000)
                end = reader.seek(0, 2)
                return head, middle, end

        head, middle, end = await anyio.to_thread.run_sync(probe)
        assert head == data[:12] and middle == data[40_000:45_000] and end == len(data)

    run(scenario())


def test_missing_blobs_and_deletion(store: BlobStore) -> None:
    async def scenario() -> None:
        with pytest.raises(BlobMissing):
            await store.open_range("AC1/NONE", 0, 10)
        with pytest.raises(BlobMissing):
            await store.size("AC1/NONE")
        assert not await store.exists("AC1/NONE")
        await store.delete("AC1/NONE")  # deleting what is not there is no error
        await _write(store, "AC1/RE3", b"x" * 5000)
        await _write(store, "AC2/RE4", b"y" * 10)
        listed = sorted([info.key async for info in store.list_blobs()])
        assert listed == ["AC1/RE3", "AC2/RE4"]  # never the key records
        assert [i.key async for i in store.list_blobs("AC2/")] == ["AC2/RE4"]
        await store.delete("AC1/RE3")
        assert not await store.exists("AC1/RE3")
        with pytest.raises(BlobMissing):
            await store.open_range("AC1/RE3", 0, 10)
        inner = getattr(store, "inner", store)
        assert [i.key async for i in inner.list_blobs()] == (
            ["AC2/RE4", "_keys/AC2/RE4"] if inner is not store else ["AC2/RE4"]
        )

    run(scenario())


def test_an_aborted_upload_leaves_nothing(store: BlobStore) -> None:
    async def scenario() -> None:
        writer = store.writer("AC1/RE5")
        await writer.write(os.urandom(6 * MiB))  # past one S3 part: a multipart upload
        await writer.abort()
        inner = getattr(store, "inner", store)
        assert [i.key async for i in inner.list_blobs()] == []
        if isinstance(inner, S3BlobStore):
            uploads = inner._client.list_multipart_uploads(Bucket=inner.bucket)
            assert uploads.get("Uploads", []) == []
        assert inner.incoming_bytes == 0

    run(scenario())


def test_large_blobs_go_up_in_parts_without_holding_the_file(store: BlobStore) -> None:
    data = os.urandom(17 * MiB + 3)
    inner = getattr(store, "inner", store)

    async def scenario() -> None:
        writer = store.writer("AC1/BIG")
        most = 0
        for at in range(0, len(data), MiB):
            await writer.write(data[at : at + MiB])
            most = max(most, inner.incoming_bytes)
        await writer.commit()
        if isinstance(inner, S3BlobStore):
            # At most a part and a write are buffered at once.
            assert most <= inner.options.part_size + 2 * MiB
            head = inner._client.head_object(Bucket=inner.bucket, Key="hs/AC1/BIG")
            assert "-" in head["ETag"]  # a multipart upload's ETag
        stream = await store.open_range("AC1/BIG", 9 * MiB, 3 * MiB)
        assert b"".join([c async for c in stream]) == data[9 * MiB : 12 * MiB]

    run(scenario())


# --- encrypted objects refused when altered ---------------------------------------------------


@pytest.fixture(params=("local", "s3"))
def sealed(request: pytest.FixtureRequest, tmp_path: Path) -> EncryptedBlobStore:
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        inner: BlobStore = s3_store(server.endpoint, request.getfixturevalue("bucket"))
    else:
        inner = LocalBlobStore(tmp_path / "recordings")
    return EncryptedBlobStore(inner, keyring(), chunk_size=4096)


async def _replace(store: BlobStore, key: str, data: bytes) -> None:
    await put_bytes(store, key, data)


def test_what_is_stored_is_not_the_audio(sealed: EncryptedBlobStore) -> None:
    data = b"RIFF" + b"speech " * 5000

    async def scenario() -> None:
        await _write(sealed, "AC1/RE1", data)
        stored = await read_all(sealed.inner, "AC1/RE1")
        assert b"speech" not in stored and stored.startswith(b"HSMEDIA1")
        assert len(stored) == 28 + len(data) + 16 * -(-len(data) // 4096)

    run(scenario())


@pytest.mark.parametrize("where", ["first", "middle", "last", "header"])
def test_a_flipped_byte_is_refused(sealed: EncryptedBlobStore, where: str) -> None:
    data = os.urandom(40_000)

    async def scenario() -> None:
        await _write(sealed, "AC1/RE1", data)
        stored = bytearray(await read_all(sealed.inner, "AC1/RE1"))
        at = {"first": 40, "middle": len(stored) // 2, "last": len(stored) - 3, "header": 20}
        stored[at[where]] ^= 0x01
        await _replace(sealed.inner, "AC1/RE1", bytes(stored))
        fresh = EncryptedBlobStore(sealed.inner, sealed.keyring)
        with pytest.raises(BlobRefused):
            await _read(fresh, "AC1/RE1", 0, len(data))
        if where == "first":
            # Refused before any byte is given: the answer's headers are not sent yet.
            with pytest.raises(BlobRefused):
                await fresh.open_range("AC1/RE1", 0, 100)
            # A range that does not touch the altered chunk still plays.
            assert await _read(fresh, "AC1/RE1", 20_000, 100) == data[20_000:20_100]

    run(scenario())


def test_cut_swapped_or_keyless_objects_are_refused(sealed: EncryptedBlobStore) -> None:
    one, two = os.urandom(20_000), os.urandom(20_000)

    async def scenario() -> None:
        await _write(sealed, "AC1/RE1", one)
        await _write(sealed, "AC1/RE2", two)
        stored_one = await read_all(sealed.inner, "AC1/RE1")
        stored_two = await read_all(sealed.inner, "AC1/RE2")
        inner = sealed.inner

        # Cut short at a chunk boundary: the new last chunk was not sealed as final.
        await _replace(inner, "AC1/RE1", stored_one[: 28 + 2 * (4096 + 16)])
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE1", 0, 20_000)

        # Another recording's object and key record copied over this one.
        await _replace(inner, "AC1/RE1", stored_two)
        await _replace(inner, record_key("AC1/RE1"), await read_all(inner, record_key("AC1/RE2")))
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE1", 0, 100)

        # Chunks swapped within an object.
        chunk = 4096 + 16
        swapped = stored_two[:28] + stored_two[28 + chunk : 28 + 2 * chunk]
        swapped += stored_two[28 : 28 + chunk] + stored_two[28 + 2 * chunk :]
        await _replace(inner, "AC1/RE2", swapped)
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE2", 0, 100)

        # The key record lost, or sealed by a key this server does not have.
        await _replace(inner, "AC1/RE2", stored_two)
        assert await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE2", 0, 50) == two[:50]
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, keyring()), "AC1/RE2", 0, 50)
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, None, encrypt=False), "AC1/RE2", 0, 50)
        await inner.delete(record_key("AC1/RE2"))
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE2", 0, 50)
        await _replace(inner, record_key("AC1/RE2"), b"{garbage")
        with pytest.raises(BlobRefused):
            await _read(EncryptedBlobStore(inner, sealed.keyring), "AC1/RE2", 0, 50)

    run(scenario())


def test_plain_objects_stay_readable_once_encryption_is_on(sealed: EncryptedBlobStore) -> None:
    data = os.urandom(9000)

    async def scenario() -> None:
        await _write(sealed.inner, "AC1/OLD", data)  # written before encryption
        assert await _read(sealed, "AC1/OLD", 100, 200) == data[100:300]
        assert await sealed.size("AC1/OLD") == len(data)

    run(scenario())


# --- an S3 store that fails -------------------------------------------------------------------


@pytest.fixture
def proxy(s3_server: S3Server) -> Iterator[FaultyProxy]:
    running = FaultyProxy(s3_server.port)
    try:
        yield running
    finally:
        running.stop()


def _faulty(proxy: FaultyProxy, bucket: str, **overrides) -> S3BlobStore:
    return s3_store(proxy.endpoint, bucket, max_attempts=1, **overrides)


@pytest.mark.parametrize("mode", ["error500", "down", "slow"])
def test_a_failing_store_is_unavailable_not_an_error(
    proxy: FaultyProxy, bucket: str, mode: str
) -> None:
    store = _faulty(proxy, bucket, read_timeout=0.5)
    data = os.urandom(10_000)

    async def scenario() -> None:
        await _write(store, "AC1/RE1", data)
        proxy.faults.mode, proxy.faults.delay = mode, 3.0
        with pytest.raises(BlobUnavailable):
            await _read(store, "AC1/RE1", 0, 100)
        with pytest.raises(BlobUnavailable):
            await store.size("AC1/RE1")
        with pytest.raises(BlobUnavailable):
            await _write(store, "AC1/RE2", data)
        proxy.faults.mode = "pass"
        # Nothing half-written, and the store works again once it is back.
        assert [i.key async for i in store.list_blobs()] == ["AC1/RE1"]
        assert await _read(store, "AC1/RE1", 0, len(data)) == data

    run(scenario())


def test_a_store_stopping_mid_body_ends_the_stream_unavailable(
    proxy: FaultyProxy, bucket: str
) -> None:
    store = _faulty(proxy, bucket)
    data = os.urandom(2 * MiB)

    async def scenario() -> None:
        await _write(store, "AC1/RE1", data)
        proxy.faults.mode, proxy.faults.cut_after = "cut", 600_000
        stream = await store.open_range("AC1/RE1", 0, len(data))
        got = b""
        with pytest.raises(BlobUnavailable):
            async for chunk in stream:
                got += chunk
        assert data.startswith(got) and len(got) < len(data)
        # Encrypted: the same, and never a byte that was not authenticated.
        proxy.faults.mode = "pass"
        sealed = EncryptedBlobStore(store, keyring(), chunk_size=4096)
        await _write(sealed, "AC1/RE2", data)
        proxy.faults.mode = "cut"
        got = b""
        with pytest.raises((BlobUnavailable, BlobRefused)):
            async for chunk in await sealed.open_range("AC1/RE2", 0, len(data)):
                got += chunk
        assert data.startswith(got) and len(got) < len(data)

    run(scenario())


def test_an_upload_failing_mid_way_leaves_no_object(proxy: FaultyProxy, bucket: str) -> None:
    store = _faulty(proxy, bucket)

    async def scenario() -> None:
        writer = store.writer("AC1/RE1")
        await writer.write(os.urandom(6 * MiB))  # the first part is sent
        proxy.faults.mode = "error500"
        with pytest.raises(BlobUnavailable):
            await writer.write(os.urandom(6 * MiB))
        await writer.abort()
        proxy.faults.mode = "pass"
        assert [i.key async for i in store.list_blobs()] == []
        # The multipart upload was aborted (or the lifecycle rule will remove it); no object.
        assert not await store.exists("AC1/RE1")
        assert store.incoming_bytes == 0

    run(scenario())


def test_wrong_credentials_and_a_missing_bucket(s3_server: S3Server, bucket: str) -> None:
    async def scenario() -> None:
        nowhere = s3_store(s3_server.endpoint, "no-such-bucket-here")
        with pytest.raises(BlobUnavailable, match="unavailable"):
            await nowhere.check()
        with pytest.raises(BlobUnavailable):
            await nowhere.size("AC1/RE1")  # not "no such recording"
        with pytest.raises(BlobUnavailable):
            await nowhere.exists("AC1/RE1")
        with pytest.raises(BlobUnavailable):
            await _write(nowhere, "AC1/RE1", b"data")
        with pytest.raises(BlobUnavailable):
            await _read(nowhere, "AC1/RE1", 0, 4)
        closed = s3_store("http://127.0.0.1:9", bucket, max_attempts=1, connect_timeout=1)
        with pytest.raises(BlobUnavailable):
            await closed.check()

    run(scenario())


def test_the_incoming_budget_holds_for_s3(s3_server: S3Server, bucket: str) -> None:
    store = s3_store(s3_server.endpoint, bucket, max=MiB)

    async def scenario() -> None:
        writer = store.writer("AC1/RE1")
        await writer.write(b"x" * (MiB - 10))
        with pytest.raises(IncomingFull):
            await writer.write(b"x" * 100)
        await writer.abort()
        assert store.incoming_bytes == 0

    run(scenario())


def test_wrong_credentials_are_unavailable_not_an_error() -> None:
    server = start_s3_server(checks_credentials=True)
    try:
        bucket = server.create_bucket("checked-bucket")

        async def scenario() -> None:
            right = s3_store(
                server.endpoint,
                bucket,
                access_key_id=server.access_key,
                secret_access_key=server.secret_key,
            )
            await _write(right, "AC1/RE1", b"audio")
            for wrong in (
                {"access_key_id": server.access_key, "secret_access_key": "wrong"},
                {"access_key_id": "AKIANOBODY0000000000", "secret_access_key": "wrong"},
            ):
                refused = s3_store(server.endpoint, bucket, **wrong)
                with pytest.raises(BlobUnavailable):
                    await refused.check()
                with pytest.raises(BlobUnavailable):
                    await _read(refused, "AC1/RE1", 0, 5)
                with pytest.raises(BlobUnavailable):
                    await _write(refused, "AC1/RE2", b"audio")
            assert [i.key async for i in right.list_blobs()] == ["AC1/RE1"]

        run(scenario())
    finally:
        server.stop()
