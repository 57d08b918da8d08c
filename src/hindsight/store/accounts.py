"""Accounts and API keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from hindsight.store.schema import accounts, api_keys


def insert_account(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(accounts).values(**row))


_GET_ACCOUNT = select(accounts).where(accounts.c.sid == bindparam("sid"))
_GET_KEY = select(api_keys).where(api_keys.c.sid == bindparam("sid"))


def get_account(conn: Connection, sid: str) -> Any | None:
    return conn.execute(_GET_ACCOUNT, {"sid": sid}).first()


def list_accounts(conn: Connection) -> list[Any]:
    return list(conn.execute(select(accounts).order_by(accounts.c.date_created, accounts.c.sid)))


def count_accounts(conn: Connection) -> int:
    return len(conn.execute(select(accounts.c.sid).limit(1)).all())


def holds_several_accounts(conn: Connection) -> bool:
    return len(conn.execute(select(accounts.c.sid).limit(2)).all()) > 1


def update_account(conn: Connection, sid: str, values: dict[str, Any]) -> bool:
    result = conn.execute(update(accounts).where(accounts.c.sid == sid).values(**values))
    return result.rowcount == 1


def insert_api_key(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(api_keys).values(**row))


def get_api_key(conn: Connection, sid: str) -> Any | None:
    return conn.execute(_GET_KEY, {"sid": sid}).first()


def get_account_api_key(conn: Connection, account_sid: str, sid: str) -> Any | None:
    query = select(api_keys).where(api_keys.c.sid == sid, api_keys.c.account_sid == account_sid)
    return conn.execute(query).first()


def list_api_keys(conn: Connection, account_sid: str) -> list[Any]:
    query = (
        select(api_keys)
        .where(api_keys.c.account_sid == account_sid)
        .order_by(api_keys.c.date_created, api_keys.c.sid)
    )
    return list(conn.execute(query))


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
