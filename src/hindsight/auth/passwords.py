"""Password hashing (argon2id) and the password rules.

Hashing is deliberately slow (tens of milliseconds, 64 MiB): callers on the event loop run it in
a worker thread so a sign-in never stalls other requests.
"""

from __future__ import annotations

import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hindsight.domain.errors import InvalidParameter

MIN_LENGTH = 12
MAX_LENGTH = 256
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so an unknown name takes as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def check_rules(password: str, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidParameter(f"The password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise InvalidParameter(f"The password must be at most {MAX_LENGTH} characters long")
    if password.strip().lower() == username.strip().lower():
        raise InvalidParameter("The password must not be the user name")


def generate() -> str:
    """A random password for a new user or a reset: 20 URL-safe characters (~120 bits)."""
    return secrets.token_urlsafe(15)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_async(stored_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, stored_hash, password)
