"""The audit trail's hash chain: each record commits to the one before it, under a key.

A record's hash covers its own canonical content and the previous record's hash, so editing,
inserting or deleting any record breaks every hash after it; `verify` finds the first break.

The hash is an HMAC-SHA-256 under a key the database does not hold (the audit keyring,
audit/keyring.py): someone with database access alone can delete or edit records but cannot
recompute a chain that verifies. A keyed hash names its key, `k<number>` then 60 hex digits
of the MAC (240 bits, the column's 64 characters), so after a key rotation the records signed
with older keys still verify. Records written before keying (plain SHA-256, 64 hex digits) still
verify, but never after a keyed one: a rewrite cannot downgrade the chain.

Checkpoints (signed head, count and time) are published outside the database; `verify` checks
the chain still holds each one, so truncating or replacing the trail is detected too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

GENESIS = "0" * 64
_KEYED = re.compile(r"k(\d{3})[0-9a-f]{60}")
_MAC_HEX = 60
MAX_KEY_NUMBER = 999


@dataclass(frozen=True)
class ChainKey:
    number: int
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.number <= MAX_KEY_NUMBER:
            raise ValueError(f"audit key numbers run from 1 to {MAX_KEY_NUMBER}")
        if len(self.secret) < 32:
            raise ValueError("an audit key is at least 32 bytes")


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash covers: its fields (not the hashes), keys sorted."""
    body = {k: v for k, v in record.items() if k not in ("hash", "previous_hash", "id")}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def chain_hash(previous_hash: str, record: Mapping[str, Any]) -> str:
    """The unkeyed hash of records written before the chain was keyed."""
    return hashlib.sha256(previous_hash.encode() + canonical(record)).hexdigest()


def keyed_hash(key: ChainKey, previous_hash: str, record: Mapping[str, Any]) -> str:
    mac = hmac.new(key.secret, previous_hash.encode() + canonical(record), hashlib.sha256)
    return f"k{key.number:03d}" + mac.hexdigest()[:_MAC_HEX]


def key_number(hash_text: str) -> int | None:
    """The key a keyed hash was made with; None for an unkeyed one."""
    match = _KEYED.fullmatch(hash_text)
    return None if match is None else int(match.group(1))


def sign(key: ChainKey, message: bytes) -> str:
    """A MAC of anything published beside the chain (checkpoints)."""
    return hmac.new(
        key.secret, b"hindsight-audit-checkpoint:" + message, hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class Break:
    position: int
    record_id: Any
    reason: str


def _expected(record: Mapping[str, Any], previous: str, keys: Mapping[int, ChainKey]) -> str | None:
    number = key_number(record["hash"])
    if number is None:
        return chain_hash(previous, record)
    key = keys.get(number)
    return None if key is None else keyed_hash(key, previous, record)


def verify(
    records: Iterable[Mapping[str, Any]],
    keys: Mapping[int, ChainKey] | None = None,
    keyed_from: int = 1,
) -> Break | None:
    """Check records in order against the keyring `keys`; None when the chain is whole.
    From record number `keyed_from` on (and after any keyed record), every record is keyed."""
    keys = keys or {}
    previous = GENESIS
    keyed = False
    for position, record in enumerate(records):
        number = record.get("seq", record.get("id"))
        if record["previous_hash"] != previous:
            return Break(position, number, "does not follow the record before it")
        used = key_number(record["hash"])
        if used is None and (keyed or position + 1 >= keyed_from):
            return Break(position, number, "is not keyed: it was forged or re-chained")
        if used is not None and used not in keys:
            return Break(position, number, f"is signed with audit key {used}, not in the keyring")
        if _expected(record, previous, keys) != record["hash"]:
            return Break(position, number, "was changed after it was written")
        keyed = keyed or used is not None
        previous = record["hash"]
    return None
