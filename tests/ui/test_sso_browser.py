"""Single sign-on end to end: Chromium signs in through a real OpenID provider
(node-oidc-provider, started by the suite) on both storage backends — people created just in
time with mapped roles and scope, a SCIM-provisioned person linked, refusals (no role,
disabled), the Admin page's test sign-in, and sign-out ending both sessions."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hindsight.domain.sids import Prefix, new_sid
from hindsight.store import users as user_store
from hindsight.store.schema import audit_records, sessions
from tests.support.oidc_provider import RealProvider, start_provider
from tests.support.people import PASSWORD, Person, person, unique
from tests.support.server import RunningServer
from tests.ui.conftest import screenshot

CLIENT_ID = "hindsight"
CLIENT_SECRET = "a-long-client-secret-for-the-test-provider"


@dataclass
class Idp:
    server: RunningServer
    provider: RealProvider
    account_sid: str
    admin: Person
    names: dict[str, str]


def _provisioned(server: RunningServer, account_sid: str, username: str, status: str) -> str:
    """A person as SCIM provisioning leaves them: source 'scim', no subject yet."""
    sid = new_sid(Prefix.USER)
    now = 1_700_000_000_000
    row = {
        "sid": sid,
        "account_sid": account_sid,
        "username": username,
        "full_name": None,
        "email": f"{username}@example.com",
        "auth_provider": "scim",
        "external_subject": None,
        "password_hash": None,
        "password_changed_ms": None,
        "roles": '["agent"]',
        "scope": "{}",
        "status": status,
    }
    server.runtime.db.write_sync(lambda conn: user_store.insert_user(conn, row, now))
    return sid


@pytest.fixture(scope="module")
def idp(server: RunningServer) -> Iterator[Idp]:
    names = {key: unique(key) for key in ("alice", "bob", "dave", "erin", "tess")}
    users = {
        f"sub-{names['alice']}": {
            "preferred_username": names["alice"],
            "email": f"{names['alice']}@example.com",
            "name": "Alice Supervisor",
            "groups": ["hindsight-supervisors", "everyone"],
            "team": "Team A",
        },
        f"sub-{names['bob']}": {"preferred_username": names["bob"], "groups": ["sales"]},
        # Dave's provider knows him by e-mail only; SCIM created him under the same address.
        f"sub-{names['dave']}": {
            "email": f"{names['dave']}@example.com",
            "groups": ["hindsight-analysts"],
        },
        f"sub-{names['tess']}": {
            "preferred_username": names["tess"],
            "groups": ["hindsight-supervisors"],
            "team": ["Team B", "Team C"],
        },
        f"sub-{names['erin']}": {
            "preferred_username": names["erin"],
            "groups": ["hindsight-analysts"],
        },
    }
    provider = start_provider(
        [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{server.base_url}/sso/callback"],
                "post_logout_redirect_uris": [f"{server.base_url}/login"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }
        ],
        users,
    )
    account = server.new_account()
    admin = person(server, account.sid, ["admin"], name="admin")
    _provisioned(server, account.sid, names["dave"], "active")
    _provisioned(server, account.sid, names["erin"], "disabled")
    response = admin.post(
        "/api/v1/sso",
        {
            "enabled": True,
            "display_name": f"Okta {account.sid[-6:]}",
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "create_people": True,
            "claims_mapping": {
                "groups_claim": "groups",
                "group_roles": {
                    "hindsight-supervisors": ["wfo.team_leader"],
                    "hindsight-analysts": ["wfo.data_analyst"],
                },
                "scope_claims": {"teams": "team"},
            },
        },
    )
    assert response.status_code == 200, response.text
    try:
        yield Idp(server, provider, account.sid, admin, names)
    finally:
        admin.close()
        provider.stop()


def sign_in_at_provider(page: Page, idp: Idp, login: str) -> None:
    # The organisation's sign-in link: the page names no account's provider on its own, as the
    # test server holds several accounts.
    page.goto(f"{idp.server.base_url}/login?account={idp.account_sid}")
    page.click(f"a[href^='/sso/{idp.account_sid}/start']")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the test provider takes any")
    page.click("button[type=submit]")


def who(page: Page, idp: Idp) -> dict:
    response = page.request.get(f"{idp.server.base_url}/api/v1/session")
    assert response.status == 200, response.text()
    return response.json()["user"]


def audit_reasons(server: RunningServer, account_sid: str, action: str) -> list[tuple[str, str]]:
    def read(conn) -> list[tuple[str, str]]:
        rows = conn.execute(
            select(audit_records.c.outcome, audit_records.c.reason)
            .where(audit_records.c.account_sid == account_sid, audit_records.c.action == action)
            .order_by(audit_records.c.seq)
        )
        return [(r.outcome, r.reason) for r in rows]

    return server.runtime.db.read_sync(read)


def test_a_person_signs_in_through_the_provider_and_is_created_with_mapped_access(
    page: Page, idp: Idp
) -> None:
    sign_in_at_provider(page, idp, f"sub-{idp.names['alice']}")
    page.wait_for_url("**/conversations**")
    me = who(page, idp)
    assert me["username"] == idp.names["alice"]
    assert me["auth_provider"] == "oidc"
    assert me["roles"] == ["wfo.team_leader"]
    assert me["scope"]["teams"] == ["Team A"]
    assert me["full_name"] == "Alice Supervisor"
    screenshot(page, f"sso-signed-in-{idp.server.backend}")  # type: ignore[attr-defined]
    assert ("allowed", None) in audit_reasons(idp.server, idp.account_sid, "auth.sso_login")


def test_a_scim_provisioned_person_is_linked_by_email_and_keeps_their_source(
    page: Page, idp: Idp
) -> None:
    sign_in_at_provider(page, idp, f"sub-{idp.names['dave']}")
    page.wait_for_url("**/conversations**")
    me = who(page, idp)
    assert me["username"] == idp.names["dave"]
    assert me["auth_provider"] == "scim"
    # Roles from the token replace what provisioning gave.
    assert me["roles"] == ["wfo.data_analyst"]
    row = idp.server.runtime.db.read_sync(
        lambda conn: user_store.get_by_username(conn, idp.names["dave"])
    )
    assert row.external_subject == f"sub-{idp.names['dave']}"


def test_claims_that_map_to_no_role_are_refused_with_a_clear_page(page: Page, idp: Idp) -> None:
    sign_in_at_provider(page, idp, f"sub-{idp.names['bob']}")
    expect(page.locator("p.error")).to_contain_text("no group maps to a role")
    assert "/sso/callback" in page.url
    screenshot(page, f"sso-refused-{idp.server.backend}")  # type: ignore[attr-defined]
    reasons = audit_reasons(idp.server, idp.account_sid, "auth.sso_login")
    assert ("denied", "no group maps to a role (groups: sales)") in reasons
    found = idp.server.runtime.db.read_sync(
        lambda conn: user_store.get_by_username(conn, idp.names["bob"])
    )
    assert found is None


def test_a_disabled_person_is_refused(page: Page, idp: Idp) -> None:
    sign_in_at_provider(page, idp, f"sub-{idp.names['erin']}")
    expect(page.locator("p.error")).to_contain_text("user disabled")
    assert ("denied", "user disabled") in audit_reasons(
        idp.server, idp.account_sid, "auth.sso_login"
    )


def test_sign_out_ends_the_hindsight_session_and_the_providers(page: Page, idp: Idp) -> None:
    sign_in_at_provider(page, idp, f"sub-{idp.names['alice']}")
    page.wait_for_url("**/conversations**")
    kept = idp.server.runtime.db.read_sync(
        lambda conn: conn.execute(
            select(sessions.c.id_token_sealed).where(sessions.c.ended_ms.is_(None))
        ).all()
    )
    with page.expect_request(lambda r: r.url.startswith(idp.provider.issuer)) as leaving:
        page.click("form[action='/logout'] button")
    # RP-initiated logout names the session by the ID token it began with (Okta and Entra ID
    # refuse a return address without it), which Hindsight kept sealed, never in the clear.
    hint = parse_qs(urlsplit(leaving.value.url).query)["id_token_hint"][0]
    claims = json.loads(base64.urlsafe_b64decode(hint.split(".")[1] + "=="))
    assert claims["sub"] == f"sub-{idp.names['alice']}"
    assert claims["aud"] == CLIENT_ID
    assert kept and all(hint not in (row.id_token_sealed or "") for row in kept)
    assert any(row.id_token_sealed for row in kept)
    # The provider asks, then comes back to Hindsight's sign-in page.
    page.wait_for_url(f"{idp.provider.issuer}/**")
    page.click("button[name=logout]")
    page.wait_for_url(f"{idp.server.base_url}/login**")
    assert page.request.get(f"{idp.server.base_url}/api/v1/session").status == 401
    # The provider's session is over too: signing in again asks for the login.
    page.click(f"a[href^='/sso/{idp.account_sid}/start']")
    page.wait_for_selector("input[name=login]")


def test_the_admin_page_tests_the_configuration_without_signing_anyone_in(
    page: Page, idp: Idp
) -> None:
    base = idp.server.base_url
    page.goto(f"{base}/login")
    page.fill("#username", idp.admin.username)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/conversations**")
    page.goto(f"{base}/admin")
    expect(page.locator("#sso-redirect-uri")).to_have_text(f"{base}/sso/callback")
    expect(page.locator("table.sso-mapping")).to_contain_text("hindsight-supervisors")
    screenshot(page, f"sso-admin-{idp.server.backend}")  # type: ignore[attr-defined]
    page.click("#sso-test")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", f"sub-{idp.names['tess']}")
    page.fill("input[name=password]", "x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/sso/callback**")
    expect(page.locator("#sso-test-roles")).to_have_text("wfo.team_leader")
    expect(page.locator("#sso-test-verdict")).to_have_text("would be created")
    expect(page.locator(".sso-report")).to_contain_text("teams: Team B, Team C")
    screenshot(page, f"sso-test-report-{idp.server.backend}")  # type: ignore[attr-defined]
    # Nobody was created, and the admin is still the one signed in.
    assert who(page, idp)["username"] == idp.admin.username
    created = idp.server.runtime.db.read_sync(
        lambda conn: user_store.get_by_username(conn, idp.names["tess"])
    )
    assert created is None
    assert audit_reasons(idp.server, idp.account_sid, "sso.test") == [("allowed", None)]
