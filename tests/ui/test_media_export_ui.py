"""Bulk media export in Chromium: select two conversations in the list, export them, watch the
progress, download the ZIP once; a second download is refused, and people without the Export
right get no selection at all."""

from __future__ import annotations

import json
import zipfile
from typing import Any

from playwright.sync_api import Page, expect

from tests.ui.conftest import screenshot
from tests.ui.test_reporting_ui import (  # noqa: F401 (fixtures)
    Scene,
    _row,
    people,
    scene,
    sign_in,
)


def _pick(page: Page, conversation: str) -> Any:
    return page.get_by_label(f"Select conversation {conversation}", exact=True)


def test_two_selected_conversations_are_exported_and_downloaded_once(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["lead"], "/conversations?range=all")
    expect(_row(page, "ui-call")).to_be_visible()
    selected = page.get_by_role("button", name="Export media of selected (0)")
    expect(selected).to_be_disabled()
    _pick(page, "ui-call").check()
    _pick(page, "ui-chat").check()
    page.get_by_role("button", name="Export media of selected (2)").click()

    status = page.locator("#export-status")
    expect(status).to_contain_text("Ready", timeout=30_000)
    expect(status).to_contain_text("of 2 conversations")
    expect(page.locator("#export-bar")).to_have_attribute("aria-valuetext", "100%")
    screenshot(page, "media-export-ready")

    link = page.get_by_role("link", name="Download ZIP")
    url = link.get_attribute("href")
    assert url and url.endswith("/download")
    with page.expect_download() as waiting:
        link.click()
    archive = zipfile.ZipFile(waiting.value.path())
    names = archive.namelist()
    (recording,) = [n for n in names if n.startswith("ui-call/") and n.endswith(".wav")]
    assert archive.read(recording) == scene.wav
    (transcript,) = [n for n in names if n.startswith("ui-chat/") and n.endswith(".json")]
    bodies = [m["body"] for m in json.loads(archive.read(transcript))["messages"]]
    assert bodies[0] == "Hello, my order is late"
    assert "manifest.csv" in names

    expect(link).to_be_hidden()
    expect(status).to_contain_text("Downloaded")
    again = page.request.get(f"{scene.server.base_url}{url}")
    assert again.status == 410
    assert "already downloaded" in again.json()["message"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_people_without_the_export_right_get_no_selection(
    page: Page,
    scene: Scene,  # noqa: F811
    people: Any,  # noqa: F811
) -> None:
    sign_in(page, scene, people["scoped"], "/conversations?range=all")
    expect(_row(page, "ui-call")).to_be_visible()
    expect(page.locator("input.pick")).to_have_count(0)
    expect(page.get_by_role("button", name="Export media of all matches")).to_have_count(0)
