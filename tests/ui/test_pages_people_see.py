"""What people see around the screens, in Chromium: an unknown address is Hindsight's HTML error
page (API clients still get JSON), the audit page pages past its first hundred records and
filters by who, action, object, outcome and period, with objects linked to what they name, and
the filter forms fit a phone-width screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from hindsight.audit.trail import Actor
from tests.api.helpers_recordings import Tenant, tenant
from tests.support.people import person
from tests.support.server import RunningServer
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import sign_in


@pytest.fixture(scope="module")
def shop(ui_server: RunningServer) -> Tenant:
    return tenant(ui_server, "pages")


@pytest.fixture(scope="module")
def admin(ui_server: RunningServer, shop: Tenant) -> Any:
    return person(ui_server, shop.account.sid, ("admin",), name="auditor", login=False)


@pytest.fixture(scope="module")
def busy_trail(ui_server: RunningServer, shop: Tenant, admin: Any) -> str:
    """250 records by one actor (more than two pages), the last naming a conversation."""
    who = Actor("user", admin.sid, "busy-bee", account_sid=shop.account.sid)
    audit = ui_server.runtime.services.audit

    async def record() -> None:
        for n in range(249):
            await audit.record(who, "report.view", object_type="report", object_id=f"r-{n}")
        await audit.record(
            who, "conversation.read", object_type="conversation", object_id="conv-42"
        )

    ui_server.call(record())
    return "busy-bee"


def test_an_unknown_address_is_an_html_page_for_a_browser(
    page: Page, ui_server: RunningServer, admin: Any
) -> None:
    sign_in(page, Scene(ui_server), admin)
    response = page.goto(f"{ui_server.base_url}/no/such/page")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to conversations")).to_be_visible()
    screenshot(page, "error-unknown-page")
    api = httpx.get(f"{ui_server.base_url}/api/v1/no-such", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["status"] == 404
    plain = httpx.get(f"{ui_server.base_url}/no/such/page")
    assert plain.status_code == 404 and plain.json()["code"] == 20404


class Scene:
    def __init__(self, server: RunningServer) -> None:
        self.server = server


def test_the_audit_page_pages_filters_and_links(
    page: Page, ui_server: RunningServer, admin: Any, busy_trail: str
) -> None:
    sign_in(page, Scene(ui_server), admin, "/admin/audit")
    page.get_by_label("Who (user name or SID)").fill(busy_trail)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(100)
    link = page.get_by_role("link", name="conv-42")
    expect(link).to_have_attribute("href", "/conversations/conv-42")
    page.get_by_role("link", name="Older records").click()
    expect(rows).to_have_count(100)
    expect(rows.first).to_contain_text("r-149")
    page.get_by_role("link", name="Older records").click()
    expect(rows).to_have_count(50)
    expect(rows.last).to_contain_text("r-0")
    expect(page.get_by_role("link", name="Older records")).to_have_count(0)
    screenshot(page, "audit-last-page")
    page.get_by_role("link", name="Newest records").click()
    expect(rows.first).to_contain_text("conv-42")
    # Filters by action and object, and by a period that holds none of them.
    page.get_by_label("Action").fill("conversation")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    page.get_by_label("Action").fill("")
    page.get_by_label("Object").fill("r-7")
    page.get_by_role("button", name="Search").click()
    expect(rows.first).to_contain_text("r-7")
    page.get_by_label("Object").fill("")
    long_ago = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y-%m-%d")
    page.get_by_label("From (date)").fill(long_ago)
    page.get_by_label("To (date)").fill(long_ago)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.audit tbody td.empty")).to_have_text("No records.")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/conversations", "/reports", "/admin/audit"])
def test_filter_forms_fit_a_phone_width_screen(
    browser: Browser, ui_server: RunningServer, admin: Any, path: str
) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, Scene(ui_server), admin, path)
        form = phone.locator("form.filter-form")
        expect(form).to_be_visible()
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
        card = form.bounding_box()
        assert card is not None
        for field in form.locator("input:visible, select:visible").all():
            box = field.bounding_box()
            assert box is not None and box["x"] >= card["x"]
            assert box["x"] + box["width"] <= card["x"] + card["width"], field.get_attribute("id")
        screenshot(phone, "phone" + path.replace("/", "-"))
    finally:
        context.close()
