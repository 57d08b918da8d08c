"""The encrypted-object format and the envelope, without any store."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.media.blobs import chunks
from hindsight.media.blobs.chunks import ChunkCipher, ChunkRefused, Layout
from hindsight.media.blobs.envelope import (
    KeyRecord,
    Keyring,
    KeyringError,
    parse_keys,
    read_keyring,
    rewrapped,
    unwrap,
    wrap,
    write_keyring,
)


def _cipher(key: str = "AC1/RE1") -> ChunkCipher:
    return ChunkCipher(secrets.token_bytes(32), secrets.token_bytes(16), key)


def test_a_chunk_opens_only_where_it_was_sealed() -> None:
    cipher = _cipher()
    sealed = cipher.seal(3, b"audio", final=False)
    assert cipher.open(3, sealed, final=False) == b"audio"
    with pytest.raises(ChunkRefused):
        cipher.open(4, sealed, final=False)  # moved
    with pytest.raises(ChunkRefused):
        cipher.open(3, sealed, final=True)  # passed off as the last chunk
    other_object = ChunkCipher(cipher.data_key, secrets.token_bytes(16), cipher.key)
    with pytest.raises(ChunkRefused):
        other_object.open(3, sealed, final=False)
    other_key = ChunkCipher(cipher.data_key, cipher.object_id, "AC1/RE2")
    with pytest.raises(ChunkRefused):
        other_key.open(3, sealed, final=False)
    flipped = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(ChunkRefused):
        cipher.open(3, flipped, final=False)


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(0, 10_000),
    chunk=st.integers(1, 3000),
    start=st.integers(0, 10_000),
    length=st.integers(0, 10_000),
)
def test_layout_covers_exactly_the_range(size: int, chunk: int, start: int, length: int) -> None:
    layout = Layout(size, chunk)
    assert layout.stored_size == chunks.HEADER.size + size + chunks.TAG_BYTES * layout.chunks
    assert sum(layout.plain_length(i) for i in range(layout.chunks)) == size
    if start >= size or length == 0:
        return
    length = min(length, size - start)
    first, last = layout.covering(start, length)
    assert first * chunk <= start
    assert last * chunk + layout.plain_length(last) >= start + length
    offset, span = layout.stored_span(first, last)
    assert offset + span <= layout.stored_size


def test_keys_parse_and_refuse_bad_input(tmp_path) -> None:
    good = "a:" + "11" * 32 + ", b:" + "22" * 32
    ring = parse_keys(good)
    assert ring.current == "a" and set(ring.keys) == {"a", "b"}
    for bad in ("", "a:12", "a:" + "zz" * 32, ":" + "11" * 32, "a b:" + "11" * 32):
        with pytest.raises(KeyringError):
            parse_keys(bad)
    path = tmp_path / "keys.json"
    write_keyring(path, ring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_keyring(path) == ring
    path.write_text("{not json")
    with pytest.raises(KeyringError):
        read_keyring(path)
    path.write_text('{"current": "x", "keys": {}}')
    with pytest.raises(KeyringError):
        read_keyring(path)
    assert read_keyring(tmp_path / "absent.json") is None


def test_rotation_rewraps_the_same_data_key() -> None:
    ring = Keyring("k1", {"k1": secrets.token_bytes(32)})
    data_key, object_id = secrets.token_bytes(32), secrets.token_bytes(16)
    kek, nonce, wrapped = wrap(ring, data_key, object_id, "AC1/RE1")
    record = KeyRecord(kek, nonce, wrapped, object_id, 65536, 10, "0" * 64)
    assert KeyRecord.from_bytes(record.to_bytes()) == record
    newer = ring.with_new_key()
    moved = rewrapped(newer, record, "AC1/RE1")
    assert moved.kek_id == newer.current != "k1"
    assert unwrap(newer, moved, "AC1/RE1") == data_key
    # The old key alone no longer opens it; a record copied to another object does not open.
    with pytest.raises(KeyringError):
        unwrap(ring, moved, "AC1/RE1")
    with pytest.raises(KeyringError):
        unwrap(newer, moved, "AC1/RE2")


@pytest.mark.parametrize(
    "damaged",
    [b"", b"{}", b"[1]", b'{"v": 2}', b"\xff\xfe", b'{"v":1,"kek":"k","nonce":"!!"}'],
)
def test_a_damaged_key_record_is_refused(damaged: bytes) -> None:
    with pytest.raises(KeyringError):
        KeyRecord.from_bytes(damaged)


def test_processes_starting_at_once_share_the_first_key(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hindsight.media.blobs.envelope import load_or_create

    path = tmp_path / "media-keys.json"
    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: load_or_create(path), range(8)))
    assert all(ring == rings[0] for ring in rings)
    assert read_keyring(path) == rings[0]
    assert [p.name for p in tmp_path.iterdir()] == ["media-keys.json"]  # no temporary left
