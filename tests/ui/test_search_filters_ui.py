"""Filters in Chromium: pick lists filled from the data (scoped), named filters in any case,
filter chips (a report drill-down's day included) that survive refining and remove one at a
time, saved searches, and columns hidden per person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

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
def zed(scene: Scene) -> str:  # noqa: F811
    """Team B's conversation handled by an agent Team A's lead must never see named."""
    workers = scene.shop.floor.api.workers(scene.shop.worker_sid)
    workers.update(friendly_name="Zed Secret")
    try:
        scene.tasks["ui-zed"] = scene.shop.handle(
            {
                "type": "call",
                "conversations": {"conversation_id": "ui-zed", "handling_team_name": "Team B"},
            }
        )
    finally:
        workers.update(friendly_name="Agent")
    _projected(scene, "ui-zed")
    return "ui-zed"


def _options(page: Page, name: str) -> list[str]:
    return page.locator(f"datalist#pick-{name} option").evaluate_all(
        "options => options.map(o => o.value)"
    )


def _chips(page: Page) -> list[str]:
    return page.locator("ul.chips li.chip > span").all_inner_texts()


def _search(page: Page) -> None:
    page.get_by_role("button", name="Search", exact=True).click()


def test_pick_lists_come_from_the_data_and_match_any_case(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
    zed: str,
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    assert _options(page, "team") == ["Team A", "Team B"]
    assert _options(page, "agent") == ["Agent", "Zed Secret"]
    assert _options(page, "queue") == ["Calls"]
    page.locator("#f-team").fill("team b")
    _search(page)
    expect(_row(page, zed)).to_be_visible()
    expect(_row(page, "ui-other-team")).to_be_visible()
    expect(_row(page, "ui-call")).to_have_count(0)
    assert "Team: team b" in _chips(page)
    page.locator("#f-agent").fill("ZED SECRET")
    _search(page)
    expect(page.locator("tbody a.drill")).to_have_count(1)
    screenshot(page, "search-pick-lists")
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_scoped_person_is_never_offered_another_teams_names(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
    zed: str,
) -> None:
    sign_in(page, scene, people["scoped"], "/conversations?range=all")
    assert _options(page, "team") == ["Team A"]
    assert "Zed Secret" not in _options(page, "agent")
    assert "Zed Secret" not in page.content()
    page.locator("#f-agent").fill("zed secret")
    _search(page)
    expect(page.locator("td.empty")).to_be_visible()


def test_a_drill_down_to_a_day_is_a_chip_that_survives_refining(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/reports?range=all&group_by=day")
    today = datetime.now(UTC)
    # Reports, the chips and the period box name the day as the pages show dates ("Dec 7, 2026").
    day = f"{today:%b} {today.day}, {today.year}"
    page.locator("table").get_by_role("link", name=day).click()
    page.wait_for_url("**/conversations?**")
    assert f"Period: {day}" in _chips(page)
    expect(page.locator("#f-range option:checked")).to_have_text(day)
    expect(_row(page, "ui-call")).to_be_visible()
    # Refining keeps the day.
    page.locator("#f-team").fill("Team A")
    _search(page)
    assert _chips(page) == [f"Period: {day}", "Team: Team A"]
    assert "start=" in page.url and "team=Team+A" in page.url
    expect(_row(page, "ui-other-team")).to_have_count(0)
    screenshot(page, "search-chips")
    # Removing one chip keeps the other.
    page.get_by_role("link", name="Remove Team: Team A").click()
    page.wait_for_url(lambda url: "team=" not in url)
    assert _chips(page) == [f"Period: {day}"]
    expect(_row(page, "ui-other-team")).to_be_visible()
    page.get_by_role("link", name=f"Remove Period: {day}").click()
    page.wait_for_url(lambda url: "start=" not in url)
    # The drill-down asked for all time around its day: nothing is filtered any more.
    assert _chips(page) == []
    expect(page.locator("#f-range option:checked")).to_have_text("All time")


def test_a_drill_down_to_an_agent_arrives_as_a_chip(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/reports?range=all&group_by=agent")
    page.locator("table").get_by_role("link", name="Agent", exact=True).click()
    page.wait_for_url("**/conversations?**")
    assert "Agent: Agent" in _chips(page)
    expect(page.locator("#f-agent")).to_have_value("Agent")


def test_save_open_rename_and_delete_a_search(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all&team=Team+B")
    page.get_by_label("Save these filters as").fill('B team <img src=x onerror="window.__xss=1">')
    page.get_by_role("button", name="Save filters").click()
    saved = page.locator("#saved-list a.saved-open")
    expect(saved).to_have_text('B team <img src=x onerror="window.__xss=1">')
    # The same name again is refused in words.
    page.get_by_label("Save these filters as").fill('b TEAM <img src=x onerror="window.__xss=1">')
    page.get_by_role("button", name="Save filters").click()
    expect(page.locator("#saved-error")).to_contain_text("already have")
    page.goto(f"{scene.server.base_url}/conversations")
    saved.click()
    page.wait_for_url("**team=Team+B**")
    assert "Team: Team B" in _chips(page)
    expect(_row(page, "ui-call")).to_have_count(0)
    page.locator("#saved-list button.saved-rename").click()
    page.get_by_label("New name").fill("Team B")
    page.get_by_role("button", name="Save name").click()
    expect(saved).to_have_text("Team B")
    screenshot(page, "search-saved")
    page.get_by_role("button", name="Delete Team B").click()
    expect(saved).to_have_count(0)
    assert page.evaluate("window.__xss") is None
    assert page.errors == []  # type: ignore[attr-defined]


def test_hidden_columns_are_remembered_for_the_person(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["admin"], "/conversations?range=all")
    direction = page.locator('thead th[data-column="direction"]')
    expect(direction).to_be_visible()
    page.get_by_text("Columns", exact=True).click()
    page.locator("#column-choices").get_by_label("Direction").uncheck()
    expect(direction).to_be_hidden()
    expect(page.locator('tbody td[data-column="direction"]').first).to_be_hidden()
    expect(page.locator("#column-choices")).to_have_attribute("data-saved", "direction")
    page.reload()
    expect(direction).to_be_hidden()
    expect(page.locator('thead th[data-column="agent"]')).to_be_visible()
    page.get_by_text("Columns", exact=True).click()
    expect(page.locator("#column-choices").get_by_label("Direction")).not_to_be_checked()
    page.locator("#column-choices").get_by_label("Direction").check()
    expect(direction).to_be_visible()
    expect(page.locator("#column-choices")).to_have_attribute("data-saved", "")
