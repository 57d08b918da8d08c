"""The search box in Chromium: words found in chats with the match marked, identifiers that
open their conversation, the customer field and the customer in the list and header."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hindsight.store import insights_queries
from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import (  # noqa: F401 (fixtures)
    Scene,
    _projected,
    _row,
    people,
    scene,
    sign_in,
)


@pytest.fixture(scope="module")
def jane(scene: Scene) -> str:  # noqa: F811
    handled = scene.shop.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": "ui-jane", "handling_team_name": "Team A"},
            "customers": {"name": "Jane Doe", "phone": "(555) 010-4477"},
        }
    )
    scene.tasks["ui-jane"] = handled
    _projected(scene, "ui-jane")
    return "ui-jane"


def _search(page: Page, text: str) -> None:
    page.get_by_label("Search", exact=True).fill(text)
    page.get_by_role("button", name="Search").click()


def test_a_word_from_a_chat_finds_it_with_the_match_marked(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    _search(page, "late")
    expect(_row(page, "ui-chat")).to_be_visible()
    expect(_row(page, "ui-call")).to_have_count(0)
    expect(page.locator("p.total")).to_have_text("1 conversation")
    snippet = page.locator("tr.snippet").first
    expect(snippet).to_contain_text("In the chat")
    expect(snippet.locator("mark")).to_have_text("late")
    screenshot(page, "search-transcript-snippet")
    # Markup in a message is shown as text inside the snippet, never run.
    _search(page, "onerror")
    expect(page.locator("tr.snippet mark").first).to_have_text("onerror")
    expect(page.locator("tr.snippet").first).to_contain_text("<img src=x")
    assert page.evaluate("window.__xss") is None
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_total_past_the_cap_says_more_than_the_cap(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The list counts up to TOTAL_CAP conversations, then says "More than …"; a search
    finding fewer shows its exact total."""
    monkeypatch.setattr(insights_queries, "TOTAL_CAP", 2)
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    expect(page.locator("p.total")).to_have_text("More than 2 conversations")
    _search(page, "late")
    expect(_row(page, "ui-chat")).to_be_visible()
    expect(page.locator("p.total")).to_have_text("1 conversation")
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_identifier_typed_in_the_search_box_opens_its_conversation(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    call = scene.tasks["ui-call"]
    for typed, conversation in (
        (call.task_sid, "ui-call"),
        ("WR" + call.reservation_sid[2:].upper(), "ui-call"),
        ("ui-embed", "ui-embed"),
    ):
        page.goto(f"{scene.server.base_url}/conversations?range=all")
        _search(page, typed)
        page.wait_for_url(f"**/conversations/{conversation}*")
        expect(page.get_by_role("heading", name=f"Conversation {conversation}")).to_be_visible()


def test_an_identifier_out_of_scope_opens_nothing(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["scoped"], "/conversations?range=all")
    _search(page, scene.tasks["ui-other-team"].task_sid)
    expect(page.locator("td.empty")).to_be_visible()
    assert "/conversations/ui-other-team" not in page.url


def test_the_customer_field_and_the_customer_in_list_and_header(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
    jane: str,
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    page.get_by_label("Customer").fill("+1 555 010 4477")
    page.get_by_role("button", name="Search").click()
    expect(_row(page, jane)).to_be_visible()
    expect(page.locator("tbody a.drill")).to_have_count(1)
    expect(page.locator("td.customer").first).to_have_text("Jane Doe")
    screenshot(page, "search-customer")
    _row(page, jane).click()
    page.wait_for_url(f"**/conversations/{jane}*")
    expect(page.locator(".conversation-head dd.customer")).to_have_text("Jane Doe")


def test_unusable_search_text_is_an_error_page_not_a_crash(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    response = page.goto(f"{scene.server.base_url}/conversations?customer=%20x%00")
    assert response is not None and response.status == 400
    response = page.goto(f'{scene.server.base_url}/conversations?q="unbalanced AND NEAR(')
    assert response is not None and response.status == 200
