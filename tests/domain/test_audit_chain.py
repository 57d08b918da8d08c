"""Keyed chain rules: a record names its key; unkeyed records only before keying began."""

from __future__ import annotations

from hindsight.domain.audit_chain import GENESIS, ChainKey, chain_hash, keyed_hash, verify

KEY = ChainKey(1, b"k" * 32)
OTHER = ChainKey(1, b"x" * 32)


def _chain(kinds: str, key: ChainKey = KEY) -> list[dict]:
    """Records whose hashes are unkeyed (`u`) or keyed (`k`), in order."""
    out, previous = [], GENESIS
    for seq, kind in enumerate(kinds, start=1):
        record = {"seq": seq, "action": "x", "previous_hash": previous}
        record["hash"] = previous = (
            chain_hash(previous, record) if kind == "u" else keyed_hash(key, previous, record)
        )
        out.append(record)
    return out


def test_a_keyed_hash_names_its_key_and_fits_the_column():
    [record] = _chain("k")
    assert record["hash"].startswith("k001") and len(record["hash"]) == 64
    assert verify([record], {1: KEY}) is None


def test_records_written_before_keying_still_verify():
    assert verify(_chain("uuukk"), {1: KEY}, keyed_from=4) is None


def test_an_unkeyed_record_where_keying_had_begun_is_refused():
    assert verify(_chain("uuuuu"), {1: KEY}, keyed_from=4).record_id == 4
    assert verify(_chain("uukuk"), {1: KEY}, keyed_from=1).record_id == 1
    assert verify(_chain("ukuk"), {1: KEY}, keyed_from=99).record_id == 3


def test_a_chain_made_with_another_key_does_not_verify():
    broken = verify(_chain("kk", OTHER), {1: KEY})
    assert broken is not None and broken.reason == "was changed after it was written"


def test_the_key_is_never_printed():
    assert "k" * 32 not in repr(KEY)
