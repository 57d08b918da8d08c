"""People who use the reporting UI, and their sign-in sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from hindsight.store.schema import sessions, users

_BY_SID = select(users).where(users.c.sid == bindparam("sid"))
_BY_USERNAME = select(users).where(users.c.username == bindparam("username"))
_SESSION = (
    select(sessions, users)
    .join(users, users.c.sid == sessions.c.user_sid)
    .where(sessions.c.token_hash == bindparam("token_hash"))
)


def insert_user(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(users).values(**row))


def get_user(conn: Connection, sid: str) -> Any | None:
    return conn.execute(_BY_SID, {"sid": sid}).first()


def get_by_username(conn: Connection, username: str) -> Any | None:
    return conn.execute(_BY_USERNAME, {"username": username}).first()


def list_users(conn: Connection, account_sid: str | None = None) -> list[Any]:
    query = select(users).order_by(users.c.username)
    if account_sid is not None:
        query = query.where(users.c.account_sid == account_sid)
    return list(conn.execute(query))


def count_users(conn: Connection) -> int:
    return len(conn.execute(select(users.c.sid).limit(1)).all())


def update_user(conn: Connection, sid: str, values: dict[str, Any]) -> bool:
    return conn.execute(update(users).where(users.c.sid == sid).values(**values)).rowcount == 1


def insert_session(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(sessions).values(**row))


def get_session(conn: Connection, token_hash: str) -> Any | None:
    """The session with its user's row (columns of both)."""
    return conn.execute(_SESSION, {"token_hash": token_hash}).first()


def touch_session(conn: Connection, token_hash: str, now_ms: int) -> None:
    conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == token_hash, sessions.c.ended_ms.is_(None))
        .values(last_seen_ms=now_ms)
    )


def end_session(conn: Connection, token_hash: str, now_ms: int) -> bool:
    result = conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == token_hash, sessions.c.ended_ms.is_(None))
        .values(ended_ms=now_ms)
    )
    return result.rowcount == 1


def end_user_sessions(conn: Connection, user_sid: str, now_ms: int) -> int:
    result = conn.execute(
        update(sessions)
        .where(sessions.c.user_sid == user_sid, sessions.c.ended_ms.is_(None))
        .values(ended_ms=now_ms)
    )
    return result.rowcount


def purge_sessions(conn: Connection, before_ms: int) -> int:
    """Forget sessions that ended or expired before `before_ms`."""
    result = conn.execute(
        delete(sessions).where(
            (sessions.c.expires_ms < before_ms)
            | (sessions.c.ended_ms.is_not(None) & (sessions.c.ended_ms < before_ms))
        )
    )
    return result.rowcount


def last_sign_in_ip(conn: Connection, user_sid: str) -> str | None:
    """The client address of the user's most recent sign-in (its session), if any."""
    return conn.execute(
        select(sessions.c.ip)
        .where(sessions.c.user_sid == user_sid)
        .order_by(sessions.c.created_ms.desc())
        .limit(1)
    ).scalar()
