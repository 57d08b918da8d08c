"""A person's saved searches and the list columns they hide: rows keyed by the person, so no
query here can return another person's."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.schema import list_preferences, saved_searches

t = saved_searches.c


@dataclass(frozen=True)
class SavedSearch:
    sid: str
    name: str
    query: str
    created_ms: int
    updated_ms: int


def _record(row: object) -> SavedSearch:
    return SavedSearch(
        sid=row.sid,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        query=row.query,  # type: ignore[attr-defined]
        created_ms=row.created_ms,  # type: ignore[attr-defined]
        updated_ms=row.updated_ms,  # type: ignore[attr-defined]
    )


def of_person(conn: Connection, user_sid: str) -> list[SavedSearch]:
    query = select(saved_searches).where(t.user_sid == user_sid).order_by(func.lower(t.name))
    return [_record(r) for r in conn.execute(query)]


def count_of(conn: Connection, user_sid: str) -> int:
    query = select(func.count()).select_from(saved_searches).where(t.user_sid == user_sid)
    return int(conn.execute(query).scalar_one())


def named(conn: Connection, user_sid: str, name: str) -> SavedSearch | None:
    row = conn.execute(
        select(saved_searches).where(t.user_sid == user_sid, func.lower(t.name) == name.lower())
    ).first()
    return _record(row) if row is not None else None


def one(conn: Connection, user_sid: str, sid: str) -> SavedSearch | None:
    row = conn.execute(select(saved_searches).where(t.user_sid == user_sid, t.sid == sid)).first()
    return _record(row) if row is not None else None


def add(conn: Connection, account_sid: str, user_sid: str, search: SavedSearch) -> None:
    conn.execute(
        insert(saved_searches).values(
            sid=search.sid,
            account_sid=account_sid,
            user_sid=user_sid,
            name=search.name,
            query=search.query,
            created_ms=search.created_ms,
            updated_ms=search.updated_ms,
        )
    )


def rename(conn: Connection, user_sid: str, sid: str, name: str, now_ms: int) -> bool:
    done = conn.execute(
        update(saved_searches)
        .where(t.user_sid == user_sid, t.sid == sid)
        .values(name=name, updated_ms=now_ms)
    )
    return done.rowcount == 1


def remove(conn: Connection, user_sid: str, sid: str) -> bool:
    done = conn.execute(delete(saved_searches).where(t.user_sid == user_sid, t.sid == sid))
    return done.rowcount == 1


def hidden_columns(conn: Connection, user_sid: str) -> list[str]:
    stored = conn.execute(
        select(list_preferences.c.hidden_columns).where(list_preferences.c.user_sid == user_sid)
    ).scalar()
    return list(orjson.loads(stored)) if stored else []


def save_hidden_columns(conn: Connection, user_sid: str, columns: list[str], now_ms: int) -> None:
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = build(list_preferences).values(
        user_sid=user_sid, hidden_columns=orjson.dumps(columns).decode(), updated_ms=now_ms
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["user_sid"],
            set_={
                "hidden_columns": statement.excluded.hidden_columns,
                "updated_ms": statement.excluded.updated_ms,
            },
        )
    )
