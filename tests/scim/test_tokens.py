"""SCIM bearer tokens: issued by an account's admin and shown once, stored as a hash, listed
without the secret, revoked at once; nobody else may manage them."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from hindsight.store.schema import scim_tokens
from tests.scim.conftest import Scim
from tests.support.people import person


def test_a_token_is_shown_once_kept_as_a_hash_and_revoked_at_once(scim: Scim) -> None:
    listed = scim.admin.get("/api/v1/scim/tokens").json()["tokens"]
    assert len(listed) == 1 and "token" not in listed[0] and listed[0]["active"] is True
    stored = scim.server.runtime.db.read_sync(
        lambda conn: conn.execute(
            select(scim_tokens.c.token_hash).where(scim_tokens.c.sid == listed[0]["sid"])
        ).scalar()
    )
    assert stored == hashlib.sha256(scim.token.encode()).hexdigest()
    assert scim.get("/Users").status_code == 200
    assert listed[0]["last_used_ms"] is None
    assert scim.admin.get("/api/v1/scim/tokens").json()["tokens"][0]["last_used_ms"]
    revoked = scim.admin.delete(f"/api/v1/scim/tokens/{listed[0]['sid']}")
    assert revoked.status_code == 204
    assert scim.get("/Users").status_code == 401
    assert scim.admin.delete(f"/api/v1/scim/tokens/{listed[0]['sid']}").status_code == 404
    assert scim.admin.get("/api/v1/scim/tokens").json()["tokens"][0]["active"] is False


def test_only_this_accounts_admins_manage_its_tokens(scim: Scim, other: Scim) -> None:
    lead = person(scim.server, scim.account_sid, ("wfo.full_access",), name="lead")
    assert lead.get("/api/v1/scim/tokens").status_code == 403
    assert lead.post("/api/v1/scim/tokens", {"name": "mine"}).status_code == 403
    mine = scim.admin.get("/api/v1/scim/tokens").json()["tokens"][0]["sid"]
    assert lead.delete(f"/api/v1/scim/tokens/{mine}").status_code == 403
    # Another account's admin cannot see or revoke it.
    assert other.admin.delete(f"/api/v1/scim/tokens/{mine}").status_code == 404
    assert mine not in {t["sid"] for t in other.admin.get("/api/v1/scim/tokens").json()["tokens"]}
    assert scim.get("/Users").status_code == 200
    # Integrations' credentials (HTTP Basic) do not manage people.
    basic = httpx.get(
        f"{scim.server.base_url}/api/v1/scim/tokens",
        auth=(scim.account_sid, scim.auth_token),
        timeout=30,
    )
    assert basic.status_code == 403
    # Without the CSRF header a signed-in admin's browser cannot be made to issue one.
    assert scim.admin.post("/api/v1/scim/tokens", {"name": "csrf"}, csrf=False).status_code == 403
    lead.close()


def test_bad_token_requests_are_4xx(scim: Scim) -> None:
    for body in ({}, {"name": ""}, {"name": "x" * 500}, {"name": 7}, {"name": "a", "scope": "all"}):
        assert scim.admin.post("/api/v1/scim/tokens", body).status_code == 400, body
    assert scim.admin.delete("/api/v1/scim/tokens/not-a-sid").status_code == 404
    malformed = scim.admin.http.post(
        "/api/v1/scim/tokens",
        content=b"{nope",
        headers={"Content-Type": "application/json", "X-CSRF-Token": scim.admin.csrf},
    )
    assert malformed.status_code == 400
    assert len(scim.admin.get("/api/v1/scim/tokens").json()["tokens"]) == 1
