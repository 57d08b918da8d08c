"""People who use the reporting UI, and their sign-in sessions."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.domain.login_throttle import ClientFailures
from hindsight.store.schema import sessions, sign_in_failures, users


@dataclass(frozen=True)
class UserRecord:
    """A person who may sign in to the reporting UI (one row of `users`)."""

    sid: str
    account_sid: str
    username: str
    full_name: str | None
    email: str | None
    auth_provider: str  # 'password', or an OpenID Connect provider (`external_subject`)
    external_subject: str | None
    password_hash: str | None
    password_changed_ms: int | None
    roles: str  # JSON list of role names (domain/permissions.py)
    scope: str  # JSON {"teams": [...], "queues": [...], "departments": [...]}
    status: str
    failed_logins: int
    locked_until_ms: int | None
    last_login_ms: int | None
    date_created: int
    date_updated: int


@dataclass(frozen=True)
class SessionRecord:
    """A sign-in session (one row of `sessions`), with the user it belongs to."""

    token_hash: str
    user_sid: str
    csrf_token: str
    created_ms: int
    last_seen_ms: int
    expires_ms: int
    ended_ms: int | None
    ip: str | None
    user_agent: str | None
    id_token_sealed: str | None
    user: UserRecord


_USER_FIELDS = tuple(f.name for f in fields(UserRecord))
_SESSION_FIELDS = tuple(f.name for f in fields(SessionRecord) if f.name != "user")


def _user(row: Row[Any] | None, prefix: str = "") -> UserRecord | None:
    """The user in `row`, whose user columns are named `prefix` + the column's name."""
    if row is None:
        return None
    values = row._mapping
    return UserRecord(**{name: values[prefix + name] for name in _USER_FIELDS})


def read_user(row: Row[Any]) -> UserRecord:
    """The user in a row of `users`."""
    return UserRecord(**{name: row._mapping[name] for name in _USER_FIELDS})


_BY_SID = select(users).where(users.c.sid == bindparam("sid"))
_BY_USERNAME = select(users).where(users.c.username == bindparam("username"))
# The session's columns, then the user's prefixed with `u_` (both tables know a `user_sid`-like
# name, so the user's columns are kept apart).
_SESSION = (
    select(*sessions.c, *(column.label(f"u_{column.name}") for column in users.c))
    .join(users, users.c.sid == sessions.c.user_sid)
    .where(sessions.c.token_hash == bindparam("token_hash"))
)


def insert_user(conn: Connection, row: dict[str, Any], now_ms: int) -> None:
    """A new user, however created (password, single sign-on, SCIM): `row` says who they are
    and how they sign in; the sign-in bookkeeping starts empty and both dates are `now_ms`."""
    conn.execute(
        insert(users).values(
            **row,
            failed_logins=0,
            locked_until_ms=None,
            last_login_ms=None,
            date_created=now_ms,
            date_updated=now_ms,
        )
    )


def get_user(conn: Connection, sid: str) -> UserRecord | None:
    return _user(conn.execute(_BY_SID, {"sid": sid}).first())


def get_by_username(conn: Connection, username: str) -> UserRecord | None:
    return _user(conn.execute(_BY_USERNAME, {"username": username}).first())


def list_users(conn: Connection, account_sid: str | None = None) -> list[UserRecord]:
    query = select(users).order_by(users.c.username)
    if account_sid is not None:
        query = query.where(users.c.account_sid == account_sid)
    return [user for row in conn.execute(query) if (user := _user(row)) is not None]


def count_users(conn: Connection) -> int:
    return len(conn.execute(select(users.c.sid).limit(1)).all())


def update_user(conn: Connection, sid: str, values: dict[str, Any]) -> bool:
    return conn.execute(update(users).where(users.c.sid == sid).values(**values)).rowcount == 1


def insert_session(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(sessions).values(**row))


def get_session(conn: Connection, token_hash: str) -> SessionRecord | None:
    """The session, with its user."""
    row = conn.execute(_SESSION, {"token_hash": token_hash}).first()
    if row is None:
        return None
    user = _user(row, prefix="u_")
    assert user is not None
    return SessionRecord(**{name: row._mapping[name] for name in _SESSION_FIELDS}, user=user)


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
    ip: str | None = conn.execute(
        select(sessions.c.ip)
        .where(sessions.c.user_sid == user_sid)
        .order_by(sessions.c.created_ms.desc())
        .limit(1)
    ).scalar()
    return ip


# --- wrong passwords per client --------------------------------------------------------------

_CLIENT_CHARS = 64


def client_failures(conn: Connection, user_sid: str, client: str) -> ClientFailures:
    """The wrong-password counts of a user from one client (none kept: all zero)."""
    row = conn.execute(_client_failures_query(user_sid, client)).first()
    return _client_failures(row)


def lock_client_failures(conn: Connection, user_sid: str, client: str) -> ClientFailures:
    """The counts, with their row locked until the transaction ends, so that two processes
    counting a failure at once count two (the row is made first if there is none)."""
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    conn.execute(
        dialect_insert(sign_in_failures)
        .values(
            user_sid=user_sid,
            client=client[:_CLIENT_CHARS],
            failures=0,
            lockouts=0,
            locked_until_ms=0,
            updated_ms=0,
        )
        .on_conflict_do_nothing()
    )
    row = conn.execute(_client_failures_query(user_sid, client).with_for_update()).first()
    return _client_failures(row)


def save_client_failures(
    conn: Connection, user_sid: str, client: str, counts: ClientFailures, now_ms: int
) -> None:
    conn.execute(
        update(sign_in_failures)
        .where(
            sign_in_failures.c.user_sid == user_sid,
            sign_in_failures.c.client == client[:_CLIENT_CHARS],
        )
        .values(
            failures=counts.failures,
            lockouts=counts.lockouts,
            locked_until_ms=counts.locked_until_ms,
            updated_ms=now_ms,
        )
    )


def forget_client_failures(conn: Connection, user_sid: str, client: str) -> None:
    """After a right password from this client."""
    conn.execute(
        delete(sign_in_failures).where(
            sign_in_failures.c.user_sid == user_sid,
            sign_in_failures.c.client == client[:_CLIENT_CHARS],
        )
    )


def forget_stale_client_failures(conn: Connection, user_sid: str, before_ms: int) -> None:
    """Drop a user's counts from clients neither locked nor heard from since `before_ms`, so
    guesses from ever more addresses do not pile up rows."""
    conn.execute(
        delete(sign_in_failures).where(
            sign_in_failures.c.user_sid == user_sid,
            sign_in_failures.c.updated_ms < before_ms,
            sign_in_failures.c.locked_until_ms < before_ms,
        )
    )


def _client_failures_query(user_sid: str, client: str) -> Select[int, int, int]:
    return select(
        sign_in_failures.c.failures,
        sign_in_failures.c.lockouts,
        sign_in_failures.c.locked_until_ms,
    ).where(
        sign_in_failures.c.user_sid == user_sid,
        sign_in_failures.c.client == client[:_CLIENT_CHARS],
    )


def _client_failures(row: Row[int, int, int] | None) -> ClientFailures:
    if row is None:
        return ClientFailures()
    failures, lockouts, locked_until_ms = row
    return ClientFailures(failures, lockouts, locked_until_ms)
