"""Sealing secrets we must be able to read back (Auth Tokens sign event callbacks).

AES-256-GCM with a key that lives outside the database: `<data_dir>/secret.key`, created on first
start with mode 0600, or `HINDSIGHT_SECRET_KEY` (64 hex digits). A copy of the database alone does
not reveal any token.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, token: str, context: str) -> str:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, context.encode("utf-8")).decode("utf-8")


def load_or_create_key(data_dir: Path, configured_hex: str | None = None) -> bytes:
    if configured_hex:
        key = bytes.fromhex(configured_hex)
        if len(key) != 32:
            raise ValueError("HINDSIGHT_SECRET_KEY must be 64 hex digits")
        return key
    path = data_dir / "secret.key"
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key
