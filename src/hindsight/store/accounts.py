"""Accounts and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from hindsight.store.records import optional, reader
from hindsight.store.schema import accounts, api_keys


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account (one row of `accounts`): its auth token hashed for checks, and sealed so
    its owner can be shown it again."""

    sid: str
    friendly_name: str
    status: str
    auth_token_hash: str
    auth_token_sealed: str
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key of an account (one row of `api_keys`); only its secret's hash is kept."""

    sid: str
    account_sid: str
    friendly_name: str | None
    secret_hash: str
    date_created: int
    date_updated: int


read_account = reader(AccountRecord)
read_api_key = reader(ApiKeyRecord)


def insert_account(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(accounts).values(**row))


_GET_ACCOUNT = select(accounts).where(accounts.c.sid == bindparam("sid"))
_GET_KEY = select(api_keys).where(api_keys.c.sid == bindparam("sid"))


def get_account(conn: Connection, sid: str) -> AccountRecord | None:
    return optional(read_account, conn.execute(_GET_ACCOUNT, {"sid": sid}).first())


def list_accounts(conn: Connection) -> list[AccountRecord]:
    query = select(accounts).order_by(accounts.c.date_created, accounts.c.sid)
    return [read_account(row) for row in conn.execute(query)]


def count_accounts(conn: Connection) -> int:
    return len(conn.execute(select(accounts.c.sid).limit(1)).all())


def holds_several_accounts(conn: Connection) -> bool:
    return len(conn.execute(select(accounts.c.sid).limit(2)).all()) > 1


def update_account(conn: Connection, sid: str, values: dict[str, Any]) -> bool:
    result = conn.execute(update(accounts).where(accounts.c.sid == sid).values(**values))
    return result.rowcount == 1


def insert_api_key(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(api_keys).values(**row))


def get_api_key(conn: Connection, sid: str) -> ApiKeyRecord | None:
    return optional(read_api_key, conn.execute(_GET_KEY, {"sid": sid}).first())


def get_account_api_key(conn: Connection, account_sid: str, sid: str) -> ApiKeyRecord | None:
    query = select(api_keys).where(api_keys.c.sid == sid, api_keys.c.account_sid == account_sid)
    return optional(read_api_key, conn.execute(query).first())


def list_api_keys(conn: Connection, account_sid: str) -> list[ApiKeyRecord]:
    query = (
        select(api_keys)
        .where(api_keys.c.account_sid == account_sid)
        .order_by(api_keys.c.date_created, api_keys.c.sid)
    )
    return [read_api_key(row) for row in conn.execute(query)]


def update_api_key(conn: Connection, account_sid: str, sid: str, values: dict[str, Any]) -> bool:
    query = (
        update(api_keys)
        .where(api_keys.c.sid == sid, api_keys.c.account_sid == account_sid)
        .values(**values)
    )
    return conn.execute(query).rowcount == 1


def delete_api_key(conn: Connection, account_sid: str, sid: str) -> bool:
    query = delete(api_keys).where(api_keys.c.sid == sid, api_keys.c.account_sid == account_sid)
    return conn.execute(query).rowcount == 1
