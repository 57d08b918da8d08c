"""A SCIM client of a real running server: an account, its admin, and a bearer token the admin
created through the API, as an identity provider would be configured."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.people import Person, person
from tests.support.server import RunningServer

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Scim:
    """One account's provisioning: its admin (signed in) and a SCIM client with its token."""

    server: RunningServer
    account_sid: str
    admin: Person
    token: str
    auth_token: str  # the account's own (Twilio-style) credentials, for setting up data
    http: httpx.Client = field(repr=False)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, document: Any) -> httpx.Response:
        return self.http.post(path, json=document, headers={"Content-Type": SCIM_JSON})

    def put(self, path: str, document: Any, **headers: str) -> httpx.Response:
        return self.http.put(path, json=document, headers={"Content-Type": SCIM_JSON, **headers})

    def patch(self, path: str, *operations: dict[str, Any], **headers: str) -> httpx.Response:
        body = {"schemas": [PATCH], "Operations": list(operations)}
        return self.http.patch(path, json=body, headers={"Content-Type": SCIM_JSON, **headers})

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        created = self.post("/Users", {"schemas": [USER], "userName": user_name, **attributes})
        assert created.status_code == 201, created.text
        return created.json()

    def group(self, name: str, members: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        document = {
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": m} for m in members],
        }
        created = self.post("/Groups", document)
        assert created.status_code == 201, created.text
        return created.json()

    def close(self) -> None:
        self.http.close()
        self.admin.close()


def provisioning(server: RunningServer, name: str = "scim") -> Scim:
    account = server.new_account(name)
    admin = person(server, account.sid, ("admin",), name="admin")
    issued = admin.post("/api/v1/scim/tokens", {"name": "Identity provider"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    http = httpx.Client(
        base_url=f"{server.base_url}/scim/v2",
        headers={"Authorization": f"Bearer {token}", "Accept": SCIM_JSON},
        timeout=30,
    )
    return Scim(server, account.sid, admin, token, account.auth_token, http)


@pytest.fixture
def scim(server: RunningServer) -> Iterator[Scim]:
    found = provisioning(server)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def other(server: RunningServer) -> Iterator[Scim]:
    """Another account on the same server, with its own token."""
    found = provisioning(server, "other")
    try:
        yield found
    finally:
        found.close()


def unique(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}"
