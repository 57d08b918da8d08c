"""Envelope encryption: a random data key per object, wrapped by a key-encryption key (KEK).

KEKs have ids and live in a keyring: a JSON file in the data directory (created with mode
0600 the first time encryption is on) or the `HINDSIGHT_MEDIA_KEYS` setting, `id:hex,...` with
the current key first, for deployments that keep secrets out of files. Every host of a
deployment needs the same keyring, as it needs the same database.

An object's wrapped data key is a small JSON record stored beside it (`_keys/<blob key>`):
rotating to a new KEK re-wraps these records and never touches the audio.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hindsight.private_files import write_private_file

_WRAP_AAD = b"hindsight-media-data-key\x01"
_KEY_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class KeyringError(Exception):
    """The keyring cannot be read or lacks a key an object needs."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]

    def kek(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyringError(f"the media keyring has no key {key_id!r}") from None

    def with_new_key(self) -> Keyring:
        key_id = f"k{len(self.keys) + 1}-{secrets.token_hex(3)}"
        return Keyring(key_id, {**self.keys, key_id: AESGCM.generate_key(256)})

    def without(self, unused: set[str]) -> Keyring:
        return Keyring(
            self.current,
            {k: v for k, v in self.keys.items() if k not in unused or k == self.current},
        )


def parse_keys(text: str) -> Keyring:
    """`id:64 hex digits,...`, the first one current."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key_id, _, hex_key = part.partition(":")
        keys[_checked_id(key_id)] = _checked_key(hex_key)
    if not keys:
        raise KeyringError("no media key given")
    return Keyring(next(iter(keys)), keys)


def _checked_id(key_id: str) -> str:
    if not key_id or len(key_id) > 40 or not set(key_id) <= _KEY_ID_CHARS:
        raise KeyringError(f"not a media key id: {key_id!r}")
    return key_id


def _checked_key(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key.strip())
    except ValueError:
        raise KeyringError("a media key must be 64 hex digits") from None
    if len(key) != 32:
        raise KeyringError("a media key must be 64 hex digits")
    return key


def read_keyring(path: Path) -> Keyring | None:
    """The keyring in `path`, None if there is no file."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as failure:
        raise KeyringError(f"cannot read the media keyring {path}: {failure}") from None
    try:
        keys = {_checked_id(k): _checked_key(v) for k, v in data["keys"].items()}
        current = data["current"]
    except (KeyError, TypeError, AttributeError):
        raise KeyringError(f"the media keyring {path} is not a keyring") from None
    if current not in keys:
        raise KeyringError(f"the media keyring {path} has no current key {current!r}")
    return Keyring(current, keys)


def write_keyring(path: Path, keyring: Keyring, replace: bool = True) -> None:
    """Atomically, readable by the owner only; `replace=False`: FileExistsError if there is
    one already (processes starting at once must all end up with the same first key)."""
    body = orjson.dumps(
        {"current": keyring.current, "keys": {k: v.hex() for k, v in keyring.keys.items()}},
        option=orjson.OPT_INDENT_2,
    )
    write_private_file(path, body, replace=replace)


def load_or_create(path: Path) -> Keyring:
    keyring = read_keyring(path)
    if keyring is not None:
        return keyring
    first = Keyring("k1", {"k1": AESGCM.generate_key(256)})
    try:
        write_keyring(path, first, replace=False)
    except FileExistsError:
        found = read_keyring(path)  # another process started first: its key
        assert found is not None
        return found
    return first


@dataclass(frozen=True)
class KeyRecord:
    """What is stored beside an encrypted object: its wrapped data key and its layout."""

    kek_id: str
    nonce: bytes
    wrapped: bytes
    object_id: bytes
    chunk_size: int
    plain_size: int
    sha256: str

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "v": 1,
                "kek": self.kek_id,
                "nonce": _b64(self.nonce),
                "data_key": _b64(self.wrapped),
                "object_id": self.object_id.hex(),
                "chunk_size": self.chunk_size,
                "size": self.plain_size,
                "sha256": self.sha256,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyRecord:
        try:
            record = orjson.loads(data)
            if record["v"] != 1:
                raise KeyringError(f"unknown key record version {record['v']!r}")
            found = cls(
                kek_id=str(record["kek"]),
                nonce=base64.b64decode(record["nonce"], validate=True),
                wrapped=base64.b64decode(record["data_key"], validate=True),
                object_id=bytes.fromhex(record["object_id"]),
                chunk_size=int(record["chunk_size"]),
                plain_size=int(record["size"]),
                sha256=str(record["sha256"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise KeyringError("an object's key record is damaged") from None
        if found.chunk_size < 1 or found.plain_size < 0 or len(found.object_id) != 16:
            raise KeyringError("an object's key record is damaged")
        return found


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _wrap_aad(object_id: bytes, key: str) -> bytes:
    return _WRAP_AAD + object_id + key.encode()


def wrap(keyring: Keyring, data_key: bytes, object_id: bytes, key: str) -> tuple[str, bytes, bytes]:
    """(KEK id, nonce, wrapped key) under the current KEK, bound to this object."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(keyring.kek(keyring.current)).encrypt(
        nonce, data_key, _wrap_aad(object_id, key)
    )
    return keyring.current, nonce, sealed


def unwrap(keyring: Keyring, record: KeyRecord, key: str) -> bytes:
    try:
        return AESGCM(keyring.kek(record.kek_id)).decrypt(
            record.nonce, record.wrapped, _wrap_aad(record.object_id, key)
        )
    except InvalidTag:
        raise KeyringError(
            f"the data key of {key} does not open with key {record.kek_id}"
        ) from None


def rewrapped(keyring: Keyring, record: KeyRecord, key: str) -> KeyRecord:
    """The same data key wrapped by the current KEK (the audio stays as it is)."""
    kek_id, nonce, wrapped = wrap(keyring, unwrap(keyring, record, key), record.object_id, key)
    return KeyRecord(
        kek_id,
        nonce,
        wrapped,
        record.object_id,
        record.chunk_size,
        record.plain_size,
        record.sha256,
    )
