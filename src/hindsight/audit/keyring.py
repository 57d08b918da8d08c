"""The audit keyring: the keys the audit chain is signed with, kept outside the database.

A JSON file (`<data_dir>/audit-keys.json` by default, mode 0600) created on first start:
`{"current": 2, "keyed_from": 1, "keys": {"1": "<64 hex>", "2": "<64 hex>"}}`. Rotating adds
a key and makes it current; older keys stay, so the records they signed keep verifying.
`keyed_from` is the first record signed with a key: records before it were written by a version
that did not key the chain; from it on, an unkeyed record is a forgery. Every server process
of a deployment needs the same file (as it needs the same `secret.key`); a copy of the database
alone cannot recompute the chain.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from hindsight.domain.audit_chain import MAX_KEY_NUMBER, ChainKey
from hindsight.private_files import write_private_file


class KeyringError(Exception):
    """The keyring file is missing a key, malformed or unreadable."""


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[int, ChainKey]
    current: ChainKey
    keyed_from: int = 1


def _parse(text: str, path: Path) -> Keyring:
    try:
        document = orjson.loads(text)
        keys = {
            int(number): ChainKey(int(number), bytes.fromhex(secret))
            for number, secret in document["keys"].items()
        }
        current = keys[int(document["current"])]
        keyed_from = int(document.get("keyed_from", 1))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise KeyringError(f"the audit keyring {path} is malformed ({exc})") from None
    return Keyring(keys, current, keyed_from)


def _write(path: Path, keyring: Keyring, *, replace: bool = True) -> None:
    """Write the keyring atomically; with `replace=False`, only if no keyring exists yet
    (FileExistsError otherwise), so processes starting together agree on one first key."""
    document = {
        "current": keyring.current.number,
        "keyed_from": keyring.keyed_from,
        "keys": {str(n): key.secret.hex() for n, key in sorted(keyring.keys.items())},
    }
    write_private_file(path, orjson.dumps(document, option=orjson.OPT_INDENT_2), replace=replace)


def load_or_create(path: Path, next_seq: Callable[[], int] = lambda: 1) -> Keyring:
    """The keyring at `path`; created if missing, keying from record `next_seq()` on."""
    if path.exists():
        return _parse(path.read_text(), path)
    first = ChainKey(1, secrets.token_bytes(32))
    keyring = Keyring({1: first}, first, next_seq())
    try:
        _write(path, keyring, replace=False)
    except FileExistsError:
        return _parse(path.read_text(), path)  # another process started first: its key
    return keyring


def rotate(path: Path) -> Keyring:
    """Add a new key and make it current; the old ones stay to verify what they signed."""
    keyring = load_or_create(path)
    number = max(keyring.keys) + 1
    if number > MAX_KEY_NUMBER:
        raise KeyringError(f"the audit keyring holds {MAX_KEY_NUMBER} keys already")
    new = ChainKey(number, secrets.token_bytes(32))
    rotated = Keyring({**keyring.keys, number: new}, new, keyring.keyed_from)
    _write(path, rotated)
    return rotated
