"""The conversation timeline in Chromium: a lane for the queue and for the agent on one time
axis, the phases of each drawn in order, and the header naming the customer, the queue and the
agent the conversation went through."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.api.helpers_recordings import Tenant, tenant
from tests.support.people import person
from tests.support.server import RunningServer
from tests.support.waiting import wait_for, wait_for_task_age
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import sign_in


class _Scene:
    def __init__(self, server: RunningServer) -> None:
        self.server = server


@pytest.fixture(scope="module")
def shop(ui_server: RunningServer) -> Tenant:
    shop = tenant(ui_server, "timeline")
    attributes = {
        "type": "call",
        "conversations": {"conversation_id": "timeline-call"},
        "customers": {"name": "Grace Hopper"},
    }
    handled = shop.handle(attributes, complete=False)
    tasks = shop.floor.api.tasks
    wait_for_task_age(tasks(handled.task_sid), 3)  # a talk long enough to be drawn
    tasks(handled.task_sid).update(assignment_status="wrapping")
    wait_for_task_age(tasks(handled.task_sid), 2)  # and a wrap-up
    tasks(handled.task_sid).update(assignment_status="completed", reason="done")

    def projected() -> bool | None:
        response = httpx.get(
            f"{ui_server.base_url}/api/v1/insights/conversations/timeline-call",
            auth=shop.auth,
            timeout=30,
        )
        if response.status_code != 200:
            return None
        return any(s["kind"] == "Conversation" for s in response.json()["segments"]) or None

    wait_for(projected, "timeline-call projected", timeout=20)
    return shop


def test_the_timeline_shows_queue_and_agent_lanes_and_names_them(
    page: Page, ui_server: RunningServer, shop: Tenant
) -> None:
    lead: Any = person(ui_server, shop.account.sid, ("wfo.full_access",), login=False)
    sign_in(page, _Scene(ui_server), lead, "/conversations/timeline-call")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_be_visible()
    expect(timeline.locator(".timeline-facts")).to_contain_text("Grace Hopper")
    lanes = timeline.locator(".lane")
    expect(lanes).to_have_count(2)
    expect(lanes.nth(0)).to_have_class("lane queue")
    expect(lanes.nth(1)).to_have_class("lane agent")
    queue = lanes.nth(0).get_attribute("data-lane")
    agent = lanes.nth(1).get_attribute("data-lane")
    expect(timeline.locator(".timeline-facts .route").nth(0)).to_have_text(queue or "")
    expect(timeline.locator(".timeline-facts .route").nth(1)).to_have_text(agent or "")
    expect(lanes.nth(0).locator("rect.phase")).to_have_attribute("data-phase", "queue")
    drawn = lanes.nth(1).locator("rect.phase")
    assert "talk" in [drawn.nth(i).get_attribute("data-phase") for i in range(drawn.count())]
    # Phases run left to right along one axis.
    starts = [float((r.get_attribute("x") or "0%").rstrip("%")) for r in drawn.all()]
    assert starts == sorted(starts)
    talk = lanes.nth(1).locator('rect[data-phase="talk"]').bounding_box()
    assert talk is not None and talk["width"] > 5
    screenshot(page, "conversation-timeline")
    assert page.errors == []  # type: ignore[attr-defined]
