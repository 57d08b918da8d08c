"""The Admin page's "Provisioning (SCIM)" section in Chromium: a token issued and shown once,
used by a real SCIM request, each person's source shown, the mapping saved, the token
revoked; HTML in names stays text."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.support.people import PASSWORD, person
from tests.support.server import RunningServer
from tests.ui.conftest import screenshot

MAPPING = '{"groups": {"QA Team": {"roles": ["wfo.quality_manager"], "teams": ["Sales"]}}}'


def _sign_in(page: Page, server: RunningServer, username: str) -> None:
    page.goto(f"{server.base_url}/admin")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin")


def _scim(server: RunningServer, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/scim/v2",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=30,
    )


def test_an_admin_sets_up_provisioning_from_the_admin_page(
    page: Page, ui_server: RunningServer
) -> None:
    account = ui_server.new_account("provisioning")
    admin = person(ui_server, account.sid, ("admin",), name="admin", login=False)
    _sign_in(page, ui_server, admin.username)
    section = page.locator("#provisioning")
    expect(section.locator("#scim-endpoint")).to_have_text(f"{ui_server.base_url}/scim/v2")
    section.get_by_label("Token name").fill("<b>Okta</b>")
    section.get_by_role("button", name="Issue token").click()
    result = section.locator("#new-scim-token-result")
    expect(result).to_contain_text("shown once")
    token = result.inner_text().rsplit(": ", 1)[1].strip()
    assert token.startswith("hscim_")

    with _scim(ui_server, token) as scim:
        created = scim.post("/Users", json={"userName": "ada.scim", "displayName": "Ada"})
        assert created.status_code == 201, created.text
        scim.post(
            "/Groups", json={"displayName": "QA Team", "members": [{"value": created.json()["id"]}]}
        )
        page.reload()
        rows = page.locator("table.users tbody tr")
        expect(rows.filter(has_text="ada.scim").locator("td").nth(2)).to_have_text("SCIM")
        expect(rows.filter(has_text=admin.username).locator("td").nth(2)).to_have_text("local")
        # No password to reset for a person who signs in through the identity provider.
        expect(
            rows.filter(has_text="ada.scim").get_by_role("button", name="Reset password")
        ).to_have_count(0)
        tokens = section.locator("table.scim-tokens tbody tr")
        expect(tokens).to_have_count(1)
        expect(tokens.first.locator("td").first).to_have_text("<b>Okta</b>")  # text, not markup

        section.get_by_label("Mapping (JSON)").fill("{not json")
        section.get_by_role("button", name="Save mapping").click()
        expect(section.locator("#scim-mapping-result")).to_contain_text("not valid JSON")
        section.get_by_label("Mapping (JSON)").fill(MAPPING)
        section.get_by_role("button", name="Save mapping").click()
        expect(section.locator("#scim-mapping-result")).to_contain_text("1 provisioned people")
        page.reload()
        expect(rows.filter(has_text="ada.scim").locator("td").nth(3)).to_have_text(
            "wfo.quality_manager"
        )
        screenshot(page, "admin-provisioning")

        tokens.first.get_by_role("button", name="Revoke").click()
        expect(tokens.first.locator("td").nth(4)).to_have_text("revoked")
        assert scim.get("/Users").status_code == 401
    assert page.errors == []  # type: ignore[attr-defined]
