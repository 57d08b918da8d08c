"""People signing in to a test server, and reading what the audit trail recorded of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from hindsight.audit.trail import SYSTEM, operator
from hindsight.auth.users import UserChanges
from hindsight.domain.access import Scope
from hindsight.store.schema import audit_records
from tests.support.server import RunningServer

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    """A user of a test server with a browser-like client (cookies, CSRF header)."""

    server: RunningServer
    sid: str
    username: str
    password: str
    http: httpx.Client = field(repr=False)
    csrf: str | None = None

    def login(self, password: str | None = None) -> httpx.Response:
        response = self.http.post(
            "/api/v1/session",
            json={"username": self.username, "password": password or self.password},
        )
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, document: Any = None, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf or ""} if csrf else {}
        return self.http.post(path, json=document, headers=headers)

    def delete(self, path: str, csrf: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf or ""} if csrf else {}
        return self.http.delete(path, headers=headers)

    def close(self) -> None:
        self.http.close()


def unique(name: str) -> str:
    return f"{name}-{secrets.token_hex(3)}"


def person(
    server: RunningServer,
    account_sid: str,
    roles: tuple[str, ...] | list[str],
    *,
    name: str = "user",
    scope: Scope | None = None,
    login: bool = True,
) -> Person:
    username = unique(name)
    issued = server.call(
        server.runtime.services.users.create(
            operator(account_sid), username, roles, password=PASSWORD, scope=scope
        )
    )
    who = Person(
        server,
        issued.row.sid,
        username,
        PASSWORD,
        httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False),
    )
    if login:
        response = who.login()
        assert response.status_code == 200, response.text
    return who


def change_user(server: RunningServer, username_or_sid: str, changes: UserChanges) -> Any:
    """What `hindsight users enable|disable|roles|scope` does: the operator changes a user."""
    users = server.runtime.services.users

    async def change() -> Any:
        target = await users.find(username_or_sid)
        return await users.update(SYSTEM, target.sid, changes)

    return server.call(change())


def audit_of(server: RunningServer, actor_sid: str) -> list[dict[str, Any]]:
    """The audit records about one actor, oldest first, with JSON fields read."""

    def read(conn: Any) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(audit_records)
            .where(audit_records.c.actor_sid == actor_sid)
            .order_by(audit_records.c.seq)
        )
        out = []
        for row in rows:
            record = dict(row._mapping)
            record["detail"] = orjson.loads(record["detail"])
            record["roles"] = orjson.loads(record["roles"])
            out.append(record)
        return out

    return server.runtime.db.read_sync(read)


def last_audit(server: RunningServer, actor_sid: str, action: str) -> dict[str, Any]:
    matching = [r for r in audit_of(server, actor_sid) if r["action"] == action]
    assert matching, f"no {action} record for {actor_sid}"
    return matching[-1]
