"""The audit trail's hash chain: each record commits to the one before it.

A record's hash covers its own canonical content and the previous record's hash, so editing,
inserting or deleting any record breaks every hash after it; `verify` finds the first break.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash covers: its fields (not the hashes), keys sorted."""
    body = {k: v for k, v in record.items() if k not in ("hash", "previous_hash", "id")}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def chain_hash(previous_hash: str, record: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode() + canonical(record)).hexdigest()


@dataclass(frozen=True)
class Break:
    position: int
    record_id: Any
    reason: str


def verify(records: Iterable[Mapping[str, Any]]) -> Break | None:
    """Check records in order; None when the chain is whole."""
    previous = GENESIS
    for position, record in enumerate(records):
        number = record.get("seq", record.get("id"))
        if record["previous_hash"] != previous:
            return Break(position, number, "does not follow the record before it")
        if chain_hash(previous, record) != record["hash"]:
            return Break(position, number, "was changed after it was written")
        previous = record["hash"]
    return None
