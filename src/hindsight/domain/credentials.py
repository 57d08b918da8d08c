"""Credentials: Auth Tokens and API key secrets, and how they are stored.

Both are 128-bit random values, so a single SHA-256 is enough to store them safely (a slow
password hash buys nothing against a search space of 2^128) and costs microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_AUTH_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_auth_token() -> str:
    return secrets.token_hex(16)


def new_api_key_secret() -> str:
    # Twilio's key secrets are 32 alphanumerics; url-safe base64 of 24 bytes is the same size.
    return secrets.token_urlsafe(24)


def is_auth_token(value: str) -> bool:
    return bool(_AUTH_TOKEN.match(value))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
