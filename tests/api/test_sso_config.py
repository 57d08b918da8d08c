"""An account's SSO configuration through `/api/v1/sso`: who may see and change it, bad input,
the sealed client secret, local passwords turned off with an audited break-glass admin, and the
roles of SSO people kept out of admins' hands. Both storage backends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from hindsight.store import sso as sso_store
from hindsight.store.schema import audit_records, sso_providers
from tests.api.test_sso_callback import (
    CLIENT_ID,
    browser,
    come_back,
    configure,
    go_to_provider,
)
from tests.support.oidc_provider import TokenStub, token_stub
from tests.support.people import Person, audit_of, person, unique
from tests.support.server import RunningServer

SECRET = "s3cret-value"


@pytest.fixture(scope="module")
def stub() -> Iterator[TokenStub]:
    with token_stub() as running:
        yield running


@pytest.fixture
def admin(server: RunningServer) -> Iterator[Person]:
    account = server.new_account()
    who = person(server, account.sid, ["admin"], name="admin")
    try:
        yield who
    finally:
        who.close()


def account_of(server: RunningServer, who: Person) -> str:
    return server.call(server.runtime.services.users.find(who.username)).account_sid


def test_admins_read_back_what_they_saved_but_never_the_secret(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    assert admin.get("/api/v1/sso").json()["enabled"] is False
    saved = configure(admin, stub.issuer)
    assert saved.status_code == 200, saved.text
    shown = admin.get("/api/v1/sso").json()
    assert shown["has_client_secret"] is True
    assert SECRET not in str(shown)
    assert shown["redirect_uri"] == f"{server.base_url}/sso/callback"
    assert shown["scopes"] == "openid profile email"
    # Shown in the one group-mapping format SCIM uses too (domain/group_mapping.py).
    assert shown["claims_mapping"]["group_roles"]["supervisors"] == {"roles": ["wfo.team_leader"]}
    # The database holds the secret sealed, not as it was sent.
    account = account_of(server, admin)
    record = server.runtime.db.read_sync(lambda conn: sso_store.get_provider(conn, account))
    assert record.client_secret_sealed and SECRET not in record.client_secret_sealed
    # Saving without a secret keeps the one set.
    again = configure(admin, stub.issuer, client_secret=None, display_name="Renamed")
    assert again.json()["has_client_secret"] is True
    # The change is audited, without the secret.
    records = [r for r in audit_of(server, admin.sid) if r["action"] == "sso.configure"]
    assert len(records) == 2 and SECRET not in str(records)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": "javascript:alert(1)"}, "https"),
        ({"issuer": "http://idp.example.com"}, "https"),
        ({"issuer": "https://idp.example.com/?x=1"}, "query"),
        ({"issuer": ""}, "issuer"),
        ({"issuer": 42}, "issuer"),
        ({"client_id": ""}, "client id"),
        ({"client_id": "x" * 300}, "client id"),
        ({"scopes": "openid <script>"}, "scope"),
        ({"scopes": ["openid"]}, "scopes"),
        ({"enabled": "yes"}, "enabled"),
        ({"claims_mapping": {"group_roles": {"g": ["emperor"]}}}, "Unknown role"),
        ({"claims_mapping": {"group_roles": {"g": []}}}, "list of roles"),
        ({"claims_mapping": {"group_roles": ["g"]}}, "group_roles"),
        ({"claims_mapping": {"scope_claims": {"planets": "p"}}}, "scope kind"),
        ({"claims_mapping": {"groups_claim": ""}}, None),
        ({"claims_mapping": {"surprise": 1}}, "Unknown claims mapping field"),
        ({"claims_mapping": "groups"}, "JSON object"),
        ({"client_secret": 12}, "client_secret"),
        ({"local_passwords": False, "break_glass_user_sid": "US" + "0" * 32}, "break-glass"),
        ({"surprise": True}, "Unknown field"),
        ({"break_glass_user_sid": "x" * 500}, "break-glass"),
        ({"break_glass_user_sid": 17}, "break-glass"),
    ],
)
def test_bad_configurations_are_refused_and_change_nothing(
    server: RunningServer, admin: Person, stub: TokenStub, changes: dict, message: str | None
) -> None:
    changes = dict(changes)  # the same parameters serve both backends
    response = configure(admin, changes.pop("issuer", stub.issuer), **changes)
    if message is None:  # an empty claim name falls back to the default
        assert response.status_code == 200
        assert response.json()["claims_mapping"]["groups_claim"] == "groups"
        return
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    account = account_of(server, admin)
    assert server.runtime.db.read_sync(lambda conn: sso_store.get_provider(conn, account)) is None


def test_bodies_that_are_not_json_objects(admin: Person) -> None:
    headers = {"X-CSRF-Token": admin.csrf or "", "Content-Type": "application/json"}
    assert admin.http.post("/api/v1/sso", content=b"{", headers=headers).status_code == 400
    assert admin.http.post("/api/v1/sso", content=b"[]", headers=headers).status_code == 400
    big = b'{"display_name": "' + b"x" * 70_000 + b'"}'
    assert admin.http.post("/api/v1/sso", content=big, headers=headers).status_code == 413


def test_only_admins_of_the_account_see_or_change_it(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    account = account_of(server, admin)
    leader = person(server, account, ["wfo.team_leader"], name="leader")
    try:
        assert leader.get("/api/v1/sso").status_code == 403
        assert configure(leader, stub.issuer).status_code == 403
    finally:
        leader.close()
    assert admin.post("/api/v1/sso", {"issuer": stub.issuer}, csrf=False).status_code == 403
    with httpx.Client(base_url=server.base_url) as anonymous:
        assert anonymous.get("/api/v1/sso").status_code == 401
        assert anonymous.post("/api/v1/sso", json={}).status_code == 401
    # Another account's admin sees their own (empty) configuration, not this one.
    configure(admin, stub.issuer)
    other = person(server, server.new_account().sid, ["admin"], name="other")
    try:
        assert other.get("/api/v1/sso").json()["issuer"] == ""
    finally:
        other.close()


def test_local_passwords_off_refuses_passwords_but_the_break_glass_admins(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    account = account_of(server, admin)
    leader = person(server, account, ["wfo.team_leader"], name="leader", login=False)
    try:
        response = configure(admin, stub.issuer, local_passwords=False)
        assert response.status_code == 200, response.text
        assert response.json()["break_glass_user_sid"] == admin.sid  # the admin saving it
        assert leader.login().status_code == 401
        denied = [r for r in audit_of(server, leader.sid) if r["action"] == "auth.login"]
        assert denied[-1]["outcome"] == "denied"
        assert "local passwords are turned off" in denied[-1]["reason"]
        # The break-glass admin still signs in, and every such sign-in is on the record.
        assert admin.login().status_code == 200
        used = [r for r in audit_of(server, admin.sid) if r["action"] == "auth.break_glass"]
        assert len(used) == 1 and used[0]["outcome"] == "allowed"
        # Passwords back on: everyone signs in again, nothing more is break-glass.
        assert configure(admin, stub.issuer, local_passwords=True).status_code == 200
        assert leader.login().status_code == 200
        admin.login()
        again = [r for r in audit_of(server, admin.sid) if r["action"] == "auth.break_glass"]
        assert len(again) == 1
    finally:
        leader.close()


def test_a_break_glass_user_must_be_a_local_admin_of_the_account(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    account = account_of(server, admin)
    leader = person(server, account, ["wfo.team_leader"], name="leader", login=False)
    stranger = person(server, server.new_account().sid, ["admin"], name="stranger", login=False)
    try:
        for sid in (leader.sid, stranger.sid, "not-a-sid"):
            response = configure(
                admin, stub.issuer, local_passwords=False, break_glass_user_sid=sid
            )
            assert response.status_code == 400, sid
    finally:
        leader.close()
        stranger.close()


def test_roles_of_people_the_provider_manages_are_not_edited_by_hand(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    assert configure(admin, stub.issuer).status_code == 200
    account = account_of(server, admin)
    name = unique("sso")
    with browser(server) as client:
        started = go_to_provider(client, account)
        stub.id_token = stub.sign(
            stub.claims(started["nonce"], CLIENT_ID, sub=f"s-{name}", preferred_username=name)
        )
        assert come_back(client, started["state"]).status_code == 303
    sid = server.call(server.runtime.services.users.find(name)).sid
    refused = admin.post(f"/api/v1/users/{sid}", {"roles": ["admin"]})
    assert refused.status_code == 409
    assert "identity provider" in refused.json()["message"]
    assert admin.post(f"/api/v1/users/{sid}", {"scope": {"teams": ["X"]}}).status_code == 409
    # Their status is still the admin's to change (disabling ends access at once).
    assert admin.post(f"/api/v1/users/{sid}", {"status": "disabled"}).status_code == 200
    assert admin.get(f"/api/v1/users/{sid}").json()["roles"] == ["wfo.team_leader"]


def test_changed_groups_replace_roles_at_the_next_sign_in_and_end_old_sessions(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    assert configure(admin, stub.issuer).status_code == 200
    account = account_of(server, admin)
    name = unique("mover")

    def sign_in(client: httpx.Client, groups: list[str]) -> None:
        started = go_to_provider(client, account)
        stub.id_token = stub.sign(
            stub.claims(
                started["nonce"],
                CLIENT_ID,
                sub=f"s-{name}",
                preferred_username=name,
                groups=groups,
            )
        )
        assert come_back(client, started["state"]).status_code == 303

    with browser(server) as first, browser(server) as second:
        sign_in(first, ["supervisors"])
        assert first.get("/api/v1/session").json()["user"]["roles"] == ["wfo.team_leader"]
        sign_in(second, ["it-admins"])
        assert second.get("/api/v1/session").json()["user"]["roles"] == ["admin"]
        # The session on the old rights is over.
        assert first.get("/api/v1/session").status_code == 401


def test_the_stored_configuration_row_matches_what_the_api_says(
    server: RunningServer, admin: Person, stub: TokenStub
) -> None:
    configure(admin, stub.issuer, create_people=False, scopes="openid groups")
    account = account_of(server, admin)
    row = server.runtime.db.read_sync(
        lambda conn: conn.execute(
            select(sso_providers).where(sso_providers.c.account_sid == account)
        ).first()
    )
    assert row.scopes == "openid groups" and not row.create_people
    actions = server.runtime.db.read_sync(
        lambda conn: [
            r.action
            for r in conn.execute(
                select(audit_records.c.action).where(audit_records.c.account_sid == account)
            )
        ]
    )
    assert "sso.configure" in actions
