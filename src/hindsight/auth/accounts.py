"""Accounts, their Auth Tokens and API keys; HTTP Basic authentication as Twilio does it.

A request authenticates with `AccountSid:AuthToken` or `ApiKeySid:ApiKeySecret`. Either way it
acts for exactly one account, and every resource it can reach belongs to that account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from hindsight.auth.sealing import Sealer
from hindsight.domain import credentials
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Forbidden, InvalidParameter, NotFound, Unauthenticated
from hindsight.domain.sids import Prefix, is_sid, new_sid
from hindsight.store import accounts as store
from hindsight.store.accounts import AccountRecord, ApiKeyRecord
from hindsight.store.database import Database
from hindsight.store.records import written

# Successful authentications are remembered this long, so the hot path skips the database.
# Rotating a token or deleting a key clears this process's cache at once; other processes
# notice within this window.
_AUTH_CACHE_SECONDS = 5.0
_ACTIVE = "active"


@dataclass(frozen=True)
class Principal:
    """Who a request acts for."""

    account_sid: str
    credential_sid: str

    @property
    def uses_api_key(self) -> bool:
        return self.credential_sid.startswith(Prefix.API_KEY)


@dataclass(frozen=True)
class IssuedAccount:
    sid: str
    friendly_name: str
    auth_token: str


@dataclass(frozen=True)
class IssuedKey:
    row: ApiKeyRecord
    secret: str


class AccountService:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer) -> None:
        self._db = db
        self._clock = clock
        self._sealer = sealer
        self._auth_cache: dict[tuple[str, str], tuple[Principal, float]] = {}

    # --- accounts (CLI) -------------------------------------------------------------------

    def create_account(
        self, friendly_name: str, sid: str | None = None, auth_token: str | None = None
    ) -> IssuedAccount:
        if sid is not None and not is_sid(sid, Prefix.ACCOUNT):
            raise InvalidParameter(
                "The Account SID (HINDSIGHT_BOOTSTRAP_ACCOUNT_SID) must be AC + 32 hex digits"
            )
        if auth_token is not None and not credentials.is_auth_token(auth_token):
            raise InvalidParameter(
                "The Auth Token (HINDSIGHT_BOOTSTRAP_AUTH_TOKEN) must be 32 lower-case hex digits"
            )
        sid = sid or new_sid(Prefix.ACCOUNT)
        token = auth_token or credentials.new_auth_token()
        now = self._clock.now_ms()
        row = {
            "sid": sid,
            "friendly_name": friendly_name,
            "status": _ACTIVE,
            "auth_token_hash": credentials.hash_secret(token),
            "auth_token_sealed": self._sealer.seal(token, sid),
            "date_created": now,
            "date_updated": now,
        }
        self._db.write_sync(lambda conn: store.insert_account(conn, row))
        return IssuedAccount(sid=sid, friendly_name=friendly_name, auth_token=token)

    def bootstrap(
        self, sid: str | None, auth_token: str | None
    ) -> tuple[IssuedAccount | None, bool]:
        """Create the first account if there is none.

        Returns the account and whether its credentials came from the environment (those are
        never printed). Returns (None, False) when accounts already exist.
        """
        if self._db.read_sync(store.count_accounts) > 0:
            return None, False
        sid, auth_token = sid or None, auth_token or None
        if (sid is None) != (auth_token is None):
            raise InvalidParameter(
                "Set both HINDSIGHT_BOOTSTRAP_ACCOUNT_SID and HINDSIGHT_BOOTSTRAP_AUTH_TOKEN, "
                "or neither"
            )
        account = self.create_account("Hindsight", sid=sid, auth_token=auth_token)
        return account, sid is not None

    def list_accounts(self) -> list[AccountRecord]:
        return self._db.read_sync(store.list_accounts)

    def rotate_auth_token(self, sid: str) -> str:
        token = credentials.new_auth_token()
        values = {
            "auth_token_hash": credentials.hash_secret(token),
            "auth_token_sealed": self._sealer.seal(token, sid),
            "date_updated": self._clock.now_ms(),
        }
        if not self._db.write_sync(lambda conn: store.update_account(conn, sid, values)):
            raise NotFound(f"No account {sid}")
        self._auth_cache.clear()
        return token

    def auth_token_of(self, account_row: AccountRecord) -> str:
        """The plaintext Auth Token, for signing what we send on the account's behalf."""
        return self._sealer.unseal(account_row.auth_token_sealed, account_row.sid)

    # --- authentication -------------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> Principal:
        cache_key = (username, credentials.hash_secret(password))
        cached = self._auth_cache.get(cache_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        principal = await self._db.read(lambda conn: _verify(conn, username, password))
        if principal is None:
            raise Unauthenticated("Authentication Error - invalid username or password")
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[cache_key] = (principal, time.monotonic() + _AUTH_CACHE_SECONDS)
        return principal

    # --- API keys -------------------------------------------------------------------------

    async def create_api_key(self, principal: Principal, friendly_name: str | None) -> IssuedKey:
        _require_auth_token(principal)
        secret = credentials.new_api_key_secret()
        now = self._clock.now_ms()
        row = {
            "sid": new_sid(Prefix.API_KEY),
            "account_sid": principal.account_sid,
            "friendly_name": friendly_name,
            "secret_hash": credentials.hash_secret(secret),
            "date_created": now,
            "date_updated": now,
        }

        def unit(conn: Connection) -> ApiKeyRecord:
            store.insert_api_key(conn, row)
            return written(store.get_api_key(conn, row["sid"]))

        return IssuedKey(row=await self._db.write(unit), secret=secret)

    async def list_api_keys(self, principal: Principal) -> list[ApiKeyRecord]:
        _require_auth_token(principal)
        return await self._db.read(lambda conn: store.list_api_keys(conn, principal.account_sid))

    async def fetch_api_key(self, principal: Principal, sid: str) -> ApiKeyRecord:
        _require_auth_token(principal)
        row = await self._db.read(
            lambda conn: store.get_account_api_key(conn, principal.account_sid, sid)
        )
        if row is None:
            raise NotFound(f"The requested resource /Keys/{sid} was not found")
        return row

    async def rename_api_key(
        self, principal: Principal, sid: str, friendly_name: str
    ) -> ApiKeyRecord:
        _require_auth_token(principal)
        values = {"friendly_name": friendly_name, "date_updated": self._clock.now_ms()}

        def unit(conn: Connection) -> ApiKeyRecord | None:
            if not store.update_api_key(conn, principal.account_sid, sid, values):
                return None
            return store.get_api_key(conn, sid)

        row = await self._db.write(unit)
        if row is None:
            raise NotFound(f"The requested resource /Keys/{sid} was not found")
        return row

    async def delete_api_key(self, principal: Principal, sid: str) -> None:
        _require_auth_token(principal)
        deleted = await self._db.write(
            lambda conn: store.delete_api_key(conn, principal.account_sid, sid)
        )
        if not deleted:
            raise NotFound(f"The requested resource /Keys/{sid} was not found")
        self._auth_cache.clear()


def _require_auth_token(principal: Principal) -> None:
    # As at Twilio, a standard API key cannot manage API keys: only the Auth Token can.
    if principal.uses_api_key:
        raise Forbidden("API keys cannot manage API keys; authenticate with the Auth Token")


def _verify(conn: Any, username: str, password: str) -> Principal | None:
    if is_sid(username, Prefix.ACCOUNT):
        account = store.get_account(conn, username)
        if account is None or account.status != _ACTIVE:
            return None
        if not credentials.secret_matches(password, account.auth_token_hash):
            return None
        return Principal(account_sid=account.sid, credential_sid=account.sid)
    if is_sid(username, Prefix.API_KEY):
        key = store.get_api_key(conn, username)
        if key is None or not credentials.secret_matches(password, key.secret_hash):
            return None
        account = store.get_account(conn, key.account_sid)
        if account is None or account.status != _ACTIVE:
            return None
        return Principal(account_sid=key.account_sid, credential_sid=key.sid)
    return None


# The records the service returns are named here too, for the HTTP layer (which never imports
# the store).
__all__ = [
    "AccountRecord",
    "AccountService",
    "ApiKeyRecord",
    "IssuedAccount",
    "IssuedKey",
    "Principal",
]
