"""Single sign-on's callback against tokens the test signs itself: every ID-token check refuses
its kind of tampering with a clear page (never a 5xx), creates no one, and is audited with the
reason. Both storage backends."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from hindsight.store.schema import audit_records, users
from tests.support.oidc_provider import TokenStub, query_of, token_stub, unsigned
from tests.support.people import Person, last_audit, person, unique
from tests.support.server import RunningServer

CLIENT_ID = "hindsight-test"


@pytest.fixture(scope="module")
def stub() -> Iterator[TokenStub]:
    with token_stub() as running:
        yield running


@dataclass
class Setup:
    server: RunningServer
    account_sid: str
    admin: Person
    stub: TokenStub


def configure(admin: Person, issuer: str, **changes: object) -> httpx.Response:
    document = {
        "enabled": True,
        "display_name": "Test IdP",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": "s3cret-value",
        "create_people": True,
        "claims_mapping": {
            "groups_claim": "groups",
            "group_roles": {"supervisors": ["wfo.team_leader"], "it-admins": ["admin"]},
            "scope_claims": {"teams": "team"},
        },
        **changes,
    }
    return admin.post("/api/v1/sso", document)


@pytest.fixture
def setup(server: RunningServer, stub: TokenStub) -> Iterator[Setup]:
    account = server.new_account()
    admin = person(server, account.sid, ["admin"], name="admin")
    response = configure(admin, stub.issuer)
    assert response.status_code == 200, response.text
    try:
        yield Setup(server, account.sid, admin, stub)
    finally:
        admin.close()


def browser(server: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False)


def go_to_provider(client: httpx.Client, account_sid: str) -> dict[str, str]:
    response = client.get(f"/sso/{account_sid}/start", params={"next": "/reports"})
    assert response.status_code == 303, response.text
    return query_of(response.headers["location"])


def come_back(client: httpx.Client, state: str, code: str = "the-code") -> httpx.Response:
    return client.get("/sso/callback", params={"state": state, "code": code})


def refusals(server: RunningServer, account_sid: str | None, after_seq: int = 0) -> list[str]:
    """Refused SSO sign-ins of an account (None: of no known account, after `after_seq`)."""

    def read(conn) -> list[str]:
        rows = conn.execute(
            select(audit_records.c.reason)
            .where(
                audit_records.c.account_sid == account_sid
                if account_sid
                else audit_records.c.account_sid.is_(None),
                audit_records.c.seq > after_seq,
                audit_records.c.action == "auth.sso_login",
                audit_records.c.outcome == "denied",
            )
            .order_by(audit_records.c.seq)
        )
        return [r.reason for r in rows]

    return server.runtime.db.read_sync(read)


def last_seq(server: RunningServer) -> int:
    return server.runtime.db.read_sync(
        lambda conn: conn.execute(select(func.max(audit_records.c.seq))).scalar() or 0
    )


def people_named(server: RunningServer, account_sid: str) -> list[str]:
    def read(conn) -> list[str]:
        rows = conn.execute(select(users.c.username).where(users.c.account_sid == account_sid))
        return sorted(r.username for r in rows)

    return server.runtime.db.read_sync(read)


def test_a_good_token_signs_in_creates_the_person_and_maps_roles_and_scope(setup: Setup) -> None:
    name = unique("sup")
    with browser(setup.server) as client:
        request = go_to_provider(client, setup.account_sid)
        assert request["code_challenge_method"] == "S256" and request["code_challenge"]
        assert request["client_id"] == CLIENT_ID and "openid" in request["scope"].split()
        setup.stub.id_token = setup.stub.sign(
            setup.stub.claims(
                request["nonce"],
                CLIENT_ID,
                sub=f"sub-{name}",
                preferred_username=name,
                groups=["supervisors", "other"],
                team=["Team A"],
            )
        )
        response = come_back(client, request["state"])
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/reports"
        me = client.get("/api/v1/session").json()
    assert me["user"]["username"] == name
    assert me["user"]["auth_provider"] == "oidc"
    assert me["user"]["roles"] == ["wfo.team_leader"]
    assert me["user"]["scope"]["teams"] == ["Team A"]
    signed_in = last_audit(setup.server, me["user"]["sid"], "auth.sso_login")
    assert signed_in["outcome"] == "allowed" and signed_in["detail"]["how"] == "created"
    # The code went back with the PKCE verifier and the client's own credentials.
    sent = setup.stub.token_requests[-1]
    assert sent["code"] == ["the-code"] and len(sent["code_verifier"][0]) >= 43


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("wrong_signature", "signature does not verify"),
        ("alg_none", "algorithm 'none' is not allowed"),
        ("wrong_audience", "wrong audience"),
        ("wrong_issuer", "wrong issuer"),
        ("expired", "expired token"),
        ("unknown_kid", "is not one the provider publishes"),
        ("no_role", "no group maps to a role"),
    ],
)
def test_tampered_tokens_are_refused_and_audited(setup: Setup, tamper: str, reason: str) -> None:
    stub = setup.stub
    name = unique("tamper")
    with browser(setup.server) as client:
        nonce_state = go_to_provider(client, setup.account_sid)
        claims = stub.claims(
            nonce_state["nonce"], CLIENT_ID, sub=f"sub-{name}", preferred_username=name
        )
        if tamper == "wrong_signature":
            token = stub.sign(claims, key=RSAKey.generate_key(2048))
        elif tamper == "alg_none":
            token = unsigned(claims)
        elif tamper == "wrong_audience":
            token = stub.sign({**claims, "aud": "someone-else"})
        elif tamper == "wrong_issuer":
            token = stub.sign({**claims, "iss": "https://evil.example"})
        elif tamper == "expired":
            token = stub.sign({**claims, "exp": int(time.time()) - 3600})
        elif tamper == "unknown_kid":
            token = stub.sign(claims, key=RSAKey.generate_key(2048), kid="rotated-away")
        else:
            token = stub.sign({**claims, "groups": ["sales"]})
        stub.id_token = token
        response = come_back(client, nonce_state["state"])
        assert response.status_code == 403, response.text
        assert "Single sign-on refused" in response.text
        assert client.get("/api/v1/session").status_code == 401
    assert any(reason in r for r in refusals(setup.server, setup.account_sid))
    assert name not in people_named(setup.server, setup.account_sid)


def test_a_replayed_nonce_is_refused(setup: Setup) -> None:
    stub = setup.stub
    name = unique("replay")
    with browser(setup.server) as client:
        first = go_to_provider(client, setup.account_sid)
        claims = stub.claims(first["nonce"], CLIENT_ID, sub=f"sub-{name}", preferred_username=name)
        stub.id_token = stub.sign(claims)
        assert come_back(client, first["state"]).status_code == 303
    with browser(setup.server) as client:
        second = go_to_provider(client, setup.account_sid)
        # The provider (or an attacker) hands back the first sign-in's token.
        response = come_back(client, second["state"])
        assert response.status_code == 403
    assert "wrong or replayed nonce" in refusals(setup.server, setup.account_sid)


def test_a_state_is_used_once_and_only_by_the_browser_that_started(setup: Setup) -> None:
    stub = setup.stub
    before = last_seq(setup.server)
    with browser(setup.server) as client:
        seen = go_to_provider(client, setup.account_sid)
        with browser(setup.server) as other:  # another browser: no state cookie
            assert come_back(other, seen["state"]).status_code == 403
        # A state used elsewhere is spent, even for the browser that started it.
        assert come_back(client, seen["state"]).status_code == 403
        started = go_to_provider(client, setup.account_sid)
        stub.id_token = stub.sign(stub.claims(started["nonce"], CLIENT_ID))
        assert come_back(client, started["state"]).status_code == 303
        client.cookies.set("hindsight_sso_state", started["state"], path="/sso")
        assert come_back(client, started["state"]).status_code == 403
    reasons = refusals(setup.server, setup.account_sid)
    assert "the sign-in was not started in this browser" in reasons
    unknown = refusals(setup.server, None, before)
    assert unknown.count("unknown, used or expired sign-in state") == 2


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "x" * 500, "code": "c"},
        {"state": "<script>", "code": "c"},
        {"error": "access_denied", "state": "nope"},
        {"code": "c"},
        {"state": "zustand-\u00fc", "code": "c"},
    ],
)
def test_odd_callbacks_get_a_page_not_a_5xx(server: RunningServer, params: dict) -> None:
    with browser(server) as client:
        sent = params.get("state", "").encode("ascii", "ignore").decode()  # cookies are ASCII
        client.cookies.set("hindsight_sso_state", sent, path="/sso")
        response = client.get("/sso/callback", params=params)
    assert response.status_code == 403
    assert "<script>" not in response.text


def test_the_provider_saying_no_is_refused_with_its_answer(setup: Setup) -> None:
    with browser(setup.server) as client:
        started = go_to_provider(client, setup.account_sid)
        response = client.get(
            "/sso/callback", params={"state": started["state"], "error": "access_denied"}
        )
    assert response.status_code == 403
    assert "the provider answered 'access_denied'" in refusals(setup.server, setup.account_sid)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_provider_that_is_down_gives_a_clear_page(server: RunningServer) -> None:
    account = server.new_account()
    admin = person(server, account.sid, ["admin"], name="admin")
    try:
        assert configure(admin, f"http://127.0.0.1:{closed_port()}").status_code == 200
        with browser(server) as client:
            response = client.get(f"/sso/{account.sid}/start")
        assert response.status_code == 424
        assert "cannot be reached" in response.text
        assert "<form" in response.text  # the sign-in page, with the password form
    finally:
        admin.close()


def test_unknown_accounts_and_sids_at_start(server: RunningServer) -> None:
    with browser(server) as client:
        assert client.get("/sso/not-a-sid/start").status_code == 404
        assert client.get("/sso/AC" + "0" * 32 + "/start").status_code == 404
        assert client.get("/sso/AC" + "0" * 32 + "/start?next=//evil.example").status_code == 404


def test_not_provisioned_people_are_refused_when_accounts_do_not_create_them(
    setup: Setup,
) -> None:
    assert configure(setup.admin, setup.stub.issuer, create_people=False).status_code == 200
    name = unique("stranger")
    with browser(setup.server) as client:
        started = go_to_provider(client, setup.account_sid)
        setup.stub.id_token = setup.stub.sign(
            setup.stub.claims(started["nonce"], CLIENT_ID, sub=f"s-{name}", preferred_username=name)
        )
        assert come_back(client, started["state"]).status_code == 403
    assert any(r.startswith("not provisioned") for r in refusals(setup.server, setup.account_sid))
    assert name not in people_named(setup.server, setup.account_sid)


def test_a_provider_that_goes_down_during_the_sign_in_gives_a_clear_page(
    server: RunningServer,
) -> None:
    account = server.new_account()
    admin = person(server, account.sid, ["admin"], name="admin")
    try:
        with token_stub() as short_lived:
            assert configure(admin, short_lived.issuer).status_code == 200
            client = browser(server)
            started = go_to_provider(client, account.sid)
        # The provider is gone by the time the browser comes back with its code.
        response = come_back(client, started["state"])
        client.close()
        assert response.status_code == 424
        assert "cannot be reached" in response.text
        assert "the identity provider cannot be reached" in refusals(server, account.sid)
    finally:
        admin.close()


def test_sso_turned_off_refuses_new_and_half_done_sign_ins(setup: Setup) -> None:
    with browser(setup.server) as client:
        started = go_to_provider(client, setup.account_sid)
        assert configure(setup.admin, setup.stub.issuer, enabled=False).status_code == 200
        setup.stub.id_token = setup.stub.sign(setup.stub.claims(started["nonce"], CLIENT_ID))
        assert come_back(client, started["state"]).status_code == 403
        refused = client.get(f"/sso/{setup.account_sid}/start")
        assert refused.status_code == 403 and "not enabled" in refused.text
        assert setup.account_sid not in client.get("/login").text
    reasons = refusals(setup.server, setup.account_sid)
    assert "single sign-on is not enabled for this account" in reasons


def _sign_in_with_groups(setup: Setup, name: str, groups: list[str]) -> httpx.Response:
    with browser(setup.server) as client:
        request = go_to_provider(client, setup.account_sid)
        setup.stub.id_token = setup.stub.sign(
            setup.stub.claims(
                request["nonce"],
                CLIENT_ID,
                sub=f"sub-{name}",
                preferred_username=name,
                groups=groups,
            )
        )
        response = come_back(client, request["state"])
        if response.status_code == 303:
            response = client.get("/api/v1/session")
        return response


def _provision(setup: Setup, name: str, mapping: dict[str, object] | None) -> None:
    """`name` provisioned through SCIM in a group, with the account's SCIM mapping set."""
    headers = {"X-CSRF-Token": setup.admin.csrf}
    token = setup.admin.post("/api/v1/scim/tokens", {"name": "IdP"}).json()["token"]
    scim = httpx.Client(
        base_url=f"{setup.server.base_url}/scim/v2",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=30,
    )
    with scim:
        user = scim.post(
            "/Users",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name},
        )
        assert user.status_code == 201, user.text
        group = scim.post(
            "/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "QA Team",
                "members": [{"value": user.json()["id"]}],
            },
        )
        assert group.status_code == 201, group.text
    if mapping is not None:
        saved = setup.admin.http.put("/api/v1/scim/mapping", json=mapping, headers=headers)
        assert saved.status_code == 200, saved.text


def test_scims_group_mapping_gives_a_provisioned_persons_roles_not_the_token(
    setup: Setup,
) -> None:
    # With SCIM's mapping in force the person's roles come from their SCIM groups only: a token
    # whose groups map to nothing still signs them in, with the roles SCIM gave, unchanged.
    name = unique("qa")
    _provision(setup, name, {"groups": {"QA Team": {"roles": ["wfo.quality_manager"]}}})
    me = _sign_in_with_groups(setup, name, ["unmapped"])
    assert me.status_code == 200, me.text
    assert me.json()["user"]["auth_provider"] == "scim"
    assert me.json()["user"]["roles"] == ["wfo.quality_manager"]
    # ... and a token that maps to a role does not replace them either.
    me = _sign_in_with_groups(setup, name, ["it-admins"])
    assert me.json()["user"]["roles"] == ["wfo.quality_manager"]


def test_without_scims_mapping_the_token_gives_a_provisioned_persons_roles(setup: Setup) -> None:
    name = unique("qa")
    _provision(setup, name, None)
    before = last_seq(setup.server)
    refused = _sign_in_with_groups(setup, name, ["unmapped"])
    assert refused.status_code != 200
    assert refusals(setup.server, setup.account_sid, before) == [
        "no group maps to a role (groups: unmapped)"
    ]
    me = _sign_in_with_groups(setup, name, ["supervisors"])
    assert me.status_code == 200, me.text
    assert me.json()["user"]["roles"] == ["wfo.team_leader"]


def test_the_sign_in_page_names_only_the_organisation_the_browser_came_for(setup: Setup) -> None:
    other = setup.server.new_account()
    other_admin = person(setup.server, other.sid, ["admin"], name="admin")
    try:
        configured = configure(other_admin, setup.stub.issuer, display_name="Other Org")
        assert configured.status_code == 200, configured.text
    finally:
        other_admin.close()
    with browser(setup.server) as client:
        page = client.get("/login").text
        assert "Test IdP" not in page and "Other Org" not in page
        assert setup.account_sid not in page and other.sid not in page
        linked = client.get("/login", params={"account": setup.account_sid}).text
        assert f"/sso/{setup.account_sid}/start" in linked and "Test IdP" in linked
        assert "Other Org" not in linked and other.sid not in linked
        for odd in ("AC" + "0" * 32, "not-a-sid", "<script>", "AC" + "f" * 40):
            answer = client.get("/login", params={"account": odd})
            assert answer.status_code == 200 and "Sign in with" not in answer.text
        # A refused password keeps the link's account on the page it answers with.
        refused = client.post(
            "/login",
            data={"username": "nobody", "password": "x", "account": setup.account_sid},
            headers={"origin": setup.server.base_url},
        )
        assert refused.status_code == 401 and "Test IdP" in refused.text
        assert "Other Org" not in refused.text
        # After a sign-in through it, this browser is offered its account again.
        request = go_to_provider(client, setup.account_sid)
        setup.stub.id_token = setup.stub.sign(
            setup.stub.claims(
                request["nonce"],
                CLIENT_ID,
                sub=unique("sub"),
                preferred_username=unique("linked"),
                groups=["supervisors"],
            )
        )
        returned = come_back(client, request["state"])
        assert returned.status_code == 303, returned.text
        client.cookies.delete("hindsight_session")
        remembered = client.get("/login").text
        assert "Test IdP" in remembered and "Other Org" not in remembered


def test_admins_are_given_their_peoples_sign_in_link(setup: Setup) -> None:
    described = setup.admin.get("/api/v1/sso").json()
    assert described["sign_in_url"] == (
        f"{setup.server.base_url}/login?account={setup.account_sid}"
    )
